"""Reading the numbers people type, and printing exact decimals the way the forms do."""

from decimal import Decimal, InvalidOperation


class NotANumber(ValueError):
    """The text is not a finite number."""


# No number the app keeps has more than 30 digits before or after the point. Beyond that a
# number is refused: making 1e99999999 an integer or a string of digits takes minutes.
MAX_DIGITS = 30


def read_number(text) -> Decimal | None:
    """A number typed into a form: None when nothing was typed; NotANumber for anything that
    is not a finite number (NaN and Infinity included) or beyond MAX_DIGITS. A trailing % is
    allowed."""
    cleaned = str(text if text is not None else "").strip().rstrip("%％").strip()
    if not cleaned:
        return None
    return finite_decimal(cleaned)


def number_or_none(text) -> Decimal | None:
    """read_number for a page that treats what is not a number like an empty field."""
    try:
        return read_number(text)
    except NotANumber:
        return None


def finite_decimal(text: str) -> Decimal:
    """The text as an exact decimal; NotANumber unless it is a finite number with at most
    MAX_DIGITS digits on either side of the point."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise NotANumber(text) from None
    if not value.is_finite():
        raise NotANumber(text)
    if value.adjusted() >= MAX_DIGITS or -value.as_tuple().exponent > MAX_DIGITS:
        raise NotANumber(text)
    return value


def format_number(number: Decimal) -> str:
    """150.000000 → 150, 0.500 → 0.5, never exponent notation."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_money(value: Decimal | None) -> str:
    """万元 with two decimals, more only when the value has them (150.00, 0.50, 3.015)."""
    if value is None:
        return ""
    quantized = value.quantize(Decimal("0.01"))
    if quantized == value:
        return f"{quantized:f}"
    return format_number(value)
