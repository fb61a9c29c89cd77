"""Each reviewer's rule: a case that fires and a near miss that does not. Rows are checked as the
editor sends them (no database): one row in a 二级 of the 2020 or 2021 framework."""

from decimal import Decimal

import pytest

from indicators.checks import (
    CATALOGUE,
    IndicatorData,
    PrimaryData,
    SecondaryData,
    Severity,
    TargetData,
    check_target_data,
    has_grades,
    read,
    strict_levels,
)

FRAMEWORKS = {
    "2020": [
        ("产出指标", "output", ["数量指标", "质量指标", "时效指标", "成本指标"]),
        ("效益指标", "benefit", ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
        ("满意度指标", "satisfaction", ["服务对象满意度指标"]),
    ],
    "2021": [
        ("成本指标", "cost", ["经济成本指标", "社会成本指标", "生态环境成本指标"]),
        ("产出指标", "output", ["数量指标", "质量指标", "时效指标"]),
        ("效益指标", "benefit", ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
        ("满意度指标", "satisfaction", ["服务对象满意度指标"]),
    ],
}
SOUND = {
    "数量指标": ("播出天数", "≥365天"),
    "质量指标": ("节目验收合格率", "100%"),
    "时效指标": ("完成时间", "2024年12月底前"),
    "成本指标": ("项目总成本", "≤150万元"),
    "经济成本指标": ("项目总成本", "≤150万元"),
    "社会成本指标": ("施工扰民投诉", "≤5件"),
    "生态环境成本指标": ("对生态环境的影响", "无负面影响"),
    "经济效益指标": ("带动广告收入", "≥20万元"),
    "社会效益指标": ("新闻受众覆盖人数", "≥30万人"),
    "生态效益指标": ("节约纸张", "≥2吨"),
    "可持续影响指标": ("节目持续播出年限", "≥3年"),
    "服务对象满意度指标": ("观众满意度", "≥90%"),
}


def data(
    rows=(), *, framework="2020", target="全年播出新闻不少于365天，12月底前完成。", budget=150
):
    """A sound project; `rows` replace the sound row of their 二级: (二级, name, value[, basis])."""
    replaced = {r[0]: r for r in rows}
    primaries = []
    for primary, kind, secondaries in FRAMEWORKS[framework]:
        out = []
        for secondary in secondaries:
            row = replaced.get(secondary, (secondary, *SOUND[secondary]))
            basis = row[3] if len(row) > 3 else "计划标准"
            indicator = IndicatorData(f"row-{secondary}", row[1], "", row[2], basis)
            is_cost = "成本" in secondary
            out.append(SecondaryData(secondary, is_cost, [indicator]))
        primaries.append(PrimaryData(primary, out, kind))
    total = Decimal(budget)
    return TargetData(total, total, Decimal(0), target, {12: Decimal(100)}, [12], primaries)


def findings(*rows, **kwargs):
    return check_target_data(data(rows, **kwargs), strict_levels())


def codes(*rows, **kwargs) -> set[str]:
    return {f.code for f in findings(*rows, **kwargs)}


def test_the_sound_projects_raise_nothing():
    assert findings() == []
    assert findings(framework="2021") == []


@pytest.mark.parametrize(
    ("row", "code", "fires"),
    [
        # 成本: a money ceiling
        (("成本指标", "成本节约率", "≥5%"), "COST_NOT_MONEY", True),
        (("成本指标", "资金到位率", "=100%"), "COST_NOT_MONEY", True),
        (("成本指标", "项目总成本", "控制在预算内"), "COST_NOT_MONEY", True),
        (("成本指标", "项目总成本", "≤20万元"), "COST_NOT_MONEY", False),
        (("成本指标", "项目总成本", "20万元"), "COST_NO_CEILING", True),
        (("成本指标", "项目总成本", "≤20万元"), "COST_NO_CEILING", False),
        (("成本指标", "补贴标准", "71.86元/平方米"), "COST_NO_CEILING", True),
        (("成本指标", "项目总成本", "≥20万元"), "COST_LOWER_BOUND", True),
        (("成本指标", "项目总成本", "不超过20万元"), "COST_LOWER_BOUND", False),
        # process indicators
        (("质量指标", "资金到位率", "100%"), "PROCESS_AS_OUTPUT", True),
        (("质量指标", "预算执行率", "100%"), "PROCESS_AS_OUTPUT", True),
        (("质量指标", "补贴发放合规率", "≥95%"), "PROCESS_AS_OUTPUT", True),
        (("质量指标", "节目验收合格率", "100%"), "PROCESS_AS_OUTPUT", False),
        # 时效: a date, deadline or period
        (("时效指标", "按时完成率", "≥95%"), "TIMELINESS_NO_DATE", True),
        (("时效指标", "完成时间", "及时"), "TIMELINESS_NO_DATE", True),
        (("时效指标", "完成时间", "12月31日前"), "TIMELINESS_NO_DATE", False),
        (("时效指标", "办理时限", "≤15个工作日"), "TIMELINESS_NO_DATE", False),
        (("时效指标", "补贴期限", "2020.1.1-2020.12.31"), "TIMELINESS_NO_DATE", False),
        # bounds written as =
        (("服务对象满意度指标", "观众满意度", "=95%"), "BOUND_AS_EQUAL", True),
        (("服务对象满意度指标", "观众满意度", "95%"), "BOUND_AS_EQUAL", True),
        (("服务对象满意度指标", "观众满意度", "≥95%"), "BOUND_AS_EQUAL", False),
        (("质量指标", "节目验收合格率", "100%"), "BOUND_AS_EQUAL", False),
        (("社会效益指标", "参观观众人次", "=500人次"), "BOUND_AS_EQUAL", True),
        (("社会效益指标", "参观观众人次", "≥500人次"), "BOUND_AS_EQUAL", False),
        (("数量指标", "购置设备数量", "10台"), "BOUND_AS_EQUAL", False),
        (("质量指标", "差错率", "=2%"), "BOUND_AS_EQUAL", True),
        # 数量: a count, the number not in the name
        (("数量指标", "入户率", "100%"), "QUANTITY_AS_RATE", True),
        (("数量指标", "入户数", "≥1200户"), "QUANTITY_AS_RATE", False),
        (("数量指标", "培训200人次", "≥200次"), "NUMBER_IN_NAME", True),
        (("数量指标", "培训人次", "≥200人次"), "NUMBER_IN_NAME", False),
        (("数量指标", "清算8个小区的物业费", "≥95%"), "NUMBER_IN_NAME", False),
        # 定性: grades, facts, vague words
        (("经济效益指标", "带动效益", "有所提高"), "VALUE_VAGUE", True),
        (("经济效益指标", "带动效益", "进一步改善"), "VALUE_VAGUE", True),
        (("经济效益指标", "带动效益", "明显增强"), "VALUE_VAGUE", True),
        (("可持续影响指标", "持续影响", "逐步完善"), "VALUE_VAGUE", True),
        (("可持续影响指标", "持续影响", "长期"), "VALUE_VAGUE", True),
        (("经济效益指标", "带动效益", "好/较好/一般/较差"), "VALUE_VAGUE", False),
        (("社会效益指标", "社会影响力", "观众人次"), "QUALITATIVE_NO_GRADES", True),
        (("社会效益指标", "社会影响力", "较大影响"), "VALUE_VAGUE", True),
        (("社会效益指标", "社会影响力", "达到/基本达到/未达到"), "QUALITATIVE_NO_GRADES", False),
        (("社会效益指标", "安全生产", "无重大安全事故"), "QUALITATIVE_NO_GRADES", False),
        (("社会效益指标", "减税降费", "企业所得税减按15%征收"), "QUALITATIVE_NO_GRADES", False),
        # 社会/生态环境成本 that is a benefit
        (("社会成本指标", "改善周边环境", "好/较好/一般/较差"), "COST_IS_BENEFIT", True),
        (("生态环境成本指标", "对生态环境的影响", "无负面影响"), "COST_IS_BENEFIT", False),
        # 确定依据
        (("数量指标", "播出天数", "≥365天", "密文"), "BASIS_INVALID", True),
        (("数量指标", "播出天数", "≥365天", "合同"), "BASIS_INVALID", False),
        (("数量指标", "播出天数", "≥365天", "说明"), "BASIS_INVALID", False),
        # percent spellings are read as %
        (("质量指标", "节目验收合格率", "=98百分比"), "BOUND_AS_EQUAL", True),
        (("质量指标", "节目验收合格率", "=98百分比"), "PERCENT_SPELLING", True),
        (("质量指标", "节目验收合格率", "≥98％"), "BOUND_AS_EQUAL", False),
        (("质量指标", "节目验收合格率", "105％"), "PERCENT_OVER_100", True),
        (("质量指标", "节目验收合格率", "98%"), "PERCENT_SPELLING", False),
    ],
)
def test_row_rule(row, code, fires):
    framework = "2021" if row[0] in ("经济成本指标", "社会成本指标", "生态环境成本指标") else "2020"
    raised = {f.code for f in findings(row, framework=framework) if f.anchor == f"row-{row[0]}"}
    assert (code in raised) is fires, raised


def test_the_2021_economic_cost_is_a_money_ceiling():
    assert "COST_NOT_MONEY" in codes(("经济成本指标", "成本控制率", "=100%"), framework="2021")
    assert "COST_NOT_MONEY" not in codes(("社会成本指标", "施工扰民投诉", "≤5件"), framework="2021")


def test_a_project_needs_a_money_cost_indicator():
    assert "COST_MISSING" in codes(("成本指标", "成本控制率", "100%"))
    assert "COST_MISSING" not in codes()
    missing = [f for f in findings(("成本指标", "成本控制率", "100%")) if f.code == "COST_MISSING"]
    assert missing[0].severity == Severity.ERROR
    assert "≤150万元" in missing[0].suggestion


def test_a_value_copied_over_three_benefit_rows():
    copied = [
        ("经济效益指标", "带动就业", "≥90%"),
        ("社会效益指标", "群众知晓率", "≥90%"),
        ("生态效益指标", "环境改善", "≥90%"),
    ]
    assert [f.code for f in findings(*copied)].count("VALUE_COPIED") == 3
    assert "VALUE_COPIED" not in codes(*copied[:2])


@pytest.mark.parametrize(
    ("target", "fires"),
    [
        ("保障工作顺利开展，提高服务水平。", True),
        ("目标1：维护辖区安全巡逻、环境卫生及物业日常管理", True),
        ("2024通过采购服务，持续改善我市空气质量", True),
        ("按照《两年行动方案(2019-2020年)》要求，支持民办园发展", True),
        ("全年播出新闻不少于365天。", False),
        ("12月底前完成设备采购，验收合格。", False),
        ("完成主体工程70%", False),
    ],
)
def test_target_without_quantity_standard_or_date(target, fires):
    assert ("TARGET_NO_MEASURE" in codes(target=target)) is fires


def test_placeholder_target_and_unmeasurable_values_block_submission():
    blocking = {
        f.code
        for f in findings(
            ("数量指标", "播出天数", "播出天数"),
            ("社会效益指标", "社会影响力", "观众人次"),
            ("经济效益指标", "带动效益", "有所提高"),
            target="1.目标内容1",
        )
        if f.severity == Severity.ERROR
    }
    assert {"VALUE_REPEATS_TEXT", "QUALITATIVE_NO_GRADES", "VALUE_VAGUE"} <= blocking
    assert "TARGET_PLACEHOLDER" in blocking


@pytest.mark.parametrize(
    ("text", "percent"),
    [("98%", True), ("98％", True), ("98百分比", True), ("百分之98", True), ("98个百分点", False)],
)
def test_percent_spellings_are_read_as_percent(text, percent):
    assert read(text).is_percent is percent


@pytest.mark.parametrize(
    ("text", "normal"),
    [("95%以上", "≥95%"), ("大于等于95%", "≥95%"), ("100万元以内", "≤100万元"), ("≧90％", "≥90%")],
)
def test_bound_words_are_read_as_bounds(text, normal):
    assert read(text).normal == normal


@pytest.mark.parametrize(
    ("text", "graded"),
    [
        ("好/较好/一般/较差", True),
        ("优/良/中/差", True),
        ("优良中差", True),
        ("达到/基本达到/未达到", True),
        ("是/否", True),
        ("有所提高", False),
        ("好", False),
        ("提高/改善", False),
    ],
)
def test_grades(text, graded):
    assert has_grades(text) is graded


def test_mechanical_fixes_carry_the_value_to_put_in():
    by_code = {
        f.code: f
        for f in findings(
            ("成本指标", "项目总成本", "20万元"),
            ("服务对象满意度指标", "观众满意度", "=95%"),
        )
    }
    assert by_code["COST_NO_CEILING"].fix == "≤20万元"
    unitless = [f for f in findings(("成本指标", "项目总成本", "20")) if f.code == "COST_NOT_MONEY"]
    assert unitless[0].fix == "≤20万元"  # adding 万元 and the ceiling
    assert by_code["BOUND_AS_EQUAL"].fix == "≥95%"
    assert "≤20万元" in by_code["COST_NO_CEILING"].suggestion


def test_every_rule_has_a_chinese_name_reason_and_fix():
    for rule in CATALOGUE.values():
        assert rule.title and rule.message and rule.reason and rule.fix
        assert not any(c.isascii() and c.isalpha() for c in rule.title), rule.title
        assert rule.strict in ("error", "warning", "info")
        assert rule.lenient in ("error", "warning", "info", "off")


@pytest.mark.parametrize(
    ("row", "framework", "code", "fires"),
    [
        (("时效指标", "完成时间", "12月"), "2020", "TIMELINESS_NO_DATE", False),
        (("服务对象满意度指标", "观众满意度", "≥90%以上"), "2020", "BOUND_AS_EQUAL", False),
        (("服务对象满意度指标", "观众满意度", "≥90%以上"), "2020", "PERCENT_OVER_100", False),
        (("社会成本指标", "社会成本", "无"), "2021", "VALUE_PLACEHOLDER", False),
        (("生态环境成本指标", "生态环境成本", "无"), "2021", "VALUE_PLACEHOLDER", False),
        (("生态效益指标", "生态效益", "无"), "2020", "VALUE_PLACEHOLDER", True),
    ],
)
def test_common_spellings_of_real_tables(row, framework, code, fires):
    raised = {f.code for f in findings(row, framework=framework) if f.anchor == f"row-{row[0]}"}
    assert (code in raised) is fires, raised
    if not fires:
        assert not {
            f.code
            for f in findings(row, framework=framework)
            if f.anchor == f"row-{row[0]}" and f.severity in ("error", "warning")
        }


@pytest.mark.parametrize(
    "value",
    [
        "2024年有所提高",
        "2024年度进一步提升",
        "有所提高1",
        "+1 有所提高",
        "-1 长期",
        "{{ 7*7 }}长期",
    ],
)
def test_a_digit_or_a_year_label_does_not_make_a_vague_value_measurable(value):
    row = ("经济效益指标", "带动效益", value)
    assert "VALUE_VAGUE" in {f.code for f in findings(row) if f.anchor == "row-经济效益指标"}


@pytest.mark.parametrize(
    "value",
    [
        "有所提高（好/较好/一般/较差）",
        "进一步提升，好/较好/一般/较差",
        "逐步完善3项制度",
        "提高5%",
        "达到国家标准",
        "正常运行",
        "2024年度",
        "足额保障",
    ],
)
def test_grades_a_stated_quantity_or_a_fact_make_a_value_measurable(value):
    row = ("经济效益指标", "带动效益", value)
    raised = {f.code for f in findings(row) if f.anchor == "row-经济效益指标"}
    assert not raised & {"VALUE_VAGUE", "QUALITATIVE_NO_GRADES"}, raised


def test_time_rows_with_a_year_label_still_need_a_date():
    row = ("时效指标", "完成时间", "2024年有所提高")
    assert "TIMELINESS_NO_DATE" in {f.code for f in findings(row)}
    assert "TIMELINESS_NO_DATE" not in codes(("时效指标", "完成时间", "2024年第三季度"))


def test_the_standard_grades_on_every_benefit_row_are_not_a_copied_value():
    graded = [
        ("经济效益指标", "带动效益", "好/较好/一般/较差"),
        ("社会效益指标", "社会影响", "好/较好/一般/较差"),
        ("可持续影响指标", "持续影响", "好/较好/一般/较差"),
    ]
    assert findings(*graded) == []
