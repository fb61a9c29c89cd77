"""A cheap stamp of everything a unit-year's booklet shows, read in four small queries.

Every write of a record the booklet draws from (a project, its indicators and schedule, the
unit-year's 第一部分, the unit's sections, their rating indicators and ratings, the unit itself)
leaves a history row, and history rows are only ever added. So the count and the highest id of
those rows change whenever the booklet's content can have changed: the count catches a row
that a slower transaction committed after a later id was already visible. The year's milestones
and the indicator frameworks' category names keep no history and are read as they are (a few
rows). The stamp replaces building every table just to fingerprint the booklet: a re-download
or a 304 of a 200-table booklet reads these queries instead of 200 tables.
"""

from dataclasses import dataclass

from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from departments.models import Department, DepartmentYear, Section, SectionIndicator, SectionRating
from indicators.models import Indicator, PrimaryCategory, SecondaryCategory
from projects.models import BudgetYear, Project, ScheduleEntry


def _history(model) -> QuerySet:
    return model.history.model.objects


def _sum(rows: QuerySet, column: str, function: str) -> Subquery:
    """COUNT, MAX or SUM of a column over the rows as a one-row subquery (a plain function,
    not an aggregate, so the query is not grouped)."""
    value = rows.order_by().annotate(v=Func(F(column), function=function)).values("v")
    return Coalesce(Subquery(value), 0, output_field=IntegerField())


def _history_parts(department_id: int, year: int) -> dict[str, QuerySet]:
    projects = _history(Project).filter(department_id=department_id, year=year)
    # The projects that ever were (history) and that are (a row written without history).
    project_ids = Q(project_id__in=projects.values("id")) | Q(
        project_id__in=Project.objects.filter(department_id=department_id, year=year).values("id")
    )
    sections = _history(Section).filter(department_id=department_id)
    indicators = _history(SectionIndicator).filter(section_id__in=sections.values("id"), year=year)
    return {
        "project": projects,
        "indicator": _history(Indicator).filter(project_ids),
        "schedule": _history(ScheduleEntry).filter(project_ids),
        "unit_year": _history(DepartmentYear).filter(department_id=department_id, year=year),
        "section": sections,
        "section_indicator": indicators,
        "rating": _history(SectionRating).filter(indicator_id__in=indicators.values("id")),
        "unit": _history(Department).filter(id=department_id),
    }


@dataclass(frozen=True)
class Stamp:
    key: str  # equal keys, equal booklets
    tables: int  # the booklet's project tables


def unit_year_stamp(department_year: DepartmentYear) -> Stamp:
    """The stamp of the unit-year's booklet."""
    parts = _history_parts(department_year.department_id, department_year.year)
    columns = {}
    for name, rows in parts.items():
        columns[f"{name}_count"] = _sum(rows, "history_id", "COUNT")
        columns[f"{name}_top"] = _sum(rows, "history_id", "MAX")
    projects = Project.objects.filter(department_id=department_year.department_id)
    rows = projects.filter(year=department_year.year).order_by()
    # Rows written without history (none in the app; a script might): their versions count.
    columns["projects_now"] = _sum(rows, "id", "COUNT")
    columns["project_versions"] = _sum(rows, "version", "SUM")
    counts = (
        DepartmentYear.objects.filter(pk=department_year.pk)
        .annotate(**columns)
        .values(*columns)
        .get()
    )
    frameworks = [
        *PrimaryCategory.objects.order_by("pk").values_list("pk", "name", "order"),
        *SecondaryCategory.objects.order_by("pk").values_list("pk", "primary_id", "name", "order"),
    ]
    milestones = BudgetYear.milestones_of(department_year.year)
    key = repr((department_year.pk, tuple(counts.values()), frameworks, milestones))
    return Stamp(key, counts["projects_now"])
