"""Printing exact decimals the way the forms do."""

from decimal import Decimal


def format_number(number: Decimal) -> str:
    """150.000000 → 150, 0.500 → 0.5, never exponent notation."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
