"""Word documents (.docx) drawn with python-docx from the same cells as the PDF and Excel.

A4 portrait, 宋体, every cell bordered, merged cells where the form merges them, the grid's
column heads repeated at the top of every page (the grid is its own table, as in the PDF, so
that its head row can repeat), and no row split across two pages. The booklet numbers its front
matter (目录) apart from the body, whose pages read 第 1 页 onwards; its headings use Word's
heading styles, so Word's navigation pane and a PDF exported from Word or LibreOffice show them
as bookmarks. Word, WPS and LibreOffice open it; a test converts it to PDF with LibreOffice and
finds every cell of the table in the text.
"""

import math
from copy import deepcopy
from io import BytesIO

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tc
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from departments.templatetags.booklet import LABEL_BREAKS, cn_number
from projects.documents.part_one import PartOne
from projects.documents.target_table import Cell, TargetTable, page_splits

FONT = "宋体"
MARGIN_SIDE = Mm(18)
MARGIN_TOP = Mm(18)
TEXT_WIDTH = Mm(210) - 2 * MARGIN_SIDE
# The printed form's column shares, as the PDF's (form-table.css, pdf.css).
TABLE_SHARES = [12, 17, 16, 13, 12, 16, 14]
RATING_SHARES = [36, 16, 16, 16, 16]
RATED_SHARES = [30, 12, 12, 12, 12, 12, 10]
TABLE_FONT = Pt(9.5)
BODY_FONT = Pt(12)
ROW_HEIGHT = Mm(7)
# Table text at a fixed line height, so that a row is as tall in Word, WPS and LibreOffice
# whatever font each finds for 宋体, and the grid's page breaks can be computed.
LINE = Pt(12)
CELL_SPACING = Pt(1)  # above and below each paragraph in a cell
CELL_PADDING = Mm(1.9)  # Word's default left and right cell margins
PAGE_BODY = Mm(297) - 2 * MARGIN_TOP
TITLE_BLOCK = Pt(15 * 1.4 + 12) + Pt(9 * 1.4 + 2) + Pt(9.5 * 1.4 + 2) + Pt(2)
STATUS_RED = RGBColor(0xA0, 0x10, 0x10)


def _clean(text: str) -> str:
    """What an XML document can hold: C0 controls are left out (input refuses them; a record
    stored earlier may still carry one, and its download must not fail)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text or "")


def _set_font(run, size=None, bold=False, color=None) -> None:
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size is not None:
        run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color


def _new_document() -> Document:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    language = OxmlElement("w:lang")  # Chinese text, for the spelling check and line breaking
    language.set(qn("w:val"), "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(language)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[name]
        style.font.name = FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    _page_setup(document.sections[0])
    return document


def _page_setup(section) -> None:
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = MARGIN_SIDE
    section.top_margin = section.bottom_margin = MARGIN_TOP


def _field(paragraph, code: str, shown: str = "1") -> None:
    """A Word field (PAGE, NUMPAGES, SECTIONPAGES, TOC …) with the value shown until updated."""
    run = paragraph.add_run()
    _set_font(run, size=Pt(9))
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.extend([begin, instruction, separate])
    _set_font(paragraph.add_run(shown), size=Pt(9))
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    closing = paragraph.add_run()
    _set_font(closing, size=Pt(9))
    closing._r.append(end)


def _page_footer(section, style: str) -> None:
    """Page numbers, counted from 1 in this section: "第 N 页 共 M 页" on a table, "— N —" in
    the booklet's body (as Chinese booklets number it), a Roman numeral in its front matter."""
    section.footer.is_linked_to_previous = False
    for old in section._sectPr.findall(qn("w:pgNumType")):  # copied from the section before
        section._sectPr.remove(old)
    roman = style == "roman"
    number_type = OxmlElement("w:pgNumType")
    if roman:
        number_type.set(qn("w:fmt"), "upperRoman")
    number_type.set(qn("w:start"), "1")
    section._sectPr.append(number_type)
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if roman:
        _field(paragraph, "PAGE \\* ROMAN", "I")
        return
    if style == "dash":
        _set_font(paragraph.add_run("— "), size=Pt(9))
        _field(paragraph, "PAGE")
        _set_font(paragraph.add_run(" —"), size=Pt(9))
        return
    _set_font(paragraph.add_run("第 "), size=Pt(9))
    _field(paragraph, "PAGE")
    _set_font(paragraph.add_run(" 页 共 "), size=Pt(9))
    _field(paragraph, "NUMPAGES")
    _set_font(paragraph.add_run(" 页"), size=Pt(9))


def _paragraph(container, text: str, *, size=BODY_FONT, bold=False, align=None, indent=True):
    paragraph = container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = size * 2
    paragraph.paragraph_format.space_after = Pt(2)
    _set_font(paragraph.add_run(_clean(text)), size=size, bold=bold)
    return paragraph


def _centred(document, text: str, *, size, bold=False):
    return _paragraph(
        document, text, size=size, bold=bold, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    )


def _heading(document, text: str, level: int, *, size, center=False, page_break=False):
    paragraph = document.add_heading(level=level)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.page_break_before = page_break
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(6)
    _set_font(paragraph.add_run(_clean(text)), size=size, bold=True, color=RGBColor(0, 0, 0))
    return paragraph


def _row_property(row, name: str) -> None:
    element = OxmlElement(f"w:{name}")
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _cell_paragraph(left: bool, bold: bool, size):
    """A table cell's paragraph with its run, formatted once per kind and copied for every
    cell (formatting each run through python-docx was most of a large booklet's time)."""
    key = (left, bold, size)
    if key not in _CELL_PARAGRAPHS:
        paragraph = Paragraph(OxmlElement("w:p"), None)
        paragraph.paragraph_format.space_before = CELL_SPACING
        paragraph.paragraph_format.space_after = CELL_SPACING
        paragraph.paragraph_format.line_spacing = LINE
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
        _set_font(paragraph.add_run(), size=size, bold=bold)
        _CELL_PARAGRAPHS[key] = paragraph._p
    return deepcopy(_CELL_PARAGRAPHS[key])


_CELL_PARAGRAPHS: dict = {}


def _fill(cell, text: str, role: str, size=TABLE_FONT) -> None:
    """Write a cell's text: labels and heads centred (labels at their natural break), text
    cells from the left, every line its own paragraph."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    lines = list(LABEL_BREAKS.get(text, ())) if role in ("label", "head") else []
    lines = lines or _clean(text).split("\n")
    left = role in ("value", "unit")  # as the PDF sets them: text cells start at the left
    tc = cell._tc
    for p in tc.p_lst:
        tc.remove(p)
    for line in lines:
        p = _cell_paragraph(left, role == "head", size)
        Run(p.r_lst[0], None).text = line
        tc.append(p)


def _widths(shares: list[int]) -> list[int]:
    return [int(TEXT_WIDTH * share / sum(shares)) for share in shares]


def _placed(rows: list[list[Cell]]):
    """Each cell with the grid row and column where it begins: left to right, past the columns
    a rowspan from above covers."""
    occupied: set[tuple[int, int]] = set()
    for r, cells in enumerate(rows):
        col = 0
        for cell in cells:
            while (r, col) in occupied:
                col += 1
            occupied.update(
                (rr, cc)
                for rr in range(r, r + cell.rowspan)
                for cc in range(col, col + cell.colspan)
            )
            yield r, col, cell
            col += cell.colspan


def _grid_table(document, rows: list[list[Cell]], shares: list[int], *, head_rows: int = 0):
    """A bordered table of `rows` (cells with colspan and rowspan); the first `head_rows`
    repeat on every page. Rows are built element by element, a merged cell as Word writes it
    (one cell spanning columns, `vMerge` down the rows it covers): python-docx's own cell
    lookup and merge walk the whole table each time, which took minutes for a large booklet."""
    table = document.add_table(rows=0, cols=len(shares))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _widths(shares)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    starts: dict[tuple[int, int], Cell] = {}
    covered: dict[tuple[int, int], int] = {}  # (row, column) under a rowspan: its colspan
    for r, col, cell in _placed(rows):
        starts[(r, col)] = cell
        for below in range(r + 1, r + cell.rowspan):
            covered[(below, col)] = cell.colspan
    for r in range(len(rows)):
        tr = OxmlElement("w:tr")
        table._tbl.append(tr)
        row = _Row(tr, table)
        row.height, row.height_rule = ROW_HEIGHT, WD_ROW_HEIGHT_RULE.AT_LEAST
        _row_property(row, "tblHeader" if r < head_rows else "cantSplit")
        col = 0
        while col < len(shares):
            cell = starts.get((r, col))
            span = cell.colspan if cell else covered.get((r, col), 1)
            tc = CT_Tc.new()
            tr.append(tc)
            target = _Cell(tc, table)
            target.width = sum(widths[col : col + span])
            if span > 1:
                tc.grid_span = span
            if cell is not None and cell.rowspan > 1:
                tc.vMerge = "restart"
            elif (r, col) in covered:
                tc.vMerge = "continue"
            if cell is not None:
                _fill(target, cell.text, cell.role)
            else:
                target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            col += span
    return table


def _text_lines(text: str, width: int, role: str) -> int:
    """Lines a cell's text takes in a column `width` (EMU) wide: a CJK character is one em of
    the table font, anything else about half."""
    if role in ("label", "head") and text in LABEL_BREAKS:
        return len(LABEL_BREAKS[text])
    # A tenth of the line kept back: line breaking leaves ends short (punctuation that may
    # not begin a line, the space set between Chinese and Latin text).
    per_line = max((width - 2 * CELL_PADDING) / TABLE_FONT * 0.9, 1)
    return sum(
        max(1, math.ceil(sum(1 if ord(ch) > 0x2E80 else 0.6 for ch in part) / per_line))
        for part in text.split("\n")
    )


def _row_heights(rows: list[list[Cell]], shares: list[int]) -> list[int]:
    """Each row's height (EMU) as drawn: its cells' lines at the fixed line height, at least
    ROW_HEIGHT. A cell over several rows counts on none (the group labels are short)."""
    widths = _widths(shares)
    heights = [ROW_HEIGHT] * len(rows)
    for r, col, cell in _placed(rows):
        if cell.rowspan == 1:
            lines = _text_lines(cell.text, sum(widths[col : col + cell.colspan]), cell.role)
            heights[r] = max(heights[r], lines * (LINE + CELL_SPACING) + 2 * CELL_SPACING)
    return heights


def _unit_line(document, cells: list[Cell]) -> None:
    """The line above the form: the unit on the left, 单位：万元 on the right."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(2)
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, alignment=2)  # right
    _set_font(paragraph.add_run(_clean(cells[0].text) + "\t" + cells[1].text), size=TABLE_FONT)


def _spacer(document) -> None:
    """Word joins two tables that touch; a hairline paragraph keeps the grid its own table
    (so that its head row repeats) without a visible gap."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(1)
    _set_font(paragraph.add_run(""), size=Pt(1))


def _draw_table(document, table: TargetTable, *, page_break: bool, level: int) -> None:
    """The heading, the header block, then the grid as its own table whose head row repeats.

    Word draws a merged 一级/二级 cell's label on the first page the cell crosses only, and
    where Word, WPS or LibreOffice break the page depends on the fonts each finds. So a merged
    cell starts again, with its label, where the first page is estimated to end (rows at a
    fixed line height) and then every half page: whatever the program's line breaking, every
    page holds the start of each group that crosses it."""
    _heading(document, table.heading, level, size=Pt(15), center=True, page_break=page_break)
    if table.status_mark:
        mark = _centred(document, table.status_mark, size=Pt(9))
        mark.runs[0].font.color.rgb = STATUS_RED
    header = table.header_rows()
    _unit_line(document, header[0])
    _grid_table(document, header[1:], TABLE_SHARES)
    _spacer(document)
    head = _row_heights([table.grid_head()], TABLE_SHARES)[0]
    heights = _row_heights([line.cells for line in table.grid_rows()], TABLE_SHARES)
    above = TITLE_BLOCK + sum(_row_heights(header[1:], TABLE_SHARES))
    splits = page_splits(heights, PAGE_BODY - above - head, (PAGE_BODY - head) / 2)
    grid = [table.grid_head(), *(line.cells for line in table.grid_rows(splits))]
    _grid_table(document, grid, TABLE_SHARES, head_rows=1)


APP_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>perfbudget</Application><DocSecurity>0</DocSecurity></Properties>"
)


def _properties(document, title: str, author: str) -> None:
    """文件 › 信息 shows what the document is and who it is from, not the library's template
    (its author, comments and a 2013 date)."""
    now = timezone.now()
    properties = document.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = author
    properties.comments = properties.keywords = properties.subject = ""
    properties.category = "预算绩效目标"
    properties.created = properties.modified = now
    properties.revision = 1
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # the template's blank page picture
            del package.rels[rel_id]
        elif rel.reltype == RT.EXTENDED_PROPERTIES:  # the template's "Microsoft Macintosh Word"
            rel.target_part._blob = APP_PROPERTIES


def _save(document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def table_docx(table: TargetTable) -> bytes:
    """One 绩效目标表 as a Word document."""
    document = _new_document()
    _page_footer(document.sections[0], "pages")
    _draw_table(document, table, page_break=False, level=1)
    _properties(document, table.heading, table.project.department.name)
    return _save(document)


def _rating_table(document, part_one: PartOne, section) -> None:
    rated = part_one.rated
    head = [Cell("绩效指标", rowspan=2, role="head"), Cell("评价标准", colspan=4, role="head")]
    if rated:
        head += [Cell("实际完成值", rowspan=2, role="head"), Cell("评级", rowspan=2, role="head")]
    rows = [head, [Cell(grade, role="head") for grade in "优良中差"]]
    for row in section.rows:
        cells = [Cell(row.name)] + [Cell(text, role="number") for text in row.criteria]
        if rated:
            cells += [Cell(row.actual, role="number"), Cell(row.grade, role="number")]
        rows.append(cells)
    _grid_table(document, rows, RATED_SHARES if rated else RATING_SHARES, head_rows=2)


def _front_matter(document, part_one: PartOne, tables: list[TargetTable]) -> None:
    """The cover and the 目录 (a Word TOC field: Word fills in the page numbers when the
    document is opened; until then it lists the headings)."""
    for _ in range(8):
        document.add_paragraph()
    for text, size in (
        (part_one.department_name, Pt(22)),
        (f"{part_one.year}年部门预算绩效目标", Pt(26)),
    ):
        _centred(document, text, size=size, bold=True)
    _centred(document, f"单位编码：{part_one.department_code}", size=Pt(14))
    toc = document.add_section(WD_SECTION.NEW_PAGE)
    _page_footer(toc, "roman")
    title = _centred(document, "目　录", size=Pt(16), bold=True)
    title.paragraph_format.space_after = Pt(12)
    entries = [
        ("第一部分　部门整体绩效目标", 0),
        ("一、总体绩效目标", 1),
        ("二、分项绩效目标", 1),
        ("三、工作保障措施", 1),
        ("第二部分　预算项目绩效目标", 0),
        *((table.heading, 1) for table in tables),
    ]
    paragraphs = []
    for text, level in entries:
        paragraph = _paragraph(document, text, size=Pt(12), indent=False)
        paragraph.paragraph_format.left_indent = Pt(24 * level)
        paragraphs.append(paragraph)
    _wrap_in_field(paragraphs, 'TOC \\o "1-2" \\h \\z \\u')


def _wrap_in_field(paragraphs, code: str) -> None:
    """Make the paragraphs the shown result of a field that Word updates on opening."""
    begin, instruction, separate, end = (
        OxmlElement(tag) for tag in ("w:fldChar", "w:instrText", "w:fldChar", "w:fldChar")
    )
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    separate.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    opening = OxmlElement("w:r")
    opening.extend([begin, instruction, separate])
    paragraphs[0].runs[0]._r.addprevious(opening)
    closing = OxmlElement("w:r")
    closing.append(end)
    paragraphs[-1]._p.append(closing)


def _part_one(document, part_one: PartOne) -> None:
    _heading(document, "第一部分　部门整体绩效目标", 1, size=Pt(18), center=True)
    _heading(document, "一、总体绩效目标", 2, size=Pt(14))
    for text in part_one.overall_target:
        _paragraph(document, text)
    _heading(document, "二、分项绩效目标", 2, size=Pt(14))
    for n, section in enumerate(part_one.sections, 1):
        _heading(document, f"（{cn_number(n)}）{section.name}", 3, size=Pt(12))
        for text in section.duties:
            _paragraph(document, text)
        if section.rows:
            _paragraph(document, "绩效指标：")
            _rating_table(document, part_one, section)
    if part_one.rated:
        _paragraph(document, f"科室评级汇总：{part_one.summary_text}")
    for note in part_one.notes:
        _paragraph(document, f"注：{note}")
    _heading(document, "三、工作保障措施", 2, size=Pt(14))
    for text in part_one.safeguards:
        _paragraph(document, text)


def booklet_docx(part_one: PartOne, tables: list[TargetTable], progress=None) -> bytes:
    """The whole booklet: cover and 目录 (numbered I, II …), then 第一部分 and every table,
    each on its own page, numbered from 1; `progress(done, total)` hears of each table."""
    document = _new_document()
    _properties(document, part_one.title, part_one.department_name)
    document.sections[0].footer.is_linked_to_previous = False
    _front_matter(document, part_one, tables)
    body = document.add_section(WD_SECTION.NEW_PAGE)
    _page_footer(body, "dash")
    _part_one(document, part_one)
    _heading(document, "第二部分　预算项目绩效目标", 1, size=Pt(18), center=True, page_break=True)
    for done, table in enumerate(tables, 1):
        _draw_table(document, table, page_break=True, level=2)
        if progress:
            progress(done, len(tables))
    return _save(document)
