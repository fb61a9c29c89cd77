"""A form workbook as exported (one 绩效目标表) read into the spec of one project: the form's
parts are found by their labels, its values presented as a one-row data sheet so that the data
workbook's checks apply, then its indicator grid is read."""

import re
from dataclasses import dataclass

from projects.importer.contract import (
    FORM_GRID_COLUMNS,
    META_SHEET,
    MONTH_HEADER,
    VERSION_HEADER,
    indicator_column,
)
from projects.importer.data_sheets import read_projects, too_many_indicators
from projects.importer.plan import FORM_WORKBOOK, ImportPlan, IndicatorSpec, Problem
from projects.importer.read import Sheet, cell_text
from projects.models import MAX_INDICATORS_PER_PROJECT

HEADING = re.compile(r"^(\d+)[.．、](.+?)绩效目标表$")
UNIT_LINE = re.compile(r"^([0-9A-Za-z]+)(.*)$")
NOT_A_FORM = (
    "表格结构与绩效目标表不符"
    "（找不到标题、项目编码、预算规模及资金用途、资金支出计划、绩效目标或指标表头）"
)
NO_YEAR = "无法确定年度：请使用本系统导出的表格，或在导入时指定年度"


class _Form:
    """A 绩效目标表 sheet read by its labels, merged cells resolved to their top-left value."""

    def __init__(self, ws):
        self.ws = ws
        self.merged = {}
        for rng in ws.merged_cells.ranges:
            top_left = ws.cell(row=rng.min_row, column=rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.merged[(r, c)] = (rng.min_row, rng.min_col, top_left)

    def value(self, r: int, c: int):
        if (r, c) in self.merged:
            return self.merged[(r, c)][2]
        return self.ws.cell(row=r, column=c).value

    def anchors(self, r: int) -> list[tuple[int, object]]:
        """(column, value) of the cells that start in row r's columns, left to right."""
        out = []
        for c in range(1, self.ws.max_column + 1):
            origin = self.merged.get((r, c))
            if origin and origin[1] != c:
                continue
            out.append((c, self.value(r, c)))
        return out

    def find_row(self, label: str) -> int | None:
        for r in range(1, self.ws.max_row + 1):
            if cell_text(self.ws.cell(row=r, column=1).value) == label:
                return r
        return None

    def after(self, r: int, label: str):
        anchors = self.anchors(r)
        for i, (_, value) in enumerate(anchors):
            if cell_text(value) == label and i + 1 < len(anchors):
                return anchors[i + 1][1]
        return None


@dataclass(frozen=True)
class _Parts:
    """The rows where the form's parts start, found by their labels in column A."""

    code: int
    funds: int
    schedule: int
    target: int
    grid: int


def _parts(form: _Form) -> _Parts | None:
    labels = ("项目编码", "预算规模及资金用途", "资金支出计划（%）", "绩效目标", "一级指标")
    rows = [form.find_row(label) for label in labels]
    return _Parts(*rows) if all(rows) else None


def read_form_workbook(wb, problems: list[Problem], default_year: int | None) -> ImportPlan:
    ws = wb.worksheets[0]
    meta = _meta(wb)
    form = _Form(ws)
    heading = HEADING.match(cell_text(ws["A1"].value))
    parts = _parts(form)
    if not (heading and parts):
        problems.append(Problem(ws.title, None, None, NOT_A_FORM))
        return ImportPlan(kind=FORM_WORKBOOK)
    year_text = meta.get("年度") or (str(default_year) if default_year else "")
    if not year_text.isdigit():
        problems.append(Problem(ws.title, None, None, NO_YEAR))
        return ImportPlan(kind=FORM_WORKBOOK)
    values = _values(form, parts, heading, meta, int(year_text))
    sheet = _FormSheet(ws.title, problems, values, _percent_cells(form, parts.schedule))
    specs = read_projects(sheet)
    if not specs:
        return ImportPlan(kind=FORM_WORKBOOK)
    spec = specs[0]
    spec.sheet = ws.title
    spec.row = parts.code
    spec.indicators = _read_grid(form, parts.grid, spec.code, problems)
    return ImportPlan(kind=FORM_WORKBOOK, projects=[spec])


def _meta(wb) -> dict[str, str]:
    meta = {}
    if META_SHEET in wb.sheetnames:
        for row in wb[META_SHEET].iter_rows(values_only=True):
            # A sheet cut down to one column (or an empty row) gives keys without values.
            key, value = (tuple(row) + (None, None))[:2]
            meta[cell_text(key)] = cell_text(value)
    return meta


def _values(form: _Form, parts: _Parts, heading: re.Match, meta: dict, year: int) -> dict:
    """The form's values under the data workbook's headers, so that the data sheet's checks
    apply; the meta sheet says what the printed form shows only as part of a line, or not."""
    unit = UNIT_LINE.match(cell_text(form.ws.cell(row=parts.code - 1, column=1).value))
    return {
        "年度": year,
        "单位编码": meta.get("单位编码") or (unit[1] if unit else ""),
        "单位名称": meta.get("单位名称") or (unit[2] if unit else ""),
        "表序号": meta.get("表序号") or heading[1],
        "表名称": meta.get("表名称") or heading[2],
        "项目编码": form.after(parts.code, "项目编码"),
        "项目名称": form.after(parts.code, "项目名称"),
        "预算数": form.after(parts.funds, "预算数"),
        "财政资金": form.after(parts.funds, "其中：财政资金"),
        "其他资金": form.after(parts.funds, "其他资金"),
        "资金用途": form.value(parts.funds + 1, 2),
        "绩效目标": form.value(parts.target, 2),
        "指标体系": meta.get("指标体系", ""),
        "责任科室": meta.get("责任科室", ""),
        VERSION_HEADER: meta.get(VERSION_HEADER, ""),
    }


def _percent_cells(form: _Form, schedule_row: int) -> dict:
    """The schedule's cells by milestone header (3月底), kept as cells for their number format."""
    cells = {}
    for col, label in form.anchors(schedule_row)[1:]:
        if MONTH_HEADER.match(cell_text(label)):
            cells[cell_text(label)] = form.ws.cell(row=schedule_row + 1, column=col)
    return cells


def _read_grid(form: _Form, grid_row: int, code: str, problems: list) -> list[IndicatorSpec]:
    """The 三级 indicators below the grid's header row."""
    title, indicators = form.ws.title, []
    for r in range(grid_row + 1, form.ws.max_row + 1):
        cells = [cell_text(form.value(r, c)) for c in FORM_GRID_COLUMNS]
        if not any(cells[2:]):
            continue  # a 二级 with no 三级 under it
        if not cells[2]:
            problems.append(Problem(title, r, indicator_column("三级指标", form=True), "不能为空"))
            continue
        too_long = [
            Problem(title, r, column, "过长（最多 200 个字符）")
            for column, text in (
                (indicator_column("三级指标", form=True), cells[2]),
                (indicator_column("指标值", form=True), cells[4]),
                (indicator_column("指标值确定依据", form=True), cells[5]),
            )
            if len(text) > 200
        ]
        if too_long:
            problems.extend(too_long)
            continue
        if len(indicators) == MAX_INDICATORS_PER_PROJECT:
            problems.append(Problem(title, r, None, too_many_indicators(code)))
            break
        indicators.append(IndicatorSpec(*cells, row=r))
    return indicators


class _FormSheet(Sheet):
    """The form's values presented as a one-row data sheet, so the same checks apply."""

    def __init__(self, title, problems, values, percent_cells):
        self.title = title
        self.problems = problems
        headers = list(values) + list(percent_cells)
        self.columns = {h: i for i, h in enumerate(headers, 1)}
        cells = {}
        for header, value in values.items():
            cells[self.columns[header]] = _Value(value, "General")
        for header, cell in percent_cells.items():
            cells[self.columns[header]] = _Value(cell.value, cell.number_format)
        self.rows = [(0, cells)]
        self.valid = True

    def problem(self, row, header, message, col=None) -> None:
        self.problems.append(Problem(self.title, None, header, message))


@dataclass
class _Value:
    value: object
    number_format: str
