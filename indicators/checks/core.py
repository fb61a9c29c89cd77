"""What the checks read (a project's funds, schedule, target text and indicator tree, saved or still
in the editor) and what they return (findings, each naming its row, reason and fix)."""

from dataclasses import dataclass
from decimal import Decimal

from indicators.checks.catalogue import CATALOGUE, Rule, Severity


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    where: str  # the row, as a person names it: 产出指标 / 数量指标 / 广播节目播出时间
    anchor: str  # a stable key for the row: project, schedule, indicator-12, scale-3
    suggestion: str = ""  # the fix, in words
    fix: str = ""  # a value the editor can put in the row with one click (≤20万元)

    @property
    def rule(self) -> Rule:
        return CATALOGUE[self.code]

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def reason(self) -> str:
        return self.rule.reason

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "rule": self.title,
            "severity": self.severity,
            "label": self.severity_label,
            "message": self.message,
            "where": self.where,
            "anchor": self.anchor,
            "reason": self.reason,
            "suggestion": self.suggestion,
            "fix": self.fix,
        }


def finding(code: str, where: str, anchor: str, *, fix: str = "", **values) -> Finding:
    rule = CATALOGUE[code]
    values.setdefault("fixed", fix)
    return Finding(
        code,
        rule.strict,
        rule.message.format(**values),
        where,
        anchor,
        rule.fix.format(**values),
        fix,
    )


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
    kind: str = ""  # PrimaryKind: cost, output, benefit, satisfaction


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
    framework_id: int | None = None


@dataclass(frozen=True)
class RowPlace:
    """Where a row sits: its 一级 and 二级, and what they make of it."""

    primary: str
    primary_kind: str
    secondary: str
    is_cost: bool
    budget: Decimal | None = None

    @property
    def is_economic_cost(self) -> bool:
        """成本指标 of the classic framework, or 经济成本指标: a money ceiling."""
        return self.is_cost and not any(w in self.secondary for w in ("社会", "生态", "环境"))

    @property
    def is_social_or_eco_cost(self) -> bool:
        return self.is_cost and not self.is_economic_cost

    def where(self, name: str) -> str:
        return f"{self.primary} / {self.secondary} / {name}"
