"""Workbooks that are lists: one header row, then one row per record (审核结果, 修改记录,
绩效自评汇总, the data workbook's sheets). The rows are written first and formatted after,
column by column, so every list looks alike: bold heads, set widths, wrapped long text, the
head frozen, and on paper A4 with the head repeated and the page numbered."""

from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from projects.documents.xlsx import _print_setup, _save, set_text

WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14
    wrap: bool = False  # long text: wrapped within the column
    number_format: str = ""  # e.g. "0.####" for a percent written as its number


@dataclass
class ListSheet:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    heading: str = ""  # printed at the top of every page; a sheet with one is set up for print
    landscape: bool = False


def list_workbook(sheets: list[ListSheet]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        _write(wb.create_sheet(sheet.title), sheet)
    return _save(wb)


def _write(ws, sheet: ListSheet) -> None:
    for r, values in enumerate([[c.header for c in sheet.columns], *sheet.rows], 1):
        for col, value in enumerate(values, 1):
            set_text(ws.cell(row=r, column=col), value)
    last = len(sheet.rows) + 1
    for col, column in enumerate(sheet.columns, 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = column.width
        ws.cell(row=1, column=col).font = Font(bold=True)
        if column.wrap or column.number_format:
            for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=col, max_col=col):
                if column.wrap:
                    cell.alignment = WRAP
                if column.number_format and cell.value is not None:
                    cell.number_format = column.number_format
    ws.freeze_panes = "A2"
    if sheet.heading:
        _print_setup(ws, title_rows="1:1", landscape=sheet.landscape)
        ws.oddHeader.center.text = sheet.heading
