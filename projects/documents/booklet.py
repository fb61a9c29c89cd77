"""The content of each download, fetched in a fixed number of queries, and its cache key."""

from departments.models import DepartmentYear
from projects.documents.lists import Column, ListSheet, list_workbook
from projects.documents.part_one import build_part_one
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


def booklet_key(department_year: DepartmentYear, tables: list[TargetTable]) -> str:
    """Everything the booklet shows: 第一部分 as its builder returns it, and every table."""
    part_one = build_part_one(department_year).content_key()
    return "\x1e".join([part_one, *(t.content_key() for t in tables)])


def department_findings(department_year: DepartmentYear) -> list[tuple[Project | None, list]]:
    """The quality findings of 第一部分 and of every project of the unit-year, in booklet order,
    each project under its framework's 审核口径."""
    from indicators.checks import LevelsCache, check_department_year, check_project

    milestones = BudgetYear.milestones_of(department_year.year)
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


FINDING_COLUMNS = [
    Column("表序号", 8, wrap=True),
    Column("项目编码", 24, wrap=True),
    Column("项目名称", 30, wrap=True),
    Column("级别", 8, wrap=True),
    Column("审核规则", 20, wrap=True),
    Column("位置", 36, wrap=True),
    Column("问题", 50, wrap=True),
    Column("修改建议", 40, wrap=True),
    Column("依据", 50, wrap=True),
]
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


def findings_workbook(department_year: DepartmentYear, results) -> bytes:
    """审核结果 (every finding with its fix and reason) and 按规则统计, ready to print."""
    rows = [
        [
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
        for project, findings in results
        for finding in findings
    ]
    counts = [
        [title, SEVERITY_LABELS[severity], count] for title, severity, count in rule_counts(results)
    ]
    heading = f"{department_year.department.name} {department_year.year}年 绩效目标审核结果"
    return list_workbook(
        [
            ListSheet("审核结果", FINDING_COLUMNS, rows, heading=heading, landscape=True),
            ListSheet(
                "按规则统计",
                [Column("审核规则", 24), Column("级别"), Column("次数")],
                counts,
                heading=heading,
            ),
        ]
    )
