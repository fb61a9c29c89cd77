"""Reading an 指标值 as structure (≥95%, 10辆, ≤30万元) and writing it back as table text."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from perfbudget.lib.numbers import format_number

_OPERATORS = {
    "≥": "≥",
    ">=": "≥",
    "＞=": "≥",
    "不低于": "≥",
    "不少于": "≥",
    "≤": "≤",
    "<=": "≤",
    "＜=": "≤",
    "不高于": "≤",
    "不超过": "≤",
    ">": ">",
    "＞": ">",
    "<": "<",
    "＜": "<",
    "=": "=",
    "＝": "=",
}
_PATTERN = re.compile(
    r"^\s*(?P<op>>=|<=|＞=|＜=|不低于|不少于|不高于|不超过|[≥≤><＞＜=＝])?\s*"
    r"(?P<num>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>[^\d\s][^\d]{0,9})?\s*$"
)


@dataclass(frozen=True)
class IndicatorValue:
    operator: str  # one of ≥ ≤ = > <, or 定性
    number: Decimal | None
    unit: str
    text: str


# Indicator.value_number: 20 digits, 6 of them after the point.
MAX_INTEGER_DIGITS, MAX_DECIMAL_PLACES = 14, 6


def _fits(number: Decimal) -> bool:
    sign, digits, exponent = number.as_tuple()
    integer_digits = max(len(digits) + exponent, 0)
    return integer_digits <= MAX_INTEGER_DIGITS and -exponent <= MAX_DECIMAL_PLACES


def parse_value(text: str) -> IndicatorValue:
    """A number with optional operator and unit becomes structure; anything else is 定性."""
    cleaned = (text or "").strip()
    match = _PATTERN.match(cleaned)
    if not match:
        return IndicatorValue("定性", None, "", cleaned)
    try:
        number = Decimal(match["num"])
    except InvalidOperation:
        return IndicatorValue("定性", None, "", cleaned)
    if not _fits(number):
        # More digits than a value is stored with: kept as the text that was typed.
        return IndicatorValue("定性", None, "", cleaned)
    operator = _OPERATORS.get(match["op"] or "=", "=")
    return IndicatorValue(operator, number, (match["unit"] or "").strip(), cleaned)


def format_value(operator: str, number: Decimal | None, unit: str) -> str:
    """The table text of a structured value; '=' is implied and not printed (10辆)."""
    if number is None:
        return ""
    prefix = "" if operator in ("=", "", "定性") else operator
    return f"{prefix}{format_number(number)}{unit}"
