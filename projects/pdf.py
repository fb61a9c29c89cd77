"""PDF of a 绩效目标表 and of the whole booklet, drawn by WeasyPrint from the same table rows
as the page.

A merged 一级/二级 cell that continues on the next page would be left empty there by WeasyPrint.
So a document is laid out, the rows that open a page in the middle of a group are found in the
layout, and the document is laid out again with the groups split at those rows (their labels
repeated). Documents whose groups never cross a page are laid out once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from departments.models import DepartmentYear
from projects.target_table import TargetTable

STYLESHEETS = ("css/form-table.css", "css/pdf.css")
MAX_LAYOUTS = 4


class BlockedFetch(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """The renderer may read the app's own static files and nothing else: no network, no other
    file. User text is escaped, so this is the second fence, not the first."""

    def __init__(self):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if any(root in path.parents for root in _static_roots()):
                return super().fetch(url, headers)
        self.refused.append(url)
        raise BlockedFetch(f"blocked: {url}")


@lru_cache(maxsize=1)
def _static_roots() -> tuple[Path, ...]:
    return tuple(Path(finders.find(name)).resolve().parent.parent for name in STYLESHEETS)


@lru_cache(maxsize=1)
def _stylesheets() -> tuple[CSS, ...]:
    return tuple(
        CSS(filename=finders.find(name), url_fetcher=StaticOnlyFetcher()) for name in STYLESHEETS
    )


@dataclass
class TableItem:
    table: TargetTable
    grid: list


def _items(tables: list[TargetTable], splits: dict[str, frozenset[int]]) -> list[TableItem]:
    return [TableItem(t, t.grid_rows(splits.get(t.code, frozenset()))) for t in tables]


def _walk(box):
    stack = [box]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(getattr(current, "children", None) or []))


def _continued_groups(document) -> dict[str, set[int]]:
    """Rows that open a page while their 一级 group began on an earlier page."""
    found: dict[str, set[int]] = {}
    for page in document.pages:
        seen_tables = set()
        for box in _walk(page._page_box):
            element = getattr(box, "element", None)
            if type(box).__name__ != "TableRowBox" or element is None:
                continue
            code = element.get("data-table")
            if code is None or code in seen_tables:
                continue
            seen_tables.add(code)
            if element.get("data-group") is None:
                found.setdefault(code, set()).add(int(element.get("data-row")))
    return found


def _render(build_html: Callable[[dict[str, frozenset[int]]], str]) -> bytes:
    splits: dict[str, frozenset[int]] = {}
    for _ in range(MAX_LAYOUTS):
        document = HTML(string=build_html(splits), url_fetcher=StaticOnlyFetcher()).render(
            stylesheets=_stylesheets()
        )
        found = _continued_groups(document)
        if not found:
            break
        for code, rows in found.items():
            splits[code] = splits.get(code, frozenset()) | rows
    return document.write_pdf()


def table_pdf(table: TargetTable) -> bytes:
    def build(splits):
        return render_to_string("pdf/table.html", {"item": _items([table], splits)[0]})

    return _render(build)


def booklet_pdf(department_year: DepartmentYear, tables: list[TargetTable]) -> bytes:
    def build(splits):
        return render_to_string(
            "pdf/booklet.html",
            {"department_year": department_year, "items": _items(tables, splits)},
        )

    return _render(build)
