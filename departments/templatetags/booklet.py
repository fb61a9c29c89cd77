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


# Where the forms' long labels wrap in the PDF's narrow columns (as the printed forms wrap them),
# so that none breaks mid-word.
LABEL_BREAKS = {
    "预算规模及资金用途": ("预算规模及", "资金用途"),
    "资金支出计划（%）": ("资金支出", "计划（%）"),
    "其中：财政资金": ("其中：", "财政资金"),
    "指标值确定依据": ("指标值", "确定依据"),
    "项目资金（万元）": ("项目资金", "（万元）"),
    "其中：当年财政拨款": ("其中：", "当年财政拨款"),
    "年度总体目标": ("年度总体", "目标"),
}


@register.filter
def label_breaks(text: str) -> str:
    """A long label in two lines at its natural break; any other text as it is, escaped."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe

    parts = LABEL_BREAKS.get(str(text))
    if parts is None:
        return conditional_escape(text)
    return mark_safe("<br>".join(conditional_escape(p) for p in parts))
