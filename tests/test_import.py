"""Importing workbooks: round trips without loss, all or nothing, every problem named."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from departments.models import Department, DepartmentYear, Section, SectionIndicator
from indicators.models import Indicator
from projects.documents.booklet import department_tables
from projects.documents.data_workbook import data_workbook
from projects.documents.xlsx import table_workbook
from projects.importer import ImportRejected, import_apply, import_prepare, read
from projects.models import Project

pytestmark = pytest.mark.django_db


def _department_year(code="136001", year=2024):
    return DepartmentYear.objects.with_part_one(year).get(department__code=code, year=year)


def _export() -> bytes:
    return data_workbook(_department_year())


def _sheet_values(data: bytes, *, ids: bool = True) -> dict[str, list[tuple]]:
    """Every sheet's rows; without `ids`, the 指标编号 and 数据版本 columns (ids and versions of
    one database) are left out."""
    wb = load_workbook(io.BytesIO(data))
    sheets = {}
    for ws in wb.worksheets:
        rows = [tuple(row) for row in ws.iter_rows(values_only=True)]
        if not ids and rows and rows[0][-1] in ("指标编号", "数据版本"):
            rows = [row[:-1] for row in rows]
        sheets[ws.title] = rows
    return sheets


def _empty_database():
    Indicator.objects.all().delete()
    Project.objects.all().delete()
    SectionIndicator.objects.all().delete()
    Section.objects.all().delete()
    DepartmentYear.objects.all().delete()
    Department.objects.all().delete()


def _edit(data: bytes, sheet: str, cell: str, value) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _snapshot():
    return (
        list(
            Project.objects.order_by("code").values_list(
                "code", "name", "budget_total", "fund_use", "target", "booklet_order"
            )
        ),
        list(
            Indicator.objects.order_by("project__code", "id").values_list(
                "project__code", "name", "value_text"
            )
        ),
        list(SectionIndicator.objects.order_by("id").values_list("name", "good_bound")),
    )


def test_data_workbook_has_the_contract_sheets_and_headers(reference):
    sheets = _sheet_values(_export())
    assert list(sheets) == ["项目", "指标", "部门", "科室", "科室指标"]
    assert sheets["项目"][0] == (
        "年度",
        "单位编码",
        "单位名称",
        "表序号",
        "表名称",
        "项目编码",
        "项目名称",
        "预算数",
        "财政资金",
        "其他资金",
        "资金用途",
        "3月底",
        "6月底",
        "10月底",
        "12月底",
        "绩效目标",
        "指标体系",
        "责任科室",
        "数据版本",  # the project's version when written: an older file cannot undo a save
    )
    assert sheets["指标"][0] == (
        "年度",
        "项目编码",
        "一级指标",
        "二级指标",
        "三级指标",
        "绩效指标描述",
        "指标值",
        "指标值确定依据",
        "指标编号",  # the contract's columns, then each row's id for re-imports
    )
    assert sheets["科室指标"][1][:8] == (
        2024,
        "136001",
        "综合科",
        "综合业务管理工作完成率",
        "100%",
        "90%",
        "80%",
        "60%以下",
    )
    assert sheets["科室指标"][0][-1] == "指标编号"
    assert len(sheets["项目"]) == 6 and len(sheets["指标"]) == 46


def test_round_trip_into_an_empty_database_gives_the_same_workbook(reference):
    first = _export()
    before = _snapshot()
    _empty_database()
    plan = import_prepare(first)
    assert "新建单位 136001 承德高新技术产业开发区宣传中心本级" in plan.changes
    import_apply(plan)
    assert _sheet_values(_export(), ids=False) == _sheet_values(first, ids=False)
    assert _snapshot() == before


def test_a_changed_value_is_imported(reference):
    data = _edit(_export(), "项目", "H2", 160)
    data = _edit(data, "项目", "I2", 160)
    plan = import_prepare(data)
    assert any("预算数 150.00 → 160.00" in line for line in plan.changes)
    import_apply(plan)
    assert Project.objects.get(code="13081123P000182100018").budget_total == Decimal(160)


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        ("项目", "H4", "一百", "工作表“项目” 第4行 H列（预算数）：“一百”不是有效的金额"),
        ("项目", "I3", -1, "第3行 I列（财政资金）：金额不能为负数"),
        (
            "项目",
            "I4",
            29,
            "第4行 H列（预算数）：财政资金与其他资金之和（29.00）不等于预算数（30.00）",
        ),
        ("项目", "F6", "13081123P000182100018", "第6行 F列（项目编码）：项目编码与第2行重复"),
        ("项目", "M2", 60, "第2行 N列（10月底）：资金支出计划为累计百分比，不能比前一节点小"),
        ("项目", "O3", 90, "第3行 O列（12月底）：资金支出计划最后一个节点应为 100%"),
        ("项目", "L2", 120, "第2行 L列（3月底）：百分比应在 0% 到 100% 之间"),
        ("项目", "A4", "二〇二四", "第4行 A列（年度）：“二〇二四”不是整数"),
        ("项目", "Q2", "1999", "未知的指标体系版本“1999”"),
        ("指标", "C7", "产出", "工作表“指标” 第7行 C列（一级指标）：未知的一级指标“产出”"),
        (
            "指标",
            "D8",
            "社会成本指标",
            "第8行 D列（二级指标）：“效益指标”下没有二级指标“社会成本指标”",
        ),
        ("指标", "E12", "", "第12行 E列（三级指标）：不能为空"),
        ("指标", "B20", "NOPE", "第20行 B列（项目编码）：项目 2024年 NOPE 不在“项目”工作表中"),
        ("科室指标", "F3", "很好", "第3行 F列（良）：“很好”不是有效的百分比界值"),
    ],
)
def test_one_bad_cell_rejects_the_whole_file_and_names_it(reference, sheet, cell, value, message):
    data = _edit(_export(), sheet, cell, value)
    # Make another valid change too: it must not be written either.
    data = _edit(data, "部门", "D2", "新的总体目标")
    before = _snapshot()
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert any(message in str(p) for p in rejected.value.problems), [
        str(p) for p in rejected.value.problems
    ]
    assert _snapshot() == before
    assert DepartmentYear.objects.get(year=2024).overall_target != "新的总体目标"


def test_every_problem_is_listed_not_just_the_first(reference):
    data = _edit(_export(), "项目", "H2", "x")
    data = _edit(data, "指标", "C3", "未知")
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    text = "\n".join(str(p) for p in rejected.value.problems)
    assert "第2行 H列（预算数）" in text


def _workbook_bytes(build) -> bytes:
    wb = Workbook()
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01garbage" * 100, "不是有效的 Excel 工作簿"),
        (b"", "不是有效的 Excel 工作簿"),
        (_zip_without_workbook(), "不是有效的 Excel 工作簿"),
        (_workbook_bytes(lambda wb: wb.active.append(["随便", "什么"])), "无法识别工作簿"),
    ],
    ids=["random-bytes", "empty", "zip-not-workbook", "unknown-layout"],
)
def test_malformed_files_are_refused_with_a_message(reference, data, message):
    before = _snapshot()
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert message in str(rejected.value)
    assert _snapshot() == before


def test_damaged_workbook_is_refused(reference):
    data = bytearray(_export())
    data[len(data) // 2 : len(data) // 2 + 200] = b"\x00" * 200
    with pytest.raises(ImportRejected, match="不是有效的 Excel 工作簿"):
        import_prepare(bytes(data))


def test_formulas_are_refused(reference):
    data = _edit(_export(), "项目", "H2", "=100+50")
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert "工作表“项目” 第2行 H列：单元格含有公式" in str(rejected.value)


def test_oversized_sheet_is_refused(reference, monkeypatch):
    monkeypatch.setattr(read, "MAX_ROWS", 100)
    data = _workbook_bytes(lambda wb: [wb.active.append([i]) for i in range(150)])
    with pytest.raises(ImportRejected, match="行数或列数过多"):
        import_prepare(data)


def test_oversized_file_is_refused(reference, monkeypatch):
    monkeypatch.setattr(read, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImportRejected, match="文件过大"):
        import_prepare(_export())


def test_form_workbook_imports_back_to_the_same_project(reference):
    project = Project.objects.for_table().get(code="13081123P000182100018")
    table = department_tables(_department_year())[0]
    assert table.code == project.code
    data = table_workbook(table)
    key = table.content_key()
    Project.objects.filter(pk=project.pk).delete()
    plan = import_prepare(data)
    assert plan.kind == "绩效目标表"
    import_apply(plan)
    again = [t for t in department_tables(_department_year()) if t.code == project.code][0]
    assert again.content_key() == key
    assert again.project.section.name == "传媒科"


def test_import_command_dry_run_writes_nothing_and_real_run_writes(reference, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(_edit(_edit(_export(), "项目", "H3", 20), "项目", "I3", 20))
    out = io.StringIO()
    call_command("import_targets", str(path), "--dry-run", stdout=out)
    assert "试运行" in out.getvalue()
    assert Project.objects.get(code="13081123P00018610001Y").budget_total == 15
    out = io.StringIO()
    call_command("import_targets", str(path), stdout=out)
    assert Project.objects.get(code="13081123P00018610001Y").budget_total == 20
    assert "更新 1 个项目，4 个无变化未写入。" in out.getvalue()
    out = io.StringIO()
    call_command("import_targets", str(path), stdout=out)
    assert "5 个项目均无变化，未写入。" in out.getvalue()


def test_import_command_fails_on_a_bad_file(reference, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"nope")
    err = io.StringIO()
    with pytest.raises(CommandError, match="导入被拒绝"):
        call_command("import_targets", str(path), stderr=err)
    assert "不是有效的 Excel 工作簿" in err.getvalue()


def test_export_command_writes_each_format(reference, tmp_path):
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("data", b"PK")):
        path = tmp_path / f"out.{fmt}"
        call_command(
            "export_targets",
            "--department",
            "136001",
            "--year",
            "2024",
            "--format",
            fmt,
            "-o",
            str(path),
            stdout=io.StringIO(),
        )
        assert path.read_bytes().startswith(magic)
    with pytest.raises(CommandError, match="没有单位"):
        call_command(
            "export_targets",
            "--department",
            "000",
            "--year",
            "2024",
            "--format",
            "pdf",
            "-o",
            str(tmp_path / "x.pdf"),
        )


def test_readonly_projects_are_not_changed_by_import(reference):
    Project.objects.filter(code="13081123P000182100018").update(status="approved")
    with pytest.raises(ImportRejected, match="已审核，处于只读状态"):
        import_prepare(_edit(_export(), "项目", "K2", "新用途"))


def test_importing_unchanged_data_writes_nothing(reference):
    from projects.models import ScheduleEntry

    def counts():
        return (
            Project.history.count(),
            Indicator.history.count(),
            ScheduleEntry.history.count(),
        )

    before = counts()
    import_apply(import_prepare(_export()))
    assert counts() == before


def test_a_project_the_preview_found_unchanged_is_not_read_again_to_write(reference, monkeypatch):
    """Its version, compared under the lock, is still the one the preview read: nothing of it
    changed since, so nothing of it is written and its rows are not read again; the changed
    project is read and written."""
    from projects.importer import apply

    plan = import_prepare(_edit(_export(), "项目", "K2", "新的资金用途"))
    changed = {(s.year, s.code) for s in plan.projects if s.changes}
    assert len(changed) == 1 and len(plan.projects) > 1
    read_again = []

    def existing(plan, *args, **kwargs):
        found = original(plan, *args, **kwargs)
        read_again.extend(found)
        return found

    original = apply.existing_projects
    monkeypatch.setattr(apply, "existing_projects", existing)
    before = Indicator.history.count()
    import_apply(plan)
    assert set(read_again) == changed
    assert Indicator.history.count() == before
    year, code = changed.pop()
    assert Project.objects.get(year=year, code=code).fund_use == "新的资金用途"


def test_unchanged_unit_texts_stored_with_trailing_blanks_are_not_rewritten(reference):
    # Texts stored by another way in (an earlier version, 系统管理, a generator) may end in a
    # line break or use CRLF; a cell reads back stripped. That is no change: an unchanged
    # import neither rewrites the sections and 第一部分 nor leaves history, and the preview
    # lists no update.
    from departments.models import Section

    Section.objects.filter(department__code="136001").update(
        duties="负责本科室业务。\r\n负责综合。\n"
    )
    DepartmentYear.objects.filter(department__code="136001", year=2024).update(
        overall_target="全面完成年度工作任务。\r\n做好宣传。 \n"
    )

    def counts():
        return (Section.history.count(), DepartmentYear.history.count())

    before = counts()
    plan = import_prepare(_export())
    assert plan.changes and not any(
        line.startswith(("更新科室", "更新部门")) for line in plan.changes
    )
    import_apply(plan)
    assert counts() == before


def test_an_imported_change_is_in_the_history(reference):
    data = _edit(_export(), "指标", "G2", "≥10小时")
    import_apply(import_prepare(data))
    indicator = Indicator.objects.get(
        project__code="13081123P000182100018", name="广播节目播出时间"
    )
    assert indicator.value_text == "≥10小时" and indicator.operator == "≥"
    latest = indicator.history.order_by("-history_id").first()
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(latest.prev_record).changes}
    assert changes["value_text"] == ("广播节目播出时间", "≥10小时")


def test_codes_with_other_characters_are_refused(reference):
    data = _edit(_export(), "项目", "F2", "<script>x</script>")
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert "第2行 F列（项目编码）：编码只能由字母、数字、- 和 _ 组成" in str(rejected.value)


def test_a_section_of_an_unknown_unit_is_refused_not_crashed(reference):
    data = _edit(_export(), "科室", "B2", "777777")
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert "新单位 777777 需要填写单位名称" in str(rejected.value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN", "1e99999999"])
@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("A2", "第2行 A列（年度）：“{}”不是整数"),
        ("H2", "第2行 H列（预算数）：“{}”不是有效的金额（万元）"),
        ("L2", "第2行 L列（3月底）：“{}”不是有效的百分比"),
    ],
    ids=["year", "money", "percent"],
)
def test_a_number_cell_that_is_not_a_finite_number_is_refused(reference, value, cell, message):
    data = _edit(_export(), "项目", cell, value)
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert message.format(value) in str(rejected.value), str(rejected.value)


def _only_indicator_rows(data: bytes, code: str) -> bytes:
    """The workbook with no project rows, and 指标 rows only for one existing project."""
    wb = load_workbook(io.BytesIO(data))
    projects, indicators = wb["项目"], wb["指标"]
    projects.delete_rows(2, projects.max_row)
    for r in range(indicators.max_row, 1, -1):
        if indicators.cell(row=r, column=2).value != code:
            indicators.delete_rows(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("state", ["submitted", "approved", "confirmed"])
def test_indicator_rows_alone_cannot_change_a_read_only_project(reference, state):
    # Rows of 指标 for a project the file's 项目 sheet leaves out still change that project:
    # they pass the same read-only check as a project row.
    from indicators.models import SelfEvaluation

    code = "13081123P000182100018"
    project = Project.objects.get(code=code)
    if state == "confirmed":
        SelfEvaluation.objects.create(
            project=project, initial_budget=1, annual_budget=1, executed=1, status="confirmed"
        )
    else:
        Project.objects.filter(pk=project.pk).update(status=state)
    data = _only_indicator_rows(_export(), code)
    wb = load_workbook(io.BytesIO(data))
    wb["指标"]["G2"] = "≥99%"
    out = io.BytesIO()
    wb.save(out)
    before = _snapshot()
    with pytest.raises(ImportRejected, match="只读状态") as refused:
        import_prepare(out.getvalue())
    assert "第2行" in str(refused.value)
    assert _snapshot() == before
    # The same rows unchanged are no change: nothing to refuse, nothing written.
    plan = import_prepare(data)
    import_apply(plan)
    assert _snapshot() == before


def test_a_form_workbook_with_a_one_column_meta_sheet_is_refused_with_a_message(reference):
    from projects.documents.booklet import department_tables

    table = department_tables(_department_year())[0]
    wb = load_workbook(io.BytesIO(table_workbook(table)))
    meta = wb["元数据"]
    meta.delete_cols(2, meta.max_column)
    out = io.BytesIO()
    wb.save(out)
    # Read from the printed form alone (it crashed on unpacking the missing column).
    plan = import_prepare(out.getvalue(), default_year=2024)
    assert [spec.code for spec in plan.projects] == [table.code]


def test_a_form_workbooks_problems_name_the_forms_own_columns(reference):
    # In a form the grid's 一级, 二级 and 三级 are columns A, B and C (the data workbook's 指标
    # sheet has them in C, D and E): a message must send the clerk to the right cell.
    table = department_tables(_department_year())[0]
    wb = load_workbook(io.BytesIO(table_workbook(table)))
    ws = wb.worksheets[0]
    grid = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "一级指标")
    first = grid + 1
    ws.cell(row=first, column=1).value = "不存在的一级"
    names = [ws.cell(row=r, column=3).value for r in range(first, ws.max_row + 1)]
    second = first + 1 + next(i for i, n in enumerate(names[1:]) if n)
    ws.cell(row=second, column=3).value = names[0]
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ImportRejected) as refused:
        import_prepare(out.getvalue())
    text = str(refused.value)
    assert f"第{first}行 A列（一级指标）" in text
    assert f"第{second}行 C列（三级指标）" in text


def test_the_form_meta_sheet_carries_columns_of_the_project_sheet():
    # The form's reader checks its values as the data workbook's 项目 rows are checked, so every
    # key of the meta sheet must be one of that sheet's columns.
    from projects.importer import contract

    assert set(contract.META_KEYS) <= set(contract.PROJECT_COLUMNS + contract.PROJECT_TAIL)


def _changed_section_indicator(value="85%") -> bytes:
    """The unit-year's workbook with the first 科室指标 row's 良 bound changed."""
    wb = load_workbook(io.BytesIO(_export()))
    ws = wb["科室指标"]
    column = [c.value for c in ws[1]].index("良") + 1
    ws.cell(row=2, column=column).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_read_only_part_one_is_not_changed_through_its_rating_indicators(reference, status):
    # 第一部分 submitted or approved: its 科室指标 rows are as read-only as its 部门 row, and the
    # check (the preview, --dry-run) says so before anything is confirmed.
    DepartmentYear.objects.filter(year=2024).update(status=status)
    before = _snapshot()
    with pytest.raises(ImportRejected, match="只读状态") as refused:
        import_prepare(_changed_section_indicator())
    assert "科室指标” 第2行" in str(refused.value)
    assert _snapshot() == before


def test_a_confirmed_ratings_indicator_is_refused_by_the_check_not_only_by_the_write(reference):
    from departments.models import SectionRating

    first = (
        SectionIndicator.objects.filter(year=2024)
        .order_by("section__order", "section_id", "order", "id")
        .first()
    )
    SectionRating.objects.create(indicator=first, actual_value=100, confirmed=True)
    with pytest.raises(ImportRejected, match="评级已确认"):
        import_prepare(_changed_section_indicator())


def test_a_read_only_part_one_is_not_changed_through_its_sections(reference):
    DepartmentYear.objects.filter(year=2024).update(status="approved")
    wb = load_workbook(io.BytesIO(_export()))
    ws = wb["科室"]
    column = [c.value for c in ws[1]].index("职责") + 1
    ws.cell(row=2, column=column).value = "导入改写的职责"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ImportRejected, match="只读状态") as refused:
        import_prepare(out.getvalue())
    assert "科室” 第2行" in str(refused.value)
    assert not Section.objects.filter(duties="导入改写的职责").exists()


def test_the_plan_says_what_the_write_created_changed_and_left(reference):
    data = _export()
    Project.objects.get(code="13081123P00018610001Y").delete()
    plan = import_prepare(_edit(data, "项目", "K2", "新的资金用途"))
    import_apply(plan)
    assert plan.written == "新建 1 个项目，更新 1 个项目，3 个无变化未写入"


def test_the_done_message_of_a_file_that_changes_only_the_unit_says_so(reference):
    plan = import_prepare(_edit(_export(), "部门", "D2", "新的总体绩效目标"))
    import_apply(plan)
    assert plan.written == "5 个项目均无变化；部门、科室或科室指标已更新"
