"""Excel forms: reopened with openpyxl, their cells, merges, numbers and print setup match."""

import zipfile
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from projects.models import Project
from tests.long_table import add_long_group
from tests.reference_doc import read_projects, read_sections, squash

pytestmark = pytest.mark.django_db


def _xlsx(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def _merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


@pytest.mark.parametrize("ref", read_projects(), ids=lambda r: r.table_name)
def test_form_workbook_matches_the_table(client, auditor, ref):
    data = _xlsx(client, auditor, reverse("projects:table_xlsx", args=[2024, ref.code]))
    wb = load_workbook(BytesIO(data))
    ws = wb.worksheets[0]
    assert ws.title == f"{ref.table_number}.{ref.table_name}"[:31]
    assert ws["A1"].value == f"{ref.table_number}.{ref.table_name}绩效目标表"
    assert (ws["A2"].value, ws["F2"].value) == (
        "136001承德高新技术产业开发区宣传中心本级",
        "单位：万元",
    )
    assert [ws["A3"].value, ws["B3"].value, ws["D3"].value, ws["E3"].value] == [
        "项目编码",
        ref.code,
        "项目名称",
        ref.name,
    ]
    budget, fiscal, _ = ref.amounts
    assert Decimal(str(ws["C4"].value)) == Decimal(budget) and ws["C4"].data_type == "n"
    assert Decimal(str(ws["E4"].value)) == Decimal(fiscal)
    assert ws["G4"].value is None
    assert squash(ws["B5"].value) == ref.fund_use
    # Schedule percents are numbers shown as percents.
    labels = [ws.cell(row=6, column=c).value for c in (2, 3, 4, 6)]
    assert labels == list(ref.schedule)
    values = [ws.cell(row=7, column=c).value for c in (2, 3, 4, 6)]
    values = [None if v is None else Decimal(str(v)) for v in values]
    expected = [Decimal(v.rstrip("%")) / 100 if v else None for v in ref.schedule.values()]
    assert values == expected
    assert ws["F7"].number_format == "0%"
    assert squash(ws["B8"].value) == ref.target
    assert [ws.cell(row=9, column=c).value for c in (1, 2, 3, 4, 6, 7)] == [
        "一级指标",
        "二级指标",
        "三级指标",
        "绩效指标描述",
        "指标值",
        "指标值确定依据",
    ]
    merged = _merged(ws)
    assert {
        "A1:G1",
        "A2:E2",
        "F2:G2",
        "B3:C3",
        "E3:G3",
        "A4:A5",
        "B5:G5",
        "A6:A7",
        "B8:G8",
    } <= merged
    # 产出 over 4 rows, 效益 over 4, 满意度 alone; 描述 over two columns.
    assert {"A10:A13", "A14:A17", "D10:E10"} <= merged
    for offset, row in enumerate(ref.indicator_rows):
        r = 10 + offset
        cells = [ws.cell(row=r, column=c).value or "" for c in (2, 3, 4, 6, 7)]
        assert [squash(c) for c in cells] == list(row[1:])
    assert ws.cell(row=10, column=1).value == "产出指标"
    assert ws.cell(row=18, column=1).value == "满意度指标"
    # Print setup: A4, fit to width, the grid's column heads repeat on every page.
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.print_title_rows == "$9:$9"
    assert ws["D10"].border.left.style == "thin"
    assert ws["C10"].alignment.wrap_text


def test_booklet_workbook_has_part_one_and_every_table(client, auditor, reference):
    data = _xlsx(client, auditor, reverse("unit_year:booklet_xlsx", args=["136001", 2024]))
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["第一部分"] + [
        f"{r.table_number}.{r.table_name}" for r in read_projects()
    ]
    part_one = [squash(str(c.value)) for row in wb["第一部分"].iter_rows() for c in row if c.value]
    text = "".join(part_one)
    for section in read_sections():
        assert section.name in text
        for row in section.indicators:
            assert "".join(row) in text
    assert squash(reference.overall_target) in text
    assert "三、工作保障措施" in part_one


def test_formula_text_is_written_as_text(client, auditor, reference):
    Project.objects.filter(code="13081123P000182100018").update(
        name='=HYPERLINK("http://x")', fund_use="+1+1", target="@SUM(A1)"
    )
    data = _xlsx(
        client, auditor, reverse("projects:table_xlsx", args=[2024, "13081123P000182100018"])
    )
    ws = load_workbook(BytesIO(data)).worksheets[0]
    assert ws["E3"].value == '=HYPERLINK("http://x")' and ws["E3"].data_type == "s"
    with zipfile.ZipFile(BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert all(b"<f>" not in archive.read(n) for n in sheets)


def test_a_long_forms_merges_end_at_its_page_breaks_and_labels_repeat(reference):
    # A merged 一级/二级 cell across a page break prints its label on one page only (LibreOffice:
    # page 1 of a 40-row form showed no 产出指标). The form computes its page breaks and starts
    # its merged cells again, with their labels, on each page.
    from indicators.models import Indicator
    from projects.documents.booklet import department_tables
    from projects.documents.xlsx import table_workbook
    from projects.importer import import_prepare

    project = add_long_group("13081123P000182100018")
    table = next(t for t in department_tables(reference) if t.code == project.code)
    data = table_workbook(table)
    ws = load_workbook(BytesIO(data)).worksheets[0]
    breaks = sorted(b.id for b in ws.row_breaks.brk)
    assert len(breaks) >= 1
    for merged in ws.merged_cells.ranges:
        assert not any(merged.min_row <= b < merged.max_row for b in breaks), merged
    for b in breaks:
        assert ws.cell(row=b + 1, column=1).value == "产出指标"
        assert ws.cell(row=b + 1, column=2).value == "数量指标"
    # Each printed page names the table and marks the draft.
    assert ws.oddHeader.left.text == "1.承德高新区新闻合办专项绩效目标表"
    assert ws.oddHeader.right.text == "草稿 · 未经审核"
    # Every row once, and the form still reads back as the same table.
    names = [ws.cell(row=r, column=3).value for r in range(1, ws.max_row + 1)]
    assert all(names.count(f"长表指标{i:02d}") == 1 for i in range(40))
    plan = import_prepare(data)
    assert len(plan.projects[0].indicators) == len(Indicator.objects.filter(project=project))


def test_every_merged_area_prints_with_its_borders_and_styles(reference):
    # The forms are drawn without openpyxl's per-merge re-formatting (a large booklet's time):
    # each merged area of the form still has thin borders all round, on the cells that print
    # its edges, and every bordered cell of the form has all four.
    from projects.documents.booklet import department_tables
    from projects.documents.xlsx import table_workbook

    table = department_tables(reference)[0]
    ws = load_workbook(BytesIO(table_workbook(table))).worksheets[0]
    first_form_row = 3  # under the title and the unit line
    merged = [r for r in ws.merged_cells.ranges if r.min_row >= first_form_row]
    assert merged
    for area in merged:
        for col in range(area.min_col, area.max_col + 1):
            assert ws.cell(area.min_row, col).border.top.style == "thin", area
            assert ws.cell(area.max_row, col).border.bottom.style == "thin", area
        for row in range(area.min_row, area.max_row + 1):
            assert ws.cell(row, area.min_col).border.left.style == "thin", area
            assert ws.cell(row, area.max_col).border.right.style == "thin", area
    for row in ws.iter_rows(min_row=first_form_row):
        for cell in row:
            if cell.value not in (None, ""):
                sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
                assert all(side.style == "thin" for side in sides), cell.coordinate
                assert cell.font.name == "宋体" and cell.alignment.wrap_text
    labels = [c for row in ws.iter_rows() for c in row if c.value == "项目编码"]
    assert labels and labels[0].font.bold


def test_workbooks_name_themselves_in_chinese(client, auditor, reference):
    client.force_login(auditor)
    data = client.get(reverse("projects:table_xlsx", args=[2024, "13081123P000182100018"]))
    properties = load_workbook(BytesIO(data.content)).properties
    assert properties.title == "1.承德高新区新闻合办专项"
    assert (
        properties.creator == "预算绩效目标管理" and properties.lastModifiedBy == "预算绩效目标管理"
    )


@pytest.mark.slow
def test_a_spreadsheet_program_prints_heads_and_labels_on_every_page_of_a_long_form(
    reference, tmp_path
):
    # LibreOffice Calc prints the 40-row form: the column heads and the 产出指标/数量指标
    # labels on every page, every row once, the draft mark in the page header.
    from projects.documents.booklet import department_tables
    from projects.documents.xlsx import table_workbook
    from tests.pdf_text import libreoffice_pdf, page_texts

    project = add_long_group("13081123P000182100018")
    table = next(t for t in department_tables(reference) if t.code == project.code)
    pages = page_texts(libreoffice_pdf(table_workbook(table), tmp_path, "form.xlsx"))
    assert len(pages) >= 2
    for text in pages:
        flat = text.replace(" ", "").replace("\n", "")
        assert "一级指标" in flat and "产出指标" in flat and "数量指标" in flat
        assert "草稿·未经审核" in flat
    whole = "".join(pages)
    assert all(whole.count(f"长表指标{i:02d}") == 1 for i in range(40))
