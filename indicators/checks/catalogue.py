"""The rule catalogue (审核规则): every comment the checker can make, with its Chinese name, the
message naming the row, the principle it applies and where that comes from, and the fix to offer.

`strict` and `lenient` are the severities of the two 审核口径 shipped with every framework version
(严格口径 is the default); a superuser changes them per framework in 系统管理 without code."""

from dataclasses import dataclass

from django.db import models


class Severity(models.TextChoices):
    ERROR = "error", "错误"
    WARNING = "warning", "警告"
    INFO = "info", "提示"


class Level(models.TextChoices):
    """What a 审核口径 sets a rule to: a severity, or off."""

    ERROR = "error", "错误"
    WARNING = "warning", "警告"
    INFO = "info", "提示"
    OFF = "off", "关闭"


E, W, INFO, OFF = Level.ERROR, Level.WARNING, Level.INFO, Level.OFF
GUIDE = "财预〔2021〕101号"  # 中央部门项目支出核心绩效目标和指标设置及取值指引（试行）


@dataclass(frozen=True)
class Rule:
    code: str
    strict: str
    lenient: str
    title: str
    message: str
    reason: str
    fix: str


RULES = [
    # --- funds and schedule ----------------------------------------------------------------
    Rule(
        "FUNDS_SUM",
        E,
        E,
        "资金不平衡",
        "财政资金（{fiscal}）与其他资金（{other}）之和不等于预算数（{total}）",
        "预算数由财政资金和其他资金组成，两者之和应等于预算数（绩效目标表填报要求）。",
        "核对预算数、财政资金和其他资金，使财政资金＋其他资金＝预算数。",
    ),
    Rule(
        "FUNDS_NEGATIVE",
        E,
        E,
        "金额为负",
        "{field}不能为负数（现为 {value}）",
        "预算金额不能为负数（绩效目标表填报要求）。",
        "填写不小于 0 的金额。",
    ),
    Rule(
        "SCHEDULE_RANGE",
        E,
        E,
        "支出计划超出范围",
        "{month}的累计支出 {value} 应在 0%–100% 之间",
        "资金支出计划填的是累计支出占预算的百分比，只能在 0%–100% 之间。",
        "按累计百分比填写，最后一个节点为 100%。",
    ),
    Rule(
        "SCHEDULE_DECREASING",
        E,
        E,
        "支出计划下降",
        "{month}的累计支出 {value} 低于上一节点的 {previous}：累计百分比不能下降",
        "资金支出计划是累计数，后一节点不能小于前一节点。",
        "把各节点改为逐月累计的百分比。",
    ),
    Rule(
        "SCHEDULE_NOT_COMPLETE",
        E,
        E,
        "支出计划未到 100%",
        "资金支出计划最后一个节点（{month}）应为 100%，现为 {value}",
        "年度预算应在年底前全部支出，最后一个节点的累计支出应为 100%。",
        "把最后一个节点改为 100%；确实无法支出的资金应调整预算。",
    ),
    Rule(
        "SCHEDULE_EMPTY",
        W,
        INFO,
        "未填支出计划",
        "尚未填写资金支出计划",
        "资金支出计划是绩效运行监控的依据，应按节点填写。",
        "按 3 月、6 月、10 月、12 月填写累计支出百分比。",
    ),
    # --- the target text -------------------------------------------------------------------
    Rule(
        "TARGET_EMPTY",
        E,
        E,
        "缺少绩效目标",
        "尚未填写年度绩效目标",
        f"绩效目标应说明预算资金预期达到的产出和效果（{GUIDE}）。",
        "写明本年度要完成什么、完成多少、达到什么标准、何时完成。",
    ),
    Rule(
        "TARGET_PLACEHOLDER",
        E,
        W,
        "绩效目标为占位文字",
        "年度绩效目标“{text}”是模板占位文字，请写明具体目标",
        f"绩效目标应具体、可衡量，模板文字不能作为目标（{GUIDE}）。",
        "把占位文字换成本项目的目标，如“全年完成××场次，受益群众不少于××人次”。",
    ),
    Rule(
        "TARGET_NO_MEASURE",
        W,
        INFO,
        "绩效目标没有量化内容",
        "年度绩效目标没有数量、标准或时间，无法据以考核",
        f"绩效目标应当清晰、可衡量，尽量用数量、质量、时效表述（{GUIDE}）。",
        "在目标中写明数量、标准和完成时间，如“12月底前完成××项，验收合格率 100%”。",
    ),
    Rule(
        "OVERALL_TARGET_EMPTY",
        E,
        E,
        "缺少总体绩效目标",
        "尚未填写总体绩效目标",
        "部门整体绩效目标应概括本单位年度履职要达到的目标。",
        "按本单位职责写明年度总体绩效目标。",
    ),
    # --- the tree --------------------------------------------------------------------------
    Rule(
        "PRIMARY_MISSING",
        E,
        E,
        "一级指标缺失",
        "“{primary}”下没有任何三级指标：{required}均为必填",
        f"指标体系的每个一级指标都应设置三级指标（{GUIDE}）。",
        "在该一级指标下至少添加一个三级指标。",
    ),
    Rule(
        "DUPLICATE_NAME",
        E,
        E,
        "三级指标重复",
        "三级指标“{name}”在本项目中出现 {count} 次",
        "同一项目中的三级指标应各不相同，重复的指标无法分别考核。",
        "合并重复的指标，或改名以区分考核内容。",
    ),
    Rule(
        "COST_MISSING",
        E,
        W,
        "缺少成本金额指标",
        "项目没有以金额表示的成本指标",
        f"成本指标反映预期提供产出所需的成本，应以金额（万元或元）设上限（{GUIDE}）。",
        "在{home}下添加成本指标，如“项目总成本 ≤{budget}万元”。",
    ),
    Rule(
        "COST_OVER_BUDGET",
        E,
        E,
        "成本超过预算",
        "成本指标合计 {cost} 万元超过项目预算数 {budget} 万元",
        "成本指标是在预算内控制的上限，合计不应超过项目预算数。",
        "核对成本指标金额，使合计不超过预算数。",
    ),
    Rule(
        "VALUE_COPIED",
        W,
        INFO,
        "效益指标值雷同",
        "指标值“{value}”在 {count} 个效益指标上重复出现",
        f"效益指标应针对各自的效果分别取值，同一数值照抄到多项效益上无法衡量（{GUIDE}）。",
        "按每项效益的实际内容分别设定可衡量的目标值。",
    ),
    # --- one row ---------------------------------------------------------------------------
    Rule(
        "VALUE_EMPTY",
        E,
        E,
        "指标值为空",
        "三级指标“{name}”没有填写指标值",
        "每个三级指标都应有目标值，否则年终无法评价。",
        "填写该指标的目标值。",
    ),
    Rule(
        "VALUE_PLACEHOLDER",
        E,
        W,
        "指标值为占位文字",
        "指标值“{value}”是占位文字，请填写具体目标值",
        "模板占位文字不是目标值，年终无法据以评价。",
        "填写具体的数值和单位，或写明评价等级。",
    ),
    Rule(
        "VALUE_REPEATS_TEXT",
        E,
        W,
        "指标值不可衡量",
        "指标值“{value}”与{what}相同，不是可衡量的目标值",
        f"指标值应是可衡量的目标，不能重复指标名称（{GUIDE}）。",
        "填写数值和单位（如 ≥95%、≥12场），或写明定性评价等级（如 好/较好/一般/较差）。",
    ),
    Rule(
        "VALUE_VAGUE",
        E,
        W,
        "定性指标值含糊",
        "指标值“{value}”用“{word}”等含糊字词，没有评价等级，年终无法判断是否完成",
        f"定性指标应分级表述（如好、较好、一般、较差），不用“提高”“改善”等无法衡量的字词（{GUIDE}）。",
        "改为可衡量的数值（如 ≥90%），或写明评价等级，如“好/较好/一般/较差”。",
    ),
    Rule(
        "QUALITATIVE_NO_GRADES",
        E,
        W,
        "指标值无法衡量",
        "指标值“{value}”没有数值，也没有写明评价等级",
        f"指标值应能在年终判断是否达成：定量的写数值和单位，定性的写评价等级（{GUIDE}）。",
        "写明数值和单位（如 ≥5000人次），或写明评价等级（如 达到/基本达到/未达到）。",
    ),
    Rule(
        "PERCENT_OVER_100",
        E,
        E,
        "百分比超过 100%",
        "指标值 {value} 超过 100%",
        "比率类指标不能超过 100%。",
        "把目标值改为不超过 100% 的比率。",
    ),
    Rule(
        "NUMBER_WITHOUT_UNIT",
        W,
        INFO,
        "缺少计量单位",
        "指标值 {value} 是数字但没有计量单位",
        "定量指标应注明计量单位，否则无法判断数值的含义。",
        "在数值后写明单位，如 人次、场、%、万元。",
    ),
    Rule(
        "PERCENT_SPELLING",
        INFO,
        OFF,
        "百分号写法不规范",
        "指标值“{value}”的百分号写作“{spelling}”",
        "百分比统一写作 %，便于汇总和年终比对。",
        "改为 {fixed}。",
    ),
    Rule(
        "COST_NOT_MONEY",
        E,
        W,
        "成本指标不是金额",
        "成本指标“{name}”的指标值“{value}”不是金额",
        f"经济成本指标反映提供产出所需的成本，应以万元或元为单位设上限；比率和过程指标不是成本（{GUIDE}）。",
        "成本指标应为金额上限，如 ≤{example}万元。",
    ),
    Rule(
        "COST_NO_CEILING",
        W,
        INFO,
        "成本指标缺少上限符号",
        "成本指标值“{value}”没有写“≤”，年终超支或节约都无法按上限评价",
        f"成本指标是控制上限，应写作“≤金额”（{GUIDE}）。",
        "改为 {fixed}。",
    ),
    Rule(
        "COST_LOWER_BOUND",
        W,
        INFO,
        "成本指标方向不对",
        "成本指标应为上限（≤ 或 <），“{value}”用了 {operator}",
        f"成本越低越好，成本指标应设上限而不是下限（{GUIDE}）。",
        "改为 {fixed}。",
    ),
    Rule(
        "COST_IS_BENEFIT",
        W,
        INFO,
        "成本指标写成了效益",
        "{secondary}“{name}”描述的是改善或提升，不是成本",
        f"社会成本、生态环境成本反映项目对社会、生态环境造成的负面影响或代价，效果应列入效益指标（{GUIDE}）。",
        "把该内容移到效益指标；社会成本、生态环境成本写项目带来的代价，如“施工扰民投诉 ≤5件”。",
    ),
    Rule(
        "PROCESS_AS_OUTPUT",
        W,
        INFO,
        "过程指标作为绩效指标",
        "“{name}”是预算执行过程指标，不反映资金带来的产出或效果",
        f"资金到位率、预算执行率、专款专用率等反映预算管理过程，不作为产出、成本或效益指标（{GUIDE}）。",
        "换成反映项目实际产出的指标，如完成的数量、质量和时间。",
    ),
    Rule(
        "TIMELINESS_NO_DATE",
        W,
        INFO,
        "时效指标没有时间",
        "时效指标“{name}”的指标值“{value}”没有写明日期、期限或周期",
        f"时效指标反映完成产出的时间，应写明完成日期或期限（{GUIDE}）。",
        "写明完成时间，如“2024年12月底前”“≤15个工作日”。",
    ),
    Rule(
        "BOUND_AS_EQUAL",
        W,
        INFO,
        "应写上限或下限",
        "指标值“{value}”写成了等于，年终超过或低于都会判为未达成",
        f"比率、满意度和观众、访客人次等指标应设下限（≥）或上限（≤），不宜写“=”（{GUIDE}）。",
        "改为 {fixed}。",
    ),
    Rule(
        "QUANTITY_AS_RATE",
        W,
        INFO,
        "数量指标写成比率",
        "数量指标“{name}”的指标值“{value}”是比率，没有写明数量",
        f"数量指标反映提供产出的数量，应写明计数和单位（{GUIDE}）。",
        "写明数量和单位，如“≥1200户”；比率类内容放到质量指标。",
    ),
    Rule(
        "NUMBER_IN_NAME",
        W,
        INFO,
        "指标名称含目标值",
        "三级指标名称“{name}”含有目标数值“{number}”{mismatch}",
        "指标名称写考核内容，目标数值写在指标值中，否则名称与指标值重复或矛盾。",
        "名称去掉数值（如“培训人次”），在指标值中写 ≥{number}。",
    ),
    Rule(
        "BASIS_EMPTY",
        INFO,
        OFF,
        "缺少确定依据",
        "三级指标“{name}”没有填写指标值确定依据",
        "指标值确定依据说明目标值从何而来（计划标准、行业标准、历史标准等）。",
        "填写计划标准、行业标准、历史标准或其他标准。",
    ),
    Rule(
        "BASIS_INVALID",
        W,
        INFO,
        "确定依据不是依据",
        "指标值确定依据“{basis}”不是依据",
        "确定依据应说明目标值的来源：计划标准、行业标准、历史标准、合同或其他标准。",
        "改为计划标准、行业标准、历史标准或其他标准，或写明合同、文件名称。",
    ),
    # --- 第一部分 -------------------------------------------------------------------------
    Rule(
        "SCALE_HOLE",
        W,
        W,
        "评价标准有空档",
        "评价标准有空档：{gap}，此时须人工评级",
        "评价标准的各等级应首尾相接，完成值落在空档时无法自动评级。",
        "调整相邻等级的界限，使其首尾相接。",
    ),
    Rule(
        "SCALE_OVERLAP",
        E,
        E,
        "评价标准重叠",
        "评价标准重叠：{gap}",
        "同一完成值不能同时属于两个等级。",
        "调整相邻等级的界限，使其互不重叠。",
    ),
]

CATALOGUE: dict[str, Rule] = {rule.code: rule for rule in RULES}
