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


def _history_parts() -> dict[str, tuple[str, str, list[str]]]:
    """Each part: the history table, its condition, the condition's parameters by name."""
    h = {m: m.history.model for m in (Project, Indicator, ScheduleEntry, DepartmentYear)}
    h |= {m: m.history.model for m in (Section, SectionIndicator, SectionRating, Department)}
    projects_then = (
        f"SELECT {_column(h[Project], 'id')} FROM {_table(h[Project])} "
        f"WHERE {_column(h[Project], 'department')} = %s AND {_column(h[Project], 'year')} = %s"
    )
    projects_now = (
        f"SELECT {_column(Project, 'id')} FROM {_table(Project)} "
        f"WHERE {_column(Project, 'department')} = %s AND {_column(Project, 'year')} = %s"
    )
    sections = (
        f"SELECT {_column(h[Section], 'id')} FROM {_table(h[Section])} "
        f"WHERE {_column(h[Section], 'department')} = %s"
    )
    section_indicators = (
        f"SELECT {_column(h[SectionIndicator], 'id')} FROM {_table(h[SectionIndicator])} "
        f"WHERE {_column(h[SectionIndicator], 'section')} IN ({sections}) "
        f"AND {_column(h[SectionIndicator], 'year')} = %s"
    )

    def of_projects(model):
        # The projects that ever were (history) and that are (a row written without history).
        column = _column(h[model], "project")
        return (
            f"({column} IN ({projects_then}) OR {column} IN ({projects_now}))",
            ["department", "year", "department", "year"],
        )

    def where(model, field):
        return f"{_column(h[model], field)} = %s"

    parts = {
        "project": (
            h[Project],
            f"{where(Project, 'department')} AND {where(Project, 'year')}",
            ["department", "year"],
        ),
        "indicator": (h[Indicator], *of_projects(Indicator)),
        "schedule": (h[ScheduleEntry], *of_projects(ScheduleEntry)),
        "unit_year": (
            h[DepartmentYear],
            f"{where(DepartmentYear, 'department')} AND {where(DepartmentYear, 'year')}",
            ["department", "year"],
        ),
        "section": (h[Section], where(Section, "department"), ["department"]),
        "section_indicator": (
            h[SectionIndicator],
            f"{_column(h[SectionIndicator], 'section')} IN ({sections}) "
            f"AND {where(SectionIndicator, 'year')}",
            ["department", "year"],
        ),
        "rating": (
            h[SectionRating],
            f"{_column(h[SectionRating], 'indicator')} IN ({section_indicators})",
            ["department", "year"],
        ),
        "unit": (h[Department], where(Department, "id"), ["department"]),
    }
    return {
        name: (_table(model), condition, names) for name, (model, condition, names) in parts.items()
    }


@cache
def _statement() -> tuple[str, list[str]]:
    """One statement reading every count, highest id and sum of the stamp, written once per
    process (built by the ORM, the same query cost 8 ms of Python on every request); and the
    names of its parameters in order."""
    columns, names = [], []
    for table, condition, params in _history_parts().values():
        for function in ("COUNT", "MAX"):
            columns.append(
                f"COALESCE((SELECT {function}(history_id) FROM {table} WHERE {condition}), 0)"
            )
            names += params
    # Rows written without history (none in the app; a script might): their versions count.
    projects = (
        f"FROM {_table(Project)} "
        f"WHERE {_column(Project, 'department')} = %s AND {_column(Project, 'year')} = %s"
    )
    for value in (f"COUNT({_column(Project, 'id')})", f"SUM({_column(Project, 'version')})"):
        columns.append(f"COALESCE((SELECT {value} {projects}), 0)")
        names += ["department", "year"]
    return "SELECT " + ", ".join(columns), names


@dataclass(frozen=True)
class Stamp:
    key: str  # equal keys, equal booklets
    tables: int  # the booklet's project tables


def unit_year_stamp(department_year: DepartmentYear) -> Stamp:
    """The stamp of the unit-year's booklet."""
    sql, names = _statement()
    values = {"department": department_year.department_id, "year": department_year.year}
    with connection.cursor() as cursor:
        cursor.execute(sql, [values[name] for name in names])
        counts = tuple(int(value) for value in cursor.fetchone())
    frameworks = [
        *PrimaryCategory.objects.order_by("pk").values_list("pk", "name", "order"),
        *SecondaryCategory.objects.order_by("pk").values_list("pk", "primary_id", "name", "order"),
    ]
    milestones = BudgetYear.milestones_of(department_year.year)
    key = repr((department_year.pk, counts, frameworks, milestones))
    return Stamp(key, counts[-2])
