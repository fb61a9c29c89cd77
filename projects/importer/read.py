"""Opening an uploaded workbook within the import limits, and reading its cells: a data sheet's
rows by header, each value checked as text, code, integer, money or percent, every problem
reported by row and column."""

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from itertools import chain

from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.escape import unescape
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from perfbudget.lib.codes import code_validator
from perfbudget.lib.numbers import NotANumber, finite_decimal
from perfbudget.lib.security import has_control_characters
from projects.importer.contract import (
    INDICATOR_SHEET,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    MONTH_HEADER,
    SHEET_ROWS,
)
from projects.importer.plan import ImportRejected, Problem

NOT_A_WORKBOOK = "文件不是有效的 Excel 工作簿（.xlsx），或文件已损坏。"
TOO_LARGE = "文件过大（超过 {limit} MB），请拆分后分批导入。"
UNPACKS_TOO_LARGE = "工作簿解压后过大，疑似异常文件，已拒绝。"
FORMULA = "单元格含有公式，请先将公式转换为数值后再导入。"
CONTROL_CHARACTER = "单元格含有控制字符（如 \\x01、\\x1b 等不可见字符），请删除后再导入。"


def cell_text(value) -> str:
    """A cell's value as text: dates as ISO dates, a whole float without its .0, trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Sheet:
    """Rows of a data sheet as dicts by header, with problems reported by row and column."""

    def __init__(self, ws, problems: list[Problem], required: list[str], optional=()):
        self.title = ws.title
        self.problems = problems
        # The rows that hold a value, with their numbers as the spreadsheet shows them.
        rows = iter(ws.rows)
        number, header_cells = next(rows, (1, ()))
        if number != 1:  # no header row: every column is missing
            rows, header_cells = chain([(number, header_cells)], rows), ()
        self.columns: dict[str, int] = {}
        for column, cell in enumerate(header_cells, 1):
            header = cell_text(cell.value)
            if header:
                self.columns[header] = column
        self.valid = True
        for header in required:
            if header not in self.columns:
                self.problem(None, None, f"缺少列“{header}”")
                self.valid = False
        allowed = set(required) | set(optional)
        for header, col in self.columns.items():
            if header not in allowed and not MONTH_HEADER.match(header):
                self.problem(1, header, f"未知的列“{header}”（列名须与模板一致）", col)
        self.rows = []
        for number, cells in rows:
            values = {}
            for column, cell in enumerate(cells, 1):
                if cell.value is not None:
                    values[column] = cell
            if any(cell_text(c.value) for c in values.values()):
                self.rows.append((number, values))

    def problem(self, row, header, message, col=None) -> None:
        col = col or self.columns.get(header or "")
        column = f"{get_column_letter(col)}列（{header}）" if col and header else header
        self.problems.append(Problem(self.title, row, column, message))

    def value(self, row: int, cells: dict, header: str):
        col = self.columns.get(header)
        cell = cells.get(col) if col else None
        return None if cell is None else cell.value

    def text(self, row, cells, header, *, required=False, max_length=None) -> str:
        text = cell_text(self.value(row, cells, header))
        if required and not text:
            self.problem(row, header, "不能为空")
        if max_length and len(text) > max_length:
            self.problem(row, header, f"过长（最多 {max_length} 个字符）")
        return text

    def code(self, row, cells, header, *, max_length: int) -> str:
        """A unit or project code: letters, digits, - and _ only."""
        text = self.text(row, cells, header, required=True, max_length=max_length)
        if text and len(text) <= max_length:
            try:
                code_validator(text)
            except ValidationError as refused:
                self.problem(row, header, refused.messages[0])
        return text

    def integer(self, row, cells, header, *, required=True, low=None, high=None) -> int | None:
        raw = self.value(row, cells, header)
        if raw is None or cell_text(raw) == "":
            if required:
                self.problem(row, header, "不能为空")
            return None
        try:
            number = _finite(raw, cell_text(raw))
        except NotANumber:
            number = None
        if number is None or number != number.to_integral_value():
            self.problem(row, header, f"“{cell_text(raw)}”不是整数")
            return None
        value = int(number)
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem(row, header, f"应在 {low} 到 {high} 之间")
            return None
        return value

    def money(self, row, cells, header, *, required=True) -> Decimal | None:
        raw = self.value(row, cells, header)
        text = cell_text(raw).replace(",", "").replace("，", "")
        if not text:
            if required:
                self.problem(row, header, "不能为空")
            return None
        try:
            value = _finite(raw, text)
        except NotANumber:
            self.problem(row, header, f"“{cell_text(raw)}”不是有效的金额（万元）")
            return None
        if value < 0:
            self.problem(row, header, "金额不能为负数")
            return None
        if value.as_tuple().exponent < -6 or abs(value) >= Decimal(10) ** 14:
            self.problem(row, header, "金额最多保留6位小数（万元），且不超过14位整数")
            return None
        return value

    def percent(self, row, cells, header) -> Decimal | None:
        col = self.columns.get(header)
        cell = cells.get(col) if col else None
        if cell is None or cell_text(cell.value) == "":
            return None
        raw = cell.value
        try:
            value = _finite(raw, cell_text(raw).rstrip("%％").strip())
        except NotANumber:
            self.problem(row, header, f"“{cell_text(raw)}”不是有效的百分比")
            return None
        if isinstance(raw, int | float) and "%" in (cell.number_format or ""):
            value *= 100
        if not (0 <= value <= 100):
            self.problem(row, header, "百分比应在 0% 到 100% 之间")
            return None
        return value.normalize() if value == value.to_integral() else value


def _finite(raw, text: str) -> Decimal:
    """A cell's number: a float exactly as Excel shows it, anything else from its text.
    NotANumber for what is not a finite number (NaN and Infinity included)."""
    if isinstance(raw, float):
        return finite_decimal(repr(raw))
    if isinstance(raw, int):
        return finite_decimal(str(int(raw)))
    return finite_decimal(text)


@dataclass(frozen=True)
class WalkedSheet:
    """A sheet as the walk within the limits read it: the rows that hold a value, each with
    its number (from 1) and its cells (from column A)."""

    title: str
    rows: list[tuple[int, tuple]]

    def first_value(self):
        """The value of A1."""
        if not self.rows or self.rows[0][0] != 1 or not self.rows[0][1]:
            return None
        return self.rows[0][1][0].value


class WalkedWorkbook:
    """An uploaded workbook's sheets, each read once (openpyxl parses a streamed sheet again
    on every pass over it)."""

    def __init__(self, sheets: list[WalkedSheet]):
        self.worksheets = sheets
        self.sheetnames = [sheet.title for sheet in sheets]
        self._by_title = {sheet.title: sheet for sheet in sheets}

    def __getitem__(self, title: str) -> WalkedSheet:
        return self._by_title[title]


def open_workbook(data: bytes) -> WalkedWorkbook:
    """The workbook's sheets, read once (streamed, read-only) and within the limits: the parts
    are counted first (rows, cells, and the elements of every other part: formats, shared
    strings, names), then the walk stops at the first row, column or cell past a limit, so a
    huge sheet costs no more than a legal one. Formulas and control characters are refused
    cell by cell."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(
            [Problem("文件", None, None, TOO_LARGE.format(limit=MAX_FILE_BYTES // 2**20))]
        )
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportRejected([Problem("文件", None, None, UNPACKS_TOO_LARGE)])
            _count_parts(archive)
        reader = ExcelReader(BytesIO(data), read_only=True, data_only=False)
        reader.read()
        wb = reader.wb
        # openpyxl leaves out, without a word, a sheet whose part is missing from the file.
        if len(wb.sheetnames) != len(list(reader.parser.find_sheets())):
            raise ValueError("a sheet the workbook lists is missing")
        sheets, problems = _walk_within_limits(wb)
        wb.close()
    except ImportRejected:
        raise
    except Exception:  # openpyxl raises many kinds of errors on damaged parts
        raise ImportRejected([Problem("文件", None, None, NOT_A_WORKBOOK)]) from None
    if problems:
        raise ImportRejected(problems)
    return WalkedWorkbook(sheets)


def _too_many_cells() -> str:
    return (
        f"工作簿的行数、列数或单元格过多（每个工作表最多 {MAX_ROWS} 行，“指标”最多 "
        f"{SHEET_ROWS.get(INDICATOR_SHEET, MAX_ROWS)} 行；最多 {MAX_COLUMNS} 列；"
        f"共最多 {MAX_CELLS} 个单元格），请拆分后分批导入"
    )


# A row's or a cell's start tag (any namespace prefix), with a cell's column letters when it
# states them. Text cannot hold a "<" (XML escapes it); a comment or CDATA that looks like a
# tag only counts more, never less.
_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:(row)|c)(?=[\s/>])"
    rb"(?:(?=[^>]*?\sr=[\"']([A-Z]+)))?"  # a cell's column, when it states one
    # An empty cell: a format and no value, <c r="B7" s="3"/> or <c r="B7" s="3"></c> (a cell
    # whose end falls in the next chunk counts as one with a value: more, never less).
    rb"(?:(?=[^>]*(/>|>\s*</(?:[A-Za-z_][\w.-]*:)?c>)))?"
)
# Row and cell elements of the whole workbook, empty ones included (a formatted range): the
# limits count what holds a value; this bounds what openpyxl walks past.
MAX_SHEET_ELEMENTS = 1_000_000
CHUNK = 1 << 20


# Elements of any other XML part (formats, names, relationships …): Excel itself keeps at most
# 64 000 cell formats, each a few elements. A few kilobytes can unpack to millions of elements,
# and openpyxl builds an object for each.
MAX_PART_ELEMENTS = 300_000
# Shared strings: no more than the cells they could fill.
MAX_SHARED_STRINGS = MAX_CELLS
_ELEMENT = re.compile(rb"<[A-Za-z_]")
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")
PART_TOO_LARGE = (
    "工作簿中的格式、文本或名称数量异常（超过 {limit} 项），疑似异常文件，已拒绝。"
    "请在 Excel 中将内容复制到新的工作簿后再导入。"
)


def _texts(source):
    """An XML part in chunks, each cut after its last whole tag (a tag cut by a chunk's end is
    read whole with the next chunk)."""
    tail = b""
    while chunk := source.read(CHUNK):
        text = tail + chunk
        cut = text.rfind(b"<")
        if cut != -1 and text.find(b">", cut) == -1:
            text, tail = text[:cut], text[cut:]
            if len(tail) > CHUNK:  # no part of a workbook has a tag a megabyte long
                raise ImportRejected([Problem("文件", None, None, NOT_A_WORKBOOK)])
        else:
            tail = b""
        yield text


def _count_parts(archive: zipfile.ZipFile) -> None:
    """Count, before openpyxl reads anything, the rows and cells of every sheet's XML as it
    streams past (its start tags, read by one regular expression), stopping at the largest
    limit any sheet has; and the elements of every other XML part (the shared strings no more
    than the cells allowed). openpyxl, even read-only, parses a whole row before anyone can
    look at it, a whole sheet to learn its size when the file does not state it, and the
    formats, strings and names whole when it opens the file; after this count all are short."""
    counts = [0, 0]  # cells with a value, row and cell elements
    for name in archive.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            with archive.open(name) as source:
                _count_sheet(source, counts)
        elif name.endswith((".xml", ".rels", ".vml")):
            shared = name.rsplit("/", 1)[-1].lower() == "sharedstrings.xml"
            with archive.open(name) as source:
                if shared:
                    _count_elements(source, _SHARED_STRING, MAX_SHARED_STRINGS)
                else:
                    _count_elements(source, _ELEMENT, MAX_PART_ELEMENTS)


def _count_sheet(source, counts: list[int]) -> None:
    """Count a sheet's rows and cells that hold a value (a row counts with its first such
    cell), and every row and cell element; `counts` holds the workbook's cells with a value
    and its elements so far, this sheet's added."""
    row_limit = max(MAX_ROWS, *SHEET_ROWS.values())
    widest = get_column_letter(MAX_COLUMNS).encode()
    rows, row_counted = 0, True
    for text in _texts(source):
        for match in _TAG.finditer(text):
            counts[1] += 1
            if match[1]:
                row_counted = False
            elif not match[3]:  # a cell with a value
                counts[0] += 1
                if not row_counted:
                    rows, row_counted = rows + 1, True
                column = match[2]
                if column and (len(column), column) > (len(widest), widest):
                    rows = row_limit + 1
            if rows > row_limit or counts[0] > MAX_CELLS or counts[1] > MAX_SHEET_ELEMENTS:
                raise ImportRejected([Problem("文件", None, None, _too_many_cells())])


def _count_elements(source, pattern: re.Pattern, limit: int) -> None:
    """Refuse a part with more elements (or shared strings) than a real workbook holds."""
    count = 0
    for text in _texts(source):
        count += sum(1 for _ in pattern.finditer(text))
        if count > limit:
            raise ImportRejected([Problem("文件", None, None, PART_TOO_LARGE.format(limit=limit))])


def _too_many(title: str, limit: int) -> Problem:
    return Problem(
        title,
        None,
        None,
        f"行数或列数过多（此工作表最多 {limit} 行、{MAX_COLUMNS} 列，全部工作表共最多 "
        f"{MAX_CELLS} 个非空单元格），请拆分后分批导入",
    )


def _with_value(cell: ReadOnlyCell, value: str) -> ReadOnlyCell:
    """The cell holding the text Excel's escapes stand for: Excel writes a control character
    or a carriage return as _xHHHH_ (and "_" before such text as _x005F_), which openpyxl
    leaves as it is."""
    return ReadOnlyCell(cell.parent, cell.row, cell.column, value, cell.data_type, cell._style_id)


_TEXT = f"{{{SHEET_MAIN_NS}}}t"
_RUN = f"{{{SHEET_MAIN_NS}}}r"


class _SheetParser(WorkSheetParser):
    """openpyxl's parser of a sheet's XML, reading an inline string's text itself: openpyxl
    builds a rich-text object for each (a third of the time a sheet takes to read) to join the
    same pieces, its plain text and the text of each run (not the phonetic guide)."""

    def parse_cell(self, element):
        inline = element.find(INLINE_STRING) if element.get("t") == "inlineStr" else None
        if inline is None or element.find(FORMULA_TAG) is not None:
            return super().parse_cell(element)
        # Its place and format read as openpyxl reads them.
        coordinate, style = element.get("r"), element.get("s", 0)
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        pieces = [inline.findtext(_TEXT)] + [run.findtext(_TEXT) for run in inline.iter(_RUN)]
        text = "".join(p for p in pieces if p is not None)
        style = int(style) if style else 0
        return {"row": row, "column": column, "value": text, "data_type": "s", "style_id": style}


def _rows(ws):
    """The sheet's rows as `ws.iter_rows(min_row=1)` gives them (a row missing from the file
    as an empty one, the cells of a row from its first column), parsed by _SheetParser."""
    workbook, counter = ws.parent, 1
    with ws._get_source() as source:
        parser = _SheetParser(
            source,
            ws._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            for _ in range(counter, number):
                counter += 1
                yield ()
            if counter <= number:
                counter += 1
                yield ws._get_row(cells, 1, None, False)


def _walk_within_limits(wb) -> tuple[list[WalkedSheet], list[Problem]]:
    """Every sheet's rows, read once; the problems of the cells (formulas, control
    characters), or only the first limit passed."""
    problems: list[Problem] = []
    sheets: list[WalkedSheet] = []
    cells_seen = 0
    for ws in wb.worksheets:
        limit = SHEET_ROWS.get(ws.title, MAX_ROWS)
        # The sheet's dimension is not read: it may cover a formatted range that holds nothing,
        # or understate the rows (a streamed sheet stops where it says, and a file whose
        # dimension is too small would lose the rest without a word). The rows are counted as
        # they are, those that hold a value (their elements were counted before, all of them).
        ws.reset_dimensions()
        rows, filled = [], 0
        for number, row in enumerate(_rows(ws), 1):
            decoded = None  # the row's cells, where one held Excel's escapes
            counted = False
            for index, cell in enumerate(row):
                value = cell.value
                if value is None:
                    continue
                if not counted:
                    filled, counted = filled + 1, True
                    if filled > limit:
                        return sheets, [*problems, _too_many(ws.title, limit)]
                cells_seen += 1
                if cell.column > MAX_COLUMNS or cells_seen > MAX_CELLS:
                    return sheets, [*problems, _too_many(ws.title, limit)]
                if isinstance(value, str) and "_x" in value:
                    text = unescape(value)
                    if text != value:
                        value = text
                        decoded = decoded or list(row)
                        decoded[index] = _with_value(cell, value)
                problem = None
                if cell.data_type == "f" or type(value).__name__ in (
                    "ArrayFormula",
                    "DataTableFormula",
                ):
                    problem = FORMULA
                elif isinstance(value, str) and has_control_characters(value):
                    problem = CONTROL_CHARACTER
                if problem:
                    where = f"{get_column_letter(cell.column)}列"
                    problems.append(Problem(ws.title, number, where, problem))
            if counted:  # a row with no value (a formatted range) is not kept
                rows.append((number, tuple(decoded) if decoded else row))
        sheets.append(WalkedSheet(ws.title, rows))
    return sheets, problems


def open_form(data: bytes):
    """A form workbook in the normal mode, for its merged cells (read-only mode has none);
    only after `open_workbook` has walked it within the limits."""
    try:
        return load_workbook(BytesIO(data), data_only=False)
    except Exception:
        raise ImportRejected([Problem("文件", None, None, NOT_A_WORKBOOK)]) from None
