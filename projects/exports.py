"""The content of each download, fetched in a fixed number of queries, and its cache key."""

from departments.models import DepartmentYear
from departments.part_one import build_part_one
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


def booklet_key(department_year: DepartmentYear, tables: list[TargetTable]) -> str:
    """Everything the booklet shows: 第一部分 as its builder returns it, and every table."""
    part_one = build_part_one(department_year).content_key()
    return "\x1e".join([part_one, *(t.content_key() for t in tables)])


def department_findings(department_year: DepartmentYear) -> list[tuple[Project | None, list]]:
    """The quality findings of 第一部分 and of every project of the unit-year, in booklet order."""
    from indicators.checks import check_department_year, check_project

    milestones = milestones_for_year(department_year.year)
    projects = (
        Project.objects.for_table()
        .filter(department=department_year.department, year=department_year.year)
        .in_booklet_order()
    )
    results: list[tuple[Project | None, list]] = [(None, check_department_year(department_year))]
    results += [(project, check_project(project, milestones)) for project in projects]
    return results


def findings_workbook(department_year: DepartmentYear, results) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from projects.xlsx import set_text

    wb = Workbook()
    ws = wb.active
    ws.title = "审核结果"
    headers = ["表序号", "项目编码", "项目名称", "级别", "规则", "位置", "问题"]
    for col, header in enumerate(headers, 1):
        set_text(ws.cell(row=1, column=col), header)
        ws.cell(row=1, column=col).font = Font(bold=True)
    row = 2
    for project, findings in results:
        for finding in findings:
            values = [
                project.table_number if project else "",
                project.code if project else "",
                project.name if project else "第一部分 部门整体绩效目标",
                finding.severity_label,
                finding.code,
                finding.where,
                finding.message,
            ]
            for col, value in enumerate(values, 1):
                set_text(ws.cell(row=row, column=col), value)
            row += 1
    for letter, width in zip("ABCDEFG", [8, 24, 30, 8, 22, 36, 60], strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
