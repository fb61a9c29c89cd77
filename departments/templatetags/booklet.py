from django import template

register = template.Library()

_DIGITS = "零一二三四五六七八九"


@register.filter
def cn_number(value: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (headings such as （一）综合科)."""
    value = int(value)
    if value < 10:
        return _DIGITS[value]
    tens, ones = divmod(value, 10)
    if value < 100:
        return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"
    return str(value)


@register.filter
def number(value) -> str:
    """98.500000 → 98.5, as the forms print exact decimals."""
    from perfbudget.lib.numbers import format_number

    return "" if value is None or value == "" else format_number(value)


@register.filter
def money(value) -> str:
    """万元 with two decimals, more only when the value has them."""
    from perfbudget.lib.numbers import format_money

    return format_money(value)


@register.filter
def percent(value) -> str:
    """98.500000 → 98.5%; nothing for no value."""
    from perfbudget.lib.numbers import format_percent

    return "" if value is None or value == "" else format_percent(value)
