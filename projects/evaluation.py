"""The 项目支出绩效自评表 (DESIGN §3.4): what it contains, apart from how a format draws it, and
the rules that score it (indicators/scoring.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from indicators.models import Achievement, Indicator, IndicatorResult, SelfEvaluation
from indicators.scoring import (
    ACHIEVEMENT_SHARES,
    ScoringError,
    budget_execution_score,
    indicator_score,
    round2,
    split_points,
    total_grade,
)
from indicators.values import format_number, parse_value
from perfbudget.lib.numbers import format_money
from projects.documents.target_table import Cell, GridLine, group_spans, merged_lines
from projects.models import Project

MISSING = "未填写实际完成值"
CONFIRMED = "自评已确认，不能再修改"
NEED_REASON = "以下指标失分，须填写偏差原因分析及改进措施：{names}"


BUDGET_FIELDS = ("initial_budget", "annual_budget", "executed")
BUDGET_LABELS = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率")
GRID_HEADERS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
)


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _own_cells(row: "EvaluationRow") -> list[Cell]:
    score = (
        Cell(_text(row.score), role="number", value=row.score)
        if row.score is not None
        else Cell(row.problem, role="note")
    )
    return [
        Cell(row.name),
        Cell(row.target),
        Cell(row.actual),
        Cell(_text(row.points), role="number", value=row.points),
        score,
        Cell(row.reason),
    ]


class EvaluationRefused(Exception):
    """Self-evaluation input that cannot be saved; the message says why, in Chinese."""


def for_evaluation():
    results = Indicator.objects.select_related("result")
    return Project.objects.for_table(indicators=results).select_related("self_evaluation")


@dataclass
class EvaluationRow:
    primary: str
    secondary: str
    name: str
    target: str
    actual: str
    points: Decimal
    score: Decimal | None
    reason: str
    indicator: Indicator
    problem: str = ""

    @property
    def lost(self) -> bool:
        return self.score is not None and self.score < self.points


@dataclass
class EvaluationTable:
    project: Project
    evaluation: SelfEvaluation | None
    budget_points: Decimal
    budget_score: Decimal | None
    execution_rate: Decimal | None
    rows: list[EvaluationRow] = field(default_factory=list)
    total_points: Decimal = Decimal(0)

    @property
    def complete(self) -> bool:
        return self.budget_score is not None and all(r.score is not None for r in self.rows)

    @property
    def total_score(self) -> Decimal | None:
        if not self.complete:
            return None
        return self.budget_score + sum((r.score for r in self.rows), Decimal(0))

    def header_rows(self) -> list[list[Cell]]:
        """The block above the grid: unit, project name and 预算执行情况, eight columns."""
        ev = self.evaluation
        money = [getattr(ev, k) if ev else None for k in BUDGET_FIELDS]
        rate = self.execution_rate
        department = self.project.department
        return [
            [
                Cell(f"{department.code}{department.name}", colspan=6, role="unit"),
                Cell("单位：万元", colspan=2, role="unit"),
            ],
            [Cell("项目名称", role="label"), Cell(self.project.name, colspan=7)],
            [
                Cell("预算执行情况", rowspan=2, role="label"),
                *[Cell(t, role="label") for t in BUDGET_LABELS],
                Cell("得分", colspan=2, role="label"),
            ],
            [
                *[Cell(format_money(m), role="number", value=m) for m in money],
                Cell(format_number(self.budget_points), role="number", value=self.budget_points),
                Cell(f"{format_number(rate)}%" if rate is not None else "", role="number"),
                Cell(_text(self.budget_score), colspan=2, role="number", value=self.budget_score),
            ],
        ]

    def grid_head(self) -> list[Cell]:
        return [Cell(text, role="head") for text in GRID_HEADERS]

    def grid_rows(self) -> list[GridLine]:
        """Indicator rows with the 一级 and 二级 cells merged as the 绩效目标表 merges them."""
        return merged_lines(self.rows, _own_cells, lambda row: row.indicator.pk)

    def total_row(self) -> list[Cell]:
        return [
            Cell("总分", colspan=5, role="label"),
            Cell(format_number(self.total_points), role="number", value=self.total_points),
            Cell(_text(self.total_score), role="number", value=self.total_score),
            Cell(f"自评等级：{self.grade or '（未完成）'}", role="label"),
        ]

    @property
    def grade(self) -> str:
        return total_grade(self.total_score) if self.complete else ""


def _result(indicator: Indicator) -> IndicatorResult | None:
    return getattr(indicator, "result", None)


def build_evaluation(project: Project) -> EvaluationTable:
    """The 自评表 of a project fetched with `for_evaluation()`."""
    evaluation = getattr(project, "self_evaluation", None)
    framework = project.framework
    budget_points = framework.budget_points
    budget_score = rate = None
    if evaluation is not None:
        budget_score = budget_execution_score(
            evaluation.executed, evaluation.annual_budget, budget_points
        )
        if evaluation.annual_budget > 0:
            rate = round2(evaluation.executed / evaluation.annual_budget * 100)
    table = EvaluationTable(project, evaluation, budget_points, budget_score, rate)
    table.total_points = budget_points
    for primary, secondaries in project.indicator_tree():
        table.total_points += primary.points
        indicators = [(secondary, i) for secondary, items in secondaries for i in items]
        weights = [(_result(i).weight if _result(i) else None) for _, i in indicators]
        for (secondary, indicator), points in zip(
            indicators, split_points(primary.points, weights), strict=True
        ):
            table.rows.append(_row(primary.name, secondary.name, indicator, points))
    return table


def _row(primary: str, secondary: str, indicator: Indicator, points: Decimal) -> EvaluationRow:
    result = _result(indicator)
    row = EvaluationRow(
        primary,
        secondary,
        indicator.name,
        indicator.value_text,
        result.actual_text if result else "",
        points,
        None,
        result.deviation_reason if result else "",
        indicator,
    )
    if result is None:
        row.problem = MISSING
        return row
    operator = indicator.operator if indicator.value_number is not None else "定性"
    try:
        row.score = indicator_score(
            operator=operator or "定性",
            target=indicator.value_number,
            actual=result.actual_number,
            points=points,
            achievement=result.achievement,
            share=result.achievement_share,
        )
    except ScoringError as error:
        row.problem = str(error)
    return row


@transaction.atomic
def evaluation_save(
    *, project: Project, amounts: dict, results: dict[int, dict]
) -> EvaluationTable:
    """Save the year-end figures and each indicator's actual result, then check that every lost
    point has a reason; on any problem nothing is saved."""
    evaluation = SelfEvaluation.objects.select_for_update().filter(project=project).first()
    if evaluation and evaluation.confirmed:
        raise EvaluationRefused(CONFIRMED)
    evaluation = evaluation or SelfEvaluation(project=project)
    for key in ("initial_budget", "annual_budget", "executed"):
        setattr(evaluation, key, amounts[key])
    evaluation.full_clean()
    evaluation.save()
    existing = {
        r.indicator_id: r for r in IndicatorResult.objects.filter(indicator__project=project)
    }
    for indicator in project.indicators.all():
        data = results.get(indicator.pk)
        if data is None:
            continue
        _check_result(indicator.name, data)
        result = existing.get(indicator.pk) or IndicatorResult(indicator=indicator)
        result.actual_text = data["actual"].strip()
        result.actual_number = parse_value(result.actual_text).number
        result.achievement = data.get("achievement", "")
        result.achievement_share = data.get("share")
        result.weight = data.get("weight")
        result.deviation_reason = data.get("reason", "").strip()
        result.full_clean()
        result.save()
    table = build_evaluation(for_evaluation().get(pk=project.pk))
    unexplained = [r.name for r in table.rows if r.lost and not r.reason]
    if unexplained:
        raise EvaluationRefused(NEED_REASON.format(names="、".join(unexplained)))
    return table


NEGATIVE_WEIGHT = "{name}：权重不能为负数"
SHARE_OUT_OF_BAND = "{name}：{label}的得分比例应在 {low}% 到 {high}% 之间"


def _check_result(name: str, data: dict) -> None:
    """A weight is a share of its 一级's points (never below zero, or a total could pass 100);
    a 定性 judgement's share stays inside its band (部分达成 60–80%)."""
    weight, share = data.get("weight"), data.get("share")
    if weight is not None and weight < 0:
        raise EvaluationRefused(NEGATIVE_WEIGHT.format(name=name))
    achievement = data.get("achievement", "")
    if share is not None and achievement in ACHIEVEMENT_SHARES:
        low, high = ACHIEVEMENT_SHARES[achievement]
        if not low <= share <= high:
            label = Achievement(achievement).label
            raise EvaluationRefused(
                SHARE_OUT_OF_BAND.format(name=name, label=label, low=low, high=high)
            )


@transaction.atomic
def evaluation_confirm(*, project: Project) -> None:
    evaluation = SelfEvaluation.objects.select_for_update().filter(project=project).first()
    table = build_evaluation(for_evaluation().get(pk=project.pk))
    if evaluation is None or not table.complete:
        raise EvaluationRefused("自评尚未填写完整，不能确认")
    evaluation.status = SelfEvaluation.Status.CONFIRMED
    evaluation._change_reason = "确认自评"
    evaluation.save()


def grid(table: EvaluationTable) -> list[dict]:
    """The entry form's rows, with the spans of the merged 一级 and 二级 cells."""
    spans = group_spans([(row.primary, row.secondary) for row in table.rows])
    return [
        {"row": row, "primary_span": primary, "secondary_span": secondary}
        for row, (primary, secondary) in zip(table.rows, spans, strict=True)
    ]
