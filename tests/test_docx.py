"""Word documents: reopened with python-docx, their cells, merges, page set-up and repeated
head rows match the table; converted to PDF by LibreOffice, every cell is in the text and the
grid's column heads are on every page."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from departments.models import DepartmentYear
from projects.documents.booklet import department_tables
from projects.documents.docx import booklet_docx, table_docx
from projects.documents.part_one import build_part_one
from projects.models import Project
from tests.long_table import add_long_group
from tests.pdf_text import libreoffice_pdf, page_texts
from tests.reference_doc import read_projects, read_sections, squash

pytestmark = pytest.mark.django_db

CODE = "13081123P000182100018"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(client, user, url) -> Document:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert ".docx" in response["Content-Disposition"]
    return Document(BytesIO(response.content))


def _cell_texts(table) -> list[list[str]]:
    """The text of each grid position (a merged cell repeats its text at every position)."""
    return [[cell.text for cell in row.cells] for row in table.rows]


def _is_header(row) -> bool:
    props = row._tr.trPr
    return props is not None and props.find(qn("w:tblHeader")) is not None


@pytest.mark.parametrize("ref", read_projects(), ids=lambda r: r.table_name)
def test_word_table_holds_the_form_cell_for_cell(client, auditor, ref):
    document = _download(client, auditor, reverse("projects:table_docx", args=[2024, ref.code]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"{ref.table_number}.{ref.table_name}绩效目标表" in text
    assert "单位：万元" in text and "136001承德高新技术产业开发区宣传中心本级" in text
    header, grid = document.tables
    rows = _cell_texts(header)
    assert rows[0][:4] == ["项目编码", ref.code, ref.code, "项目名称"]
    assert squash(rows[0][4]) == squash(ref.name)
    # 预算规模及资金用途 is one cell over two rows; the amounts sit beside their labels.
    assert rows[1][0] == rows[2][0] == "预算规模及\n资金用途"
    drawn = [rows[1][2], rows[1][4], rows[1][6]]
    assert [Decimal(a) if a else None for a in drawn] == [
        Decimal(a) if a else None for a in ref.amounts
    ]
    assert squash(rows[2][1]) == squash(ref.fund_use)
    assert squash(rows[5][1]) == squash(ref.target)
    # The grid: its head row repeats on every page, and the other rows never split.
    assert _is_header(grid.rows[0]) and not any(_is_header(r) for r in grid.rows[1:])
    grid_rows = _cell_texts(grid)
    assert grid_rows[0][0] == "一级指标" and grid_rows[0][6] == "指标值\n确定依据"
    expected = [tuple(squash(c) for c in row) for row in ref.indicator_rows]
    drawn = [tuple(squash(c) for c in (r[0], r[1], r[2], r[3], r[5], r[6])) for r in grid_rows[1:]]
    assert drawn == expected


def test_word_grid_merges_its_group_cells_as_the_form_does(client, auditor, reference):
    document = _download(client, auditor, reverse("projects:table_docx", args=[2024, CODE]))
    grid = document.tables[1]
    first_column = [row.cells[0]._tc for row in grid.rows[1:]]
    labels = [row.cells[0].text for row in grid.rows[1:]]
    # One merged cell per 一级: the rows of a group share one cell element.
    for label in ("产出指标", "效益指标", "满意度指标"):
        cells = {id(tc) for tc, text in zip(first_column, labels, strict=True) if text == label}
        assert len(cells) == 1, label
    # 绩效指标描述 spans two grid columns on every row.
    assert all(row.cells[3]._tc is row.cells[4]._tc for row in grid.rows)


def test_the_booklet_in_word_has_part_one_and_every_table(client, auditor, reference):
    document = _download(client, auditor, reverse("unit_year:booklet_docx", args=["136001", 2024]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    tables = [
        f"{p.table_number}.{p.table_name}绩效目标表"
        for p in Project.objects.filter(
            department=reference.department, year=2024
        ).in_booklet_order()
    ]
    assert headings[:4] == [
        "第一部分　部门整体绩效目标",
        "一、总体绩效目标",
        "二、分项绩效目标",
        "（一）综合科",
    ]
    assert headings[-len(tables) - 1 :] == ["第二部分　预算项目绩效目标", *tables]
    # Each section's rating table, with its 评价标准 as published.
    drawn = {
        tuple(squash(c.text) for c in row.cells[:5]) for t in document.tables for row in t.rows
    }
    for section in read_sections():
        for row in section.indicators:
            assert row in drawn, row
    # Front matter numbered apart: the 目录 section in Roman numerals, the body from 1.
    numbering = [s._sectPr.find(qn("w:pgNumType")) for s in document.sections]
    assert [n.get(qn("w:fmt")) for n in numbering[1:]] == ["upperRoman", None]
    assert numbering[2].get(qn("w:start")) == "1"


def test_export_targets_writes_the_word_booklet(reference, tmp_path):
    out = tmp_path / "booklet.docx"
    call_command("export_targets", department="136001", year=2024, format="docx", output=out)
    document = Document(out)
    assert "第二部分　预算项目绩效目标" in [p.text for p in document.paragraphs]


def test_word_documents_of_stored_control_characters_open(reference):
    project = Project.objects.get(code=CODE)
    project.name = "项目广播\x01电视\x1b[31m"
    project.save()
    department_year = DepartmentYear.objects.with_part_one(2024).get(
        department__code="136001", year=2024
    )
    tables = department_tables(department_year)
    table = next(t for t in tables if t.code == CODE)
    assert (
        "项目广播电视[31m" in Document(BytesIO(table_docx(table))).tables[0].rows[0].cells[4].text
    )
    booklet = Document(BytesIO(booklet_docx(build_part_one(department_year), tables)))
    assert any("项目广播电视[31m" in c.text for t in booklet.tables for c in t.rows[0].cells)


@pytest.mark.slow
def test_libreoffice_prints_every_cell_of_a_long_word_table_with_heads_on_every_page(
    reference, tmp_path
):

    add_long_group(CODE)
    department_year = DepartmentYear.objects.with_part_one(2024).get(
        department__code="136001", year=2024
    )
    table = next(t for t in department_tables(department_year) if t.code == CODE)
    pages = page_texts(libreoffice_pdf(table_docx(table), tmp_path, "table.docx"))
    assert len(pages) >= 3
    assert all("一级指标" in squash(page) and "三级指标" in squash(page) for page in pages)
    # The 40 rows of 产出指标/数量指标 cross every page: each page shows their labels.
    assert all("产出指标数量指标" in squash(page) for page in pages)
    assert f"第{len(pages)}页共{len(pages)}页" in squash(pages[-1])
    whole = squash("".join(pages))
    cells = [c.text for row in table.header_rows()[1:] for c in row]
    cells += [c.text for line in table.grid_rows() for c in line.cells]
    for text in cells:
        assert squash(text) in whole, text
    for i in range(40):
        assert whole.count(squash(f"长表指标{i:02d}")) == 1


@pytest.mark.slow
def test_libreoffice_prints_the_word_booklet_with_its_front_matter_numbered_apart(
    reference, tmp_path
):
    department_year = DepartmentYear.objects.with_part_one(2024).get(
        department__code="136001", year=2024
    )
    tables = department_tables(department_year)
    pages = page_texts(
        libreoffice_pdf(booklet_docx(build_part_one(department_year), tables), tmp_path, "b.docx")
    )
    toc = next(i for i, page in enumerate(pages) if "目录" in squash(page))
    part_one = next(
        i for i, page in enumerate(pages) if "第一部分部门整体绩效目标" in squash(page) and i > toc
    )
    assert squash(pages[toc]).endswith("I")
    assert squash(pages[part_one]).endswith("—1—")
    assert squash(pages[-1]).endswith(f"—{len(pages) - part_one}—")
    whole = squash("".join(pages))
    for table in tables:
        assert squash(table.heading) in whole
        for line in table.grid_rows():
            for cell in line.cells:
                assert squash(cell.text) in whole


def test_word_documents_say_what_they_are_and_who_they_are_from(client, auditor, reference):
    import zipfile

    client.force_login(auditor)
    data = client.get(reverse("projects:table_docx", args=[2024, CODE])).content
    properties = Document(BytesIO(data)).core_properties
    assert properties.title == "1.承德高新区新闻合办专项绩效目标表"
    assert properties.author == "承德高新技术产业开发区宣传中心本级"
    assert properties.comments == "" and properties.created.year >= 2026
    with zipfile.ZipFile(BytesIO(data)) as archive:
        names = archive.namelist()
        assert not any("thumbnail" in name for name in names)
        assert b"Macintosh" not in archive.read("docProps/app.xml")
        assert not any(b"python-docx" in archive.read(name) for name in names)
