"""Year-end self-evaluation scoring (DESIGN §6).

Defaults: 预算执行率 10 points, then each 一级's points (产出 50, 效益 30, 满意度 10 in the 2020
framework) split evenly over its 三级 unless weights are given. For ≥ and > targets a 三级 earns
points × min(actual / target, 1); for ≤ and < points × min(target / actual, 1); for = the full
points only when met; a 定性 target earns the share the reviewer gives (达成 100%, 部分达成 60–80%,
未达成 below 60%). Every score is rounded to two decimals and the total is the sum of the rounded
scores, so a finance officer can add up the printed table. A reason is required wherever points
are lost.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

GRADE_BOUNDS = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"))
# The share of points each 定性 judgement may earn (low, high) and the share it earns unless the
# reviewer gives another within the band.
ACHIEVEMENT_DEFAULTS = {"met": HUNDRED, "partial": Decimal(70), "missed": ZERO}
ACHIEVEMENT_SHARES = {
    "met": (HUNDRED, HUNDRED),
    "partial": (Decimal(60), Decimal(80)),
    "missed": (ZERO, Decimal("59.99")),
}


class ScoringError(ValueError):
    """Input the rules cannot score; the message says why, in Chinese."""


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def budget_execution_score(executed: Decimal, budget: Decimal, points: Decimal) -> Decimal:
    """points × min(executed / budget, 1); a budget of zero has nothing left to execute."""
    if executed < 0 or budget < 0:
        raise ScoringError("预算数和执行数不能为负数")
    if budget == 0:
        return round2(points)
    return round2(points * min(executed / budget, ONE))


def indicator_score(
    *,
    operator: str,
    target: Decimal | None,
    actual: Decimal | None,
    points: Decimal,
    achievement: str = "",
    share: Decimal | None = None,
) -> Decimal:
    """The points one 三级 earns."""
    if operator == "定性":
        if achievement not in ACHIEVEMENT_SHARES:
            raise ScoringError("定性指标须选择达成、部分达成或未达成")
        low, high = ACHIEVEMENT_SHARES[achievement]
        chosen = ACHIEVEMENT_DEFAULTS[achievement] if share is None else share
        if not low <= chosen <= high:
            raise ScoringError(f"该评价对应的得分比例应在 {low}% 到 {high}% 之间")
        return round2(points * chosen / HUNDRED)
    if target is None or actual is None:
        raise ScoringError("定量指标须有目标值和实际完成值")
    if actual < 0 or target < 0:
        raise ScoringError("目标值和实际完成值不能为负数")
    if operator in ("≥", ">"):
        ratio = ONE if target == 0 else min(actual / target, ONE)
    elif operator in ("≤", "<"):
        ratio = ONE if actual == 0 else min(target / actual, ONE)
    elif operator == "=":
        ratio = ONE if actual == target else ZERO
    else:
        raise ScoringError(f"无法评分的比较符“{operator}”")
    return round2(points * ratio)


def split_points(points: Decimal, weights: list[Decimal | None]) -> list[Decimal]:
    """A 一级's points over its 三级: evenly, or in proportion to the weights when every row has
    one. The shares are rounded to two decimals and the last takes the remainder, so they add
    up to the 一级's points exactly."""
    if not weights:
        return []
    if all(w is not None for w in weights) and sum(weights) > 0:
        total = sum(weights)
        shares = [round2(points * w / total) for w in weights]
    else:
        shares = [round2(points / len(weights))] * len(weights)
    shares[-1] = points - sum(shares[:-1])
    return shares


def total_grade(total: Decimal) -> str:
    for bound, grade in GRADE_BOUNDS:
        if total >= bound:
            return grade
    return "差"
