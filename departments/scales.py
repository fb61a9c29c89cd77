"""优/良/中/差 rating scales: which grade a value earns, and where a scale has holes or overlaps.

A scale lists, top to bottom, one bound per grade. Lower-bounded grades (≥, >) cascade: 良 ≥ 90%
covers what reaches 90% but not 优's bound. Upper-bounded grades (≤, <) cover everything below
their bound. The reference scale 优 100% / 良 90% / 中 80% / 差 60%以下 therefore leaves
[60%, 80%) to no grade: such a value is never guessed.
"""

from dataclasses import dataclass
from decimal import Decimal

from perfbudget.lib.numbers import format_percent

ZERO = Decimal(0)
HUNDRED = Decimal(100)
LOWER = ("≥", ">")


@dataclass(frozen=True)
class Bound:
    grade: str
    op: str
    value: Decimal


@dataclass(frozen=True)
class Gap:
    kind: str  # "hole" or "overlap"
    low: Decimal
    high: Decimal
    grades: tuple[str, ...] = ()

    def describe(self) -> str:
        span = f"{format_percent(self.low)}–{format_percent(self.high)}"
        if self.kind == "hole":
            return f"{span} 之间的完成值不属于任何等级"
        return f"{span} 之间的完成值同时属于{'、'.join(self.grades)}"


def describe_bound(bound: Bound) -> str:
    number = format_percent(bound.value)
    return {"≥": number, ">": f"{number}以上", "≤": f"{number}及以下", "<": f"{number}以下"}[
        bound.op
    ]


def _satisfies(op: str, value: Decimal, limit: Decimal) -> bool:
    return {
        "≥": value >= limit,
        ">": value > limit,
        "≤": value <= limit,
        "<": value < limit,
    }[op]


def grades_for(bounds: list[Bound], value: Decimal) -> list[str]:
    """Grades whose band holds value: one on a sound scale, none in a hole, two in an overlap."""
    matched = []
    higher_matched = False
    for bound in bounds:
        if bound.op in LOWER:
            if not higher_matched and _satisfies(bound.op, value, bound.value):
                matched.append(bound.grade)
                higher_matched = True
        elif _satisfies(bound.op, value, bound.value):
            matched.append(bound.grade)
    return matched


def scale_gaps(bounds: list[Bound]) -> list[Gap]:
    """Holes and overlaps of the scale over 0%–100%, found by probing every breakpoint and
    every open interval between breakpoints."""
    points = sorted({ZERO, HUNDRED, *(b.value for b in bounds if ZERO <= b.value <= HUNDRED)})
    probes: list[tuple[Decimal, Decimal, Decimal]] = []  # (probe, low, high)
    for low, high in zip(points, points[1:], strict=False):
        probes.append((low, low, low))
        probes.append(((low + high) / 2, low, high))
    probes.append((points[-1], points[-1], points[-1]))

    gaps: list[Gap] = []
    for probe, low, high in probes:
        matched = grades_for(bounds, probe)
        if len(matched) == 1:
            continue
        kind = "hole" if not matched else "overlap"
        last = gaps[-1] if gaps else None
        if last and last.kind == kind and last.high == low and last.grades == tuple(matched):
            gaps[-1] = Gap(kind, last.low, high, last.grades)
        else:
            gaps.append(Gap(kind, low, high, tuple(matched)))
    return gaps


_BOUND_TEXT = [
    ("及以下", "≤"),
    ("以下", "<"),
    ("以上", ">"),
]


def parse_bound(text: str, default_op: str = "≥") -> tuple[str, Decimal]:
    """Read a 评价标准 cell: '100%' (at least), '60%以下' (below), '≥90%', '<60'.

    Raises ValueError with a message in Chinese when the text holds no percentage."""
    cleaned = (text or "").strip().replace("％", "%")
    op = default_op
    for suffix, suffix_op in _BOUND_TEXT:
        if cleaned.endswith(suffix):
            cleaned, op = cleaned[: -len(suffix)], suffix_op
            break
    for prefix in ("≥", ">=", "≤", "<=", ">", "<"):
        if cleaned.startswith(prefix):
            op = {">=": "≥", "<=": "≤"}.get(prefix, prefix)
            cleaned = cleaned[len(prefix) :]
            break
    cleaned = cleaned.strip().rstrip("%").strip()
    try:
        value = Decimal(cleaned)
    except ArithmeticError:
        raise ValueError(f"“{text}”不是有效的百分比界值") from None
    if not value.is_finite() or not (ZERO <= value <= HUNDRED):
        raise ValueError(f"“{text}”应在0%到100%之间")
    return op, value
