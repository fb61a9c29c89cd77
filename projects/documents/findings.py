"""The 审核结果 workbook of a unit-year: every finding with its fix and reason, and 按规则统计."""

from departments.models import DepartmentYear
from indicators.checks import Severity
from projects.documents.lists import Column, ListSheet, list_workbook
from projects.findings import rule_counts

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
        [title, Severity(severity).label, count] for title, severity, count in rule_counts(results)
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
