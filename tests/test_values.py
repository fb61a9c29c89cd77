from decimal import Decimal

import pytest

from indicators.values import format_value, parse_value
from perfbudget.lib.numbers import NotANumber, read_number


@pytest.mark.parametrize(
    ("text", "operator", "number", "unit"),
    [
        ("≥95%", "≥", Decimal(95), "%"),
        ("10辆", "=", Decimal(10), "辆"),
        ("<=30万元", "≤", Decimal(30), "万元"),
        ("不超过 2.5 万元", "≤", Decimal("2.5"), "万元"),
        ("＞0", ">", Decimal(0), ""),
        ("优良", "定性", None, ""),
        ("2023.07-2024.01", "定性", None, ""),
        ("广播节目播出时间", "定性", None, ""),
        ("", "定性", None, ""),
    ],
)
def test_parse_value(text, operator, number, unit):
    value = parse_value(text)
    assert (value.operator, value.number, value.unit) == (operator, number, unit)


@pytest.mark.parametrize(
    ("operator", "number", "unit", "text"),
    [
        ("≥", Decimal("95.00"), "%", "≥95%"),
        ("=", Decimal(10), "辆", "10辆"),
        ("定性", None, "", ""),
    ],
)
def test_format_value(operator, number, unit, text):
    assert format_value(operator, number, unit) == text


@pytest.mark.parametrize(
    "text, structured",
    [
        ("99999999999999万元", True),  # 14 digits: stored as a number
        ("100000000000000万元", False),  # 15 digits: more than a value holds
        ("≥0.123456%", True),
        ("≥0.1234567%", False),  # 7 decimal places
    ],
)
def test_numbers_that_do_not_fit_stay_text(text, structured):
    value = parse_value(text)
    assert (value.number is not None) == structured
    assert value.text == text


@pytest.mark.parametrize(
    "text, expected",
    [("", None), ("  ", None), (None, None), ("12.5", Decimal("12.5")), (" 80% ", Decimal("80"))],
)
def test_read_number_reads_what_people_type(text, expected):
    assert read_number(text) == expected


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "两万", "1,000"])
def test_read_number_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(NotANumber):
        read_number(text)


@pytest.mark.parametrize(
    "text",
    ["1e99999999", "-1E+30", "1" * 31, "0E-99999999", "0E+40", "1e-31", "0." + "0" * 30 + "1"],
)
def test_read_number_refuses_numbers_beyond_any_the_app_keeps(text):
    # Turning 1e99999999 into an integer or into digits would hold a worker for minutes.
    with pytest.raises(NotANumber):
        read_number(text)


@pytest.mark.parametrize(
    "text", ["1" * 30, "-1E+29", "1e-30", "0.000001", "123456789012345.123456"]
)
def test_read_number_keeps_long_but_plausible_numbers(text):
    assert read_number(text) == Decimal(text)
