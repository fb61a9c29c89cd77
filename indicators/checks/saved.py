"""The checks' view of a saved project."""

from dataclasses import dataclass
from functools import cached_property

from indicators.checks.catalogue import Severity
from indicators.checks.core import Finding, IndicatorData, PrimaryData, SecondaryData, TargetData
from indicators.checks.opinion import (
    RowFindings,
    by_row,
    draft_opinion,
    indicator_count,
    suggested_grade,
)
from indicators.checks.profiles import Levels
from indicators.checks.project import check_target_data
from perfbudget.lib.grades import Grade


def framework_tree(framework, rows_of) -> list[PrimaryData]:
    """The framework's 一级 and 二级 (prefetched with `primaries__secondaries`) with the rows
    `rows_of(primary, secondary)` gives for each 二级."""
    return [
        PrimaryData(
            primary.name,
            [
                SecondaryData(secondary.name, secondary.counts_as_cost, rows_of(primary, secondary))
                for secondary in primary.secondaries.all()
            ],
            primary.kind,
        )
        for primary in framework.primaries.all()
    ]


def _row(indicator) -> IndicatorData:
    i = indicator
    return IndicatorData(f"indicator-{i.pk}", i.name, i.description, i.value_text, i.basis)


def target_data(project, milestones: list[int] | None = None) -> TargetData:
    """The checks' view of a project fetched with `Project.objects.for_table()`."""
    planned = {e.month: e.planned_percent for e in project.schedule.all()}
    primaries = [
        PrimaryData(
            primary.name,
            [
                SecondaryData(secondary.name, secondary.counts_as_cost, [_row(i) for i in items])
                for secondary, items in secondaries
            ],
            primary.kind,
        )
        for primary, secondaries in project.indicator_tree()
    ]
    return TargetData(
        project.budget_total,
        project.fiscal_funds,
        project.other_funds,
        project.target,
        planned,
        milestones or sorted(planned),
        primaries,
        project.framework_id,
    )


def check_project(
    project, milestones: list[int] | None = None, levels: Levels | None = None
) -> list[Finding]:
    """All findings of a project fetched with `Project.objects.for_table()`."""
    return check_target_data(target_data(project, milestones), levels)


@dataclass
class ReviewAid:
    """What the review form offers a chief: the findings by row, a grade and a drafted opinion."""

    findings: list[Finding]
    rows: list[RowFindings]
    grade: str
    opinion: str

    @cached_property
    def drafts(self) -> dict[str, str]:
        """The opinion drafted for each grade the chief may choose."""
        return {grade: draft_opinion(self.findings, grade) for grade in Grade.values}

    @property
    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity] += 1
        return counts


def review_aid(
    project, milestones: list[int] | None = None, levels: Levels | None = None
) -> ReviewAid:
    data = target_data(project, milestones)
    findings = check_target_data(data, levels)
    grade = suggested_grade(findings, indicator_count(data))
    return ReviewAid(findings, by_row(findings), grade, draft_opinion(findings, grade))
