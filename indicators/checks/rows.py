"""The rules of one 三级 row: is its value measurable, does it fit its 二级, is its basis one."""

import re

from indicators.checks.core import Finding, IndicatorData, RowPlace, finding
from indicators.checks.reading import (
    CEILING_WORDS,
    MONEY_IN_TEXT,
    PLACEHOLDER,
    Reading,
    percent_spelling,
    read,
)
from indicators.values import format_number, format_value

PROCESS = re.compile(
    r"专款专用率|预算执行率|预算执行进度|支出进度|支付进度|拨付及时率"
    r"|(资金|预算|经费|补贴|补助)[^，,；;]{0,4}(合规|到位|下达|拨付|执行|支付|使用)(及时)?率"
    r"|^(预算|经费|补助|补贴)?资金(拨付|到位|下达|支付|执行)"
)
BENEFIT_WORDS = re.compile(r"改善|提升|提高|增加|促进|带动|美化|优化|增强|改进|减少|降低|保护|受益")
LOWER_IS_BETTER = re.compile(
    r"下降|减少|降低|差错|发生率|投诉|事故|空置|超支|误差|返工|流失|损失|偏差|不合格|逾期|延误|浪费"
)
ATTENDANCE = re.compile(r"观众|游客|访问|访客|点击|阅读|浏览|接待|参观")
NAME_NUMBER = re.compile(
    r"(?<![\d年号第])(\d+(?:\.\d+)?)\s*"
    r"(人次|万人|人|次|个|场|期|户|家|台|套|件|项|所|条|篇|册|辆|座|处|名|公里|km|米|平方米|亩|吨|万元|元|%|％)"
)
NONE_WORDS = {"无", "没有", "0", "零"}
INVALID_BASIS = re.compile(
    r"^(密文|无|暂无|待定|略|空|/|／|-+|—+|\*+|xx|XX|×+|0|见附件|\.+|…+|同上)$"
)


def check_indicator(row: IndicatorData, place: RowPlace) -> list[Finding]:
    where, anchor = place.where(row.name), row.anchor
    name = (row.name or "").strip()
    text = (row.value_text or "").strip()
    out: list[Finding] = []

    def add(code: str, **values) -> None:
        out.append(finding(code, where, anchor, **values))

    if PROCESS.search(name):
        add("PROCESS_AS_OUTPUT", name=name)
    if not text:
        add("VALUE_EMPTY", name=name)
        if place.is_economic_cost:
            add("COST_NOT_MONEY", name=name, value="（空）", example=money_example(place.budget))
        return out + _basis(row, where, anchor)
    reading, unitless = read_row(name, text)
    measurable = True
    if place.is_social_or_eco_cost and text in NONE_WORDS:
        measurable = False  # 无: the project costs society or the environment nothing
    elif PLACEHOLDER.match(text):
        add("VALUE_PLACEHOLDER", value=text)
        measurable = False
    elif text == name or text == (row.description or "").strip():
        what = "三级指标名称" if text == name else "绩效指标描述"
        add("VALUE_REPEATS_TEXT", value=text, what=what)
        measurable = False
    if spelling := percent_spelling(text):
        add("PERCENT_SPELLING", value=text, spelling=spelling, fix=_fixed(reading))
    out += _number_rules(reading, place, where, anchor, name, unitless)
    if measurable and reading.number is None:
        out += _qualitative(reading, place, where, anchor)
    if place.is_economic_cost:
        out += _cost(reading, where, anchor, name, place.budget)
    elif place.is_social_or_eco_cost and (BENEFIT_WORDS.search(name) or BENEFIT_WORDS.search(text)):
        add("COST_IS_BENEFIT", secondary=place.secondary, name=name)
    if "时效" in place.secondary and not reading.is_time:
        add("TIMELINESS_NO_DATE", name=name, value=text)
    if match := _name_number(name, reading):
        number, unit = match.group(1), match.group(2).replace("％", "%")
        mismatch = ""
        if reading.unit and reading.unit != unit:
            mismatch = f"，且与指标值的单位“{reading.unit}”不一致"
        add("NUMBER_IN_NAME", name=name, number=f"{number}{unit}", mismatch=mismatch)
    return out + _basis(row, where, anchor)


NAME_TEMPLATE = re.compile(
    r"[（(]\s*(?:≥|≤|>=|<=|＞|＜|>|<|=|≧|≦)?\s*[*＊×]+\s*([^）)*]{1,8})[）)]"
)


def read_row(name: str, text: str) -> tuple[Reading, bool]:
    """A row's value as the reviewer reads it, and whether the value itself lacks its unit. A
    form's name may carry the unit (苗木成活率(≥**%) — 85): the value is read in it."""
    reading = read(text)
    unitless = reading.number is not None and (not reading.unit or reading.unit[0] in "/／")
    if unitless and (hint := _template_unit(name)):
        body = reading.normal[: len(reading.normal) - len(reading.unit)]
        reading = read(reading.text, normal=body + hint)
    return reading, unitless


def _template_unit(name: str) -> str:
    """The unit a form's name template gives (项目总投入(≥**万元) → 万元)."""
    match = NAME_TEMPLATE.search(name)
    return match.group(1).strip().replace("％", "%") if match else ""


def _name_number(name: str, reading: Reading):
    """The target number put into the name: at its end (培训200人次), or in the value's unit."""
    for match in NAME_NUMBER.finditer(name):
        rest = name[match.end() :].strip("（）()。 ")
        unit = match.group(2).replace("％", "%")
        if not rest or rest in ("以上", "以内", "以下") or (reading.unit and reading.unit == unit):
            return match
    return None


def _fixed(reading: Reading) -> str:
    """The value as the standard spelling writes it, when it is a number."""
    if reading.number is None:
        return reading.normal
    return reading.with_operator(reading.operator if reading.explicit_operator else "=")


def _number_rules(
    reading: Reading, place: RowPlace, where, anchor, name, unitless: bool
) -> list[Finding]:
    if reading.number is None:
        return []
    out = []
    text = reading.text
    if reading.is_percent and reading.number > 100 and reading.operator in ("≥", ">", "="):
        out.append(finding("PERCENT_OVER_100", where, anchor, value=text))
    if unitless:
        out.append(finding("NUMBER_WITHOUT_UNIT", where, anchor, value=text))
    if "数量" in place.secondary and reading.is_percent:
        out.append(finding("QUANTITY_AS_RATE", where, anchor, name=name, value=text))
    if place.is_cost or reading.operator != "=":
        return out
    lower = bool(LOWER_IS_BETTER.search(name))
    fix = reading.with_operator("≤" if lower else "≥")
    if reading.is_percent or reading.unit in ("分", "个百分点"):
        # A rate or score: exact only at its limit (100% met, 0 accidents).
        at_limit = reading.number == 0 if lower else reading.number >= 100
        if not at_limit:
            out.append(finding("BOUND_AS_EQUAL", where, anchor, value=text, fix=fix))
    elif reading.unit and (
        (reading.explicit_operator and reading.unit == "人次") or ATTENDANCE.search(name)
    ):
        # Visitors, participants: nobody can plan them exactly.
        out.append(finding("BOUND_AS_EQUAL", where, anchor, value=text, fix=fix))
    return out


def _qualitative(reading: Reading, place: RowPlace, where, anchor) -> list[Finding]:
    if reading.is_graded or reading.states_measure or reading.is_fact or reading.is_time:
        return []
    if place.is_economic_cost:
        return []  # COST_NOT_MONEY says it
    if word := reading.vague_word:
        return [finding("VALUE_VAGUE", where, anchor, value=reading.text, word=word)]
    return [finding("QUALITATIVE_NO_GRADES", where, anchor, value=reading.text)]


def _cost(reading: Reading, where, anchor, name, budget) -> list[Finding]:
    text = reading.text
    if not reading.is_money and MONEY_IN_TEXT.search(text):
        if CEILING_WORDS.search(text):
            return []
        return [finding("COST_NO_CEILING", where, anchor, value=text)]
    if not reading.is_money:
        example = money_example(budget)
        # A bare number is an amount without its unit: ≤20 → ≤20万元, one click.
        fix = ""
        if reading.number is not None and not reading.unit and reading.operator != "定性":
            operator = reading.operator if reading.operator in ("≤", "<") else "≤"
            fix = format_value(operator, reading.number, "万元")
            example = format_number(reading.number)
        return [
            finding(
                "COST_NOT_MONEY", where, anchor, name=name, value=text, example=example, fix=fix
            )
        ]
    if reading.operator in ("≥", ">"):
        fix = reading.with_operator("≤")
        return [
            finding(
                "COST_LOWER_BOUND", where, anchor, value=text, operator=reading.operator, fix=fix
            )
        ]
    if reading.operator == "=":
        return [
            finding("COST_NO_CEILING", where, anchor, value=text, fix=reading.with_operator("≤"))
        ]
    return []


def _basis(row: IndicatorData, where, anchor) -> list[Finding]:
    basis = (row.basis or "").strip()
    if not basis:
        return [finding("BASIS_EMPTY", where, anchor, name=(row.name or "").strip())]
    if INVALID_BASIS.match(basis):
        return [finding("BASIS_INVALID", where, anchor, basis=basis)]
    return []


def money_example(budget) -> str:
    return format_number(budget) if budget else "××"
