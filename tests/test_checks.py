"""Quality checks: each rule fires where it should and stays quiet where the target is right;
on the reference data they find its real defects and no error."""

import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear, SectionIndicator
from indicators.checks import Severity, check_department_year, check_project
from indicators.models import Indicator, SecondaryCategory
from projects.models import Project, ScheduleEntry
from tests.reference_doc import read_projects

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"  # 1.承德高新区新闻合办专项


def _findings(code=CODE):
    project = Project.objects.for_table().get(code=code)
    return check_project(project, [3, 6, 10, 12])


def _codes(code=CODE) -> Counter:
    return Counter(f.code for f in _findings(code))


def _fix_reference_project(code=CODE):
    """Make the project a sound target: measurable values and a real target text."""
    project = Project.objects.get(code=code)
    values = {
        "数量指标": "≥365天",
        "质量指标": "100%",
        "时效指标": "2024年12月底前",
        "成本指标": "≤150万元",
        "经济效益指标": "好/较好/一般/较差",
        "社会效益指标": "≥90%",
        "生态效益指标": "无负面影响",
        "可持续影响指标": "≥3年",
        "服务对象满意度指标": "≥95%",
    }
    names = {"质量指标": "节目播出合格率", "成本指标": "项目总成本"}  # not process indicators
    for indicator in project.indicators.select_related("category"):
        indicator.value_text = values[indicator.category.name]
        indicator.name = names.get(indicator.category.name, indicator.name)
        indicator.save()
    project.target = "按时播出高新区新闻，全年播出不少于365天。"
    project.save()


def _set_value(name: str, value: str, code=CODE):
    Indicator.objects.filter(project__code=code, name=name).update(value_text=value)


def test_a_sound_project_has_no_findings(reference):
    _fix_reference_project()
    assert _findings() == []


def test_reference_defects_are_found(reference):
    """Every defect of the published document this project names is found, each as an error that
    blocks submission: the placeholder target, every value that repeats its name or description,
    资金到位率 filed as 成本, no money cost, 观众人次 as a value, 密文 as a basis."""
    for ref in read_projects():
        findings = _findings(ref.code)
        codes = Counter(f.code for f in findings)
        assert codes["TARGET_PLACEHOLDER"] == 1
        expected = sum(1 for row in ref.indicator_rows if row[4] in (row[2], row[3]))
        assert codes["VALUE_REPEATS_TEXT"] == expected
        assert codes["COST_MISSING"] == 1
        assert codes["COST_NOT_MONEY"] == 1  # its one 成本指标 row holds no amount
        basis = {row[5] for row in ref.indicator_rows}
        assert codes["BASIS_INVALID"] == (len(ref.indicator_rows) if basis == {"密文"} else 0)
        errors = {f.code for f in findings if f.severity == Severity.ERROR}
        assert {"TARGET_PLACEHOLDER", "VALUE_REPEATS_TEXT", "COST_MISSING"} <= errors
    news = Counter((f.code, f.where) for f in _findings(CODE))
    assert news[("COST_NOT_MONEY", "产出指标 / 成本指标 / 资金到位率")] == 1
    assert news[("PROCESS_AS_OUTPUT", "产出指标 / 成本指标 / 资金到位率")] == 1
    assert news[("PROCESS_AS_OUTPUT", "产出指标 / 质量指标 / 专款专用率")] == 1
    assert news[("TIMELINESS_NO_DATE", "产出指标 / 时效指标 / 完成时间")] == 1
    piracy = [f for f in _findings("13081123P000315100016") if "观众人次" in f.message]
    assert [f.code for f in piracy] == ["QUALITATIVE_NO_GRADES"]
    assert piracy[0].severity == Severity.ERROR


def test_reference_bases_contract_and_note_pass_and_ciphertext_does_not(reference):
    assert _codes()["BASIS_INVALID"] == 0  # 合同
    assert _codes("13081123P000315100016")["BASIS_INVALID"] == 0  # 说明
    assert _codes("13081123P000185100019")["BASIS_INVALID"] == 9  # 密文


def test_reference_rating_scales_have_the_60_to_80_hole(reference):
    department_year = DepartmentYear.objects.with_part_one(2024).get(pk=reference.pk)
    findings = check_department_year(department_year)
    assert len(findings) == SectionIndicator.objects.count() == 11
    assert {f.code for f in findings} == {"SCALE_HOLE"}
    assert "60%–80%" in findings[0].message


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"fiscal_funds": Decimal(100)}, "FUNDS_SUM"),
        ({"target": ""}, "TARGET_EMPTY"),
        ({"target": "1.目标内容1"}, "TARGET_PLACEHOLDER"),
    ],
)
def test_project_field_rules(reference, change, code):
    _fix_reference_project()
    Project.objects.filter(code=CODE).update(**change)
    assert _codes()[code] == 1


def test_other_funds_balance_the_budget(reference):
    _fix_reference_project()
    Project.objects.filter(code=CODE).update(fiscal_funds=Decimal(100), other_funds=Decimal(50))
    assert "FUNDS_SUM" not in _codes()


@pytest.mark.parametrize(
    ("schedule", "code"),
    [
        ({3: 30, 6: 20, 12: 100}, "SCHEDULE_DECREASING"),
        ({3: 30, 6: 60}, "SCHEDULE_NOT_COMPLETE"),
        ({}, "SCHEDULE_EMPTY"),
    ],
)
def test_schedule_rules(reference, schedule, code):
    _fix_reference_project()
    project = Project.objects.get(code=CODE)
    project.schedule.all().delete()
    for month, value in schedule.items():
        ScheduleEntry.objects.create(project=project, month=month, planned_percent=value)
    assert _codes()[code] == 1


def test_a_sound_schedule_is_quiet(reference):
    _fix_reference_project()
    project = Project.objects.get(code=CODE)
    project.schedule.all().delete()
    for month, value in {3: 10, 6: 40, 10: 40, 12: 100}.items():
        ScheduleEntry.objects.create(project=project, month=month, planned_percent=value)
    assert _findings() == []


def test_schedule_out_of_range_is_found_even_if_stored_elsewhere():
    from indicators.checks import check_schedule

    assert [f.code for f in check_schedule({3: Decimal(120), 12: Decimal(100)}, [3, 12])] == [
        "SCHEDULE_RANGE",
        "SCHEDULE_DECREASING",
    ]


def test_each_primary_needs_a_tertiary(reference):
    _fix_reference_project()
    Indicator.objects.filter(project__code=CODE, category__primary__name="满意度指标").delete()
    findings = [f for f in _findings() if f.code == "PRIMARY_MISSING"]
    assert [f.where for f in findings] == ["满意度指标"]
    assert findings[0].severity == Severity.ERROR


@pytest.mark.parametrize(
    ("name", "value", "code", "fires"),
    [
        ("广播节目播出时间", "", "VALUE_EMPTY", True),
        ("广播节目播出时间", "广播节目播出时间", "VALUE_REPEATS_TEXT", True),
        ("广播节目播出时间", "*", "VALUE_PLACEHOLDER", True),
        ("广播节目播出时间", "目标内容2", "VALUE_PLACEHOLDER", True),
        ("节目播出合格率", "105%", "PERCENT_OVER_100", True),
        ("节目播出合格率", "100%", "PERCENT_OVER_100", False),
        ("节目播出合格率", "≤105%", "PERCENT_OVER_100", False),
        ("项目总成本", "≥150万元", "COST_LOWER_BOUND", True),
        ("项目总成本", "≤150万元", "COST_LOWER_BOUND", False),
        ("广播节目播出时间", "≥365", "NUMBER_WITHOUT_UNIT", True),
        ("广播节目播出时间", "≥365天", "NUMBER_WITHOUT_UNIT", False),
        ("项目总成本", "≤200万元", "COST_OVER_BUDGET", True),
        ("项目总成本", "≤1500000元", "COST_OVER_BUDGET", False),
    ],
)
def test_indicator_value_rules(reference, name, value, code, fires):
    _fix_reference_project()
    _set_value(name, value)
    assert (_codes()[code] >= 1) is fires


def test_duplicate_names_and_missing_basis(reference):
    _fix_reference_project()
    project = Project.objects.get(code=CODE)
    category = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    Indicator.objects.create(
        project=project,
        category=category,
        order=5,
        name="节目播出合格率",
        value_text="≥1次",
        basis="",
    )
    codes = _codes()
    assert codes["DUPLICATE_NAME"] == 1 and codes["BASIS_EMPTY"] == 1


def test_scale_overlap_is_an_error(reference):
    SectionIndicator.objects.filter(name="传媒管理").update(poor_bound=Decimal(85))
    department_year = DepartmentYear.objects.with_part_one(2024).get(pk=reference.pk)
    overlap = [f for f in check_department_year(department_year) if f.code == "SCALE_OVERLAP"]
    assert len(overlap) == 1 and overlap[0].severity == Severity.ERROR


def test_checks_page_lists_the_units_findings(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("unit_year:checks", args=["136001", 2024]))
    html = response.content.decode()
    assert response.status_code == 200
    # 11 scale holes; per project the placeholder target, the unmeasurable values, the missing
    # money cost and more (each listed in test_reference_defects_are_found).
    assert response.context["counts"] == {"error": 60, "warning": 28, "info": 0}
    assert "60%–80% 之间的完成值不属于任何等级" in html
    assert "指标值“广播节目播出时间”与三级指标名称相同" in html


def test_checks_download(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("unit_year:checks", args=["136001", 2024]) + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "表序号",
        "项目编码",
        "项目名称",
        "级别",
        "审核规则",
        "位置",
        "问题",
        "修改建议",
        "依据",
    )
    assert len(rows) == 1 + 88


def test_outsider_cannot_see_the_checks(client, outsider, reference):
    client.force_login(outsider)
    assert client.get(reverse("unit_year:checks", args=["136001", 2024])).status_code == 404


def test_project_page_shows_its_findings(client, finance):
    client.force_login(finance)
    html = client.get(reverse("projects:detail", args=[2024, CODE])).content.decode()
    assert "审核检查" in html and "年度绩效目标“1.目标内容1”是模板占位文字" in html


def test_check_targets_command(reference):
    out = io.StringIO()
    call_command("check_targets", "--department", "136001", "--year", "2024", stdout=out)
    text = out.getvalue()
    assert "合计：错误 60 项，警告 28 项，提示 0 项" in text
    assert "[错误] 指标值不可衡量" in text and "VALUE_REPEATS_TEXT" not in text
    assert "建议：" in text
    out = io.StringIO()
    call_command("check_targets", "--department", "136001", "--year", "2024", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert len(payload["findings"]) == 88
    first = payload["findings"][0]
    assert first["code"] == "SCALE_HOLE" and first["rule"] == "评价标准有空档"
    assert first["reason"] and first["suggestion"]


def test_negative_amounts_are_found_in_an_unsaved_draft():
    from indicators.checks import TargetData, check_target_data

    draft = TargetData(Decimal(10), Decimal(-5), Decimal(15), "目标", {12: Decimal(100)}, [12], [])
    codes = [f.code for f in check_target_data(draft)]
    assert "FUNDS_NEGATIVE" in codes and "FUNDS_SUM" not in codes
    sound = TargetData(Decimal(10), Decimal(5), Decimal(5), "目标", {12: Decimal(100)}, [12], [])
    assert "FUNDS_NEGATIVE" not in [f.code for f in check_target_data(sound)]
