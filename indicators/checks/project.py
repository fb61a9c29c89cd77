"""The rules of a whole project (funds, schedule, target text, the tree as a whole) and of 第一部分,
and the one entry point that runs every rule under the framework's 审核口径."""

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal

from indicators.checks.catalogue import Severity
from indicators.checks.core import Finding, RowPlace, TargetData, finding
from indicators.checks.profiles import Levels, apply_levels, levels_for
from indicators.checks.reading import MONEY_IN_TEXT, PLACEHOLDER
from indicators.checks.rows import check_indicator, money_example, read_row
from indicators.values import format_number
from perfbudget.lib.numbers import format_percent

QUANTITY = re.compile(
    r"\d|[一二三四五六七八九十百千万两]+\s*(个|项|次|场|人|户|家|台|套|件|所|条|篇|辆|座|处|名|期|批|类)"
    r"|标准|合格|达标|验收|覆盖|不低于|不少于|不超过|以上|以内"
)


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
            out.append(finding("FUNDS_NEGATIVE", label, "funds", field=label, value=_money(value)))
    total = (project.fiscal_funds or 0) + (project.other_funds or 0)
    if project.budget_total is not None and total != project.budget_total:
        out.append(
            finding(
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
        return [finding("SCHEDULE_EMPTY", "资金支出计划", "schedule")]
    out = []
    previous = None
    for month, value in filled:
        label = f"{month}月底"
        if not (0 <= value <= 100):
            out.append(
                finding(
                    "SCHEDULE_RANGE", label, "schedule", month=label, value=format_percent(value)
                )
            )
        if previous is not None and value < previous:
            out.append(
                finding(
                    "SCHEDULE_DECREASING",
                    label,
                    "schedule",
                    month=label,
                    value=format_percent(value),
                    previous=format_percent(previous),
                )
            )
        previous = value
    last_month, last_value = filled[-1]
    if last_value != 100:
        label = f"{last_month}月底"
        out.append(
            finding(
                "SCHEDULE_NOT_COMPLETE",
                label,
                "schedule",
                month=label,
                value=format_percent(last_value),
            )
        )
    return out


ENUMERATOR = re.compile(
    r"^\s*(目标|指标)?\s*[\d一二三四五六七八九十]+\s*[.、．:：)）]|[（(]\s*\d+\s*[)）]|[一二三四五六七八九十]是"
)
TITLE = re.compile(r"《[^》]*》")
# A year that only labels the target (2024通过采购…, 2024年度), not a date or deadline.
YEAR_LABEL = re.compile(r"(19|20)\d{2}\s*(年度|年)?(?!\s*[\d.\-/月底末前内])")
DEADLINE = re.compile(r"\d{1,2}\s*月|年底|年末|月底|月末|季度|上半年|下半年|之前|以前|前完成|期间")


def _content(line: str) -> str:
    """A target line without its numbering (目标1：, 1.), the titles it quotes (《…方案》) or
    the year that labels it."""
    return YEAR_LABEL.sub("", ENUMERATOR.sub("", TITLE.sub("", line)))


def check_target(text: str) -> list[Finding]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return [finding("TARGET_EMPTY", "绩效目标", "target")]
    placeholders = [line for line in lines if PLACEHOLDER.match(line)]
    out = [finding("TARGET_PLACEHOLDER", "绩效目标", "target", text=line) for line in placeholders]
    real = [_content(line) for line in lines if not PLACEHOLDER.match(line)]
    if real and not any(QUANTITY.search(line) or DEADLINE.search(line) for line in real):
        out.append(finding("TARGET_NO_MEASURE", "绩效目标", "target"))
    return out


@dataclass
class _Walk:
    """What one pass over the tree gathers for the rules that look at the whole tree."""

    findings: list[Finding] = dataclasses.field(default_factory=list)  # each row's own
    missing: list[str] = dataclasses.field(default_factory=list)  # 一级 without any 三级
    names: dict[str, int] = dataclasses.field(default_factory=dict)
    cost_total: Decimal = Decimal(0)
    money_cost: bool = False
    cost_home: str = ""  # where a money cost belongs: the first economic-cost 二级
    benefit_values: dict[str, list] = dataclasses.field(default_factory=dict)


def _walk(data: TargetData) -> _Walk:
    walk = _Walk()
    for primary in data.primaries:
        count = 0
        for secondary in primary.secondaries:
            place = RowPlace(
                primary.name, primary.kind, secondary.name, secondary.is_cost, data.budget_total
            )
            if place.is_economic_cost and not walk.cost_home:
                walk.cost_home = f"{primary.name} / {secondary.name}"
            for row in secondary.indicators:
                count += 1
                walk.names[row.name] = walk.names.get(row.name, 0) + 1
                walk.findings += check_indicator(row, place)
                reading, _ = read_row(row.name, row.value_text)
                if place.is_economic_cost and (
                    reading.is_money or MONEY_IN_TEXT.search(reading.text)
                ):
                    walk.money_cost = True
                    if reading.money is not None and reading.operator in ("≤", "<", "="):
                        walk.cost_total += reading.money
                if primary.kind == "benefit" and reading.number is not None:
                    # A figure (≥90%) copied over effects; a grade scale is not a figure.
                    walk.benefit_values.setdefault(reading.normal, []).append((place, row))
        if count == 0:
            walk.missing.append(primary.name)
    return walk


def _cost(walk: _Walk, data: TargetData) -> list[Finding]:
    out = []
    if data.primaries and not walk.money_cost:
        home = walk.cost_home or "成本指标"
        budget = money_example(data.budget_total)
        out.append(finding("COST_MISSING", "成本指标", "cost", home=home, budget=budget))
    if data.budget_total is not None and walk.cost_total > data.budget_total:
        cost, budget = format_number(walk.cost_total), format_number(data.budget_total)
        out.append(finding("COST_OVER_BUDGET", "成本指标", "cost", cost=cost, budget=budget))
    return out


def _tree(data: TargetData) -> list[Finding]:
    walk = _walk(data)
    findings = list(walk.findings)
    required = "、".join(p.name for p in data.primaries)
    findings += [
        finding("PRIMARY_MISSING", name, f"primary-{name}", primary=name, required=required)
        for name in walk.missing
    ]
    findings += _cost(walk, data)
    for value, rows in walk.benefit_values.items():
        if len(rows) >= 3:
            findings += [
                finding(
                    "VALUE_COPIED", place.where(row.name), row.anchor, value=value, count=len(rows)
                )
                for place, row in rows
            ]
    findings += [
        finding("DUPLICATE_NAME", name, f"name-{name}", name=name, count=count)
        for name, count in walk.names.items()
        if count > 1 and name
    ]
    return findings


ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def check_target_data(data: TargetData, levels: Levels | None = None) -> list[Finding]:
    """Every finding of a project under its framework's 审核口径 (`levels`, or read from the
    database), errors first."""
    findings = check_funds(data)
    findings += check_schedule(data.planned, data.milestones)
    findings += check_target(data.target)
    findings += _tree(data)
    if levels is None:
        levels = levels_for(data.framework_id)
    return sorted(apply_levels(findings, levels), key=lambda f: ORDER[f.severity])


def check_scale(indicator, section_name: str) -> list[Finding]:
    where = f"{section_name} / {indicator.name}"
    out = []
    for gap in indicator.gaps():
        code = "SCALE_HOLE" if gap.kind == "hole" else "SCALE_OVERLAP"
        out.append(finding(code, where, f"scale-{indicator.pk}", gap=gap.describe()))
    return out


def check_department_year(department_year) -> list[Finding]:
    """Findings of 第一部分, from a department year fetched with `with_part_one(year)`."""
    findings = []
    if not department_year.overall_target.strip():
        findings.append(finding("OVERALL_TARGET_EMPTY", "总体绩效目标", "overall"))
    for section in department_year.department.year_sections:
        for indicator in section.year_indicators:
            findings += check_scale(indicator, section.name)
    return findings
