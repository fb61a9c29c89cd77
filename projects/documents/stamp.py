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
from functools import cache

from django.db import connection

from departments.models import Department, DepartmentYear, Section, SectionIndicator, SectionRating
from indicators.models import Indicator, PrimaryCategory, SecondaryCategory
from projects.models import BudgetYear, Project, ScheduleEntry


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def _history_parts() -> dict[str, tuple[str, str]]:
    """Each part: its history table and the condition on it, with the parameters
    %(department)s and %(year)s."""
    h = {m: m.history.model for m in (Project, Indicator, ScheduleEntry, DepartmentYear)}
    h |= {m: m.history.model for m in (Section, SectionIndicator, SectionRating, Department)}

    def where(model, *fields) -> str:
        return " AND ".join(f"{_column(model, field)} = %({field})s" for field in fields)

    def ids(model, *fields) -> str:
        return f"SELECT {_column(model, 'id')} FROM {_table(model)} WHERE {where(model, *fields)}"

    sections = ids(h[Section], "department")
    section_indicators = (
        f"SELECT {_column(h[SectionIndicator], 'id')} FROM {_table(h[SectionIndicator])} "
        f"WHERE {_column(h[SectionIndicator], 'section')} IN ({sections}) "
        f"AND {where(h[SectionIndicator], 'year')}"
    )

    def of_projects(model) -> str:
        # The projects that ever were (history) and that are (a row written without history).
        column = _column(h[model], "project")
        then, now = ids(h[Project], "department", "year"), ids(Project, "department", "year")
        return f"({column} IN ({then}) OR {column} IN ({now}))"

    parts = {
        "project": (h[Project], where(h[Project], "department", "year")),
        "indicator": (h[Indicator], of_projects(Indicator)),
        "schedule": (h[ScheduleEntry], of_projects(ScheduleEntry)),
        "unit_year": (h[DepartmentYear], where(h[DepartmentYear], "department", "year")),
        "section": (h[Section], where(h[Section], "department")),
        "section_indicator": (
            h[SectionIndicator],
            f"{_column(h[SectionIndicator], 'section')} IN ({sections}) "
            f"AND {where(h[SectionIndicator], 'year')}",
        ),
        "rating": (
            h[SectionRating],
            f"{_column(h[SectionRating], 'indicator')} IN ({section_indicators})",
        ),
        "unit": (h[Department], f"{_column(h[Department], 'id')} = %(department)s"),
    }
    return {name: (_table(model), condition) for name, (model, condition) in parts.items()}


@cache
def _statement() -> str:
    """One statement reading every count, highest id and sum of the stamp, written once per
    process (built by the ORM, the same query cost 8 ms of Python on every request)."""
    columns = [
        f"COALESCE((SELECT {function}(history_id) FROM {table} WHERE {condition}), 0)"
        for table, condition in _history_parts().values()
        for function in ("COUNT", "MAX")
    ]
    # Rows written without history (none in the app; a script might): their versions count.
    projects = f"FROM {_table(Project)} WHERE {_column(Project, 'department')} = %(department)s"
    projects += f" AND {_column(Project, 'year')} = %(year)s"
    for value in (f"COUNT({_column(Project, 'id')})", f"SUM({_column(Project, 'version')})"):
        columns.append(f"COALESCE((SELECT {value} {projects}), 0)")
    return "SELECT " + ", ".join(columns)


@dataclass(frozen=True)
class Stamp:
    key: str  # equal keys, equal booklets
    tables: int  # the booklet's project tables


def unit_year_stamp(department_year: DepartmentYear) -> Stamp:
    """The stamp of the unit-year's booklet."""
    values = {"department": department_year.department_id, "year": department_year.year}
    with connection.cursor() as cursor:
        cursor.execute(_statement(), values)
        counts = tuple(int(value) for value in cursor.fetchone())
    frameworks = [
        *PrimaryCategory.objects.order_by("pk").values_list("pk", "name", "order"),
        *SecondaryCategory.objects.order_by("pk").values_list("pk", "primary_id", "name", "order"),
    ]
    milestones = BudgetYear.milestones_of(department_year.year)
    key = repr((department_year.pk, counts, frameworks, milestones))
    return Stamp(key, counts[-2])
