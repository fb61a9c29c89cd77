"""How a reviewer reads an 指标值: a number with its bound and unit, a date or period, a 定性 value
that names its grades, a verifiable fact, or vague words that cannot be judged at year end."""

import re
from dataclasses import dataclass
from decimal import Decimal

from indicators.values import IndicatorValue, parse_value

PLACEHOLDER = re.compile(
    r"^(\d+[.、．]\s*)?(目标内容|指标内容|内容|xx|XX|×+|\*+|-+|—+|…+|/|／|待定|暂无|无)\d*$"
    # A form's template left unfilled: ≧ %, ≤**万元
    r"|^(≥|≤|≧|≦|>=|<=|>|<|=|＞|＜|＝)\s*(\*+|×+|xx|XX)?\s*(%|％|万元|元)?$"
    r"|^(\*+|×+|xx|XX)\s*(%|％|万元|元)$"
)
MONEY_UNITS = {
    "万元": Decimal(1),
    "万": Decimal(1),  # 250万 in a cost row: 万元
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
    "亿元": Decimal(10000),
}
MONEY_UNIT = re.compile(r"^(万元|万|元|千元|亿元)($|/|／|每)")
# An amount inside a sentence (严格按照预算标准1000元/人兑付).
MONEY_IN_TEXT = re.compile(r"\d+(?:\.\d+)?\s*(万元|元|千元|亿元)")
CEILING_WORDS = re.compile(r"≤|<|＜|不超过|不高于|以内|以下|之内|控制在")
PERCENT_SPELLINGS = ("个百分比", "百分比", "％")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
_WORD_OPERATORS = [
    ("大于等于", "≥"),
    ("大于或等于", "≥"),
    ("小于等于", "≤"),
    ("小于或等于", "≤"),
    ("≧", "≥"),
    ("≦", "≤"),
    ("达到", ""),
]
_TRAILING = re.compile(
    r"^(?P<body>.*?\d)\s*(?P<unit>[^\d]*?)\s*(?P<word>及以上|以上|及以下|以下|以内|之内)$"
)

TIME_UNITS = {"天", "日", "个工作日", "工作日", "小时", "周", "个月", "月", "年", "季度", "分钟"}
DATE = re.compile(
    r"\d{4}\s*年|\d{1,2}\s*月|\d+\s*(个)?(工作日|天|日|小时|周|个月|季度)"
    r"|年底|年末|月底|月末|季度末|季末|上半年|下半年|当年|本年|年度内|年内|当月|次月|当日|当天|即时"
    r"|\d+\s*年(内|以内|之内)|年度|全年|\d{4}\s*[.\-/]\s*\d{1,2}|季度"
)
# A year that only labels the text (2024年有所提高, 2024年度…), not a date or deadline.
YEAR_LABEL = re.compile(r"(19|20)\d{2}\s*(年度|年)?(?!\s*[\d.\-/月底末前内])")
# A number with what it counts: 15%, 3项, 500人次 (a bare digit, 有所提高1, measures nothing).
MEASURE = re.compile(
    r"\d+(?:\.\d+)?\s*(%|个百分点|人次|万人|人|户|家|个|项|次|场|期|批|类|台|套|件|所|条|篇|册|本|份"
    r"|张|种|部|幅|株|棵|只|头|间|栋|座|处|名|辆|天|日|小时|周|个月|月|年|公里|千米|米|平方米|亩|公顷"
    r"|吨|公斤|千克|万元|元|亿元|分|倍|GB|TB|Mbps|kW|千瓦|立方米|方)"
)
GRADE_RUN = re.compile(
    r"(?<![\u4e00-\u9fff])(优良中差|优良中低|好较好一般较差|高中低)(?![\u4e00-\u9fff])|^是否$"
)
SEPARATORS = r"[/／、，,；;|｜或]"
_GRADE = (
    r"(?:非常|很|较|比较|基本|部分|未|不|没有)?"
    r"(?:优秀|良好|中等|一般|较差|合格|达到|达标|满意|完成|实现|好|优|良|中|差|高|低|是|否|有|无)"
    r"(?:预期|目标|要求|标准)?"
)
# Grades in a row, each whole between separators or brackets: 好/较好/一般/较差.
GRADE_SET = re.compile(rf"(?<![\u4e00-\u9fff]){_GRADE}(?:{SEPARATORS}{_GRADE})+(?![\u4e00-\u9fff])")
FACT = re.compile(
    r"^(无|未发生|不发生|杜绝|零|没有)[^，。,；;]{0,12}"
    r"(事故|事件|投诉|问题|影响|风险|违规|违纪|违法|差错|失误|纠纷|污染|损失|隐患|现象|情况|破坏|危害|浪费)"
    r"|合格|达标|符合|通过验收|验收通过|按时|按期|按计划|按规定|按要求|如期|足额|全覆盖|全部完成"
    r"|^是$|^否$|^完成$|^已完成$|^实现$|^达到$|^健全$|^建成$|^(已)?建立$|^优$|^优良$|^优秀$"
    r"|达到[^，,。；;]{0,8}标准|正常(运行|运转|开展|使用|运营)"
)
VAGUE = re.compile(
    r"有所|进一步|明显|显著|逐步|稳步|不断|持续|有效|大幅|较大|一定|得到|加强|增强|提升|提高|改善"
    r"|促进|推动|带动|长期|长远|良好|积极|充分|全面|切实|增加|优化|完善|保障|增长|扩大|减少|降低"
)


@dataclass(frozen=True)
class Reading:
    """An 指标值 as a reviewer reads it."""

    text: str  # as typed
    normal: str  # percent and bound words in standard form
    value: IndicatorValue  # parse of `normal`
    explicit_operator: bool  # the text itself wrote a bound or =

    @property
    def number(self) -> Decimal | None:
        return self.value.number

    @property
    def unit(self) -> str:
        return self.value.unit

    @property
    def operator(self) -> str:
        return self.value.operator

    @property
    def is_percent(self) -> bool:
        return self.number is not None and self.unit == "%"

    @property
    def is_money(self) -> bool:
        """An amount, or a unit cost (71.86元/平方米, 5万元每公里)."""
        return self.number is not None and bool(MONEY_UNIT.match(self.unit))

    @property
    def money(self) -> Decimal | None:
        """The amount in 万元; None for a unit cost, which does not add up to a budget."""
        return self.number * MONEY_UNITS[self.unit] if self.unit in MONEY_UNITS else None

    @property
    def core(self) -> str:
        """The text without the year that only labels it (2024年有所提高 → 有所提高)."""
        return YEAR_LABEL.sub("", self.normal).strip()

    @property
    def is_time(self) -> bool:
        if self.number is not None and self.unit in TIME_UNITS:
            return True
        # A year alone (2024年度) is a period; a year before other words only labels them.
        return bool(DATE.search(self.core)) or (bool(self.normal) and not self.core)

    @property
    def states_measure(self) -> bool:
        """A sentence that states a quantity (企业所得税减按15%征收) can be checked at year end."""
        return bool(MEASURE.search(self.core))

    @property
    def is_graded(self) -> bool:
        return has_grades(self.normal)

    @property
    def is_fact(self) -> bool:
        return bool(FACT.search(self.core))

    @property
    def vague_word(self) -> str:
        match = VAGUE.search(self.core)
        return match.group(0) if match else ""

    def with_operator(self, operator: str) -> str:
        """The same value with another bound: 30万元 → ≤30万元."""
        from indicators.values import format_value

        return format_value(operator, self.number, self.unit)


def percent_spelling(text: str) -> str:
    """The non-standard percent sign the text uses, or ''."""
    for spelling in PERCENT_SPELLINGS:
        if spelling in text:
            return spelling
    return ""


def normalise(text: str) -> str:
    out = (text or "").strip().translate(_FULL_WIDTH)
    for spelling in PERCENT_SPELLINGS:
        out = out.replace(spelling, "%")
    if out.startswith("百分之"):
        out = out[3:] + "%"
    for word, sign in _WORD_OPERATORS:
        if out.startswith(word) and out[len(word) : len(word) + 1].isdigit():
            out = sign + out[len(word) :]
    match = _TRAILING.match(out)
    if match and re.match(r"^[≥≤<>=＞＜＝]", out):
        out = f"{match['body']}{match['unit']}"  # ≥90%以上: the sign says it already
    elif match:
        sign = "≥" if "以上" in match["word"] else "≤"
        out = f"{sign}{match['body']}{match['unit']}"
    return out


def read(text: str, *, normal: str | None = None) -> Reading:
    """`normal` overrides the standard form (a unit supplied from the indicator's name)."""
    normal = normalise(text) if normal is None else normalise(normal)
    value = parse_value(normal)
    if value.number is not None and VAGUE.search(value.unit):
        # 2024年有所提高, +1 有所提高: words after a number are not its unit.
        value = IndicatorValue("定性", None, "", normal)
    explicit = bool(
        re.match(r"^\s*(>=|<=|＞=|＜=|不低于|不少于|不高于|不超过|[≥≤><＞＜=＝])", normal)
    )
    return Reading(text or "", normal, value, explicit)


def has_grades(text: str) -> bool:
    """A 定性 value that names its grades — 好/较好/一般/较差, 优良中差, 达到/基本达到/未达到 —
    alone or beside the words it grades (有所提高（好/较好/一般/较差）)."""
    compact = re.sub(r"\s+", "", text)
    if GRADE_RUN.search(compact):
        return True
    for run in GRADE_SET.finditer(compact):
        parts = [p for p in re.split(SEPARATORS, run.group(0)) if p]
        if len(parts) >= 2 and len(set(parts)) == len(parts):
            return True
    return False


STANDARD_GRADES = ["好/较好/一般/较差", "优/良/中/差", "达到/基本达到/未达到", "是/否"]
