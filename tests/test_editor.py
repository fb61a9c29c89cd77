"""The project editor: what it saves, what it refuses, and who may use it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Indicator, SecondaryCategory
from projects.models import Project

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"
EDIT = reverse("projects:edit", args=[2024, CODE])


def _rows(project):
    return [
        {
            "id": i.pk,
            "category": i.category_id,
            "name": i.name,
            "description": i.description,
            "operator": "定性",
            "number": "",
            "unit": "",
            "text": i.value_text,
            "basis": i.basis,
        }
        for i in project.indicators.in_table_order()
    ]


def _post_data(project, rows, **fields):
    data = {
        "version": project.version,
        "table_number": project.table_number,
        "table_name": project.table_name,
        "code": project.code,
        "name": project.name,
        "section": project.section_id or "",
        "budget_total": project.budget_total,
        "fiscal_funds": project.fiscal_funds,
        "other_funds": project.other_funds or "",
        "fund_use": project.fund_use,
        "target": project.target,
        "schedule_3": "",
        "schedule_6": "",
        "schedule_10": "50",
        "schedule_12": "100",
        "ind-TOTAL_FORMS": len(rows),
        "ind-INITIAL_FORMS": sum(1 for r in rows if r.get("id")),
        "ind-MIN_NUM_FORMS": 0,
        "ind-MAX_NUM_FORMS": 1000,
        "department_code": "136001",
        "year": 2024,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "DELETE" and not value:
                continue
            data[f"ind-{i}-{key}"] = "" if value is None else value
        data.setdefault(f"ind-{i}-ORDER", i + 1)
    data.update(fields)
    return data


def _project():
    return Project.objects.get(code=CODE)


def test_editor_opens_with_every_row(client, finance):
    client.force_login(finance)
    response = client.get(EDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="ind-row') == 9 + 1  # nine rows and the template row
    assert 'value="150.00"' in html
    assert "服务对象满意度指标" in html


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("chief", 403), ("outsider", 404)])
def test_editor_refuses_read_only_users_and_outsiders(client, request, reference, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(EDIT).status_code == status
    project = _project()
    response = client.post(EDIT, _post_data(project, _rows(project), fund_use="改动"))
    assert response.status_code == status
    assert _project().fund_use != "改动"


def test_anonymous_is_sent_to_login(client, reference):
    response = client.get(EDIT)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_save_edits_adds_removes_and_reorders_rows(client, finance):
    client.force_login(finance)
    project = _project()
    rows = _rows(project)
    quantity = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    rows[0].update(operator="≥", number="365", unit="天", text="")
    rows[1]["DELETE"] = "on"  # 专款专用率 goes
    rows.append(
        {
            "category": quantity.pk,
            "name": "新闻播出条数",
            "description": "全年播出新闻条数",
            "operator": "≥",
            "number": "200",
            "unit": "条",
            "text": "",
            "basis": "合同",
        }
    )
    # The new row is put first in 数量指标.
    for i, row in enumerate(rows):
        row["ORDER"] = i + 2
    rows[-1]["ORDER"] = 1
    response = client.post(
        EDIT, _post_data(project, rows, target="全年播出高新区新闻不少于365天。")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    project = _project()
    names = [i.name for i in project.indicators.in_table_order()]
    assert names[:2] == ["新闻播出条数", "广播节目播出时间"]
    assert "专款专用率" not in names and len(names) == 9
    first = project.indicators.get(name="广播节目播出时间")
    assert (first.value_text, first.operator, first.value_number, first.value_unit) == (
        "≥365天",
        "≥",
        Decimal(365),
        "天",
    )
    assert project.target == "全年播出高新区新闻不少于365天。"
    assert project.version == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"budget_total": "-1", "fiscal_funds": "-1"}, "金额不能为负数"),
        ({"fiscal_funds": "100"}, "财政资金与其他资金之和（100.00）不等于预算数（150.00）"),
        ({"schedule_10": "120"}, "确保该值小于或等于100"),
        ({"schedule_6": "60"}, "累计支出百分比不能比前一节点小"),
        ({"schedule_12": "90"}, "最后一个节点应为 100%"),
        ({"code": "13081123P00018610001Y"}, "2024年已有项目编码为 13081123P00018610001Y 的项目"),
        ({"table_name": ""}, "这个字段是必填项"),
        ({"ind-0-name": ""}, "请填写三级指标名称"),
        ({"ind-0-operator": "≥", "ind-0-text": ""}, "请填写数值"),
    ],
)
def test_invalid_input_is_refused_with_a_message_and_nothing_saved(
    client, finance, change, message
):
    client.force_login(finance)
    project = _project()
    response = client.post(EDIT, _post_data(project, _rows(project), fund_use="不应保存", **change))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _project().fund_use == "签订协议、按时播放高新区新闻"
    assert _project().version == 1


def test_a_stale_save_is_refused_and_nothing_is_lost(client, finance, reference):
    from conftest import make_user
    from departments.models import Role

    colleague = make_user("finance2", reference.department, Role.FINANCE)
    colleague.first_name = "王会计"
    colleague.save()
    project = _project()
    loaded = _post_data(project, _rows(project))  # both open the editor at version 1
    client.force_login(colleague)
    assert client.post(EDIT, {**loaded, "fund_use": "王会计的修改"}).status_code == 302
    client.force_login(finance)
    response = client.post(EDIT, {**loaded, "fund_use": "我的修改"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "保存被拒绝：王会计已于" in html
    assert "我的修改" in html  # the refused input is still on the page
    assert _project().fund_use == "王会计的修改"


def test_the_stale_message_names_the_colleague_and_the_local_time(client, finance, reference):
    from datetime import UTC, datetime

    from conftest import make_user
    from departments.models import Role

    colleague = make_user("finance2", reference.department, Role.FINANCE)
    colleague.first_name = "王会计"
    colleague.save()
    project = _project()
    loaded = _post_data(project, _rows(project))
    client.force_login(colleague)
    assert client.post(EDIT, {**loaded, "fund_use": "王会计的修改"}).status_code == 302
    # The colleague saved (after the fixture load) at 15:45 UTC: 23:45 in Shanghai.
    project.history.filter(history_user=colleague).update(
        history_date=datetime(2030, 3, 1, 15, 45, tzinfo=UTC)
    )
    client.force_login(finance)
    html = client.post(EDIT, {**loaded, "fund_use": "我的修改"}).content.decode()
    assert "王会计已于 2030-03-01 23:45 修改并保存" in html
    assert "15:45" not in html


def test_new_project_from_nothing(client, finance):
    client.force_login(finance)
    assert client.get(reverse("projects:new")).status_code == 200
    categories = {
        c.name: c.pk for c in SecondaryCategory.objects.filter(primary__framework__code="2020")
    }
    rows = [
        {
            "category": categories["数量指标"],
            "name": "培训人次",
            "description": "培训人次",
            "operator": "≥",
            "number": "300",
            "unit": "人次",
            "text": "",
            "basis": "计划标准",
        },
        {
            "category": categories["社会效益指标"],
            "name": "社会知晓率",
            "description": "知晓率",
            "operator": "≥",
            "number": "80",
            "unit": "%",
            "text": "",
            "basis": "其他标准",
        },
    ]
    project = Project(
        table_number=10,
        table_name="干部培训",
        code="NEW-001",
        name="宣传干部培训",
        budget_total=Decimal(20),
        fiscal_funds=Decimal(20),
        fund_use="培训费",
        target="培训宣传干部300人次。",
        version=0,
    )
    data = _post_data(project, rows, schedule_10="", schedule_6="50")
    data.pop("version")
    response = client.post(reverse("projects:new"), data)
    assert response.status_code == 302
    created = Project.objects.get(code="NEW-001")
    assert created.department.code == "136001" and created.year == 2024
    assert created.framework.code == "2020" and created.booklet_order == 6
    assert [i.name for i in created.indicators.in_table_order()] == ["培训人次", "社会知晓率"]
    assert {e.month: e.planned_percent for e in created.schedule.all()} == {6: 50, 12: 100}


def test_submitted_projects_are_read_only(client, finance):
    Project.objects.filter(code=CODE).update(status="submitted")
    client.force_login(finance)
    response = client.get(EDIT, follow=True)
    assert "项目已提交，处于只读状态" in response.content.decode()


def test_live_check_reads_the_unsaved_page(client, finance):
    client.force_login(finance)
    project = _project()
    rows = _rows(project)
    rows[0].update(operator="≥", number="105", unit="%", text="")
    data = _post_data(
        project, rows, fiscal_funds="100", target="目标内容1", framework=project.framework_id
    )
    response = client.post(reverse("projects:check"), data)
    findings = response.json()["findings"]
    codes = {(f["code"], f["anchor"]) for f in findings}
    assert ("FUNDS_SUM", "funds") in codes
    assert ("PERCENT_OVER_100", "row-0") in codes
    assert ("TARGET_PLACEHOLDER", "target") in codes
    assert ("VALUE_REPEATS_TEXT", "row-1") in codes
    assert _project().fiscal_funds == 150


def test_live_check_and_suggestions_answer_numbers_of_absurd_size(client, finance):
    """Numbers such as 1e99999999 are refused as numbers, not expanded (which would hold the
    worker for minutes)."""
    client.force_login(finance)
    project = _project()
    huge = "1e99999999"

    def findings(number):
        data = _post_data(project, _rows(project), budget_total=number, fiscal_funds=number)
        response = client.post(reverse("projects:check"), {**data, "year": number})
        assert response.status_code == 200
        return response.json()["findings"]

    # Read as what it is: not a number the page can use, like any other text.
    assert findings(huge) == findings("abc")
    data = {**_post_data(project, _rows(project)), "ind-TOTAL_FORMS": "很多"}
    assert client.post(reverse("projects:check"), data).status_code == 200
    category = project.indicators.first().category_id
    response = client.get(
        reverse("projects:suggest"), {"category": category, "department": "136001", "year": huge}
    )
    assert response.status_code == 200


def test_live_check_refuses_other_units(client, outsider, reference):
    client.force_login(outsider)
    response = client.post(reverse("projects:check"), {"department_code": "136001", "year": 2024})
    assert response.status_code == 404


def test_suggestions_come_from_the_library_and_earlier_years(client, finance):
    quantity = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    old = Project.objects.get(code=CODE)
    old.pk, old.year, old.version = None, 2023, 1
    old.save()
    Indicator.objects.create(
        project=old,
        category=quantity,
        name="新闻稿件数量",
        value_text="≥120篇",
        operator="≥",
        value_number=120,
        value_unit="篇",
        basis="合同",
    )
    client.force_login(finance)
    url = reverse("projects:suggest")
    response = client.get(
        url, {"category": quantity.pk, "q": "数量", "department": "136001", "year": 2024}
    )
    suggestions = response.json()["suggestions"]
    library = [s for s in suggestions if s["source"] == "指标库"]
    assert library and library[0]["name"] == "完成项目数量" and library[0]["unit"] == "个"
    earlier = [s for s in suggestions if s["source"].startswith("2023年")]
    assert earlier == [
        {
            "name": "新闻稿件数量",
            "description": "",
            "operator": "≥",
            "unit": "篇",
            "basis": "合同",
            "source": "2023年 承德高新区新闻合办专项",
        }
    ]


def test_suggestions_never_show_another_units_indicators(client, outsider, reference):
    client.force_login(outsider)
    quantity = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    response = client.get(
        reverse("projects:suggest"), {"category": quantity.pk, "department": "136001"}
    )
    assert response.status_code == 404


def test_an_edit_is_in_the_history_with_its_user_and_diff(client, finance):
    client.force_login(finance)
    project = _project()
    client.post(EDIT, _post_data(project, _rows(project), fund_use="新的用途"))
    record = _project().history.order_by("-history_id").first()
    assert record.history_user == finance
    changes = {c.field: (c.old, c.new) for c in record.diff_against(record.prev_record).changes}
    assert changes["fund_use"] == ("签订协议、按时播放高新区新闻", "新的用途")


def test_editor_page_queries_do_not_grow_with_indicators(
    client, finance, django_assert_max_num_queries
):
    # Guards against a query per indicator row when the editor is drawn.
    client.force_login(finance)
    project = _project()
    quantity = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(EDIT)
    Indicator.objects.bulk_create(
        Indicator(
            project=project, category=quantity, order=10 + i, name=f"附加{i}", value_text="1个"
        )
        for i in range(30)
    )
    with CaptureQueriesContext(connection) as large:
        client.get(EDIT)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_saving_a_project_without_section_warns_that_no_chief_will_review_it(client, finance):
    client.force_login(finance)
    project = _project()
    section = project.section_id
    response = client.post(EDIT, _post_data(project, _rows(project), section=""), follow=True)
    assert _project().section is None  # saved: a unit-wide project may have no section
    assert "未指定责任科室" in response.content.decode()
    assert "由单位管理员审核" in response.content.decode()
    response = client.post(
        EDIT, _post_data(_project(), _rows(project), section=section), follow=True
    )
    assert "未指定责任科室" not in response.content.decode()


@pytest.mark.parametrize("framework", ["abc", "1.5", "９", "9" * 40])
def test_live_check_answers_a_framework_that_is_no_id_with_404(client, finance, framework):
    client.force_login(finance)
    project = _project()
    data = _post_data(project, _rows(project), framework=framework)
    response = client.post(reverse("projects:check"), data)
    assert response.status_code == 404


def test_live_check_of_an_unknown_framework_id_finds_no_indicator_rows(client, finance):
    client.force_login(finance)
    project = _project()
    data = _post_data(project, _rows(project), framework="987654")
    response = client.post(reverse("projects:check"), data)
    assert response.status_code == 200


@pytest.mark.parametrize("total", ["-1", "0", "3"])
def test_a_page_with_fewer_rows_than_it_opened_with_deletes_nothing(client, finance, total):
    client.force_login(finance)
    project = _project()
    before = list(project.indicators.values_list("pk", flat=True))
    data = _post_data(project, _rows(project), **{"ind-TOTAL_FORMS": total})
    response = client.post(EDIT, data)
    assert response.status_code == 200
    assert "提交的指标表不完整" in response.content.decode()
    assert list(_project().indicators.values_list("pk", flat=True)) == before


def test_a_save_racing_a_self_evaluation_confirmation_says_why_it_was_refused(finance):
    # The page checks before it saves; a confirmation landing in between is caught by the
    # save itself, which says what happened instead of blaming a colleague's edit.
    from indicators.models import SelfEvaluation
    from projects.services import EVALUATION_CONFIRMED, EvaluationFrozen, project_save

    project = _project()
    SelfEvaluation.objects.create(
        project=project, initial_budget=1, annual_budget=1, executed=1, status="confirmed"
    )
    with pytest.raises(EvaluationFrozen, match=EVALUATION_CONFIRMED):
        project_save(
            project=project,
            fields={"fund_use": "改"},
            planned={},
            rows=[],
            expected_version=project.version,
        )
    assert _project().fund_use != "改"


def test_a_number_that_is_no_number_is_refused_not_changed(client, finance):
    # A browser's number field turned "120.5.3" into something else, or nothing, without a word:
    # the field takes the text as typed and the server says what is wrong.
    project = _project()
    rows = _rows(project)
    data = _post_data(project, rows)
    first = next(k for k in data if k.endswith("-number"))
    prefix = first[: -len("number")]
    data.update({first: "120.5.3", prefix + "operator": "≥"})
    client.force_login(finance)
    page = client.get(EDIT).content.decode()
    assert 'inputmode="decimal"' in page and 'type="number" step="any" name="ind-' not in page
    response = client.post(EDIT, data)
    assert response.status_code == 200
    assert "120.5.3" in response.content.decode()
    assert "输入一个数字" in response.content.decode()
    assert not Indicator.objects.filter(project=project, value_text__contains="120.5").exists()


def test_a_percent_above_100_is_refused_on_save(client, finance):
    project = _project()
    data = _post_data(project, _rows(project))
    first = next(k for k in data if k.endswith("-number"))
    prefix = first[: -len("number")]
    data.update({prefix + "operator": "≥", first: "120", prefix + "unit": "%"})
    client.force_login(finance)
    response = client.post(EDIT, data)
    assert response.status_code == 200
    assert "百分比不能超过 100%（现为 120%）" in response.content.decode()
    assert not Indicator.objects.filter(project=project, value_text="≥120%").exists()


def test_the_history_shows_what_a_record_was_created_with_and_amounts_as_the_form_prints(
    client, finance
):
    from projects.history import project_trail

    client.force_login(finance)
    project = _project()
    client.post(EDIT, _post_data(project, _rows(project), budget_total="151", fiscal_funds="151"))
    entries = project_trail(_project())
    changed = next(e for e in entries if e.action == "修改" and e.what == "项目")
    assert ("预算数", "150", "151") in changed.changes  # not 150.000000 → 151.000000
    created = next(e for e in entries if e.action == "新建" and e.what == "项目")
    assert ("项目名称", "", "承德高新区新闻合办专项") in created.changes
    assert ("预算数", "", "150") in created.changes
    page = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert "150.000000" not in page and "承德高新区新闻合办专项" in page


def test_a_change_to_a_record_whose_earlier_state_is_unrecorded_says_so(client, finance):
    """A record with no history before the change (written by a bulk load that kept none): the
    entry lists what the record holds now, each value marked as having no recorded before —
    not an empty 修改内容."""
    from projects.history import project_trail

    project = _project()
    Project.history.filter(id=project.pk).delete()
    client.force_login(finance)
    client.post(EDIT, _post_data(project, _rows(project), budget_total="151", fiscal_funds="151"))
    changed = next(e for e in project_trail(_project()) if e.what == "项目")
    assert changed.action == "修改"
    assert ("预算数", "（修改前未记录）", "151") in changed.changes
    assert ("项目名称", "（修改前未记录）", "承德高新区新闻合办专项") in changed.changes
    page = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert "（修改前未记录）" in page


def test_live_check_lists_what_blocks_saving_apart_from_what_blocks_submitting(client, finance):
    # One list: what the form refuses (nothing is saved until it is put right) comes first,
    # each with where it is; the findings follow, errors among them blocking submission only.
    client.force_login(finance)
    project = _project()
    rows = _rows(project)
    rows[0].update(operator="≥", number="105", unit="%", text="")
    data = _post_data(
        project,
        rows,
        name="",
        budget_total="120.5.3",
        framework=project.framework_id,
        project_pk=project.pk,
    )
    answer = client.post(reverse("projects:check"), data).json()
    blocking = {(e["where"], e["anchor"]) for e in answer["save_errors"]}
    assert ("项目名称", "field:name") in blocking
    assert ("预算数", "field:budget_total") in blocking
    assert any(e["anchor"] == "row-0" and "100%" in e["message"] for e in answer["save_errors"])
    assert all(e["message"] for e in answer["save_errors"])
    assert any(f["severity"] == "error" for f in answer["findings"])
    # The project's own code is no clash with itself; a clean page blocks nothing.
    clean = _post_data(
        project, _rows(project), framework=project.framework_id, project_pk=project.pk
    )
    assert client.post(reverse("projects:check"), clean).json()["save_errors"] == []
    assert _project().name == project.name


def test_live_check_of_another_units_project_blocks_nothing_and_reveals_nothing(
    client, finance, reference
):
    from departments.models import Department

    other = Department.objects.create(code="990001", name="别的单位")
    foreign = Project.objects.create(
        department=other,
        year=2024,
        framework=_project().framework,
        code="990001P1",
        table_number=1,
        table_name="别人的项目",
        name="别人的项目",
        budget_total=1,
        fiscal_funds=1,
    )
    client.force_login(finance)
    project = _project()
    data = _post_data(
        project, _rows(project), framework=project.framework_id, project_pk=foreign.pk
    )
    answer = client.post(reverse("projects:check"), data).json()
    assert "别人的项目" not in str(answer)


def test_an_empty_basis_shows_nothing_that_reads_as_a_value(client, finance):
    # A grey "选择或填写依据" in an empty 确定依据 looked filled in; the field is named for
    # screen readers and tooltips instead, and its choices come from the list.
    import re

    client.force_login(finance)
    html = client.get(EDIT).content.decode()
    basis_inputs = re.findall(r'<input[^>]*name="ind-[^"]*-basis"[^>]*>', html)
    assert basis_inputs
    assert not any("placeholder" in tag for tag in basis_inputs)
    assert all('aria-label="指标值确定依据"' in tag for tag in basis_inputs)
