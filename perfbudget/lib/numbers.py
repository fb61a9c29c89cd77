"""Reading the numbers people type, and printing exact decimals the way the forms do."""

from decimal import Decimal, InvalidOperation


class NotANumber(ValueError):
    """The text is not a finite number."""


def read_number(text) -> Decimal | None:
    """A number typed into a form: None when nothing was typed; NotANumber for anything that
    is not a finite number (NaN and Infinity included). A trailing % is allowed."""
    cleaned = str(text if text is not None else "").strip().rstrip("%％").strip()
    if not cleaned:
        return None
    return finite_decimal(cleaned)


def finite_decimal(text: str) -> Decimal:
    """The text as an exact decimal; NotANumber unless it is a finite number."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise NotANumber(text) from None
    if not value.is_finite():
        raise NotANumber(text)
    return value


def format_number(number: Decimal) -> str:
    """150.000000 → 150, 0.500 → 0.5, never exponent notation."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
