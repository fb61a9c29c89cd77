"""C0 control characters (\\x01, ESC …): refused on input by one rule for every form and the
importer, and left out of every workbook written from what is already stored."""

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear, Section
from indicators.models import Indicator
from projects.documents.data_workbook import data_workbook
from projects.importer import ImportRejected, import_prepare
from projects.models import Project

CODE = "13081123P000182100018"
DIRTY = "广播\x01电视\x1b[31m"


@pytest.fixture
def dirty(reference):
    """Control characters stored directly, as records saved before input refused them: through
    save(), so the history keeps them too."""
    project = Project.objects.get(code=CODE)
    project.name = "项目" + DIRTY
    project.table_name = "扫黄\x01打非"
    project.fund_use = DIRTY
    project.save()
    indicator = project.indicators.first()
    indicator.name = "三级" + DIRTY
    indicator.value_text = ""  # a finding names the row: the checks download shows it
    indicator.save()
    department_year = DepartmentYear.objects.get(department__code="136001", year=2024)
    department_year.overall_target = DIRTY
    department_year.save()
    section = Section.objects.filter(department__code="136001").first()
    section.duties = DIRTY
    section.save()
    return project


DOWNLOADS = [
    ("projects:table_xlsx", "project", {}),
    ("projects:evaluation_xlsx", "project", {}),
    ("projects:history", "project", {"format": "xlsx"}),
    ("unit_year:booklet_xlsx", "unit", {}),
    ("unit_year:data", "unit", {}),
    ("unit_year:history", "unit", {"format": "xlsx"}),
    ("unit_year:checks", "unit", {"format": "xlsx"}),
    ("unit_year:evaluations", "unit", {"format": "xlsx"}),
]


@pytest.mark.parametrize("name, kind, query", DOWNLOADS, ids=[d[0] for d in DOWNLOADS])
def test_every_workbook_download_of_stored_control_characters_is_a_valid_workbook(
    client, auditor, dirty, name, kind, query
):
    client.force_login(auditor)
    args = [2024, CODE] if kind == "project" else ["136001", 2024]
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    texts = [
        str(cell.value)
        for ws in workbook.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert texts
    assert not any("\x01" in t or "\x1b" in t for t in texts)
    if name in ("projects:table_xlsx", "unit_year:data"):
        assert any("广播电视[31m" in t for t in texts)


@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x7f", "\x0b", "\x00"])
def test_a_control_character_in_any_field_is_refused_and_nothing_is_saved(
    finance, reference, character
):
    client = Client()
    client.force_login(finance)
    project = Project.objects.get(code=CODE)
    before = project.name, project.version, Project.history.count()
    response = client.post(
        reverse("projects:edit", args=[2024, CODE]), {"name": f"新名称{character}"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "控制字符" in page and "没有保存任何内容" in page
    project.refresh_from_db()
    assert (project.name, project.version, Project.history.count()) == before


def test_tab_and_line_breaks_are_not_control_characters_here(finance, reference):
    client = Client()
    client.force_login(finance)
    response = client.get(reverse("projects:list"), {"q": "扫黄\t打非\r\n"})
    assert response.status_code == 200


def _export() -> bytes:
    return data_workbook(DepartmentYear.objects.get(department__code="136001", year=2024))


def _edit(data: bytes, sheet: str, cell: str, value) -> bytes:
    wb = load_workbook(BytesIO(data))
    wb[sheet][cell] = value
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_importer_refuses_a_cell_with_a_control_character_by_its_cell(reference):
    # Other C0 controls cannot be written in a workbook's XML at all (such a file is refused
    # as damaged); DEL can.
    data = _edit(_export(), "指标", "E3", "三级\x7f指标")
    before = list(Indicator.objects.order_by("pk").values_list("name", flat=True))
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert "工作表“指标” 第3行 E列：单元格含有控制字符" in str(rejected.value)
    assert list(Indicator.objects.order_by("pk").values_list("name", flat=True)) == before


def test_a_control_character_written_the_way_excel_escapes_it_is_refused_too(reference):
    """Excel writes a control character in a cell as _xHHHH_ (its own escape, which openpyxl
    leaves as it is): it is read as the character it stands for, and refused as such."""
    before = list(Project.objects.order_by("pk").values_list("fund_use", flat=True))
    data = _edit(_export(), "项目", "K2", "资金_x0001_用途")
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(data)
    assert "工作表“项目” 第2行 K列：单元格含有控制字符" in str(rejected.value)
    assert list(Project.objects.order_by("pk").values_list("fund_use", flat=True)) == before


def test_excels_escapes_of_line_breaks_and_underscores_are_read_as_what_they_stand_for(
    reference,
):
    # A line typed with a carriage return (as text pasted from Windows is), and an escaped
    # underscore that keeps the next "_x…_" as text.
    data = _edit(_export(), "项目", "K2", "第一行_x000D_\n第二行，编号_x005F_x0041_")
    plan = import_prepare(data)
    spec = next(p for p in plan.projects if p.row == 2)
    assert spec.fund_use == "第一行\r\n第二行，编号_x0041_"


def test_text_that_looks_like_an_excel_escape_survives_a_download_and_an_import(reference):
    """Stored text "_x0041_" is written as Excel writes it (its "_" escaped), so Excel shows it
    as typed and an import reads it back unchanged."""
    project = Project.objects.get(code="13081123P000182100018")
    project.fund_use = "编号_x0041_与_x000D_"
    project.save()
    data = _export()
    sheet = load_workbook(BytesIO(data))["项目"]
    written = next(row for row in sheet.iter_rows(values_only=True) if project.code in row)
    assert "编号_x005F_x0041_与_x005F_x000D_" in written
    plan = import_prepare(data)
    spec = next(p for p in plan.projects if p.code == project.code)
    assert spec.fund_use == "编号_x0041_与_x000D_"
    assert not any("资金用途" in line for line in plan.changes)
