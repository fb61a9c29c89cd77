"""Excel forms drawn with openpyxl from the same table rows as the page and the PDF: merged
cells, borders, widths for Chinese text, A4 print setup with the grid's column heads repeated."""

import math
import re
from copy import copy
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from projects.documents.evaluation_table import own_cells
from projects.documents.part_one import PartOne
from projects.documents.target_table import COLUMNS, Cell, TargetTable, page_splits
from projects.importer.contract import META_KEYS, META_SHEET

FONT_NAME = "宋体"
APP_NAME = "预算绩效目标管理"
# Widths in Excel character units, in the same proportions as the printed form's columns.
TABLE_WIDTHS = [12, 14, 17, 14, 13, 16, 14]
RATING_WIDTHS = [34, 14, 14, 14, 14]
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


EXCEL_ESCAPE_RE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")


def set_text(cell, value) -> None:
    """Write a value; text is always stored as text, so no cell can start a formula. Every
    cell of every workbook is written here (or through `_write_row`, which calls it for text).

    Characters a workbook cannot hold (C0 controls) are left out: input refuses them, but a
    record stored earlier may still carry one, and its download must not fail. Text that reads
    like Excel's own escape of a character (_x000D_) has its "_" escaped as Excel does, so that
    Excel shows it as typed and an import reads it back."""
    if isinstance(value, str):
        value = EXCEL_ESCAPE_RE.sub(r"_x005F\1", ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _text_units(text: str) -> float:
    """Width of text in Excel character units: a CJK character is about two."""
    return sum(2 if ord(ch) > 0x2E80 else 1.1 for ch in text)


def _lines(text: str, width: float) -> int:
    return sum(
        max(1, math.ceil(_text_units(part) / max(width - 1, 1))) for part in text.split("\n")
    )


def _style(cell, *, bold=False, align="center", size=10.5, border=True) -> None:
    """Font, alignment and borders. Each combination is built once per workbook and copied
    as the cell's style indexes: assigning style objects cell by cell hashes them every time,
    which was most of a large booklet's time. A number format is set after the style."""
    key = (bold, align, size, border)
    styles = vars(cell.parent.parent).setdefault("_form_styles", {})  # kept on the workbook
    style = styles.get(key)
    if style is None:
        cell.font = Font(name=FONT_NAME, bold=bold, size=size)
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        if border:
            cell.border = BORDER
        styles[key] = copy(cell._style)
    else:
        cell._style = copy(style)


def _merge(ws: Worksheet, min_row: int, min_col: int, max_row: int, max_col: int) -> None:
    """`ws.merge_cells` without openpyxl re-formatting the range's borders (the other half of a
    large booklet's time): every cell of the range is already styled, and each covered cell
    keeps that style, so the merged area prints with its borders."""
    ws.merged_cells.add(
        CellRange(min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)
    )
    for r in range(min_row, max_row + 1):
        for c in range(min_col, max_col + 1):
            if (r, c) == (min_row, min_col):
                continue
            covered = MergedCell(ws, row=r, column=c)
            styled = ws._cells.get((r, c))
            if styled is not None:
                covered._style = copy(styled._style)
            ws._cells[(r, c)] = covered


def _number_format(cell: Cell) -> str:
    if cell.role == "percent":
        return "0%" if cell.value == cell.value.to_integral() else "0.00##%"
    return "0.00####"


def _write_row(
    ws: Worksheet, row: int, cells: list[Cell], occupied: set, widths: list[int]
) -> float:
    """Place cells left to right, skipping columns covered by rowspans from above; return the
    number of text lines the row needs."""
    col, lines = 1, 1
    for cell in cells:
        while (row, col) in occupied:
            col += 1
        is_unit = cell.role == "unit"
        align = "left" if cell.role == "value" or (is_unit and col == 1) else "center"
        if is_unit and col > 1:
            align = "right"
        bold = cell.role in ("label", "head")
        for r in range(row, row + cell.rowspan):
            for c in range(col, col + cell.colspan):
                occupied.add((r, c))
                _style(ws.cell(row=r, column=c), bold=bold, align=align, border=not is_unit)
        target = ws.cell(row=row, column=col)
        if cell.role in ("number", "percent") and cell.value is not None:
            target.value = cell.value / 100 if cell.role == "percent" else cell.value
            target.number_format = _number_format(cell)
        else:
            set_text(target, cell.text)
        if cell.colspan > 1 or cell.rowspan > 1:
            _merge(ws, row, col, row + cell.rowspan - 1, col + cell.colspan - 1)
        width = sum(widths[col - 1 : col - 1 + cell.colspan])
        lines = max(lines, _lines(cell.text, width) / cell.rowspan)
        col += cell.colspan
    return lines


def _set_widths(ws: Worksheet, widths: list[int]) -> None:
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _print_setup(ws: Worksheet, *, title_rows: str | None = None, landscape=False) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    if title_rows:
        ws.print_title_rows = title_rows


def _title(ws: Worksheet, row: int, text: str, width: int, size: float = 16) -> None:
    cell = ws.cell(row=row, column=1)
    set_text(cell, text)
    _style(cell, bold=True, size=size, border=False)
    _merge(ws, row, 1, row, width)
    ws.row_dimensions[row].height = size * 1.9


# A4 portrait as `_print_setup` sets it up, in points: the height less the top and bottom
# margins, with a share kept back for the page number and the spreadsheet's own rounding; the
# width less the side margins. Column widths are in characters of the default font (7 px).
PAGE_HEIGHT = (841.9 - 2 * 0.7 * 72) * 0.9
PAGE_WIDTH = 595.3 - 2 * 0.5 * 72
HEAD_HEIGHT = 30


def _fit_scale(widths: list[int]) -> float:
    """How much printing fitted to the page's width shrinks the sheet."""
    return min(1.0, PAGE_WIDTH / (sum(w * 7 + 5 for w in widths) * 0.75))


def _grid_height(row) -> float:
    """A grid row's height from its own cells (三级 to 确定依据), as `_write_row` sets it."""
    widths = [TABLE_WIDTHS[2], sum(TABLE_WIDTHS[3:5]), TABLE_WIDTHS[5], TABLE_WIDTHS[6]]
    lines = max(_lines(text, width) for text, width in zip(row.cells[2:], widths, strict=True))
    return max(20, 15 * lines)


def _paged_form(ws, table, widths, *, row: int, heights: list[float], after=()) -> tuple:
    """Draw a form from `row` on: the header block, the grid's head row (repeated on every
    printed page), the grid, then the `after` rows. The form computes its own page breaks from
    the grid rows' `heights`: a merged 一级 or 二级 cell ends at a break and starts again, with
    its label, on the next page (a merge across a break prints its label once). Returns the
    head row and the row after the form."""
    occupied: set = set()
    used = sum(ws.row_dimensions[r].height or 0 for r in range(1, row))
    for cells in table.header_rows():
        lines = _write_row(ws, row, cells, occupied, widths)
        ws.row_dimensions[row].height = max(20, 15 * lines)
        used += ws.row_dimensions[row].height
        row += 1
    head_row = row
    _write_row(ws, row, table.grid_head(), occupied, widths)
    ws.row_dimensions[row].height = HEAD_HEIGHT
    row += 1
    page = PAGE_HEIGHT / _fit_scale(widths)
    splits = page_splits(heights, page - used - HEAD_HEIGHT, page - HEAD_HEIGHT)
    for line in table.grid_rows(splits):
        if line.index in splits:
            ws.row_breaks.append(Break(id=row - 1))
        lines = _write_row(ws, row, line.cells, occupied, widths)
        ws.row_dimensions[row].height = max(20, 15 * lines)
        row += 1
    for cells in after:
        lines = _write_row(ws, row, cells, occupied, widths)
        ws.row_dimensions[row].height = max(20, 15 * lines)
        row += 1
    _print_setup(ws, title_rows=f"{head_row}:{head_row}")
    return head_row, row


def write_table(ws: Worksheet, table: TargetTable) -> dict[str, int]:
    """Draw one 绩效目标表 on a sheet; return the rows where its parts begin."""
    _set_widths(ws, TABLE_WIDTHS)
    _title(ws, 1, table.heading, COLUMNS)
    heights = [_grid_height(r) for r in table.rows]
    head_row, end = _paged_form(ws, table, TABLE_WIDTHS, row=2, heights=heights)
    # Printed on every page: which table, and whether it is approved yet.
    ws.oddHeader.left.text = table.heading
    if table.status_mark:
        ws.oddHeader.right.text = table.status_mark
    return {"grid_head": head_row, "end": end}


def _write_meta(wb: Workbook, rows: list[tuple[str, str]]) -> None:
    """A hidden sheet with what the printed form does not show (year, framework), so that the
    form can be imported back as the same project."""
    ws = wb.create_sheet(META_SHEET)
    for i, (key, value) in enumerate(rows, 1):
        set_text(ws.cell(row=i, column=1), key)
        set_text(ws.cell(row=i, column=2), value)
    ws.sheet_state = "hidden"


def table_meta(table: TargetTable) -> list[tuple[str, str]]:
    """The form's 元数据 rows (`META_KEYS`): what the printed form does not show whole."""
    project = table.project
    values = (
        str(project.year),
        project.department.code,
        project.department.name,
        str(project.table_number),
        project.table_name,
        project.code,
        project.framework.code,
        project.section.name if project.section else "",
        str(project.version),
    )
    return list(zip(META_KEYS, values, strict=True))


def _save(wb: Workbook) -> bytes:
    """The workbook's bytes, its properties (文件 › 信息) in Chinese: the first sheet's title
    and the system as author, not the library."""
    properties = wb.properties
    properties.title = wb.worksheets[0].title if wb.worksheets else ""
    properties.creator = properties.lastModifiedBy = APP_NAME
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def table_workbook(table: TargetTable) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(f"{table.project.table_number}.{table.project.table_name}", set())
    write_table(ws, table)
    _write_meta(wb, table_meta(table))
    return _save(wb)


def sheet_name(text: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _SHEET_NAME_BAD.sub("_", ILLEGAL_CHARACTERS_RE.sub("", text)).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _paragraphs(ws: Worksheet, row: int, texts: list[str], width: int) -> int:
    for text in texts:
        cell = ws.cell(row=row, column=1)
        set_text(cell, "　　" + text)
        _style(cell, align="left", border=False, size=11)
        _merge(ws, row, 1, row, width)
        ws.row_dimensions[row].height = 16 * _lines("　　" + text, sum(RATING_WIDTHS))
        row += 1
    return row


def _heading(ws: Worksheet, row: int, text: str, width: int) -> int:
    cell = ws.cell(row=row, column=1)
    set_text(cell, text)
    _style(cell, bold=True, align="left", border=False, size=12)
    _merge(ws, row, 1, row, width)
    ws.row_dimensions[row].height = 22
    return row + 1


def write_part_one(ws: Worksheet, part_one: PartOne) -> None:
    from departments.templatetags.booklet import cn_number

    rated = part_one.rated
    widths = RATING_WIDTHS + ([12, 14] if rated else [])
    width = len(widths)
    _set_widths(ws, widths)
    _title(ws, 1, part_one.title, width)
    _title(ws, 2, "第一部分　部门整体绩效目标", width, size=14)
    row = _heading(ws, 3, "一、总体绩效目标", width)
    row = _paragraphs(ws, row, list(part_one.overall_target), width)
    row = _heading(ws, row, "二、分项绩效目标", width)
    for n, section in enumerate(part_one.sections, 1):
        row = _heading(ws, row, f"（{cn_number(n)}）{section.name}", width)
        row = _paragraphs(ws, row, list(section.duties), width)
        if not section.rows:
            continue
        row = _paragraphs(ws, row, ["绩效指标："], width)
        occupied: set = set()
        head = [Cell("绩效指标", rowspan=2, role="head"), Cell("评价标准", colspan=4, role="head")]
        if rated:
            head += [
                Cell("实际完成值", rowspan=2, role="head"),
                Cell("评级", rowspan=2, role="head"),
            ]
        _write_row(ws, row, head, occupied, widths)
        _write_row(ws, row + 1, [Cell(g, role="head") for g in "优良中差"], occupied, widths)
        row += 2
        for rating_row in section.rows:
            cells = [Cell(rating_row.name)] + [Cell(t, role="number") for t in rating_row.criteria]
            if rated:
                cells += [
                    Cell(rating_row.actual, role="number"),
                    Cell(rating_row.grade, role="number"),
                ]
            lines = _write_row(ws, row, cells, occupied, widths)
            ws.row_dimensions[row].height = max(20, 15 * lines)
            row += 1
    if rated:
        row = _paragraphs(ws, row, [f"科室评级汇总：{part_one.summary_text}"], width)
    row = _paragraphs(ws, row, [f"注：{note}" for note in part_one.notes], width)
    row = _heading(ws, row, "三、工作保障措施", width)
    _paragraphs(ws, row, list(part_one.safeguards), width)
    _print_setup(ws)


def booklet_workbook(part_one: PartOne, tables: list[TargetTable], progress=None) -> bytes:
    """第一部分 and every table, each on its sheet; `progress(done, total)` hears of each table."""
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = sheet_name("第一部分", taken)
    write_part_one(ws, part_one)
    for done, table in enumerate(tables, 1):
        project = table.project
        write_table(
            wb.create_sheet(sheet_name(f"{project.table_number}.{project.table_name}", taken)),
            table,
        )
        if progress:
            progress(done, len(tables))
    return _save(wb)


EVALUATION_WIDTHS = [11, 17, 15, 12, 12, 8, 8, 28]


def evaluation_workbook(table) -> bytes:
    """The 项目支出绩效自评表 as a form workbook, from the same cells as the page and the PDF,
    paged as the 绩效目标表's form is."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(f"{table.project.table_number}.{table.project.table_name}", set())
    widths = EVALUATION_WIDTHS
    _set_widths(ws, widths)
    _title(ws, 1, table.title, len(widths))
    _title(ws, 2, table.year_line, len(widths), size=11)
    heights = [
        max(20, 15 * max(_lines(c.text, w) for c, w in zip(own_cells(r), widths[2:], strict=True)))
        for r in table.rows
    ]
    _paged_form(ws, table, widths, row=3, heights=heights, after=[table.total_row()])
    return _save(wb)


SUMMARY_COLUMNS = (
    ("表序号", 8),
    ("项目编码", 24),
    ("项目名称", 36),
    ("全年预算数", 12),
    ("全年执行数", 12),
    ("执行率（%）", 12),
    ("自评得分", 10),
    ("自评等级", 10),
)


def evaluation_summary_workbook(tables) -> bytes:
    """绩效自评汇总: one row per project of the unit-year."""
    from projects.documents.lists import Column, ListSheet, list_workbook

    rows = [
        [
            table.project.table_number,
            table.project.code,
            table.project.name,
            table.evaluation.annual_budget if table.evaluation else None,
            table.evaluation.executed if table.evaluation else None,
            table.execution_rate,
            table.total_score,
            table.grade,
        ]
        for table in tables
    ]
    columns = [Column(header, width) for header, width in SUMMARY_COLUMNS]
    return list_workbook([ListSheet("绩效自评汇总", columns, rows)])
