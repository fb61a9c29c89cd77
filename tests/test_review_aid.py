"""Reviewer support: the findings grouped by row, a suggested grade, a drafted 审核意见 the chief
may edit, an override that is recorded, and the 审核检查 page, workbook and 审核意见书 PDF."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from indicators.checks import review_aid
from indicators.models import Indicator
from projects.models import BudgetYear, Project
from tests.pdf_text import page_texts
from tests.reference_doc import squash
from tests.test_checks import CODE, _fix_reference_project

pytestmark = pytest.mark.django_db


def _aid(code=CODE):
    project = Project.objects.for_table().get(code=code)
    return review_aid(project, BudgetYear.milestones_of(project.year))


def test_the_reference_project_is_drafted_as_poor_with_every_row_named(reference):
    aid = _aid()
    assert aid.grade == "差"
    lines = aid.opinion.splitlines()
    assert lines[0].startswith("经审核，该项目绩效目标和指标大多无法衡量，不予通过")
    assert lines[1].startswith("1. 绩效目标：年度绩效目标“1.目标内容1”是模板占位文字")
    broadcast = [x for x in lines if "产出指标 / 数量指标 / 广播节目播出时间：" in x]
    assert len(broadcast) == 1 and "指标值“广播节目播出时间”与三级指标名称相同" in broadcast[0]
    assert "（建议：填写数值和单位" in broadcast[0]
    # One numbered item per row that has an error or a warning, hints left out.
    rows = {f.anchor for f in aid.findings if f.severity != "info"}
    assert len(lines) == 1 + len(rows)
    assert sum(len(r.findings) for r in aid.rows) == len(aid.findings)


def test_a_sound_project_is_drafted_as_excellent(reference):
    _fix_reference_project()
    aid = _aid()
    assert (aid.grade, aid.findings) == ("优", [])
    assert aid.opinion == "经审核，该项目绩效目标明确，指标具体、可衡量，同意。"


def test_warnings_only_suggest_good_and_one_error_suggests_fair(reference):
    _fix_reference_project()
    Indicator.objects.filter(project__code=CODE, category__name="时效指标").update(
        value_text="≥95%"
    )
    assert _aid().grade == "良"  # TIMELINESS_NO_DATE is a warning
    Indicator.objects.filter(project__code=CODE, category__name="经济效益指标").update(
        value_text="有所提高"
    )
    aid = _aid()
    assert aid.grade == "中"
    assert aid.opinion.startswith("经审核，该项目绩效目标存在以下问题，请修改后重新提交：")
    assert "“有所提高”" in aid.opinion


def _submitted(client, finance):
    _fix_reference_project()
    Indicator.objects.filter(project__code=CODE, category__name="时效指标").update(
        value_text="≥95%"
    )
    client.force_login(finance)
    client.post(reverse("projects:submit", args=[2024, CODE]))
    assert Project.objects.get(code=CODE).status == "submitted"


def test_the_review_form_offers_the_grade_and_the_drafted_opinion(client, finance, chief):
    _submitted(client, finance)
    client.force_login(chief)
    response = client.get(reverse("projects:detail", args=[2024, CODE]))
    html = response.content.decode()
    assert 'name="grade" value="良" required checked' in html
    assert "建议审核等级：" in html
    assert "经审核，该项目绩效目标基本明确，同意。以下问题请在执行中完善：" in html
    assert "时效指标没有时间" in html  # the findings, grouped by row, in Chinese


def test_an_override_of_the_suggested_grade_is_recorded(client, finance, chief):
    _submitted(client, finance)
    client.force_login(chief)
    client.post(reverse("projects:review", args=[2024, CODE]), {"grade": "优", "comment": "同意"})
    project = Project.objects.get(code=CODE)
    assert (project.status, project.review_grade, project.suggested_grade) == (
        "approved",
        "优",
        "良",
    )
    reason = project.history.first().history_change_reason
    assert reason == "审核通过（优）（建议等级良，审核人定为优）"
    page = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert "建议等级良，审核人定为优" in page


def test_following_the_suggestion_records_no_override(client, finance, chief):
    _submitted(client, finance)
    client.force_login(chief)
    client.post(reverse("projects:review", args=[2024, CODE]), {"grade": "良", "comment": ""})
    project = Project.objects.get(code=CODE)
    assert project.history.first().history_change_reason == "审核通过（良）"


def test_the_checks_page_ranks_projects_and_counts_rules(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("unit_year:checks", args=["136001", 2024]))
    ranked = response.context["ranked"]
    errors = [c["error"] for _, c in ranked]
    assert errors == sorted(errors, reverse=True) and len(ranked) == 5
    counts = dict(((t, s), n) for t, s, n in response.context["rule_counts"])
    assert counts[("指标值不可衡量", "error")] == 44
    html = response.content.decode()
    assert "VALUE_REPEATS_TEXT" not in html and "指标值不可衡量" in html
    assert reverse("projects:opinion_pdf", args=[2024, CODE]) in html


def test_the_checks_workbook_speaks_chinese_with_reasons_and_fixes(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("unit_year:checks", args=["136001", 2024]) + "?format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["审核结果"].iter_rows(values_only=True))
    assert rows[0][4:] == ("审核规则", "位置", "问题", "修改建议", "依据")
    cells = {c for row in rows for c in row if isinstance(c, str)}
    assert not any(c.isupper() and "_" in c for c in cells)  # no rule codes
    assert any("财预〔2021〕101号" in c for c in cells)
    summary = list(book["按规则统计"].iter_rows(values_only=True))
    assert ("指标值不可衡量", "错误", 44) in summary
    # Printable: A4 landscape, one page wide, the header row on every page, unit and year named.
    sheet = book["审核结果"]
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$1:$1"
    assert "2024年 绩效目标审核结果" in sheet.oddHeader.center.text
    assert "第 &P 页" in sheet.oddFooter.center.text


def test_the_opinion_pdf(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("projects:opinion_pdf", args=[2024, CODE]))
    assert response["Content-Type"] == "application/pdf"
    text = squash("".join(page_texts(response.content)))
    assert "项目支出绩效目标审核意见书" in text
    assert "承德高新区新闻合办专项" in text
    assert "建议审核等级：差" in text
    assert "起草稿·未经审核·不作为审核结论" in text  # a draft never reads as a decision
    assert "指标值不可衡量" in text and "修改建议" in text and "审核单位（盖章）" in text


def test_the_opinion_pdf_of_a_reviewed_project_prints_the_review(client, finance, chief):
    _submitted(client, finance)
    client.force_login(chief)
    client.post(reverse("projects:review", args=[2024, CODE]), {"grade": "优", "comment": "同意"})
    response = client.get(reverse("projects:opinion_pdf", args=[2024, CODE]))
    text = squash("".join(page_texts(response.content)))
    assert "审核等级：优（建议等级良）" in text and "同意" in text
    assert "起草稿" not in text


def test_an_outsider_gets_no_opinion(client, outsider, reference):
    client.force_login(outsider)
    assert client.get(reverse("projects:opinion_pdf", args=[2024, CODE])).status_code == 404


def test_a_lenient_profile_does_not_make_an_unmeasurable_target_a_good_one(reference):
    from indicators.models import ReviewProfile

    ReviewProfile.objects.filter(framework__code="2020").update(is_active=False)
    ReviewProfile.objects.filter(framework__code="2020", name="宽松口径").update(is_active=True)
    aid = _aid()
    assert aid.counts["error"] == 0  # it may be submitted under this profile...
    assert aid.grade == "差"  # ...but a reviewer still would not pass it
    assert aid.opinion.startswith("经审核，该项目绩效目标和指标大多无法衡量，不予通过")


def test_an_untouched_draft_of_another_grade_is_sent_as_the_chosen_grades_draft(
    client, finance, chief
):
    """Without the page's script, the 优 draft ("…同意。") sent with 中 would contradict it."""
    _submitted(client, finance)
    project = Project.objects.for_table().get(code=CODE)
    drafts = review_aid(project, BudgetYear.milestones_of(2024)).drafts
    client.force_login(chief)
    client.post(
        reverse("projects:review", args=[2024, CODE]), {"grade": "中", "comment": drafts["良"]}
    )
    project = Project.objects.get(code=CODE)
    assert (project.review_grade, project.review_comment) == ("中", drafts["中"])
    assert "同意" not in project.review_comment
