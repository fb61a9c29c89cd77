"""A unit-year's booklet: every table in booklet order, fetched in a fixed number of queries
(the booklet's cache key is the unit-year's stamp, projects/documents/stamp.py)."""

from departments.models import DepartmentYear
from projects.documents.target_table import TargetTable, build_target_table
from projects.models import BudgetYear, Project


def department_tables(department_year: DepartmentYear) -> list[TargetTable]:
    """Every project table of the unit-year, in booklet order."""
    milestones = BudgetYear.milestones_of(department_year.year)
    projects = (
        Project.objects.for_table()
        .filter(department=department_year.department, year=department_year.year)
        .in_booklet_order()
    )
    return [build_target_table(project, milestones) for project in projects]
