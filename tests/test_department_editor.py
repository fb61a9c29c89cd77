"""Editing 第一部分, and copying a project or a whole unit-year into the next year."""

import pytest
from django.urls import reverse

from departments.models import DepartmentYear, Section, SectionIndicator
from projects.models import BudgetYear, Project
from projects.services import CopyRefused, project_copy_to_year, unit_year_copy
from tests.test_fixture import read_projects

pytestmark = pytest.mark.django_db
EDIT = reverse("unit_year:edit", args=["136001", 2024])


def _post_data(year=2024, **changes):
    department_year = DepartmentYear.objects.get(year=year)
    sections = list(Section.objects.order_by("order"))
    indicators = list(
        SectionIndicator.objects.filter(year=year).order_by("section__order", "order")
    )
    data = {
        "version": department_year.version,
        "overall_target": department_year.overall_target,
        "safeguards": department_year.safeguards,
        "sec-TOTAL_FORMS": len(sections),
        "sec-INITIAL_FORMS": len(sections),
        "sec-MIN_NUM_FORMS": 0,
        "sec-MAX_NUM_FORMS": 1000,
        "si-TOTAL_FORMS": len(indicators),
        "si-INITIAL_FORMS": len(indicators),
        "si-MIN_NUM_FORMS": 0,
        "si-MAX_NUM_FORMS": 1000,
    }
    for i, s in enumerate(sections):
        data.update(
            {
                f"sec-{i}-id": s.pk,
                f"sec-{i}-order": s.order,
                f"sec-{i}-name": s.name,
                f"sec-{i}-duties": s.duties,
            }
        )
    for i, ind in enumerate(indicators):
        data.update(
            {
                f"si-{i}-id": ind.pk,
                f"si-{i}-section": ind.section_id,
                f"si-{i}-order": ind.order,
                f"si-{i}-name": ind.name,
            }
        )
        for grade in ("excellent", "good", "fair", "poor"):
            data[f"si-{i}-{grade}_op"] = getattr(ind, f"{grade}_op")
            data[f"si-{i}-{grade}_bound"] = getattr(ind, f"{grade}_bound")
    data.update(changes)
    return data


def test_department_editor_saves_texts_duties_and_scales(client, finance):
    client.force_login(finance)
    assert client.get(EDIT).status_code == 200
    response = client.post(
        EDIT,
        _post_data(
            overall_target="新的总体目标",
            **{"sec-0-duties": "1、新的职责", "si-0-poor_bound": "80"},
        ),
    )
    assert response.status_code == 302
    department_year = DepartmentYear.objects.get(year=2024)
    assert department_year.overall_target == "新的总体目标" and department_year.version == 2
    assert Section.objects.get(name="综合科").duties == "1、新的职责"
    first = SectionIndicator.objects.get(name="综合业务管理工作完成率")
    assert first.criteria() == ["100%", "90%", "80%", "80%以下"] and first.gaps() == []


def test_department_editor_adds_a_rating_indicator(client, finance):
    client.force_login(finance)
    section = Section.objects.get(name="宣传科")
    data = _post_data(
        **{
            "si-TOTAL_FORMS": 12,
            "si-11-section": section.pk,
            "si-11-order": 3,
            "si-11-name": "新闻发布次数完成率",
            "si-11-excellent_op": "≥",
            "si-11-excellent_bound": "100",
            "si-11-good_op": "≥",
            "si-11-good_bound": "90",
            "si-11-fair_op": "≥",
            "si-11-fair_bound": "80",
            "si-11-poor_op": "<",
            "si-11-poor_bound": "80",
        }
    )
    assert client.post(EDIT, data).status_code == 302
    assert SectionIndicator.objects.get(name="新闻发布次数完成率").year == 2024


def test_bad_bound_is_refused_and_nothing_saved(client, finance):
    client.force_login(finance)
    response = client.post(
        EDIT, _post_data(overall_target="不应保存", **{"si-0-good_bound": "120"})
    )
    assert response.status_code == 200
    assert "确保该值小于或等于100" in response.content.decode()
    assert DepartmentYear.objects.get(year=2024).overall_target != "不应保存"


def test_stale_department_save_is_refused(client, finance):
    client.force_login(finance)
    stale = _post_data(overall_target="第二个人的修改")
    assert client.post(EDIT, _post_data(overall_target="第一个人的修改")).status_code == 302
    response = client.post(EDIT, stale)
    assert response.status_code == 409
    assert "第二个人的修改" in response.content.decode()
    assert DepartmentYear.objects.get(year=2024).overall_target == "第一个人的修改"


def test_stale_department_message_names_who_saved_and_when_in_local_time(
    client, finance, reference
):
    from datetime import UTC, datetime

    from conftest import make_user
    from departments.models import Role

    colleague = make_user("finance2", reference.department, Role.FINANCE)
    colleague.first_name = "王会计"
    colleague.save()
    stale = _post_data(overall_target="第二个人的修改")
    client.force_login(colleague)
    assert client.post(EDIT, _post_data(overall_target="王会计的修改")).status_code == 302
    DepartmentYear.history.filter(history_user=colleague).update(
        history_date=datetime(2030, 3, 1, 15, 45, tzinfo=UTC)
    )
    client.force_login(finance)
    html = client.post(EDIT, stale).content.decode()
    assert "王会计已于 2030-03-01 23:45 修改并保存" in html


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("chief", 403), ("outsider", 404)])
def test_department_editor_refuses_others(client, request, reference, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(EDIT).status_code == status
    assert client.post(EDIT, {"overall_target": "x"}).status_code == status


def _project_snapshot(project):
    fields = [
        "table_number",
        "booklet_order",
        "table_name",
        "code",
        "name",
        "budget_total",
        "fiscal_funds",
        "other_funds",
        "fund_use",
        "target",
        "section_id",
    ]
    return (
        {f: getattr(project, f) for f in fields},
        [(e.month, e.planned_percent) for e in project.schedule.order_by("month")],
        [
            (
                i.category.primary.name,
                i.category.name,
                i.order,
                i.name,
                i.description,
                i.value_text,
                i.operator,
                i.value_number,
                i.value_unit,
                i.basis,
            )
            for i in project.indicators.in_table_order()
        ],
    )


def _budget_year_2025():
    """Set up by a superuser (a copy never creates a budget year)."""
    BudgetYear.objects.create(
        year=2025,
        framework=BudgetYear.objects.get(year=2024).framework,
        milestone_months=[3, 6, 10, 12],
    )


def test_copy_a_project_reproduces_every_field_and_row(reference):
    _budget_year_2025()
    source = Project.objects.get(code="13081123P000182100018")
    copy = project_copy_to_year(project=source, year=2025)
    assert copy.year == 2025 and copy.status == "draft" and copy.source == source
    assert _project_snapshot(copy) == _project_snapshot(source)
    assert BudgetYear.objects.get(year=2025).milestone_months == [3, 6, 10, 12]
    with pytest.raises(CopyRefused, match="2025年已有项目编码"):
        project_copy_to_year(project=source, year=2025)


def test_copy_a_whole_unit_year(reference):
    _budget_year_2025()
    copy = unit_year_copy(department_year=reference, year=2025)
    assert (
        copy.overall_target == reference.overall_target and copy.safeguards == reference.safeguards
    )
    assert (
        SectionIndicator.objects.filter(year=2025).count()
        == SectionIndicator.objects.filter(year=2024).count()
    )
    for ref in read_projects():
        source = Project.objects.get(year=2024, code=ref.code)
        assert _project_snapshot(
            Project.objects.get(year=2025, code=ref.code)
        ) == _project_snapshot(source)
    with pytest.raises(CopyRefused, match="已有2025年的绩效目标"):
        unit_year_copy(department_year=reference, year=2025)


def test_copy_into_a_year_with_another_framework_is_refused_when_rows_do_not_fit(reference):
    from indicators.models import FrameworkVersion

    BudgetYear.objects.create(year=2026, framework=FrameworkVersion.objects.get(code="2021"))
    source = Project.objects.get(code="13081123P000182100018")
    with pytest.raises(CopyRefused, match="没有以下二级指标：产出指标 / 成本指标"):
        project_copy_to_year(project=source, year=2026)
    assert not Project.objects.filter(year=2026).exists()


def test_copy_buttons(client, finance):
    _budget_year_2025()
    client.force_login(finance)
    response = client.post(
        reverse("projects:copy", args=[2024, "13081123P000185100019"]), {"year": 2025}
    )
    assert response.status_code == 302 and response.url == "/projects/2025/13081123P000185100019/"
    page = client.get(response.url).content.decode()
    assert "本项目结转自" in page
    response = client.post(
        reverse("unit_year:copy", args=["136001", 2024]), {"year": 2025}, follow=True
    )
    assert "未结转：" in response.content.decode()
    # The project's copy made the unit's 2025 year (its pages link there), so the whole
    # unit-year cannot be carried on top of it.
    assert "已有2025年的绩效目标" in response.content.decode()
    assert Project.objects.filter(year=2025).count() == 1  # all or nothing


def test_copy_is_refused_to_read_only_users(client, auditor):
    client.force_login(auditor)
    assert (
        client.post(
            reverse("projects:copy", args=[2024, "13081123P000185100019"]), {"year": 2025}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("unit_year:copy", args=["136001", 2024]), {"year": 2025}).status_code
        == 403
    )
    assert not Project.objects.filter(year=2025).exists()


def test_booklet_order_is_saved_and_used_by_the_booklet(client, finance):
    client.force_login(finance)
    url = reverse("unit_year:order", args=["136001", 2024])
    assert client.get(url).status_code == 200
    projects = list(Project.objects.filter(year=2024).order_by("booklet_order"))
    # Put the last table (5.老电影放映员补贴) first.
    data = {f"order-{p.pk}": i + 2 for i, p in enumerate(projects)}
    data[f"order-{projects[-1].pk}"] = 1
    assert client.post(url, data).status_code == 302
    order = list(
        Project.objects.filter(year=2024)
        .order_by("booklet_order")
        .values_list("table_number", flat=True)
    )
    assert order == [5, 1, 8, 9, 4]
    page = client.get(reverse("unit_year:detail", args=["136001", 2024])).content.decode()
    assert page.index("5.老电影放映员补贴绩效目标表") < page.index(
        "1.承德高新区新闻合办专项绩效目标表"
    )


def test_booklet_order_refuses_bad_input_and_read_only_users(client, finance, auditor):
    url = reverse("unit_year:order", args=["136001", 2024])
    client.force_login(finance)
    project = Project.objects.order_by("booklet_order").first()
    response = client.post(url, {f"order-{project.pk}": "abc"})
    assert "顺序须为整数" in response.content.decode()
    client.force_login(auditor)
    assert client.get(url).status_code == 403


def test_a_section_renamed_on_one_years_page_is_not_undone_from_another_years(client, finance):
    # Sections belong to the unit, not to a year: every year's 第一部分 prints them. A page of
    # another year opened before the rename holds the old name; its save is refused instead of
    # writing the old name back.
    DepartmentYear.objects.create(
        department=DepartmentYear.objects.get(year=2024).department, year=2025
    )
    client.force_login(finance)
    later = _post_data(year=2025)
    renamed = _post_data(**{"sec-0-name": "新科室名"})
    assert client.post(EDIT, renamed).status_code == 302
    response = client.post(reverse("unit_year:edit", args=["136001", 2025]), later)
    assert response.status_code == 409
    assert Section.objects.order_by("order").first().name == "新科室名"


def test_the_booklet_order_of_a_submitted_or_approved_year_is_read_only(client, finance):
    DepartmentYear.objects.filter(year=2024).update(status="approved")
    before = list(Project.objects.order_by("booklet_order").values_list("code", flat=True))
    client.force_login(finance)
    url = reverse("unit_year:order", args=["136001", 2024])
    data = {f"order-{p.pk}": str(10 - i) for i, p in enumerate(Project.objects.all())}
    page = client.post(url, data, follow=True).content.decode()
    assert "目录顺序处于只读状态" in page
    assert list(Project.objects.order_by("booklet_order").values_list("code", flat=True)) == before


def test_blank_rows_are_blank_and_a_new_indicator_without_a_number_goes_last(client, finance):
    client.force_login(finance)
    page = client.get(EDIT).content.decode()
    assert "---------" not in page and "（选择科室）" in page
    count = SectionIndicator.objects.filter(year=2024).count()
    assert f'name="si-{count}-order" value="0"' not in page and f'name="si-{count}-order"' in page
    section = Section.objects.order_by("order").first()
    data = _post_data()
    n = data["si-TOTAL_FORMS"]
    data.update(
        {
            "si-TOTAL_FORMS": n + 1,
            f"si-{n}-section": section.pk,
            f"si-{n}-order": "",
            f"si-{n}-name": "新增的科室指标",
        }
    )
    for grade, op, bound in (
        ("excellent", "≥", 100),
        ("good", "≥", 90),
        ("fair", "≥", 80),
        ("poor", "<", 60),
    ):
        data[f"si-{n}-{grade}_op"], data[f"si-{n}-{grade}_bound"] = op, bound
    assert client.post(EDIT, data).status_code == 302
    added = SectionIndicator.objects.get(name="新增的科室指标")
    others = SectionIndicator.objects.filter(section=section).exclude(pk=added.pk)
    assert added.order == max(i.order for i in others) + 1


def test_a_submission_landing_before_an_order_save_is_seen_by_the_save(reference):
    # The page was opened on a draft; the unit-year was submitted before the order was saved.
    from projects.services import OrderRefused, booklet_order_save

    department_year = DepartmentYear.objects.get(year=2024)
    projects = list(Project.objects.order_by("booklet_order"))
    DepartmentYear.objects.filter(pk=department_year.pk).update(status="submitted")
    positions = {p.pk: len(projects) - i for i, p in enumerate(projects)}
    with pytest.raises(OrderRefused, match="已提交，目录顺序处于只读状态"):
        booklet_order_save(department_year=department_year, projects=projects, positions=positions)
    assert list(Project.objects.order_by("booklet_order")) == projects


def test_the_editor_sent_back_as_a_browser_sends_it_unchanged_saves(client, finance):
    # The blank rows for a new 科室 and new 科室绩效指标 came back "changed" (their 序号 blank
    # against a default 0) and were refused as incomplete: nothing could be saved.
    from scripts.load import _Form

    client.force_login(finance)
    url = reverse("unit_year:edit", args=["136001", 2024])
    form = _Form("department-editor")
    form.feed(client.get(url).content.decode())
    # A browser drops the line break that opens a text area's content.
    fields = {k: v.removeprefix("\n") for k, v in form.fields.items()}
    assert int(fields["sec-TOTAL_FORMS"]) > int(fields["sec-INITIAL_FORMS"])
    assert int(fields["si-TOTAL_FORMS"]) > int(fields["si-INITIAL_FORMS"])
    before = (Section.objects.count(), SectionIndicator.objects.count())
    response = client.post(url, fields)
    assert response.status_code == 302
    assert (Section.objects.count(), SectionIndicator.objects.count()) == before
