"""Carrying a project or a whole unit-year into another year (结转) as drafts."""

from django.db import transaction

from departments.models import (
    FIRST_YEAR,
    LAST_YEAR,
    DepartmentYear,
    SectionIndicator,
)
from indicators.models import Indicator, SecondaryCategory
from projects.models import (
    BudgetYear,
    Project,
    ScheduleEntry,
)
from projects.services.unit_years import department_year_ensure


class CopyRefused(Exception):
    """A copy to another year that cannot be made; the message says why, in Chinese."""


NO_BUDGET_YEAR = "{year}年的预算年度尚未设置，不能结转到该年度（预算年度由系统管理员设置）"


def _target_budget_year(source_year: int, year: int) -> BudgetYear:
    if year == source_year:
        raise CopyRefused("目标年度不能与原年度相同")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CopyRefused(f"目标年度应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间")
    # A budget year is global (every unit's default year, its framework and milestones): only
    # a superuser sets one up, never a copy as a side effect.
    existing = BudgetYear.objects.filter(year=year).first()
    if existing is None:
        raise CopyRefused(NO_BUDGET_YEAR.format(year=year))
    return existing


def _copy_project(project: Project, budget_year: BudgetYear) -> Project:
    year = budget_year.year
    if Project.objects.filter(year=year, code=project.code).exists():
        raise CopyRefused(f"{year}年已有项目编码为 {project.code} 的项目")
    framework = budget_year.framework
    categories = {
        (c.primary.name, c.name): c
        for c in SecondaryCategory.objects.filter(primary__framework=framework).select_related(
            "primary"
        )
    }
    indicators = list(project.indicators.select_related("category__primary").order_by("id"))
    unmapped = {
        f"{i.category.primary.name} / {i.category.name}"
        for i in indicators
        if (i.category.primary.name, i.category.name) not in categories
    }
    if unmapped:
        raise CopyRefused(
            f"{year}年使用 {framework.code} 指标体系，"
            f"没有以下二级指标：{'、'.join(sorted(unmapped))}"
        )
    copy = Project(
        department=project.department,
        year=year,
        section=project.section,
        booklet_order=project.booklet_order,
        code=project.code,
        **{name: getattr(project, name) for name in Project.OWN_FIELDS},
        framework=framework,
        source=project,
    )
    copy.full_clean()
    copy.save()
    for entry in project.schedule.all():
        if entry.planned_percent is not None:
            ScheduleEntry.objects.create(
                project=copy, month=entry.month, planned_percent=entry.planned_percent
            )
    for indicator in indicators:
        Indicator.objects.create(
            project=copy,
            category=categories[(indicator.category.primary.name, indicator.category.name)],
            order=indicator.order,
            name=indicator.name,
            description=indicator.description,
            value_text=indicator.value_text,
            operator=indicator.operator,
            value_number=indicator.value_number,
            value_unit=indicator.value_unit,
            basis=indicator.basis,
        )
    return copy


@transaction.atomic
def project_copy_to_year(*, project: Project, year: int) -> Project:
    """Copy a project into another year as a draft, linked to its source. The unit gets that
    year's 第一部分 if it has none, so the copy's unit page exists."""
    copy = _copy_project(project, _target_budget_year(project.year, year))
    department_year_ensure(department=project.department, year=year)
    return copy


@transaction.atomic
def unit_year_copy(*, department_year: DepartmentYear, year: int) -> DepartmentYear:
    """Copy a whole unit-year — 第一部分, the sections' rating indicators and every project —
    into another year as drafts."""
    budget_year = _target_budget_year(department_year.year, year)
    department = department_year.department
    if DepartmentYear.objects.filter(department=department, year=year).exists():
        raise CopyRefused(f"{department.name}已有{year}年的绩效目标，不能重复结转")
    copy = DepartmentYear.objects.create(
        department=department,
        year=year,
        overall_target=department_year.overall_target,
        safeguards=department_year.safeguards,
    )
    for indicator in SectionIndicator.objects.filter(
        section__department=department, year=department_year.year
    ):
        indicator.pk, indicator.id, indicator.year = None, None, year
        indicator._state.adding = True
        indicator.save()
    for project in department.projects.filter(year=department_year.year).order_by("booklet_order"):
        _copy_project(project, budget_year)
    return copy
