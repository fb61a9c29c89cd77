"""The review cycle: each transition by each role, allowed or refused; read-only after submit;
reopening recorded; and the history that shows every step."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_user
from departments.models import DepartmentYear, Role, Section
from indicators.models import Indicator
from projects.models import Project
from projects.workflow import REASON_MAX
from tests.sound import make_sound

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"  # 传媒科's project


@pytest.fixture(autouse=True)
def _sound_targets(reference):
    """The cycle runs on targets that can be submitted."""
    make_sound()


def _post(client, user, name, data=None, code=CODE):
    client.force_login(user)
    return client.post(reverse(f"projects:{name}", args=[2024, code]), data or {}, follow=True)


def _status(code=CODE):
    project = Project.objects.get(code=code)
    return project.status, project.review_grade


def test_full_cycle_submit_return_resubmit_approve(client, finance, chief):
    response = _post(client, finance, "submit")
    assert "已提交，等待审核" in response.content.decode()
    assert _status() == ("submitted", "")
    # Read-only while submitted.
    client.force_login(finance)
    assert (
        "处于只读状态"
        in client.get(reverse("projects:edit", args=[2024, CODE]), follow=True).content.decode()
    )
    response = _post(client, chief, "review", {"grade": "中", "comment": "指标值不可衡量，请修改"})
    assert _status() == ("draft", "中")
    assert "指标值不可衡量，请修改" in response.content.decode()
    assert _post(client, finance, "submit").status_code == 200
    _post(client, chief, "review", {"grade": "优", "comment": ""})
    project = Project.objects.get(code=CODE)
    assert (project.status, project.review_grade, project.reviewed_by) == ("approved", "优", chief)


def test_submission_is_blocked_by_quality_errors(client, finance):
    Indicator.objects.filter(project__code=CODE, category__primary__name="满意度指标").delete()
    response = _post(client, finance, "submit")
    assert "还有 1 个审核错误，改正后才能提交" in response.content.decode()
    assert _status() == ("draft", "")


@pytest.mark.parametrize("grade", ["中", "差"])
def test_fair_and_poor_grades_need_a_comment(client, finance, chief, grade):
    _post(client, finance, "submit")
    response = _post(client, chief, "review", {"grade": grade})
    assert "须填写审核意见" in response.content.decode()
    assert _status() == ("submitted", "")


def test_poor_grade_rejects_back_to_draft(client, finance, chief):
    _post(client, finance, "submit")
    _post(client, chief, "review", {"grade": "差", "comment": "目标与预算不符"})
    assert _status() == ("draft", "差")


def test_only_the_chief_of_the_projects_section_reviews(client, finance, unit):
    other_chief = make_user(
        "chief-zh", unit, Role.CHIEF, sections=Section.objects.filter(name="综合科")
    )
    _post(client, finance, "submit")
    response = _post(client, other_chief, "review", {"grade": "优"})
    assert "只有该项目责任科室的负责人或单位管理员可以审核" in response.content.decode()
    assert _status() == ("submitted", "")


@pytest.mark.parametrize("action", ["submit", "review", "reopen"])
def test_auditor_changes_nothing(client, auditor, finance, chief, action):
    if action != "submit":
        _post(client, finance, "submit")
    if action == "reopen":
        _post(client, chief, "review", {"grade": "良"})
    before = _status()
    _post(client, auditor, action, {"grade": "优", "reason": "x", "comment": "x"})
    assert _status() == before


def test_outsider_gets_404_on_transitions(client, outsider, reference):
    client.force_login(outsider)
    for action in ("submit", "review", "reopen", "history"):
        method = client.get if action == "history" else client.post
        assert method(reverse(f"projects:{action}", args=[2024, CODE])).status_code == 404


def test_no_write_by_get(client, finance):
    client.force_login(finance)
    assert client.get(reverse("projects:submit", args=[2024, CODE])).status_code == 405
    assert _status() == ("draft", "")


def test_reopen_needs_an_administrator_and_a_reason(client, finance, chief, unit_admin):
    _post(client, finance, "submit")
    _post(client, chief, "review", {"grade": "良"})
    assert (
        "只有单位管理员" in _post(client, chief, "reopen", {"reason": "补充指标"}).content.decode()
    )
    assert (
        "请填写重新打开的理由"
        in _post(client, unit_admin, "reopen", {"reason": " "}).content.decode()
    )
    assert _status()[0] == "approved"
    _post(client, unit_admin, "reopen", {"reason": "预算调整，需补充指标"})
    assert _status()[0] == "draft"
    record = Project.objects.get(code=CODE).history.order_by("-history_id").first()
    assert record.history_change_reason == "重新打开：预算调整，需补充指标"
    assert record.history_user == unit_admin


def test_a_long_reopen_reason_is_kept_whole_and_a_too_long_one_refused(
    client, finance, chief, unit_admin
):
    _post(client, finance, "submit")
    _post(client, chief, "review", {"grade": "良"})
    client.force_login(unit_admin)
    page = client.get(reverse("projects:detail", args=[2024, CODE])).content.decode()
    assert f"重新打开的理由（必填，{REASON_MAX} 字以内）" in page
    assert f'maxlength="{REASON_MAX}" required' in page
    response = _post(client, unit_admin, "reopen", {"reason": "理" * 501})
    assert "重新打开的理由不能超过 500 字（现有 501 字）" in response.content.decode()
    assert _status()[0] == "approved"
    # 500 characters: more than the history kept before (100 with its label), stored whole.
    reason = "因年中预算调整，" + "理" * 492
    _post(client, unit_admin, "reopen", {"reason": reason})
    assert _status()[0] == "draft"
    record = Project.objects.get(code=CODE).history.order_by("-history_id").first()
    assert record.history_change_reason == f"重新打开：{reason}"
    client.force_login(unit_admin)
    page = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert reason in page


def test_department_year_cycle(client, finance, unit_admin, chief):
    url = lambda name: reverse(f"unit_year:{name}", args=["136001", 2024])  # noqa: E731
    client.force_login(finance)
    client.post(url("submit"))
    assert DepartmentYear.objects.get(year=2024).status == "submitted"
    client.force_login(chief)
    response = client.post(url("review"), {"grade": "良"}, follow=True)
    assert "只有单位管理员可以审核部门整体绩效目标" in response.content.decode()
    client.force_login(unit_admin)
    client.post(url("review"), {"grade": "良"})
    department_year = DepartmentYear.objects.get(year=2024)
    assert (department_year.status, department_year.review_grade) == ("approved", "良")
    client.force_login(finance)
    response = client.get(reverse("unit_year:edit", args=["136001", 2024]), follow=True)
    assert "处于只读状态" in response.content.decode()


def test_history_shows_every_step_with_user_and_diff(client, finance, chief, auditor):
    _post(client, finance, "submit")
    _post(client, chief, "review", {"grade": "中", "comment": "请细化指标"})
    client.force_login(auditor)
    html = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert "退回修改（中）" in html and "提交" in html
    assert "chief1" in html and "finance1" in html
    assert "请细化指标" in html
    response = client.get(reverse("projects:history", args=[2024, CODE]) + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("时间", "用户", "对象", "操作", "说明", "字段", "原值", "新值")
    reasons = {row[4] for row in rows[1:]}
    # The checks suggested 优 for this sound target; the chief's 中 is recorded as an override.
    assert {"提交", "退回修改（中）（建议等级优，审核人定为中）"} <= reasons
    status_changes = [row for row in rows[1:] if row[5] == "状态"]
    assert ("已提交", "草稿") in {(r[6], r[7]) for r in status_changes}
    # The submitter is named, not numbered.
    submitters = {(r[6], r[7]) for r in rows[1:] if r[5] == "提交人"}
    assert (None, finance.get_full_name() or finance.username) in submitters


def test_history_of_an_editor_save_lists_the_field_change(client, finance):
    from tests.test_editor import EDIT, _post_data, _rows

    client.force_login(finance)
    project = Project.objects.get(code=CODE)
    client.post(EDIT, _post_data(project, _rows(project), fund_use="编辑后的用途"))
    html = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert "预算规模及资金用途" in html and "编辑后的用途" in html


def test_start_page_lists_what_waits_for_each_user(client, finance, chief):
    client.force_login(chief)
    html = client.get("/").content.decode()
    assert "待评级" in html and "综合业务管理工作完成率" in html
    assert "待我审核" not in html
    _post(client, finance, "submit")
    client.force_login(chief)
    assert (
        "1.承德高新区新闻合办专项绩效目标表"
        in client.get("/").content.decode().split("待我审核")[1]
    )
    _post(client, chief, "review", {"grade": "中", "comment": "请把指标值写成可衡量的数值"})
    client.force_login(finance)
    html = client.get("/").content.decode()
    assert "被退回" in html and "请把指标值写成可衡量的数值" in html


def test_the_submitter_may_not_review_their_own_submission(client, unit):
    """A user with both roles (finance and chief, or a unit administrator) can enter and submit,
    but someone else reviews."""
    both = make_user("both1", unit, Role.FINANCE)
    make_user("both1-chief", unit)  # another member, so the unit is not one person
    from departments.models import Membership

    Membership.objects.create(user=both, department=unit, role=Role.CHIEF).sections.set(
        unit.sections.all()
    )
    _post(client, both, "submit")
    response = _post(client, both, "review", {"grade": "优"})
    html = response.content.decode()
    assert "提交人不能审核自己提交的绩效目标" in html
    assert _status() == ("submitted", "")
    assert (
        "您是提交人，不能审核"
        in client.get(reverse("projects:detail", args=[2024, CODE])).content.decode()
    )


def test_a_unit_administrator_may_not_approve_their_own_submission(client, unit_admin, chief):
    _post(client, unit_admin, "submit")
    _post(client, unit_admin, "review", {"grade": "优"})
    assert _status() == ("submitted", "")
    _post(client, chief, "review", {"grade": "优"})
    assert _status() == ("approved", "优")
    project = Project.objects.get(code=CODE)
    assert (project.submitted_by, project.reviewed_by) == (unit_admin, chief)


def test_a_one_person_unit_that_says_so_reviews_its_own_with_a_record(client, unit, unit_admin):
    unit.single_person = True
    unit.save()
    _post(client, unit_admin, "submit")
    _post(client, unit_admin, "review", {"grade": "优"})  # as the checks suggest
    assert _status() == ("approved", "优")
    record = Project.objects.get(code=CODE).history.first()
    assert record.history_change_reason == "审核通过（优）（单人单位：提交人自行审核）"


def test_the_submitter_may_not_review_their_own_part_one(client, unit_admin):
    client.force_login(unit_admin)
    client.post(reverse("unit_year:submit", args=["136001", 2024]))
    response = client.post(
        reverse("unit_year:review", args=["136001", 2024]), {"grade": "优"}, follow=True
    )
    assert "提交人不能审核自己提交的绩效目标" in response.content.decode()
    assert DepartmentYear.objects.get(year=2024).status == "submitted"


def test_a_membership_holds_sections_of_its_own_unit_only(unit, other_unit, outsider):
    """The model's rule, from either side of the relation, whatever writes it."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from departments.models import Membership

    foreign = Section.objects.create(department=other_unit, name="外单位的科")
    chief = make_user("chief9", unit, Role.CHIEF)
    membership = Membership.objects.get(user=chief)
    writes = (
        lambda: membership.sections.add(foreign),
        lambda: membership.sections.set([*unit.sections.all(), foreign]),
        lambda: foreign.chiefs.add(membership),
    )
    for write in writes:
        with pytest.raises(ValidationError), transaction.atomic():
            write()
    assert not membership.sections.filter(pk=foreign.pk).exists()
    membership.sections.add(unit.sections.first())  # its own unit's: fine


def test_submitting_a_project_without_section_says_the_unit_admin_reviews_it(client, finance):
    Project.objects.filter(code=CODE).update(section=None)
    html = _post(client, finance, "submit").content.decode()
    assert "已提交，等待审核" in html
    assert "未指定责任科室" in html and "由单位管理员审核" in html
    Project.objects.filter(code=CODE).update(
        status="draft", section=Section.objects.get(name="传媒科")
    )
    assert "未指定责任科室" not in _post(client, finance, "submit").content.decode()


def test_the_start_page_does_not_ask_the_submitter_to_review(client, unit_admin, chief):
    _post(client, unit_admin, "submit")
    client.force_login(unit_admin)
    assert 'id="to-review"' not in client.get("/").content.decode()
    client.force_login(chief)
    assert 'id="to-review"' in client.get("/").content.decode()


def test_the_one_person_mark_does_not_lift_the_rule_once_a_second_person_joins(
    client, unit, unit_admin, finance
):
    unit.single_person = True
    unit.save()
    _post(client, unit_admin, "submit")
    response = _post(client, unit_admin, "review", {"grade": "良"})
    assert "提交人不能审核自己提交的绩效目标" in response.content.decode()
    assert _status() == ("submitted", "")
    # Nor does the start page list it for the submitter to review.
    assert 'id="to-review"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("draft", "finance", {"edit", "submit"}),
        ("draft", "chief", set()),
        ("draft", "auditor", set()),
        ("submitted", "finance", set()),
        ("submitted", "chief", {"review"}),
        ("submitted", "unit_admin", {"review"}),
        ("submitted", "auditor", set()),
        ("approved", "chief", set()),
        ("approved", "unit_admin", {"reopen"}),
        ("approved", "finance", set()),
    ],
)
def test_the_actions_a_page_offers_follow_state_and_role(request, status, role, expected):
    from departments.access import unit_access

    user = request.getfixturevalue(role)
    Project.objects.filter(code=CODE).update(status=status)
    project = Project.objects.select_related("department").get(code=CODE)
    actions = project.available_actions(unit_access(user, project.department), user)
    offered = {name for name, value in vars(actions).items() if value}
    assert offered == expected


def test_the_submitter_is_told_instead_of_offered_the_review(chief):
    from departments.access import unit_access

    Project.objects.filter(code=CODE).update(status="submitted", submitted_by=chief)
    project = Project.objects.select_related("department").get(code=CODE)
    actions = project.available_actions(unit_access(chief, project.department), chief)
    assert (actions.review, actions.review_own) == (False, True)
    department_year = DepartmentYear.objects.select_related("department").get(year=2024)
    assert not department_year.available_actions(unit_access(chief, project.department), chief).edit


def test_a_project_whose_self_evaluation_is_confirmed_offers_no_edit(client, finance):
    from departments.access import unit_access
    from indicators.models import SelfEvaluation

    project = Project.objects.select_related("department").get(code=CODE)
    SelfEvaluation.objects.create(
        project=project, initial_budget=1, annual_budget=1, executed=1, status="confirmed"
    )
    actions = project.available_actions(unit_access(finance, project.department), finance)
    assert not actions.edit and actions.submit
    client.force_login(finance)
    page = client.get(reverse("projects:detail", args=[2024, CODE])).content.decode()
    assert reverse("projects:edit", args=[2024, CODE]) not in page


def test_the_submitter_of_part_one_is_sent_to_another_administrator(client, unit_admin):
    client.force_login(unit_admin)
    url = lambda name: reverse(f"unit_year:{name}", args=["136001", 2024])  # noqa: E731
    DepartmentYear.objects.filter(year=2024).update(status="submitted", submitted_by=unit_admin)
    page = client.post(url("review"), {"grade": "优"}, follow=True).content.decode()
    assert "提交人不能审核自己提交的绩效目标，请由本单位的另一位管理员审核" in page
    assert DepartmentYear.objects.get(year=2024).status == "submitted"


@pytest.mark.parametrize(
    ("grade", "said"),
    [("良", "已审核通过（良）"), ("中", "已退回修改（中）"), ("差", "不予通过（差）")],
)
def test_the_reviewer_is_told_what_the_review_did(client, finance, chief, grade, said):
    _post(client, finance, "submit")
    page = _post(client, chief, "review", {"grade": grade, "comment": "请补充成本指标"})
    assert said in page.content.decode()


def test_the_returned_clerk_sees_the_reviewers_grade_and_comment_in_the_editor(
    client, finance, chief
):
    _post(client, finance, "submit")
    _post(client, chief, "review", {"grade": "中", "comment": "请补充成本指标\n并写明金额"})
    client.force_login(finance)
    page = client.get(reverse("projects:edit", args=[2024, CODE])).content.decode()
    assert 'id="returned-review"' in page and "审核退回（中）" in page
    assert "请补充成本指标<br>并写明金额" in page


def test_a_refused_review_keeps_the_grade_and_comment_the_reviewer_sent(client, finance, chief):
    _post(client, finance, "submit")
    page = _post(client, chief, "review", {"grade": "中", "comment": "  "}).content.decode()
    assert "审核等级为“中”或“差”时须填写审核意见" in page
    assert 'value="中" required checked' in page
    assert _status() == ("submitted", "")
    # Shown once: the next visit offers the suggestion again.
    again = client.get(reverse("projects:detail", args=[2024, CODE])).content.decode()
    assert 'value="中" required checked' not in again


def test_an_earlier_return_stays_readable_after_approval(client, finance, chief):
    _post(client, finance, "submit")
    _post(client, chief, "review", {"grade": "中", "comment": "请补充成本指标"})
    _post(client, finance, "submit")
    page = _post(client, chief, "review", {"grade": "良", "comment": "已补充"}).content.decode()
    assert _status() == ("approved", "良")
    trail = page[page.index('class="review-trail"') :]
    assert "审核经过（2 次）" in trail
    assert "请补充成本指标" in trail and "已补充" in trail


def test_a_returned_part_one_is_listed_for_its_writers_as_returned(client, finance, unit_admin):
    DepartmentYear.objects.filter(year=2024).update(
        status="draft", review_grade="中", review_comment="总体目标请量化"
    )
    client.force_login(finance)
    page = client.get("/").content.decode()
    returned = page[page.index('id="returned"') :]
    assert "（第一部分）" in returned and "总体目标请量化" in returned
