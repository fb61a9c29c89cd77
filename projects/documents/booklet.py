"""A unit-year's booklet: every table in booklet order, fetched in a fixed number of queries;
how each of its formats is drawn; the name its file is kept under (the unit-year's stamp,
projects/documents/stamp.py)."""

from departments.models import DepartmentYear
from perfbudget.lib.downloads import fingerprint
from projects.documents import docx, pdf, xlsx
from projects.documents.target_table import TargetTable, build_target_table
from projects.models import BudgetYear, Project

# The booklet's formats and how each is drawn: draw(part_one, tables, progress=None). Looked up
# when called, so that a drawer replaced in a test is the one used.
DRAWERS = {
    "pdf": lambda *args: pdf.booklet_pdf(*args),
    "xlsx": lambda *args: xlsx.booklet_workbook(*args),
    "docx": lambda *args: docx.booklet_docx(*args),
}


def booklet_key(stamp_key: str, extension: str) -> str:
    """The name of a booklet file with this content (the unit-year's stamp): its key in the
    download cache, a job's stamp and the ETag."""
    return fingerprint(f"booklet.{extension}", stamp_key)


def data_workbook_key(stamp_key: str, version: int) -> str:
    """The name of a unit-year's data workbook with this content: the booklet's stamp and the
    unit-year's version, which the workbook shows (an import checks a file against it) and
    which an import bumps without a history row."""
    return fingerprint("data.xlsx", stamp_key, str(version))


def department_tables(department_year: DepartmentYear) -> list[TargetTable]:
    """Every project table of the unit-year, in booklet order."""
    milestones = BudgetYear.milestones_of(department_year.year)
    projects = (
        Project.objects.for_table()
        .filter(department=department_year.department, year=department_year.year)
        .in_booklet_order()
    )
    return [build_target_table(project, milestones) for project in projects]
