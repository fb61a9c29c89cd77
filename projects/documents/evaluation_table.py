"""The 项目支出绩效自评表 (DESIGN §3.4): what it contains, as cells every format draws (the
page, the PDF and the Excel form), and the scores it shows (indicators/scoring.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from indicators.models import FUND_COLUMNS, Indicator, IndicatorResult, SelfEvaluation
from indicators.scoring import (
    ScoringError,
    budget_execution_score,
    indicator_score,
    round2,
    split_points,
    total_grade,
)
from indicators.values import format_number
from perfbudget.lib.numbers import format_money
from projects.documents.target_table import Cell, GridLine, merged_lines
from projects.models import Project

MISSING = "未填写实际完成值"
BUDGET_LABELS = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
# The rows of 项目资金 under 年度资金总额: their amounts, and "—" where the total alone is scored.
FUND_ROWS = (
    ("其中：当年财政拨款", lambda ev, key, field: ev.fund_parts(key)[0]),
    ("上年结转资金", lambda ev, key, field: ev.fund_parts(key)[1]),
    ("其他资金", lambda ev, key, field: ev.other_funds(key)),
)
NOT_SCORED = Cell("—", role="number")
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


def _percent(rate: Decimal | None) -> str:
    return f"{format_number(rate)}%" if rate is not None else ""


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def own_cells(row: "EvaluationRow") -> list[Cell]:
    # A printed form leaves what is not filled in blank; the entry form says why (`problem`).
    score = Cell(_text(row.score), role="number", value=row.score)
    return [
        Cell(row.name),
        Cell(row.target),
        Cell(row.actual),
        Cell(_text(row.points), role="number", value=row.points),
        score,
        Cell(row.reason),
    ]


def for_evaluation():
    results = Indicator.objects.select_related("result")
    return Project.objects.for_table(indicators=results).select_related(
        "self_evaluation", "department__parent"
    )


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
    def qualitative(self) -> bool:
        """Scored by achievement (达成/部分达成/未达成), not by a number against the target."""
        i = self.indicator
        return i.value_number is None or i.operator in ("", "定性")

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
        """The block above the grid as the official template has it, eight columns: 项目名称,
        主管部门 and 实施单位, 项目资金 by source (分值, 执行率 and 得分 on the total only), and
        年度总体目标 as 预期目标 beside 实际完成情况."""
        department = self.project.department
        supervisor = department.parent or department
        rate = self.execution_rate
        return [
            [
                Cell(f"{department.code}{department.name}", colspan=6, role="unit"),
                Cell("单位：万元", colspan=2, role="unit"),
            ],
            [Cell("项目名称", role="label"), Cell(self.project.name, colspan=7)],
            [
                Cell("主管部门", role="label"),
                Cell(supervisor.name, colspan=3),
                Cell("实施单位", role="label"),
                Cell(department.name, colspan=3),
            ],
            [
                Cell("项目资金（万元）", rowspan=5, role="label"),
                Cell("", role="label"),
                *[Cell(t, role="label") for t in BUDGET_LABELS],
            ],
            [
                Cell("年度资金总额", role="label"),
                *self._fund_cells(lambda ev, key, field: getattr(ev, field)),
                Cell(format_number(self.budget_points), role="number", value=self.budget_points),
                Cell(_percent(rate), role="percent", value=rate),
                Cell(_text(self.budget_score), role="number", value=self.budget_score),
            ],
            *([Cell(label, role="label"), *self._part_cells(part)] for label, part in FUND_ROWS),
            [
                Cell("年度总体目标", rowspan=2, role="label"),
                Cell("预期目标", colspan=4, role="label"),
                Cell("实际完成情况", colspan=3, role="label"),
            ],
            [
                Cell(self.project.target, colspan=4),
                Cell(self.evaluation.outcome if self.evaluation else "", colspan=3),
            ],
        ]

    def _part_cells(self, amount) -> list[Cell]:
        """A row of 项目资金 under the total: its amounts and 执行率; only the total is scored
        (分值 and 得分 "—")."""
        cells = self._fund_cells(amount)
        annual, executed = cells[1].value, cells[2].value
        rate = None
        if annual and executed is not None:
            rate = round2(executed / annual * 100)
        return [*cells, NOT_SCORED, Cell(_percent(rate), role="percent", value=rate), NOT_SCORED]

    def _fund_cells(self, amount) -> list[Cell]:
        """年初预算数, 全年预算数 and 全年执行数 of one row of 项目资金."""
        ev = self.evaluation
        values = [amount(ev, key, field) if ev else None for key, field, _ in FUND_COLUMNS]
        return [
            Cell(format_money(v) if v is not None else "", role="number", value=v) for v in values
        ]

    def grid_head(self) -> list[Cell]:
        return [Cell(text, role="head") for text in GRID_HEADERS]

    @property
    def code(self) -> str:
        return self.project.code

    # The official form's title; the project is named in its 项目名称 row.
    title = "项目支出绩效自评表"

    @property
    def year_line(self) -> str:
        """The line under the title, as the official form has it."""
        return f"（{self.project.year}年度）"

    def grid_rows(self, splits: frozenset[int] = frozenset()) -> list[GridLine]:
        """Indicator rows with the 一级 and 二级 cells merged as the 绩效目标表 merges them (and
        started again where a printed page begins: `group_spans`)."""
        return merged_lines(self.rows, own_cells, lambda row: row.indicator.pk, splits)

    def total_row(self) -> list[Cell]:
        return [
            Cell("总分", colspan=5, role="label"),
            Cell(format_number(self.total_points), role="number", value=self.total_points),
            Cell(_text(self.total_score), role="number", value=self.total_score),
            Cell(f"自评等级：{self.grade}", role="label"),
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
