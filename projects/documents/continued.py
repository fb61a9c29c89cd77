"""A merged 一级/二级 cell whose rows go on to the next page, drawn again there without a
second layout.

WeasyPrint draws such a cell on the page where it starts only: its label at the top, no border
where the page ends, and nothing in its column on the next pages. Each row of the grid is kept
whole on a page (`break-inside: avoid`), so a merged cell never changes where a page breaks
while its label is no taller than its rows on each page. Then the laid-out pages are mended in
place: the label is centred in the cell's rows on the page it starts on, the cell is closed by
its border where the page ends, and a copy of the label is centred in its rows on each next
page — what a layout with the group split at each page (labels repeated) draws, without laying
out again. Where a label is taller than its rows on a page, mending would draw it over the next
row: such a table is split at its pages and laid out again (pdf._lay_out_until_stable).
"""

from dataclasses import dataclass


@dataclass
class _Merged:
    """A merged cell of the grid as laid out: its column, the rows it covers, its box and the
    padding it was given before centring."""

    column: int
    first: int
    last: int
    cell: object
    padding: tuple[float, float]


@dataclass
class _Fragment:
    """A grid table's part on one page: its box, its rows by number, its head's row count."""

    table: object
    code: str
    rows: dict
    head_rows: int


def _walk(box):
    stack = [box]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(getattr(current, "children", None) or []))


def _text(texts) -> str:
    return "".join("".join(texts).split())


def mend_continued_groups(document) -> dict[str, frozenset[int]]:
    """Mend, in the laid-out `document`, every merged cell whose rows go on to a next page.
    Returns, for each table that could not be mended, the rows that open a page in the middle
    of a merged cell (where to split it); nothing when every table was mended."""
    fragments, merged, unfit = _read(document)
    continued: dict[str, set[int]] = {}
    mends = []
    for fragment in fragments:
        first, last = min(fragment.rows), max(fragment.rows)
        for cell in merged.get(fragment.code, []):
            top, bottom = max(cell.first, first), min(cell.last, last)
            if top > bottom or (top, bottom) == (cell.first, cell.last):
                continue
            if top != cell.first:
                continued.setdefault(fragment.code, set()).add(top)
            mends.append((fragment, cell, top, bottom))
    for fragment, cell, top, bottom in mends:
        if fragment.code not in unfit and not _mend(fragment, cell, top, bottom):
            unfit.add(fragment.code)
    return {code: frozenset(continued[code]) for code in unfit if code in continued}


def _read(document) -> tuple[list[_Fragment], dict[str, list[_Merged]], set[str]]:
    """The grid tables' parts on every page, their merged cells, and the tables whose layout
    cannot be mended (a row or a label broken over two pages)."""
    fragments, merged, unfit, seen = [], {}, set(), set()
    for page in document.pages:
        for table in _walk(page._page_box):
            if type(table).__name__ != "TableBox":
                continue
            fragment = _Fragment(table, "", {}, 0)
            for group in table.children:
                if group.is_header:
                    fragment.head_rows = len(group.children)
                    continue
                for row in group.children:
                    element = row.element
                    if element is None or element.get("data-row") is None:
                        continue
                    fragment.code, number = element.get("data-table"), int(element.get("data-row"))
                    if (fragment.code, number) in seen:
                        unfit.add(fragment.code)  # a row broken over two pages
                    seen.add((fragment.code, number))
                    fragment.rows[number] = row
                    for cell in row.children:
                        if cell.rowspan < 2:
                            continue
                        drawn = (getattr(box, "text", "") or "" for box in _walk(cell))
                        if _text(drawn) != _text(cell.element.itertext()):
                            unfit.add(fragment.code)  # its label broken over two pages
                        merged.setdefault(fragment.code, []).append(
                            _Merged(
                                cell.grid_x,
                                number,
                                number + cell.rowspan - 1,
                                cell,
                                (cell.padding_top, cell.padding_bottom),
                            )
                        )
            if fragment.rows:
                fragments.append(fragment)
    return fragments, merged, unfit


def _mend(fragment: _Fragment, merged: _Merged, top: int, bottom: int) -> bool:
    """Draw the merged cell over its rows `top`…`bottom` of this page as a cell covering just
    those rows would be drawn; False when its label is taller than those rows."""
    rows = fragment.rows
    if top == merged.first:
        cell = merged.cell
    else:
        cell = merged.cell.deepcopy()
        start = rows[top].children[0].position_y if rows[top].children else rows[top].position_y
        cell.translate(dy=start - cell.position_y)
    # Centred as WeasyPrint centres a cell in the rows it ends with (layout/table.py): the
    # extra height shared between the top and the bottom padding, the content moved down.
    padding_top, padding_bottom = merged.padding
    content_top = cell.position_y + cell.margin_top + cell.border_top_width + padding_top
    if cell.children:
        home = content_top - cell.children[0].position_y
        for child in cell.children:
            child.translate(dy=home)
    cell.padding_top, cell.padding_bottom = padding_top, padding_bottom
    extra = rows[bottom].position_y + rows[bottom].height - cell.position_y - cell.border_height()
    if extra < 0:
        return False
    cell.padding_top += extra / 2
    cell.padding_bottom += extra / 2
    for child in cell.children:
        child.translate(dy=extra / 2)
    if top != merged.first:
        rows[top].children = sorted([*rows[top].children, cell], key=lambda c: c.grid_x)
    if bottom != merged.last:
        # Closed where the page ends, with the border the cell has at its top. The grid's
        # border under this row is drawn only here: a next page's first row is drawn under
        # the repeated head's own border.
        _vertical, horizontal = fragment.table.collapsed_border_grid
        line = fragment.head_rows + bottom + 1
        horizontal[line][merged.column] = horizontal[fragment.head_rows + merged.first][
            merged.column
        ]
    return True
