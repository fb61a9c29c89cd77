"""Content limits that no real unit reaches and that keep every import and render short: rows,
columns and cells of an imported workbook, and 三级 indicators per project wherever a
project's indicators are written (editor, importer, services)."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Border, Side

from departments.models import DepartmentYear
from indicators.models import Indicator, SecondaryCategory
from projects.documents.data_workbook import data_workbook
from projects.importer import ImportRejected, contract, import_prepare, read
from projects.models import MAX_INDICATORS_PER_PROJECT, Project
from projects.services import indicators_sync, project_tree_replace
from tests.test_editor import _post_data, _rows

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"


def _bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _export() -> bytes:
    return data_workbook(DepartmentYear.objects.get(department__code="136001", year=2024))


def test_limits_are_far_above_real_units_and_as_documented():
    assert contract.MAX_ROWS == 5_000 and contract.SHEET_ROWS == {"指标": 20_000}
    assert contract.MAX_COLUMNS == 60 and MAX_INDICATORS_PER_PROJECT == 300


def test_a_sheet_with_more_rows_than_its_limit_is_refused(reference, monkeypatch):
    monkeypatch.setattr(read, "SHEET_ROWS", {"指标": 40})
    wb = load_workbook(io.BytesIO(_export()))
    for i in range(60):
        wb["指标"].append([2024, CODE, "产出指标", "数量指标", f"指标{i}", "", "1个", ""])
    with pytest.raises(ImportRejected, match="最多 40 行"):
        import_prepare(_bytes(wb))


def test_rows_are_counted_as_read_not_as_the_sheet_claims(reference, monkeypatch):
    """A sheet whose dimension says A1:B2 but holds more rows is still stopped at the limit."""
    monkeypatch.setattr(read, "MAX_ROWS", 100)
    wb = Workbook()
    for i in range(150):
        wb.active.append([i])
    data = _bytes(wb)
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                content = content.replace(b'<dimension ref="A1:A150"/>', b'<dimension ref="A1"/>')
            target.writestr(info, content)
    with pytest.raises(ImportRejected, match="行数或列数过多"):
        import_prepare(out.getvalue())


def test_a_cell_beyond_the_last_allowed_column_is_refused(reference):
    wb = load_workbook(io.BytesIO(_export()))
    wb["项目"].cell(row=2, column=61, value="x")
    with pytest.raises(ImportRejected, match="60 列"):
        import_prepare(_bytes(wb))


def test_a_workbook_with_too_many_cells_is_refused(reference, monkeypatch):
    monkeypatch.setattr(read, "MAX_CELLS", 50)
    with pytest.raises(ImportRejected, match="最多 50 个"):
        import_prepare(_export())


def _indicator_rows(count: int) -> list[list]:
    return [
        [2024, CODE, "产出指标", "数量指标", f"指标{i}", "", f"{i}个", "计划标准"]
        for i in range(count)
    ]


def test_the_importer_refuses_a_project_over_the_indicator_limit(reference):
    wb = load_workbook(io.BytesIO(_export()))
    ws = wb["指标"]
    ws.delete_rows(2, ws.max_row)
    for row in _indicator_rows(MAX_INDICATORS_PER_PROJECT + 1):
        ws.append(row)
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(_bytes(wb))
    assert f"三级指标超过 {MAX_INDICATORS_PER_PROJECT} 条" in str(rejected.value)


def test_the_importer_accepts_a_project_at_the_indicator_limit(reference):
    wb = load_workbook(io.BytesIO(_export()))
    ws = wb["指标"]
    ws.delete_rows(2, ws.max_row)
    for row in _indicator_rows(MAX_INDICATORS_PER_PROJECT):
        ws.append(row)
    plan = import_prepare(_bytes(wb))
    assert len(plan.projects[0].indicators) == MAX_INDICATORS_PER_PROJECT


def _tree_rows(count: int) -> list[dict]:
    return [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{i}", "指标值": "1个"}
        for i in range(count)
    ]


def test_the_services_refuse_a_project_over_the_indicator_limit(reference):
    project = Project.objects.get(code=CODE)
    before = list(project.indicators.values_list("pk", "name"))
    with pytest.raises(ValidationError, match="最多只能有 300 条三级指标"):
        project_tree_replace(project=project, rows=_tree_rows(MAX_INDICATORS_PER_PROJECT + 1))
    category = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    rows = [
        {
            "category": category,
            "name": f"指标{i}",
            "description": "",
            "value_text": "1个",
            "operator": "=",
            "value_number": 1,
            "value_unit": "个",
            "basis": "",
        }
        for i in range(MAX_INDICATORS_PER_PROJECT + 1)
    ]
    with pytest.raises(ValidationError, match="最多只能有 300 条三级指标"):
        indicators_sync(project=project, rows=rows)
    assert list(project.indicators.values_list("pk", "name")) == before


def _editor_post(project, count: int) -> dict:
    category = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    rows = _rows(project)
    for i in range(count - len(rows)):
        rows.append(
            {
                "category": category.pk,
                "name": f"新增指标{i}",
                "description": "说明",
                "operator": "≥",
                "number": "10",
                "unit": "个",
                "text": "",
                "basis": "计划标准",
                "DELETE": "",
            }
        )
    return _post_data(project, rows)


def test_a_project_at_the_indicator_limit_saves_in_the_editor(finance):
    client = Client()
    client.force_login(finance)
    project = Project.objects.get(code=CODE)
    data = _editor_post(project, MAX_INDICATORS_PER_PROJECT)
    response = client.post(reverse("projects:edit", args=[2024, CODE]), data)
    assert response.status_code == 302
    assert Indicator.objects.filter(project=project).count() == MAX_INDICATORS_PER_PROJECT


def test_a_project_over_the_indicator_limit_is_refused_by_the_editor_with_a_message(finance):
    client = Client()
    client.force_login(finance)
    project = Project.objects.get(code=CODE)
    before = project.version, project.indicators.count()
    data = _editor_post(project, MAX_INDICATORS_PER_PROJECT + 1)
    response = client.post(reverse("projects:edit", args=[2024, CODE]), data)
    assert response.status_code == 200
    assert "一个项目最多只能有 300 条三级指标" in response.content.decode()
    project.refresh_from_db()
    assert (project.version, project.indicators.count()) == before


def test_the_sheet_xml_is_counted_before_openpyxl_reads_it(reference, monkeypatch):
    """openpyxl parses a whole sheet to learn its size when the file does not state it: the
    rows are counted on the raw XML first, stopping at the largest limit."""
    monkeypatch.setattr(read, "MAX_ROWS", 40)
    monkeypatch.setattr(read, "SHEET_ROWS", {"指标": 50})
    opened = []
    monkeypatch.setattr(read, "ExcelReader", lambda *a, **k: opened.append(1))
    wb = Workbook()
    for i in range(150):
        wb.active.append([i])
    with pytest.raises(ImportRejected, match="行数、列数或单元格过多"):
        import_prepare(_bytes(wb))
    assert opened == []


def test_rows_beyond_an_understated_dimension_are_imported_not_dropped(reference):
    """A data workbook whose sheets state a smaller dimension than they hold (some programs
    write one) is read to its last row: no row is left out without a word."""
    import zipfile

    wb = load_workbook(io.BytesIO(_export()))
    rows = wb["指标"].max_row
    source, out = zipfile.ZipFile(io.BytesIO(_bytes(wb))), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', content)
            target.writestr(info, content)
    plan = import_prepare(out.getvalue())
    assert sum(len(p.indicators) for p in plan.projects) == rows - 1


def _rewritten(data: bytes, rewrite) -> bytes:
    """The workbook with every sheet's XML passed through `rewrite`."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = rewrite(content)
            target.writestr(info, content)
    return out.getvalue()


def _prefixed(content: bytes) -> bytes:
    """The sheet's elements written with a namespace prefix (x:row, x:c …), as some programs
    write them: the same sheet to any XML reader."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    content = content.replace(b'xmlns="' + main + b'"', b'xmlns:x="' + main + b'"', 1)
    return re.sub(rb"<(/?)(?=[A-Za-z])(?![A-Za-z]+:)", rb"<\1x:", content)


def test_a_sheet_with_prefixed_elements_is_counted_and_read_as_any_other(reference, monkeypatch):
    wb = Workbook()
    for i in range(150):
        wb.active.append([i])
    monkeypatch.setattr(read, "MAX_ROWS", 40)
    monkeypatch.setattr(read, "SHEET_ROWS", {"指标": 50})
    opened = []
    monkeypatch.setattr(read, "ExcelReader", lambda *a, **k: opened.append(1))
    with pytest.raises(ImportRejected, match="行数、列数或单元格过多"):
        import_prepare(_rewritten(_bytes(wb), _prefixed))
    assert opened == []
    monkeypatch.undo()
    plain = import_prepare(_export())
    prefixed = import_prepare(_rewritten(_export(), _prefixed))
    assert [p.indicators for p in prefixed.projects] == [p.indicators for p in plain.projects]
    assert len(plain.projects) == 5


def test_a_cell_far_right_in_a_prefixed_sheet_is_refused_before_openpyxl(reference, monkeypatch):
    wb = Workbook()
    wb.active["A1"] = "项目编码"
    wb.active.cell(row=2, column=contract.MAX_COLUMNS + 1, value="x")
    opened = []
    monkeypatch.setattr(read, "ExcelReader", lambda *a, **k: opened.append(1))
    with pytest.raises(ImportRejected, match="行数、列数或单元格过多"):
        import_prepare(_rewritten(_bytes(wb), _prefixed))
    assert opened == []


def test_each_sheet_of_an_import_is_parsed_once(reference, monkeypatch):
    """The walk within the limits keeps the rows it read: the sheets are not parsed again."""
    from openpyxl.worksheet import _reader

    parsed = []
    original = _reader.WorkSheetParser.parse

    def parse(self):
        parsed.append(1)
        yield from original(self)

    monkeypatch.setattr(_reader.WorkSheetParser, "parse", parse)
    data = _export()
    sheets = len(load_workbook(io.BytesIO(data), read_only=True).sheetnames)
    parsed.clear()
    import_prepare(data)
    assert len(parsed) == sheets


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part added or replaced."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
        target.writestr(name, content)
    return out.getvalue()


MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.mark.parametrize(
    "name, content",
    [
        # Tiny files that unpack to millions of formats, strings or names: each would hold the
        # server for minutes and gigabytes while openpyxl builds an object per element.
        (
            "xl/styles.xml",
            b"<styleSheet " + MAIN + b"><cellXfs>" + b"<xf/>" * 2_000 + b"</cellXfs></styleSheet>",
        ),
        ("xl/sharedStrings.xml", b"<sst " + MAIN + b">" + b"<si><t>x</t></si>" * 301 + b"</sst>"),
        (
            "xl/workbook.xml",
            b"<workbook "
            + MAIN
            + b"><definedNames>"
            + b'<definedName name="a">1</definedName>' * 2_000
            + b"</definedNames></workbook>",
        ),
    ],
    ids=["styles", "shared strings", "names"],
)
def test_a_part_with_too_many_elements_is_refused_before_openpyxl_reads_it(
    reference, monkeypatch, name, content
):
    monkeypatch.setattr(read, "MAX_PART_ELEMENTS", 1_000)
    monkeypatch.setattr(read, "MAX_SHARED_STRINGS", 300)
    opened = []
    monkeypatch.setattr(read, "ExcelReader", lambda *a, **k: opened.append(1))
    with pytest.raises(ImportRejected, match="疑似异常文件"):
        import_prepare(_with_part(_export(), name, content))
    assert opened == []


def test_the_limits_leave_room_for_real_workbooks(reference):
    """Excel keeps at most 64 000 cell formats; a sheet at the cell limit holds as many strings."""
    assert read.MAX_PART_ELEMENTS >= 4 * 64_000
    assert read.MAX_SHARED_STRINGS == contract.MAX_CELLS


def test_a_workbook_missing_a_sheet_it_lists_is_refused_as_damaged(reference):
    """openpyxl leaves out a sheet whose part is missing: the import would read the rest and
    call it done."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(_export())), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet2.xml":
                target.writestr(info, source.read(info.filename))
    with pytest.raises(ImportRejected, match="不是有效的 Excel 工作簿"):
        import_prepare(out.getvalue())


# A row taller than a page cannot be printed as a form: its continued part lost the column
# heads and the 一级/二级 labels. These lengths keep every row of a table well within a page.
LONG_TEXTS = {"description": 300, "fund_use": 1000, "target": 1000}


def test_the_text_limits_are_the_ones_the_forms_print_within_a_page():
    from indicators.models import MAX_DESCRIPTION
    from projects.models import MAX_PROJECT_TEXT

    assert (MAX_DESCRIPTION, MAX_PROJECT_TEXT) == (300, 1000)


@pytest.mark.parametrize("field", ["description", "fund_use", "target"])
def test_a_text_too_long_to_print_is_refused_by_the_editor_and_nothing_saved(finance, field):
    client = Client()
    client.force_login(finance)
    project = Project.objects.get(code=CODE)
    rows = _rows(project)
    fields = {}
    if field == "description":
        rows[0]["description"] = "说" * (LONG_TEXTS[field] + 1)
    else:
        fields[field] = "用" * (LONG_TEXTS[field] + 1)
    before = (project.version, project.fund_use, project.target)
    response = client.post(
        reverse("projects:edit", args=[2024, CODE]), _post_data(project, rows, **fields)
    )
    assert response.status_code == 200
    assert f"{LONG_TEXTS[field]} 个字符" in response.content.decode()
    project.refresh_from_db()
    assert (project.version, project.fund_use, project.target) == before
    assert not Indicator.objects.filter(description__startswith="说说").exists()


def test_a_text_at_its_limit_is_saved_by_the_editor(finance):
    client = Client()
    client.force_login(finance)
    project = Project.objects.get(code=CODE)
    rows = _rows(project)
    rows[0]["description"] = "说" * LONG_TEXTS["description"]
    data = _post_data(project, rows, fund_use="用" * 1000, target="目" * 1000)
    assert client.post(reverse("projects:edit", args=[2024, CODE]), data).status_code == 302
    project.refresh_from_db()
    assert len(project.target) == 1000


@pytest.mark.parametrize(
    "sheet, header, limit",
    [("指标", "绩效指标描述", 300), ("项目", "资金用途", 1000), ("项目", "绩效目标", 1000)],
)
def test_a_text_too_long_to_print_is_refused_by_the_importer_by_its_row(
    reference, sheet, header, limit
):
    wb = load_workbook(io.BytesIO(_export()))
    ws = wb[sheet]
    column = [c.value for c in ws[1]].index(header) + 1
    ws.cell(row=3, column=column, value="长" * (limit + 1))
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(_bytes(wb))
    assert f"工作表“{sheet}” 第3行" in str(rejected.value)
    assert f"过长（最多 {limit} 个字符）" in str(rejected.value)


def test_the_services_refuse_a_description_too_long_to_print(reference):
    project = Project.objects.get(code=CODE)
    rows = _tree_rows(2)
    rows[0]["绩效指标描述"] = "说" * 301
    with pytest.raises(ValidationError, match="300 个字符"):
        project_tree_replace(project=project, rows=rows)
    assert not Indicator.objects.filter(description__startswith="说说").exists()


def test_formatted_empty_rows_and_columns_are_not_counted_against_the_limits(
    reference, monkeypatch
):
    """A user who gives a range borders writes thousands of styled cells with no value (and a
    dimension that covers them): the limits count the rows and cells that hold something."""
    from openpyxl.styles import Border, Side

    monkeypatch.setattr(read, "MAX_ROWS", 40)
    monkeypatch.setattr(read, "SHEET_ROWS", {"指标": 80})
    wb = load_workbook(io.BytesIO(_export()))
    thin = Side(style="thin")
    sheet = wb["项目"]
    for row in sheet.iter_rows(
        min_row=1, max_row=200, min_col=1, max_col=contract.MAX_COLUMNS + 20
    ):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    plan = import_prepare(_bytes(wb))
    assert len(plan.projects) == 5


def test_empty_cells_beyond_any_real_sheet_are_refused_before_openpyxl_reads_them(
    reference, monkeypatch
):
    monkeypatch.setattr(read, "MAX_SHEET_ELEMENTS", 500)
    opened = []
    monkeypatch.setattr(read, "ExcelReader", lambda *a, **k: opened.append(1))
    wb = Workbook()
    wb.active["A1"] = "项目编码"
    thin = Side(style="thin")
    for row in wb.active.iter_rows(min_row=2, max_row=60, max_col=10):
        for cell in row:
            cell.border = Border(top=thin)
    with pytest.raises(ImportRejected, match="行数、列数或单元格过多"):
        import_prepare(_bytes(wb))
    assert opened == []


def test_a_sheet_is_read_cell_for_cell_as_openpyxl_reads_it(reference):
    """The walk reads an inline string's text itself (openpyxl builds a rich-text object for
    each): its plain text, the text of its runs, never the phonetic guide; every other cell,
    a missing row, a gap in a row and a formula as openpyxl reads them."""
    from openpyxl.reader.excel import ExcelReader

    cells = (
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>\xe7\x94\xb2 a</t></is></c>'
        b'<c r="C2" t="inlineStr"><is><r><t>\xe4\xb9\x99</t></r><r><rPr><b/></rPr>'
        b'<t xml:space="preserve"> \xe4\xb8\x99 </t></r><rPh sb="0" eb="1"><t>kana</t></rPh>'
        b"</is></c>"
        b'<c r="D2" t="inlineStr"><is><t/></is></c><c r="E2" t="inlineStr"/>'
        b'<c r="F2" s="0"><v>12.5</v></c><c r="G2" t="b"><v>1</v></c></row>'
        b'<row r="4"><c r="B4"><f>1+1</f><v>2</v></c><c r="C4" t="str"><v>x</v></c>'
        b'<c r="D4" t="inlineStr"><f>"a"</f><is><t>a</t></is></c></row>'
        b'<row r="5"><c t="inlineStr" s="0"><is><t>x</t></is></c><c><v>3</v></c>'
        b'<c t="inlineStr"><is><t>y</t></is></c></row>'
    )
    sheet = b"<worksheet " + MAIN + b"><sheetData>" + cells + b"</sheetData></worksheet>"
    data = _with_part(_bytes(Workbook()), "xl/worksheets/sheet1.xml", sheet)

    def opened():
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False)
        reader.read()
        ws = reader.wb.worksheets[0]
        ws.reset_dimensions()
        return ws

    def seen(rows):
        return [[(c.value, c.data_type) for c in row] for row in rows]

    walked = seen(read._rows(opened()))
    assert walked == seen(opened().iter_rows(min_row=1))
    assert [value for value, _ in walked[1]] == ["甲 a", None, "乙 丙 ", "", None, 12.5, True]
    assert walked[0] == walked[2] == []
    assert [kind for _, kind in walked[3]] == ["n", "f", "s", "f"]
    assert walked[4] == [("x", "s"), (3, "n"), ("y", "s")]  # cells that do not say where
