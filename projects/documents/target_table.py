"""What a 项目绩效目标表 contains, apart from how HTML, PDF or Excel draw it.

Every format draws from `build_target_table`: the header block (unit, code, funds, schedule,
target) and the indicator grid, whose 一级 and 二级 cells carry their rowspans. Every 二级 of the
framework appears, with an empty row when it has no 三级, as the official form does.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from perfbudget.lib.numbers import format_money, format_percent
from projects.models import BudgetYear, Project

GRID_HEADERS = ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"]
# The form is seven columns wide: the label column and six for values. The grid gives the
# description two of them, as the printed form gives it the widest column.
COLUMNS = 7
GRID_SPANS = [1, 1, 1, 2, 1, 1]


@dataclass
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    role: str = "value"  # label | value | number | percent | head | unit | group
    value: Decimal | None = None  # the number behind a number or percent cell


@dataclass
class GridLine:
    """One row of the indicator grid as drawn: its cells and where it sits in the table."""

    index: int
    cells: list[Cell]
    starts_group: bool  # the row carries its own 一级 cell
    indicator_id: int | None = None


def group_spans(keys: list[tuple[str, str]], splits=frozenset()) -> list[tuple[int, int]]:
    """For rows keyed (一级, 二级), the rowspans of the merged 一级 and 二级 cells each row
    starts (0: a cell above covers it), as every grid of the forms merges them.

    `splits` are row indexes where a page begins: there the 一级 and 二级 cells start again,
    so a group that continues on the next page shows its labels at the top of that page."""
    starts_primary, starts_secondary = [], []
    for i, key in enumerate(keys):
        prev = keys[i - 1] if i else None
        new_primary = prev is None or prev[0] != key[0] or i in splits
        starts_primary.append(new_primary)
        starts_secondary.append(new_primary or prev[1] != key[1])

    def span(starts: list[bool], i: int) -> int:
        if not starts[i]:
            return 0
        end = next((j for j in range(i + 1, len(starts)) if starts[j]), len(starts))
        return end - i

    return [(span(starts_primary, i), span(starts_secondary, i)) for i in range(len(keys))]


def page_splits(heights: list[float], first: float, rest: float) -> frozenset[int]:
    """The grid rows that begin a page, from the rows' heights: the first page holds `first`
    (what is left under the header block), every later one `rest` (what is left under the
    repeated column heads). The Excel and Word forms start their merged cells again there."""
    splits, used, room = set(), 0.0, first
    for i, height in enumerate(heights):
        if used and used + height > room:
            splits.add(i)
            used, room = 0.0, rest
        used += height
    return frozenset(splits)


def merged_lines(rows, tail, ident, splits=frozenset()) -> list[GridLine]:
    """The grid of rows that carry `primary` and `secondary`: each row's merged 一级 and 二级
    cells where it starts them (`group_spans`), then its own cells `tail(row)`; `ident(row)` is
    the indicator it shows."""
    spans = group_spans([(row.primary, row.secondary) for row in rows], splits)
    out = []
    for i, (row, (primary_span, secondary_span)) in enumerate(zip(rows, spans, strict=True)):
        cells = []
        if primary_span:
            cells.append(Cell(row.primary, rowspan=primary_span, role="group"))
        if secondary_span:
            cells.append(Cell(row.secondary, rowspan=secondary_span, role="group"))
        out.append(GridLine(i, cells + tail(row), bool(primary_span), ident(row)))
    return out


def _spread(count: int, width: int) -> list[int]:
    """Split width columns over count cells, wider cells last (4 over 6: 1, 1, 2, 2)."""
    base, extra = divmod(width, count)
    return [base + (1 if i >= count - extra else 0) for i in range(count)]


@dataclass
class GridRow:
    primary: str
    secondary: str
    name: str = ""
    description: str = ""
    value: str = ""
    basis: str = ""
    indicator_id: int | None = None

    @property
    def cells(self) -> list[str]:
        return [self.primary, self.secondary, self.name, self.description, self.value, self.basis]


STATUS_MARKS = {"draft": "草稿 · 未经审核", "submitted": "已提交 · 待审核"}


@dataclass
class TargetTable:
    project: Project
    unit_line: str
    code: str
    name: str
    budget_total: str
    fiscal_funds: str
    other_funds: str
    fund_use: str
    milestones: list[tuple[str, Decimal | None]]
    target: str
    rows: list[GridRow] = field(default_factory=list)
    headers: list[str] = field(default_factory=lambda: list(GRID_HEADERS))

    @property
    def heading(self) -> str:
        return self.project.heading

    @property
    def status_mark(self) -> str:
        """How far the table is from approved, printed beside its title ("" once approved), so
        that a reader of the booklet tells what was approved."""
        return STATUS_MARKS.get(self.project.status, "")

    def content_key(self) -> str:
        """Everything the table shows, as one string: the key of its rendered files."""
        rows = [self.heading, self.project.status]
        for row in [*self.header_rows(), self.grid_head(), *(g.cells for g in self.grid_rows())]:
            rows.append("\x1e".join(f"{c.text}\x1d{c.colspan}\x1d{c.rowspan}" for c in row))
        return "\x1f".join(rows)

    def header_rows(self) -> list[list[Cell]]:
        """The block above the grid, cell for cell as the printed form has it."""
        labels = [
            Cell(label, colspan=span, role="label")
            for (label, _), span in zip(
                self.milestones, _spread(len(self.milestones), COLUMNS - 1), strict=True
            )
        ]
        values = [
            Cell(format_percent(value), colspan=cell.colspan, role="percent", value=value)
            for (_, value), cell in zip(self.milestones, labels, strict=True)
        ]
        project = self.project
        return [
            [
                Cell(self.unit_line, colspan=5, role="unit"),
                Cell("单位：万元", colspan=2, role="unit"),
            ],
            [
                Cell("项目编码", role="label"),
                Cell(self.code, colspan=2),
                Cell("项目名称", role="label"),
                Cell(self.name, colspan=3),
            ],
            [
                Cell("预算规模及资金用途", rowspan=2, role="label"),
                Cell("预算数", role="label"),
                Cell(self.budget_total, role="number", value=project.budget_total),
                Cell("其中：财政资金", role="label"),
                Cell(self.fiscal_funds, role="number", value=project.fiscal_funds),
                Cell("其他资金", role="label"),
                Cell(self.other_funds, role="number", value=project.other_funds),
            ],
            [Cell(self.fund_use, colspan=COLUMNS - 1)],
            [Cell("资金支出计划（%）", rowspan=2, role="label"), *labels],
            values,
            [Cell("绩效目标", role="label"), Cell(self.target, colspan=COLUMNS - 1)],
        ]

    def grid_head(self) -> list[Cell]:
        return [
            Cell(text, colspan=span, role="head")
            for text, span in zip(self.headers, GRID_SPANS, strict=True)
        ]

    def grid_rows(self, splits: frozenset[int] = frozenset()) -> list[GridLine]:
        """Indicator rows; a merged 一级/二级 cell appears once, on the first row it covers
        (and again where a page begins: `group_spans`)."""
        return merged_lines(self.rows, _own_cells, lambda row: row.indicator_id, splits)


def _own_cells(row: GridRow) -> list[Cell]:
    return [
        Cell(text, colspan=colspan)
        for text, colspan in zip(row.cells[2:], GRID_SPANS[2:], strict=True)
    ]


def _grid(project: Project) -> list[GridRow]:
    rows: list[GridRow] = []
    for primary, secondaries in project.indicator_tree():
        for secondary, indicators in secondaries:
            for indicator in indicators or [None]:
                row = GridRow(primary=primary.name, secondary=secondary.name)
                if indicator is not None:
                    row.name = indicator.name
                    row.description = indicator.description
                    row.value = indicator.value_text
                    row.basis = indicator.basis
                    row.indicator_id = indicator.pk
                rows.append(row)
    return rows


def build_target_table(project: Project, milestone_months: list[int]) -> TargetTable:
    """The table of a project fetched with `Project.objects.for_table()`."""
    planned = {entry.month: entry.planned_percent for entry in project.schedule.all()}
    department = project.department
    return TargetTable(
        project=project,
        unit_line=f"{department.code}{department.name}",
        code=project.code,
        name=project.name,
        budget_total=format_money(project.budget_total),
        fiscal_funds=format_money(project.fiscal_funds),
        other_funds=format_money(project.other_funds),
        fund_use=project.fund_use,
        milestones=[(BudgetYear.milestone_label(m), planned.get(m)) for m in milestone_months],
        target=project.target,
        rows=_grid(project),
    )
