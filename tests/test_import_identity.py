"""Re-imports pair rows with records by identity, never by position; read-only projects are
skipped when unchanged; what changed since the check is refused at write time; every import
that writes gives the record a new version."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear, Section
from indicators.models import Indicator, IndicatorResult
from perfbudget.lib.grades import Status
from projects.documents.data_workbook import data_workbook
from projects.importer import ImportRejected, import_apply, import_prepare
from projects.models import Project

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"


def _export() -> bytes:
    return data_workbook(DepartmentYear.objects.get(year=2024))


def _rewrite(data: bytes, change) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _scrambled(data: bytes, *, drop_keys: bool = False) -> bytes:
    """The 指标 rows sorted by 三级 name (as a user sorting the sheet would), keys kept or not."""

    def change(wb):
        ws = wb["指标"]
        rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
        rows.sort(key=lambda r: (r[4], r[1]), reverse=True)
        ws.delete_rows(2, ws.max_row)
        for row in rows:
            ws.append(row[:-1] if drop_keys else row)
        if drop_keys:
            ws.delete_cols(9)

    return _rewrite(data, change)


def _trail():
    return (
        Indicator.history.count(),
        list(Indicator.objects.order_by("id").values_list("id", "name", "value_text", "order")),
    )


def _record_result(name: str) -> IndicatorResult:
    indicator = Indicator.objects.get(project__code=CODE, name=name)
    return IndicatorResult.objects.create(indicator=indicator, actual_text="100%")


@pytest.mark.parametrize("drop_keys", [False, True], ids=["with keys", "without keys"])
def test_an_unchanged_workbook_in_another_row_order_changes_nothing(reference, drop_keys):
    result = _record_result("广播节目播出时间")
    before = _trail()
    plan = import_prepare(_scrambled(_export(), drop_keys=drop_keys))
    assert all(line.endswith("无变化") for line in plan.changes if "项目" in line), plan.changes
    import_apply(plan)
    assert _trail() == before
    result.refresh_from_db()
    assert result.indicator.name == "广播节目播出时间"


def test_a_renamed_row_keeps_its_record_and_its_result(reference):
    result = _record_result("广播节目播出时间")
    pk = result.indicator_id

    def rename(wb):
        for row in wb["指标"].iter_rows(min_row=2):
            if row[8].value == pk:
                row[4].value = "广播节目播出总时间"

    plan = import_prepare(_scrambled(_rewrite(_export(), rename)))
    assert any("指标修改 1 条" in line for line in plan.changes), plan.changes
    import_apply(plan)
    indicator = Indicator.objects.get(pk=pk)
    assert indicator.name == "广播节目播出总时间" and indicator.result.actual_text == "100%"


def test_a_removed_row_with_a_result_is_named_in_the_preview(reference):
    result = _record_result("广播节目播出时间")

    def remove(wb):
        ws = wb["指标"]
        for row in ws.iter_rows(min_row=2):
            if row[8].value == result.indicator_id:
                ws.delete_rows(row[0].row)
                return

    plan = import_prepare(_rewrite(_export(), remove))
    expected = "删除 1 条：广播节目播出时间（含已记录的实际完成值）"
    assert any(expected in line for line in plan.changes), plan.changes


def test_a_key_of_another_project_is_not_followed(reference):
    """A key names a record only inside its own project: pasted onto another project's row it
    pairs nothing there, and the other project is left alone."""
    other = Project.objects.exclude(code=CODE).filter(year=2024).first()
    foreign = other.indicators.first()
    foreign_before = (foreign.name, foreign.project_id)

    def steal(wb):
        for row in wb["指标"].iter_rows(min_row=2):
            if row[1].value == CODE:
                row[8].value = foreign.pk
                return

    import_apply(import_prepare(_rewrite(_export(), steal)))
    foreign.refresh_from_db()
    assert (foreign.name, foreign.project_id) == foreign_before


def test_an_unchanged_approved_project_is_skipped_and_named(reference):
    Project.objects.filter(code=CODE).update(status=Status.APPROVED)
    plan = import_prepare(_scrambled(_export()))
    skipped = [line for line in plan.changes if line.startswith("跳过项目")]
    assert len(skipped) == 1 and CODE in skipped[0] and "已审核，无变化" in skipped[0]
    before = Project.history.count()
    import_apply(plan)
    assert Project.history.count() == before


def test_a_change_to_an_approved_project_is_refused_with_what_changed(reference):
    Project.objects.filter(code=CODE).update(status=Status.APPROVED)

    def change(wb):
        for row in wb["项目"].iter_rows(min_row=2):
            if row[5].value == CODE:
                row[10].value = "改过的用途"

    with pytest.raises(ImportRejected) as refused:
        import_prepare(_rewrite(_export(), change))
    message = str(refused.value)
    assert "已审核，处于只读状态" in message and "资金用途：“" in message


def test_a_project_changed_after_the_check_is_refused_at_write_time(reference):
    def change(wb):
        wb["项目"]["K2"] = "导入的用途"

    plan = import_prepare(_rewrite(_export(), change))
    project = Project.objects.get(code=CODE)
    # Between the check and the write, a chief approves it (a transition bumps the version).
    Project.objects.filter(pk=project.pk).update(
        status=Status.APPROVED, version=project.version + 1
    )
    with pytest.raises(ImportRejected) as refused:
        import_apply(plan)
    assert "在预览（检查）之后已被修改" in str(refused.value)
    assert Project.objects.get(pk=project.pk).fund_use != "导入的用途"


def test_an_import_that_writes_gives_a_new_version(reference):
    project = Project.objects.get(code=CODE)

    def change(wb):
        for row in wb["指标"].iter_rows(min_row=2):
            if row[1].value == CODE:
                row[6].value = "≥99%"
                return

    import_apply(import_prepare(_rewrite(_export(), change)))
    project.refresh_from_db()
    assert project.version == 2
    import_apply(import_prepare(_export()))  # unchanged: no write, no new version
    project.refresh_from_db()
    assert project.version == 2


def test_a_stale_editor_save_after_an_import_is_refused(client, finance, reference):
    from tests.test_editor import _post_data, _rows

    project = Project.objects.get(code=CODE)
    stale = _post_data(project, _rows(project), fund_use="编辑器里的用途")

    def change(wb):
        wb["项目"]["K2"] = "导入的用途"

    import_apply(import_prepare(_rewrite(_export(), change)))
    client.force_login(finance)
    response = client.post(reverse("projects:edit", args=[2024, CODE]), stale)
    assert response.status_code == 409
    assert Project.objects.get(pk=project.pk).fund_use == "导入的用途"


def test_the_upload_page_refuses_a_confirmation_after_a_change_since_the_preview(
    client, finance, reference
):
    def change(wb):
        wb["项目"]["K2"] = "导入的用途"
        wb["项目"].delete_cols(wb["项目"].max_column)  # a workbook without 数据版本

    upload = io.BytesIO(_rewrite(_export(), change))
    upload.name = "t.xlsx"
    client.force_login(finance)
    token = client.post("/projects/import/", {"file": upload}).context["token"]
    project = Project.objects.get(code=CODE)
    Project.objects.filter(pk=project.pk).update(
        target="同事刚改的目标", version=project.version + 1
    )
    html = client.post("/projects/import/", {"token": token}).content.decode()
    assert "在预览（检查）之后已被修改" in html
    project.refresh_from_db()
    assert project.target == "同事刚改的目标" and project.fund_use != "导入的用途"


def test_a_section_that_the_unit_does_not_have_is_a_problem_not_a_silent_blank(reference):
    def change(wb):
        for row in wb["项目"].iter_rows(min_row=2):
            if row[5].value == CODE:
                row[17].value = "不存在的科"

    with pytest.raises(ImportRejected) as refused:
        import_prepare(_rewrite(_export(), change))
    assert "本单位没有科室“不存在的科”" in str(refused.value)


def test_data_workbook_download_follows_every_change_it_shows(client, auditor, reference):
    """The download's cache key is its content: a change of 责任科室 (once left out of the
    key) gives a fresh file."""
    client.force_login(auditor)
    url = reverse("unit_year:data", args=["136001", 2024])

    def section_of(data):
        ws = load_workbook(io.BytesIO(data))["项目"]
        return {row[5]: row[17] for row in ws.iter_rows(min_row=2, values_only=True)}[CODE]

    first = client.get(url).content
    project = Project.objects.get(code=CODE)
    other = Section.objects.exclude(pk=project.section_id).filter(department=project.department)
    project.section = other.first()
    project.save()
    second = client.get(url).content
    assert section_of(first) != section_of(second) == project.section.name


def test_section_indicators_pair_by_key_so_a_renamed_one_keeps_its_rating(reference):
    from departments.models import SectionIndicator, SectionRating

    indicator = SectionIndicator.objects.filter(year=2024).first()
    SectionRating.objects.create(indicator=indicator, actual_value=Decimal("95"))

    def rename(wb):
        for row in wb["科室指标"].iter_rows(min_row=2):
            if row[8].value == indicator.pk:
                row[3].value = "改名后的指标"

    import_apply(import_prepare(_rewrite(_export(), rename)))
    indicator.refresh_from_db()
    assert indicator.name == "改名后的指标" and indicator.rating.actual_value == 95


def test_an_older_workbook_cannot_undo_a_colleagues_later_save(reference):
    """Downloaded, then a colleague saves the project, then the older file is imported with
    another change: its stale 绩效目标 would undo the colleague's — refused. The same file
    changing nothing of that project still imports."""
    older = _export()
    project = Project.objects.get(code=CODE)
    Project.objects.filter(pk=project.pk).update(
        target="同事后来写的目标", version=project.version + 1
    )

    def change(wb):
        wb["项目"]["K2"] = "我改的用途"

    with pytest.raises(ImportRejected) as refused:
        import_prepare(_rewrite(older, change))
    assert "在本文件导出之后已被修改" in str(refused.value)
    assert Project.objects.get(pk=project.pk).target == "同事后来写的目标"

    def other_project(wb):
        for row in wb["项目"].iter_rows(min_row=2):
            if row[5].value == CODE:
                row[15].value = "同事后来写的目标"  # the file agrees with the colleague here
            else:
                row[10].value = "别的项目的新用途"

    import_apply(import_prepare(_rewrite(older, other_project)))
    assert Project.objects.get(pk=project.pk).target == "同事后来写的目标"


def test_an_older_workbook_cannot_undo_a_later_part_one_save(reference):
    older = _export()
    DepartmentYear.objects.filter(pk=reference.pk).update(
        safeguards="同事后来写的措施", version=reference.version + 1
    )

    def change(wb):
        wb["项目"]["K2"] = "我改的用途"

    with pytest.raises(ImportRejected) as refused:
        import_prepare(_rewrite(older, change))
    assert "第一部分在本文件导出之后已被修改" in str(refused.value)
    assert DepartmentYear.objects.get(pk=reference.pk).safeguards == "同事后来写的措施"


def test_the_preview_of_an_unchanged_workbook_names_no_change(reference):
    plan = import_prepare(_export())
    lines = plan.changes
    assert not [line for line in lines if line.startswith(("更新", "新建"))], lines
    assert all(line.endswith("无变化") for line in lines), lines
    assert plan.writes is False


def test_the_preview_counts_the_section_indicators_a_file_changes(reference):
    def change(wb):
        ws = wb["科室指标"]
        ws.cell(row=2, column=5).value = "≥99%"

    plan = import_prepare(_rewrite(_export(), change))
    assert any(line.startswith("新建或更新科室绩效指标 1 条，") for line in plan.changes)
    assert plan.writes is True


def test_a_qualitative_value_that_reads_as_a_number_is_no_change(reference):
    """The editor stores `12场` typed as 定性 text as text; the workbook gives back `12场`, which
    reads as 12 and 场. Importing the file unchanged changes nothing and writes no history."""
    from indicators.models import Indicator
    from projects.documents.data_workbook import data_workbook
    from projects.importer import import_apply, import_prepare

    indicator = Indicator.objects.filter(project__code="13081123P000182100018").first()
    Indicator.objects.filter(pk=indicator.pk).update(
        value_text="12场", operator="定性", value_number=None, value_unit=""
    )
    history = indicator.history.count()
    plan = import_prepare(data_workbook(reference), default_year=2024)
    assert not any("指标修改" in line for line in plan.changes), plan.changes
    import_apply(plan)
    indicator.refresh_from_db()
    assert (indicator.operator, indicator.value_number) == ("定性", None)
    assert indicator.history.count() == history
