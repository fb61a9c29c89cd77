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
    """The quality findings of 第一部分 and of every project of the unit-year, in booklet order,
    each project under its framework's 审核口径."""
    from indicators.checks import LevelsCache, check_department_year, check_project

    milestones = milestones_for_year(department_year.year)
    projects = (
        Project.objects.for_table()
        .filter(department=department_year.department, year=department_year.year)
        .in_booklet_order()
    )
    levels = LevelsCache()
    results: list[tuple[Project | None, list]] = [(None, check_department_year(department_year))]
    results += [
        (project, check_project(project, milestones, levels(project.framework_id)))
        for project in projects
    ]
    return results


def rule_counts(results) -> list[tuple[str, str, int]]:
    """How often each rule fired across the unit-year: (rule name, severity, count), most first."""
    from collections import Counter

    counts = Counter((f.title, f.severity) for _, findings in results for f in findings)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(
        ((title, severity, n) for (title, severity), n in counts.items()),
        key=lambda x: (order[x[1]], -x[2], x[0]),
    )


def ranked_projects(results) -> list[tuple[Project, dict[str, int]]]:
    """Projects with the most findings first (errors, then warnings, then hints)."""
    rows = []
    for project, findings in results:
        if project is None:
            continue
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in findings:
            counts[f.severity] += 1
        rows.append((project, counts))
    return sorted(rows, key=lambda r: (-r[1]["error"], -r[1]["warning"], -r[1]["info"]))


FINDING_HEADERS = [
    "表序号",
    "项目编码",
    "项目名称",
    "级别",
    "审核规则",
    "位置",
    "问题",
    "修改建议",
    "依据",
]


def findings_workbook(department_year: DepartmentYear, results) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from projects.xlsx import _print_setup, set_text

    wb = Workbook()
    ws = wb.active
    ws.title = "审核结果"
    for col, header in enumerate(FINDING_HEADERS, 1):
        set_text(ws.cell(row=1, column=col), header)
        ws.cell(row=1, column=col).font = Font(bold=True)
    row = 2
    wrap = Alignment(wrap_text=True, vertical="top")
    for project, findings in results:
        for finding in findings:
            values = [
                project.table_number if project else "",
                project.code if project else "",
                project.name if project else "第一部分 部门整体绩效目标",
                finding.severity_label,
                finding.title,
                finding.where,
                finding.message,
                finding.suggestion,
                finding.reason,
            ]
            for col, value in enumerate(values, 1):
                cell = ws.cell(row=row, column=col)
                set_text(cell, value)
                cell.alignment = wrap
            row += 1
    widths = [8, 24, 30, 8, 20, 36, 50, 40, 50]
    for letter, width in zip("ABCDEFGHI", widths, strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    heading = f"{department_year.department.name} {department_year.year}年 绩效目标审核结果"
    _print_setup(ws, title_rows="1:1", landscape=True)
    ws.oddHeader.center.text = heading
    summary = wb.create_sheet("按规则统计")
    for col, header in enumerate(["审核规则", "级别", "次数"], 1):
        set_text(summary.cell(row=1, column=col), header)
        summary.cell(row=1, column=col).font = Font(bold=True)
    labels = {"error": "错误", "warning": "警告", "info": "提示"}
    for i, (title, severity, count) in enumerate(rule_counts(results), 2):
        set_text(summary.cell(row=i, column=1), title)
        set_text(summary.cell(row=i, column=2), labels[severity])
        summary.cell(row=i, column=3, value=count)
    summary.column_dimensions["A"].width = 24
    _print_setup(summary, title_rows="1:1")
    summary.oddHeader.center.text = heading
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
