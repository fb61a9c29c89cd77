"""A unit-year as a whole: budget years, sections and their rating indicators, loading a
whole unit-year (the demo and the reference), creating a year."""

from decimal import Decimal

from django.db import transaction

from departments.models import (
    GRADE_FIELDS,
    Department,
    DepartmentYear,
    Section,
    SectionIndicator,
)
from departments.scales import parse_bound
from indicators.models import FrameworkVersion
from projects.models import (
    DEFAULT_MILESTONES,
    BudgetYear,
    Project,
)
from projects.services.tree import project_tree_replace, schedule_replace


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def budget_year_ensure(*, year: int, framework, milestones: list[int]) -> BudgetYear:
    """The budget year, set up with this framework and these milestones (the default ones when
    none are given) if it has not been; one that exists is left as it is."""
    budget_year, _ = BudgetYear.objects.get_or_create(
        year=year,
        defaults={"framework": framework, "milestone_months": milestones or DEFAULT_MILESTONES},
    )
    return budget_year


def sections_replace(*, department: Department, year: int, sections: list[dict]) -> None:
    """Sections with their duties, and their rating indicators of the year."""
    for spec in sections:
        section, _ = Section.objects.update_or_create(
            department=department,
            name=spec["name"],
            defaults={"order": spec.get("order", 0), "duties": spec.get("duties", "")},
        )
        keep = []
        for order, item in enumerate(spec.get("indicators", []), 1):
            bounds = {}
            for grade, field, default_op in GRADE_FIELDS:
                op, value = parse_bound(item["scale"][grade], default_op)
                bounds[f"{field}_op"], bounds[f"{field}_bound"] = op, value
            indicator, _ = SectionIndicator.objects.update_or_create(
                section=section, year=year, name=item["name"], defaults={"order": order, **bounds}
            )
            indicator.full_clean()
            keep.append(indicator.pk)
        SectionIndicator.objects.filter(section=section, year=year).exclude(pk__in=keep).delete()


@transaction.atomic
def unit_year_load(*, data: dict) -> DepartmentYear:
    """Load a whole unit-year (the reference document's structure); running it again updates
    the same records instead of duplicating them."""
    year = data["year"]
    framework = FrameworkVersion.objects.get(code=data["framework"])
    budget_year = budget_year_ensure(year=year, framework=framework, milestones=data["milestones"])
    dept = data["department"]
    department, _ = Department.objects.update_or_create(
        code=dept["code"], defaults={"name": dept["name"]}
    )
    department_year, _ = DepartmentYear.objects.update_or_create(
        department=department,
        year=year,
        defaults={
            "overall_target": dept.get("overall_target", ""),
            "safeguards": dept.get("safeguards", ""),
        },
    )
    sections_replace(department=department, year=year, sections=data.get("sections", []))
    sections = {s.name: s for s in department.sections.all()}
    for order, spec in enumerate(data.get("projects", []), 1):
        project, _ = Project.objects.update_or_create(
            year=year,
            code=spec["code"],
            defaults={
                "department": department,
                "section": sections.get(spec.get("section") or ""),
                "table_number": spec["table_number"],
                "booklet_order": spec.get("booklet_order", order),
                "table_name": spec["table_name"],
                "name": spec["name"],
                "budget_total": _decimal(spec["budget_total"]),
                "fiscal_funds": _decimal(spec["fiscal_funds"]),
                "other_funds": _decimal(spec.get("other_funds")),
                "fund_use": spec.get("fund_use", ""),
                "target": spec.get("target", ""),
                "framework": budget_year.framework,
            },
        )
        project.full_clean()
        schedule_replace(
            project=project,
            planned={int(m): _decimal(p) for m, p in spec.get("schedule", {}).items()},
        )
        project_tree_replace(project=project, rows=spec.get("indicators", []))
    return department_year


def department_year_ensure(*, department: Department, year: int) -> DepartmentYear:
    """The unit's year that a project's pages link to (第一部分 may stay empty)."""
    department_year, _ = DepartmentYear.objects.get_or_create(department=department, year=year)
    return department_year


class UnitYearRefused(Exception):
    """A unit-year that cannot be created; the message says why, in Chinese."""


NO_UNIT_BUDGET_YEAR = "{year}年的预算年度尚未设置，不能新建该年度（预算年度由系统管理员设置）"
UNIT_YEAR_EXISTS = "本单位已有{year}年的绩效目标。"


def unit_year_create(*, department: Department, year: int) -> DepartmentYear:
    """Open a budget year for one unit: its 第一部分 as an empty draft. The year itself (its
    framework and milestones, shared by every unit) is a superuser's to set."""
    if not BudgetYear.objects.filter(year=year).exists():
        raise UnitYearRefused(NO_UNIT_BUDGET_YEAR.format(year=year))
    department_year, created = DepartmentYear.objects.get_or_create(
        department=department, year=year
    )
    if not created:
        raise UnitYearRefused(UNIT_YEAR_EXISTS.format(year=year))
    return department_year
