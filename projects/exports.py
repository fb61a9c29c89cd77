"""The content of each download, fetched in a fixed number of queries, and its cache key."""

from departments.models import DepartmentYear
from projects.models import Project
from projects.target_table import TargetTable, build_target_table, milestones_for_year


def department_tables(department_year: DepartmentYear) -> list[TargetTable]:
    """Every project table of the unit-year, in booklet order."""
    milestones = milestones_for_year(department_year.year)
    projects = (
        Project.objects.for_table()
        .filter(department=department_year.department, year=department_year.year)
        .in_booklet_order()
    )
    return [build_target_table(project, milestones) for project in projects]


def part_one_key(department_year: DepartmentYear) -> str:
    parts = [
        department_year.title,
        department_year.status,
        department_year.overall_target,
        department_year.safeguards,
    ]
    for section in department_year.department.year_sections:
        parts += [section.name, section.duties]
        for indicator in section.year_indicators:
            parts += [indicator.name, *indicator.criteria()]
    return "\x1f".join(parts)


def booklet_key(department_year: DepartmentYear, tables: list[TargetTable]) -> str:
    return "\x1e".join([part_one_key(department_year), *(t.content_key() for t in tables)])
