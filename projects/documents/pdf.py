"""PDF of a 绩效目标表 and of the whole booklet, drawn by WeasyPrint from the same table rows
as the page.

A merged 一级/二级 cell that continues on the next page would be left empty there by WeasyPrint.
So a table is laid out, the rows that open a page in the middle of a group are found in the
layout, and the table is laid out again with its groups split at those rows (labels repeated).
Every table starts on a page of its own, so where its pages break depends on the table alone:
the split rows and page count of each table are kept in the cache under the table's content, and
the booklet is laid out once with them. A large booklet is laid out in parts on both cores, each
part numbered from its known first page, and the parts are joined with their bookmarks.
"""

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pydyf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connections
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from perfbudget.lib.downloads import RenderTimeout, cache_keep, fingerprint
from projects.documents.part_one import PartOne
from projects.documents.target_table import TargetTable

STYLESHEETS = ("css/form-table.css", "css/pdf.css")
MAX_LAYOUTS = 4
# Below this many tables a booklet is laid out in one process; above it, in parts on every core.
PARALLEL_MIN_TABLES = 24


class BlockedFetch(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """The renderer may read the app's own static files and nothing else: no network, no other
    file. User text is escaped, so this is the second fence, not the first."""

    def __init__(self):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = _static_path(url)
        if path is None:
            self.refused.append(url)
            raise BlockedFetch(f"blocked: {url}")
        # What is opened is exactly the path that was checked, not the URL as written.
        return super().fetch(path.as_uri(), headers)


def _static_path(url: str) -> Path | None:
    """The file a file: URL names, read the way it would be opened (percent-escapes decoded,
    query and fragment dropped, links and .. resolved), when it lies inside a static root."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if any(root in path.parents for root in _static_roots()) and path.is_file():
        return path
    return None


@lru_cache(maxsize=1)
def _static_roots() -> tuple[Path, ...]:
    return tuple(Path(finders.find(name)).resolve().parent.parent for name in STYLESHEETS)


@lru_cache(maxsize=1)
def _stylesheets() -> tuple[CSS, ...]:
    return tuple(
        CSS(filename=finders.find(name), url_fetcher=StaticOnlyFetcher()) for name in STYLESHEETS
    )


def _page_numbers(first: int, total: int) -> CSS:
    """Number the pages of a part of the booklet: its first page is `first` of `total`, both
    counted in the body (from 第一部分; the front matter is numbered apart, in pdf.css)."""
    start = f"@page :first {{ counter-increment: page {first}; }}" if first > 1 else ""
    return CSS(
        string=(
            "@page { @bottom-center { content: "
            f'"第 " counter(page) " 页 共 {total} 页"; }} }}{start}'
        )
    )


def _lead_pages(document) -> int:
    """The pages before 第一部分: the cover and the 目录, numbered apart from the body."""
    return next(i for i, page in enumerate(document.pages) if "part-one" in page.anchors)


@dataclass
class TableItem:
    table: TargetTable
    grid: list


@dataclass(frozen=True)
class TableLayout:
    splits: frozenset[int]
    pages: int


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


def _lay_out(html: str, extra: tuple[CSS, ...] = ()):
    return HTML(string=html, url_fetcher=StaticOnlyFetcher()).render(
        stylesheets=[*_stylesheets(), *extra]
    )


def _lay_out_until_stable(build_html: Callable[[dict], str], extra=()):
    """Lay out, split the groups that cross a page, and lay out again until none is left."""
    splits: dict[str, frozenset[int]] = {}
    for _ in range(MAX_LAYOUTS):
        document = _lay_out(build_html(splits), extra)
        found = _continued_groups(document)
        if not found:
            break
        for code, rows in found.items():
            splits[code] = splits.get(code, frozenset()) | rows
    return document, splits


def _table_html(table: TargetTable, splits: dict) -> str:
    return render_to_string("pdf/table.html", {"item": _items([table], splits)[0]})


def _layout_key(table: TargetTable) -> str:
    return "pdf-layout:" + fingerprint("layout", table.content_key())


def _measure(table: TargetTable) -> tuple[TableLayout, object]:
    document, splits = _lay_out_until_stable(lambda s: _table_html(table, s))
    layout = TableLayout(splits.get(table.code, frozenset()), len(document.pages))
    cache_keep(_layout_key(table), layout)
    return layout, document


def _quick_measure(table: TargetTable) -> TableLayout:
    """One layout of the table alone: where it would split and how many pages it takes. Not
    cached: the booklet checks it when laying out, and keeps it only if it held."""
    document = _lay_out(_table_html(table, {}))
    found = _continued_groups(document).get(table.code, set())
    return TableLayout(frozenset(found), len(document.pages))


def table_pdf(table: TargetTable) -> bytes:
    _, document = _measure(table)
    return document.write_pdf()


# --- the booklet -----------------------------------------------------------------------------

# Set before the worker processes fork, so they share the booklet's content without pickling it.
_JOB: dict = {}


def _measure_in_worker(index: int) -> TableLayout:
    return _quick_measure(_JOB["tables"][index])


def _render_part_in_worker(index: int):
    return _render_part(**_JOB["parts"][index])


def _pool(function, arguments: list, on_each: Callable[[int], None] | None = None) -> list:
    """Run function over arguments on every core, in order; `on_each(k)` hears when the k-th
    result is in. Database connections are closed first: a forked child must never use its
    parent's connection.

    The children are killed after PDF_RENDER_TIMEOUT seconds (gunicorn's gthread workers never
    enforce their own timeout): a booklet too large to render in time fails with RenderTimeout
    instead of holding the cores."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    deadline = time.monotonic() + settings.PDF_RENDER_TIMEOUT
    with context.Pool(processes=min(len(arguments), multiprocessing.cpu_count())) as pool:
        results = pool.imap(function, arguments)
        done = []
        try:
            for _ in arguments:
                done.append(results.next(timeout=max(0.0, deadline - time.monotonic())))
                if on_each:
                    on_each(len(done))
        except multiprocessing.TimeoutError:
            raise RenderTimeout(settings.PDF_RENDER_TIMEOUT) from None
        return done


def _can_fork() -> bool:
    # Inside a transaction the connection cannot be closed for the fork.
    return not any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def _table_layouts(
    tables: list[TargetTable], parallel: bool, progress: Callable[[int, int], None]
) -> tuple[list[TableLayout], set]:
    """Each table's layout: from the cache, or measured (on every core when there are many).
    Returns the layouts and the indexes of those measured now and not yet confirmed."""
    layouts: list[TableLayout | None] = [cache.get(_layout_key(t)) for t in tables]
    missing = [i for i, layout in enumerate(layouts) if layout is None]
    total = len(missing) + len(tables)
    if parallel and len(missing) > 1:
        _JOB["tables"] = tables
        measured = _pool(_measure_in_worker, missing, lambda k: progress(k, total))
    else:
        measured = []
        for i in missing:
            measured.append(_quick_measure(tables[i]))
            progress(len(measured), total)
    for i, layout in zip(missing, measured, strict=True):
        layouts[i] = layout
    return layouts, set(missing)


# The 目录's entries of 第一部分: the anchor each leads to, its label and level.
CONTENTS = (
    ("part-one", "第一部分　部门整体绩效目标", 1),
    ("overall", "一、总体绩效目标", 2),
    ("sections", "二、分项绩效目标", 2),
    ("safeguards", "三、工作保障措施", 2),
    ("part-two", "第二部分　预算项目绩效目标", 1),
)


def _contents(pages: dict[str, int] | None = None) -> list[dict]:
    """第一部分's 目录 entries; with the body's page of each anchor when it was laid out apart
    (otherwise the page is looked up in the same document, target-counter)."""
    return [
        {"anchor": anchor, "label": label, "level": level, "page": (pages or {}).get(anchor)}
        for anchor, label, level in CONTENTS
    ]


def _booklet_html(part_one, tables, layouts, *, front: bool, toc=(), cover=None) -> str:
    """Tables after, with `front`, 第一部分, and with `cover` (by default as `front`) the
    cover and 目录 before it."""
    splits = {t.code: layout.splits for t, layout in zip(tables, layouts, strict=True)}
    return render_to_string(
        "pdf/booklet.html",
        {
            "part_one": part_one,
            "front": front,
            "cover": front if cover is None else cover,
            "contents": _contents(),
            "toc": toc,
            "items": _items(tables, splits),
        },
    )


def _render_part(*, html: str, first: int, total: int, expected_pages: int | None):
    """Lay out one part of the booklet and return its PDF, bookmarks and page count, or None
    when the layout differs from what the tables' own layouts promised."""
    document = _lay_out(html, (_page_numbers(first, total),))
    if _continued_groups(document) or (
        expected_pages is not None and len(document.pages) != expected_pages
    ):
        return None
    return (
        document.write_pdf(finisher=_open_outlines),
        document.make_bookmark_tree(),
        len(document.pages),
    )


def _open_outlines(document, pdf) -> None:
    """A booklet opens with its bookmarks (目录, 第一部分, every table) shown beside the pages,
    and a viewer numbers its pages as they are printed (封面, I, II …, then 1, 2 … from
    第一部分)."""
    pdf.catalog["PageMode"] = "/UseOutlines"
    if any("part-one" in page.anchors for page in document.pages):
        pdf.catalog["PageLabels"] = pydyf.Dictionary(
            {"Nums": pydyf.Array(_page_labels(_lead_pages(document)))}
        )


def _page_labels(lead: int) -> list:
    """The /PageLabels number tree of a booklet whose body begins after `lead` pages."""
    return [
        0,
        pydyf.Dictionary({"P": pydyf.String("封面")}),
        1,
        pydyf.Dictionary({"S": "/R"}),
        lead,
        pydyf.Dictionary({"S": "/D"}),
    ]


def _join(parts: list[tuple[bytes, list, int]], lead: int) -> bytes:
    """Concatenate the parts; the first part's last top-level bookmark (第二部分) takes the
    later parts' table bookmarks as its children."""
    writer = PdfWriter()
    for data, _, _ in parts:
        writer.append(PdfReader(BytesIO(data)), import_outline=False)

    def add(items, offset, parent=None):
        added = None
        for label, (page, _x, _y), children, _state in items:
            added = writer.add_outline_item(title=label, page_number=offset + page, parent=parent)
            add(children, offset, added)
        return added

    offset, part_two = 0, None
    for number, (_, bookmarks, pages) in enumerate(parts):
        if number == 0:
            part_two = add(bookmarks, offset)
        else:
            add(bookmarks, offset, part_two)
        offset += pages
    writer.page_mode = "/UseOutlines"
    writer.set_page_label(0, 0, prefix="封面")
    writer.set_page_label(1, lead - 1, style="/R")
    writer.set_page_label(lead, len(writer.pages) - 1, style="/D", start=1)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _chunks(layouts: list[TableLayout], count: int) -> list[range]:
    """Split the tables into count runs of about equal pages."""
    total = sum(layout.pages for layout in layouts)
    bounds, acc, start = [], 0, 0
    for i, layout in enumerate(layouts):
        acc += layout.pages
        if len(bounds) < count - 1 and acc >= total * (len(bounds) + 1) / count:
            bounds.append(range(start, i + 1))
            start = i + 1
    bounds.append(range(start, len(layouts)))
    return [b for b in bounds if len(b)] or [range(0)]


def _booklet_sequential(part_one, tables) -> bytes:
    """The plain way, used when the quicker one cannot be: lay out the whole booklet until no
    group crosses a page, with the page total counted by WeasyPrint."""

    def build(splits):
        layouts = [TableLayout(splits.get(t.code, frozenset()), 0) for t in tables]
        return _booklet_html(part_one, tables, layouts, front=True, toc=_toc(tables, None))

    document, splits = _lay_out_until_stable(build)
    body_pages = len(document.pages) - _lead_pages(document)
    document = _lay_out(build(splits), (_page_numbers(1, body_pages),))
    return document.write_pdf(finisher=_open_outlines)


def _booklet_apart(part_one, tables) -> bytes:
    """A small booklet with no measuring: the body (第一部分 and the tables) laid out as a
    document of its own, so its pages count from 1 of its own total; then the cover and 目录,
    given the pages the body took; the two joined in one PDF (one set of fonts)."""

    def build(splits):
        layouts = [TableLayout(splits.get(t.code, frozenset()), 0) for t in tables]
        return _booklet_html(part_one, tables, layouts, front=True, cover=False)

    body, _ = _lay_out_until_stable(build)
    pages: dict[str, int] = {}
    for n, page in enumerate(body.pages, 1):
        for anchor in page.anchors:
            pages.setdefault(anchor, n)  # an element over several pages: where it starts
    toc = [{"heading": t.heading, "page": pages[f"table-{i}"]} for i, t in enumerate(tables, 1)]
    cover = _lay_out(
        render_to_string(
            "pdf/cover.html", {"part_one": part_one, "contents": _contents(pages), "toc": toc}
        )
    )
    return cover.copy([*cover.pages, *body.pages]).write_pdf(finisher=_open_outlines)


def _toc(tables: list[TargetTable], starts: list[int] | None) -> list[dict]:
    return [
        {"heading": t.heading, "page": starts[i] if starts else ""} for i, t in enumerate(tables)
    ]


def _part_specs(part_one, tables, layouts, front_pages: int, lead: int, cores: int) -> list[dict]:
    """The parts of the booklet to lay out: the first holds the `front_pages` of cover, 目录
    and 第一部分, of which `lead` (cover and 目录) come before the body's page 1."""
    starts, page = [], front_pages - lead + 1
    for layout in layouts:
        starts.append(page)
        page += layout.pages
    total, toc = page - 1, _toc(tables, starts)
    specs = []
    for number, run in enumerate(_chunks(layouts, cores)):
        run_tables = [tables[i] for i in run]
        run_layouts = [layouts[i] for i in run]
        html = _booklet_html(part_one, run_tables, run_layouts, front=number == 0, toc=toc)
        expected = sum(x.pages for x in run_layouts) + (front_pages if number == 0 else 0)
        first = 1 if number == 0 else starts[run[0]]
        specs.append({"html": html, "first": first, "total": total, "expected_pages": expected})
    return specs


def _render_parts(specs: list[dict], parallel: bool, on_each=None) -> list:
    if parallel and len(specs) > 1:
        _JOB["parts"] = specs
        return _pool(_render_part_in_worker, list(range(len(specs))), on_each)
    parts = []
    for spec in specs:
        parts.append(_render_part(**spec))
        if on_each:
            on_each(len(parts))
    return parts


def _quiet(done: int, total: int) -> None:
    """No one listens to a download's progress."""


def booklet_pdf(part_one: PartOne, tables: list[TargetTable], progress=None) -> bytes:
    """The booklet: cover, 目录, 第一部分, every table. `progress(done, total)` hears of each
    table measured and of each part laid out (a background job shows it)."""
    progress = progress or _quiet
    parallel = len(tables) >= PARALLEL_MIN_TABLES and _can_fork()
    if not parallel:
        booklet = _booklet_apart(part_one, tables)
        progress(len(tables), len(tables))
        return booklet
    cores = multiprocessing.cpu_count()
    layouts, unconfirmed = _table_layouts(tables, parallel, progress)
    measured = len(unconfirmed)
    front_html = _booklet_html(part_one, [], [], front=True, toc=_toc(tables, None))
    front = _lay_out(front_html)
    front_pages, lead = len(front.pages), _lead_pages(front)
    specs = _part_specs(part_one, tables, layouts, front_pages, lead, cores)
    runs = _chunks(layouts, cores)

    def part_done(k: int) -> None:
        progress(measured + sum(len(run) for run in runs[:k]), measured + len(tables))

    parts = _render_parts(specs, parallel, part_done)
    if any(part is None for part in parts):
        # A quick measure did not hold (a repeated label made a row taller): measure the
        # unconfirmed tables fully and lay out again.
        for i in unconfirmed:
            layouts[i] = _measure(tables[i])[0]
        unconfirmed = set()
        specs = _part_specs(part_one, tables, layouts, front_pages, lead, cores)
        parts = _render_parts(specs, parallel)
        if any(part is None for part in parts):
            return _booklet_sequential(part_one, tables)
    for i in unconfirmed:
        cache_keep(_layout_key(tables[i]), layouts[i])
    return parts[0][0] if len(parts) == 1 else _join(parts, lead)


def evaluation_pdf(table) -> bytes:
    """The 项目支出绩效自评表: laid out until no 一级/二级 group continues on a page without its
    labels, as a 绩效目标表 is."""

    def build(splits: dict) -> str:
        grid = table.grid_rows(splits.get(table.code, frozenset()))
        return render_to_string("pdf/evaluation.html", {"table": table, "grid": grid})

    document, _ = _lay_out_until_stable(build)
    return document.write_pdf()


def document_pdf(html: str) -> bytes:
    """A one-off document (the 审核意见书) in the forms' styles."""
    return _lay_out(html).write_pdf()
