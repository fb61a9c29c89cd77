"""What a reviewer writes back: the findings grouped by row, a suggested 审核 grade and a drafted
审核意见 the chief may edit before sending."""

from dataclasses import dataclass

from indicators.checks.catalogue import Severity
from indicators.checks.core import Finding
from perfbudget.lib.grades import Grade


@dataclass
class RowFindings:
    where: str
    anchor: str
    findings: list[Finding]

    @property
    def severity(self) -> str:
        order = [Severity.ERROR, Severity.WARNING, Severity.INFO]
        return min((f.severity for f in self.findings), key=order.index)


def by_row(findings: list[Finding]) -> list[RowFindings]:
    """Findings grouped by the row they concern, rows in the order of their first finding."""
    rows: dict[str, RowFindings] = {}
    for f in findings:
        rows.setdefault(f.anchor, RowFindings(f.where, f.anchor, [])).findings.append(f)
    return list(rows.values())


def suggested_grade(findings: list[Finding], indicator_count: int) -> str:
    """优 with nothing to say; 良 with warnings only; 中 (退回修改) with errors; 差 (不予通过) when
    the target text and at least half of the indicator rows cannot be measured.

    The grade weighs each finding as the strict profile does, whatever profile is in force: a
    lenient profile lets an unmeasurable target be submitted, it does not make it a good one."""
    errors = [f for f in findings if f.rule.strict == Severity.ERROR]
    if not errors:
        warnings = any(f.rule.strict == Severity.WARNING for f in findings)
        return Grade.GOOD if warnings else Grade.EXCELLENT
    bad_rows = {f.anchor for f in errors if f.anchor.startswith(("indicator-", "row-"))}
    target_unusable = any(f.code in ("TARGET_EMPTY", "TARGET_PLACEHOLDER") for f in errors)
    if indicator_count and len(bad_rows) * 2 >= indicator_count and target_unusable:
        return Grade.POOR
    return Grade.FAIR


OPENINGS = {
    Grade.EXCELLENT: "经审核，该项目绩效目标明确，指标具体、可衡量，同意。",
    Grade.GOOD: "经审核，该项目绩效目标基本明确，同意。以下问题请在执行中完善：",
    Grade.FAIR: "经审核，该项目绩效目标存在以下问题，请修改后重新提交：",
    Grade.POOR: "经审核，该项目绩效目标和指标大多无法衡量，不予通过。请按以下意见重新编制：",
}


def draft_opinion(findings: list[Finding], grade: str) -> str:
    """The 审核意见 text: an opening for the grade, then one numbered item per row with what is
    wrong and the fix. Hints are left out: they are the clerk's, not the reviewer's."""
    lines = [OPENINGS[Grade(grade)]]
    shown = [f for f in findings if f.severity != Severity.INFO]
    for number, row in enumerate(by_row(shown), 1):
        problems = "；".join(
            f"{f.message}（建议：{f.suggestion.rstrip('。')}）" for f in row.findings
        )
        lines.append(f"{number}. {row.where}：{problems}。")
    return "\n".join(lines)


def indicator_count(data) -> int:
    return sum(len(s.indicators) for p in data.primaries for s in p.secondaries)
