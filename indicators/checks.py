"""Target quality checks (审核规则, DESIGN §5): one catalogue of rules, each with a code, a
severity and a message in Chinese, run over a project or a department year.

Errors block submission; warnings and hints need no action. Every finding names the row it
concerns, so the editor can show it beside that row.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from departments.scales import fmt_percent
from indicators.values import format_number, parse_value


class Severity(models.TextChoices):
    ERROR = "error", "错误"
    WARNING = "warning", "警告"
    INFO = "info", "提示"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    message: str


CATALOGUE = {
    rule.code: rule
    for rule in [
        Rule(
            "FUNDS_SUM",
            Severity.ERROR,
            "资金不平衡",
            "财政资金（{fiscal}）与其他资金（{other}）之和不等于预算数（{total}）",
        ),
        Rule("FUNDS_NEGATIVE", Severity.ERROR, "金额为负", "{field}不能为负数（现为 {value}）"),
        Rule(
            "SCHEDULE_RANGE",
            Severity.ERROR,
            "支出计划超出范围",
            "{month}的累计支出 {value} 应在 0%–100% 之间",
        ),
        Rule(
            "SCHEDULE_DECREASING",
            Severity.ERROR,
            "支出计划下降",
            "{month}的累计支出 {value} 低于上一节点的 {previous}：累计百分比不能下降",
        ),
        Rule(
            "SCHEDULE_NOT_COMPLETE",
            Severity.ERROR,
            "支出计划未到 100%",
            "资金支出计划最后一个节点（{month}）应为 100%，现为 {value}",
        ),
        Rule("SCHEDULE_EMPTY", Severity.WARNING, "未填支出计划", "尚未填写资金支出计划"),
        Rule("TARGET_EMPTY", Severity.ERROR, "缺少绩效目标", "尚未填写年度绩效目标"),
        Rule(
            "TARGET_PLACEHOLDER",
            Severity.WARNING,
            "绩效目标为占位文字",
            "年度绩效目标“{text}”是模板占位文字，请写明具体目标",
        ),
        Rule(
            "PRIMARY_MISSING",
            Severity.ERROR,
            "一级指标缺失",
            "“{primary}”下没有任何三级指标：{required}均为必填",
        ),
        Rule("VALUE_EMPTY", Severity.ERROR, "指标值为空", "三级指标“{name}”没有填写指标值"),
        Rule(
            "VALUE_REPEATS_TEXT",
            Severity.WARNING,
            "指标值不可衡量",
            "指标值“{value}”与{what}相同，不是可衡量的目标值",
        ),
        Rule(
            "VALUE_PLACEHOLDER",
            Severity.WARNING,
            "指标值为占位文字",
            "指标值“{value}”是占位文字，请填写具体目标值",
        ),
        Rule("PERCENT_OVER_100", Severity.ERROR, "百分比超过 100%", "指标值 {value} 超过 100%"),
        Rule(
            "COST_LOWER_BOUND",
            Severity.WARNING,
            "成本指标方向不对",
            "成本指标应为上限（≤ 或 <），“{value}”用了 {operator}",
        ),
        Rule(
            "NUMBER_WITHOUT_UNIT",
            Severity.WARNING,
            "缺少计量单位",
            "指标值 {value} 是数字但没有计量单位",
        ),
        Rule(
            "COST_OVER_BUDGET",
            Severity.ERROR,
            "成本超过预算",
            "成本指标合计 {cost} 万元超过项目预算数 {budget} 万元",
        ),
        Rule(
            "DUPLICATE_NAME",
            Severity.ERROR,
            "三级指标重复",
            "三级指标“{name}”在本项目中出现 {count} 次",
        ),
        Rule(
            "BASIS_EMPTY", Severity.INFO, "缺少确定依据", "三级指标“{name}”没有填写指标值确定依据"
        ),
        Rule(
            "SCALE_HOLE",
            Severity.WARNING,
            "评价标准有空档",
            "评价标准有空档：{gap}，此时须人工评级",
        ),
        Rule("SCALE_OVERLAP", Severity.ERROR, "评价标准重叠", "评价标准重叠：{gap}"),
        Rule("OVERALL_TARGET_EMPTY", Severity.ERROR, "缺少总体绩效目标", "尚未填写总体绩效目标"),
    ]
}

PLACEHOLDER = re.compile(
    r"^(\d+[.、．]\s*)?(目标内容|指标内容|内容|xx|XX|×+|\*+|-+|—+|…+|待定|无)\d*$"
)
MONEY_UNITS = {
    "万元": Decimal(1),
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
    "亿元": Decimal(10000),
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    where: str  # the row, as a person names it: 产出指标 / 数量指标 / 广播节目播出时间
    anchor: str  # a stable key for the row: project, schedule, indicator-12, scale-3

    @property
    def rule(self) -> Rule:
        return CATALOGUE[self.code]

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "where": self.where,
            "anchor": self.anchor,
        }


def _finding(code: str, where: str, anchor: str, **values) -> Finding:
    rule = CATALOGUE[code]
    return Finding(code, rule.severity, rule.message.format(**values), where, anchor)


def _money(value: Decimal | None) -> str:
    return format_number(value) if value is not None else "0"


def check_funds(project) -> list[Finding]:
    out = []
    for field, label in (
        ("budget_total", "预算数"),
        ("fiscal_funds", "财政资金"),
        ("other_funds", "其他资金"),
    ):
        value = getattr(project, field)
        if value is not None and value < 0:
            out.append(_finding("FUNDS_NEGATIVE", label, "funds", field=label, value=_money(value)))
    total = (project.fiscal_funds or 0) + (project.other_funds or 0)
    if project.budget_total is not None and total != project.budget_total:
        out.append(
            _finding(
                "FUNDS_SUM",
                "预算数",
                "funds",
                fiscal=_money(project.fiscal_funds),
                other=_money(project.other_funds),
                total=_money(project.budget_total),
            )
        )
    return out


def check_schedule(planned: dict[int, Decimal | None], milestones: list[int]) -> list[Finding]:
    filled = [(m, planned[m]) for m in sorted(planned) if planned[m] is not None]
    if not filled:
        return [_finding("SCHEDULE_EMPTY", "资金支出计划", "schedule")]
    out = []
    previous = None
    for month, value in filled:
        label = f"{month}月底"
        if not (0 <= value <= 100):
            out.append(
                _finding("SCHEDULE_RANGE", label, "schedule", month=label, value=fmt_percent(value))
            )
        if previous is not None and value < previous:
            out.append(
                _finding(
                    "SCHEDULE_DECREASING",
                    label,
                    "schedule",
                    month=label,
                    value=fmt_percent(value),
                    previous=fmt_percent(previous),
                )
            )
        previous = value
    last_month, last_value = filled[-1]
    if last_value != 100:
        label = f"{last_month}月底"
        out.append(
            _finding(
                "SCHEDULE_NOT_COMPLETE",
                label,
                "schedule",
                month=label,
                value=fmt_percent(last_value),
            )
        )
    return out


def check_target(text: str) -> list[Finding]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return [_finding("TARGET_EMPTY", "绩效目标", "target")]
    placeholders = [line for line in lines if PLACEHOLDER.match(line)]
    return [
        _finding("TARGET_PLACEHOLDER", "绩效目标", "target", text=line) for line in placeholders
    ]


@dataclass
class IndicatorData:
    """A 三级 row as the checks see it, saved or still in the editor."""

    anchor: str
    name: str
    description: str
    value_text: str
    basis: str


@dataclass
class SecondaryData:
    name: str
    is_cost: bool
    indicators: list[IndicatorData]


@dataclass
class PrimaryData:
    name: str
    secondaries: list[SecondaryData]


@dataclass
class TargetData:
    """What the checks read: the project's funds, schedule, target text and indicator tree."""

    budget_total: Decimal | None
    fiscal_funds: Decimal | None
    other_funds: Decimal | None
    target: str
    planned: dict[int, Decimal | None]
    milestones: list[int]
    primaries: list[PrimaryData]


def check_indicator(
    row: IndicatorData, *, primary: str, secondary: str, is_cost: bool
) -> list[Finding]:
    where = f"{primary} / {secondary} / {row.name}"
    anchor = row.anchor
    value_text = (row.value_text or "").strip()
    name = (row.name or "").strip()
    out = []
    if not value_text:
        out.append(_finding("VALUE_EMPTY", where, anchor, name=name))
    elif PLACEHOLDER.match(value_text):
        out.append(_finding("VALUE_PLACEHOLDER", where, anchor, value=value_text))
    elif value_text == name or value_text == (row.description or "").strip():
        what = "三级指标名称" if value_text == name else "绩效指标描述"
        out.append(_finding("VALUE_REPEATS_TEXT", where, anchor, value=value_text, what=what))
    value = parse_value(value_text) if value_text else None
    if value and value.number is not None:
        if value.unit == "%" and value.number > 100 and value.operator in ("≥", ">", "="):
            out.append(_finding("PERCENT_OVER_100", where, anchor, value=value_text))
        if not value.unit:
            out.append(_finding("NUMBER_WITHOUT_UNIT", where, anchor, value=value_text))
        if is_cost and value.operator in ("≥", ">"):
            out.append(
                _finding(
                    "COST_LOWER_BOUND", where, anchor, value=value_text, operator=value.operator
                )
            )
    if not (row.basis or "").strip():
        out.append(_finding("BASIS_EMPTY", where, anchor, name=name))
    return out


def target_data(project, milestones: list[int] | None = None) -> TargetData:
    """The checks' view of a project fetched with `Project.objects.for_table()`."""
    by_category: dict[int, list] = {}
    for indicator in project.indicators.all():
        by_category.setdefault(indicator.category_id, []).append(indicator)
    planned = {e.month: e.planned_percent for e in project.schedule.all()}
    primaries = []
    for primary in project.framework.primaries.all():
        secondaries = []
        for secondary in primary.secondaries.all():
            rows = [
                IndicatorData(f"indicator-{i.pk}", i.name, i.description, i.value_text, i.basis)
                for i in by_category.get(secondary.pk, [])
            ]
            secondaries.append(
                SecondaryData(secondary.name, secondary.is_cost or primary.kind == "cost", rows)
            )
        primaries.append(PrimaryData(primary.name, secondaries))
    return TargetData(
        project.budget_total,
        project.fiscal_funds,
        project.other_funds,
        project.target,
        planned,
        milestones or sorted(planned),
        primaries,
    )


def check_project(project, milestones: list[int] | None = None) -> list[Finding]:
    """All findings of a project fetched with `Project.objects.for_table()`."""
    return check_target_data(target_data(project, milestones))


def check_target_data(data: TargetData) -> list[Finding]:
    findings = check_funds(data)
    findings += check_schedule(data.planned, data.milestones)
    findings += check_target(data.target)
    missing, cost_total, names = [], Decimal(0), {}
    for primary in data.primaries:
        count = 0
        for secondary in primary.secondaries:
            for row in secondary.indicators:
                count += 1
                names[row.name] = names.get(row.name, 0) + 1
                findings += check_indicator(
                    row, primary=primary.name, secondary=secondary.name, is_cost=secondary.is_cost
                )
                value = parse_value(row.value_text)
                if secondary.is_cost and value.number is not None and value.unit in MONEY_UNITS:
                    cost_total += value.number * MONEY_UNITS[value.unit]
        if count == 0:
            missing.append(primary.name)
    required = "、".join(p.name for p in data.primaries)
    findings += [
        _finding("PRIMARY_MISSING", name, f"primary-{name}", primary=name, required=required)
        for name in missing
    ]
    if data.budget_total is not None and cost_total > data.budget_total:
        findings.append(
            _finding(
                "COST_OVER_BUDGET",
                "成本指标",
                "cost",
                cost=format_number(cost_total),
                budget=format_number(data.budget_total),
            )
        )
    findings += [
        _finding("DUPLICATE_NAME", name, f"name-{name}", name=name, count=count)
        for name, count in names.items()
        if count > 1 and name
    ]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: order[f.severity])


def check_scale(indicator, section_name: str) -> list[Finding]:
    where = f"{section_name} / {indicator.name}"
    out = []
    for gap in indicator.gaps():
        code = "SCALE_HOLE" if gap.kind == "hole" else "SCALE_OVERLAP"
        out.append(_finding(code, where, f"scale-{indicator.pk}", gap=gap.describe()))
    return out


def check_department_year(department_year) -> list[Finding]:
    """Findings of 第一部分, from a department year fetched with `with_part_one(year)`."""
    findings = []
    if not department_year.overall_target.strip():
        findings.append(_finding("OVERALL_TARGET_EMPTY", "总体绩效目标", "overall"))
    for section in department_year.department.year_sections:
        for indicator in section.year_indicators:
            findings += check_scale(indicator, section.name)
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == Severity.ERROR for f in findings)
