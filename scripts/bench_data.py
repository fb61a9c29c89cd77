"""A generated large unit for the benchmark: 200 projects of 20 indicators each."""

from decimal import Decimal

from django.db import transaction

from departments.models import Department, DepartmentYear, Section, SectionIndicator
from indicators.models import Indicator, SecondaryCategory
from projects.models import BudgetYear, Project, ScheduleEntry

LARGE_CODE = "900001"


@transaction.atomic
def build_large_unit(
    *, year: int = 2024, projects: int = 200, indicators: int = 20
) -> DepartmentYear:
    budget_year = BudgetYear.objects.get(year=year)
    framework = budget_year.framework
    categories = list(
        SecondaryCategory.objects.filter(primary__framework=framework).select_related("primary")
    )
    department, _ = Department.objects.get_or_create(
        code=LARGE_CODE, defaults={"name": "基准测试大型单位"}
    )
    department_year, _ = DepartmentYear.objects.get_or_create(
        department=department,
        year=year,
        defaults={
            "overall_target": "全面完成年度工作任务。" * 20,
            "safeguards": "加强预算管理。\n" * 5,
        },
    )
    sections = []
    for s in range(8):
        section, _ = Section.objects.get_or_create(
            department=department,
            name=f"第{s + 1}科",
            defaults={"order": s + 1, "duties": "负责本科室业务。\n" * 3},
        )
        sections.append(section)
        for i in range(3):
            SectionIndicator.objects.get_or_create(
                section=section,
                year=year,
                name=f"业务完成率{i + 1}",
                defaults=dict(
                    order=i + 1,
                    excellent_op="≥",
                    excellent_bound=100,
                    good_op="≥",
                    good_bound=90,
                    fair_op="≥",
                    fair_bound=80,
                    poor_op="<",
                    poor_bound=80,
                ),
            )
    Project.objects.filter(department=department, year=year).delete()
    created = Project.objects.bulk_create(
        Project(
            department=department,
            year=year,
            section=sections[n % len(sections)],
            table_number=n + 1,
            booklet_order=n + 1,
            table_name=f"基准项目{n + 1:03d}",
            code=f"BENCH{n + 1:05d}",
            name=f"基准测试项目{n + 1:03d}：城市公共服务能力提升",
            budget_total=Decimal("123.456789"),
            fiscal_funds=Decimal("100"),
            other_funds=Decimal("23.456789"),
            fund_use="用于开展年度重点工作，保障各项任务按期完成。",
            target="按期完成项目建设任务，服务对象满意度不低于95%。",
            framework=framework,
        )
        for n in range(projects)
    )
    ScheduleEntry.objects.bulk_create(
        ScheduleEntry(project=p, month=m, planned_percent=Decimal(v))
        for p in created
        for m, v in ((3, 20), (6, 50), (10, 80), (12, 100))
    )
    rows = []
    for p in created:
        for i in range(indicators):
            category = categories[i % len(categories)]
            rows.append(
                Indicator(
                    project=p,
                    category=category,
                    order=i // len(categories) + 1,
                    name=f"{category.name[:2]}指标{i + 1:02d}",
                    description=f"衡量{category.name}的第{i + 1}项具体内容",
                    value_text=f"≥{90 + i % 10}%",
                    operator="≥",
                    value_number=90 + i % 10,
                    value_unit="%",
                    basis="计划标准",
                )
            )
    Indicator.objects.bulk_create(rows, batch_size=1000)
    return department_year
