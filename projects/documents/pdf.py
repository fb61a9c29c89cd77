"""PDF of a 绩效目标表 and of the whole booklet, drawn by WeasyPrint from the same table rows
as the page.

A merged 一级/二级 cell that continues on the next page would be left empty there by WeasyPrint:
the laid-out pages are mended in place, its label drawn again where a page begins
(projects/documents/continued.py); a table whose label is taller than its rows on a page is laid
out again with its groups split at those rows (labels repeated).

A booklet's body (第一部分 and the tables) is laid out as a document of its own, so that it
counts its pages from 1 of its own total, and the cover and 目录 after it, given the pages the
body took. Every table starts on a page of its own, so where its pages break depends on the
table alone: a large booklet's body is laid out in runs of tables, each kept in the cache
(projects/documents/pdf_runs.py), and only a run whose tables changed is laid out again.
"""

import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pydyf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connections
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from perfbudget.lib.downloads import RenderTimeout
from perfbudget.lib.frames import with_frame_room
from perfbudget.lib.memory import frozen_for_fork
from projects.documents.continued import mend_continued_groups
from projects.documents.part_one import PartOne
from projects.documents.target_table import TargetTable

STYLESHEETS = ("css/form-table.css", "css/pdf.css")
MAX_LAYOUTS = 4
# Below this many tables a booklet is laid out as one document; from it on, in runs of tables
# kept apart in the cache and drawn on every core (projects/documents/pdf_runs.py).
RUNS_MIN_TABLES = 24


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


def _lead_pages(document) -> int:
    """The pages before 第一部分: the cover and the 目录, numbered apart from the body."""
    return next(i for i, page in enumerate(document.pages) if "part-one" in page.anchors)


@dataclass
class TableItem:
    table: TargetTable
    grid: list


def _items(tables: list[TargetTable], splits: dict[str, frozenset[int]]) -> list[TableItem]:
    return [TableItem(t, t.grid_rows(splits.get(t.code, frozenset()))) for t in tables]


def _lay_out(html: str, extra: tuple[CSS, ...] = ()):
    return HTML(string=html, url_fetcher=StaticOnlyFetcher()).render(
        stylesheets=[*_stylesheets(), *extra]
    )


def _lay_out_until_stable(build_html: Callable[[dict], str], extra=(), splits=None):
    """Lay out and mend the merged cells that cross a page; where a table cannot be mended,
    split its groups at those pages and lay out again, until every table is mended (starting
    from `splits` already known)."""
    splits = dict(splits or {})
    for _ in range(MAX_LAYOUTS):
        document = _lay_out(build_html(splits), extra)
        unmended = mend_continued_groups(document)
        grown = {code: splits.get(code, frozenset()) | rows for code, rows in unmended.items()}
        if all(rows == splits.get(code) for code, rows in grown.items()):
            break  # mended, or nothing more to split
        splits.update(grown)
    return document, splits


def _table_html(table: TargetTable, splits: dict) -> str:
    return render_to_string("pdf/table.html", {"item": _items([table], splits)[0]})


@with_frame_room
def table_pdf(table: TargetTable) -> bytes:
    document, _ = _lay_out_until_stable(lambda splits: _table_html(table, splits))
    return document.write_pdf()


# --- the booklet -----------------------------------------------------------------------------


def _pool(function, arguments: list, on_each: Callable[[int], None] | None = None) -> list:
    """Run function over arguments on every core, in order; `on_each(k)` hears when the k-th
    result is in. The function only computes: it reads no database and no cache.

    The children are forked from this process when it has one thread and no open transaction
    (a job worker's child, a command: database connections are closed first, a forked child
    must never use its parent's). From a threaded server they come from a fork server (a
    process of its own, started once, with Django and the renderer loaded and no thread or lock
    of this one), so a booklet drawn in a web or job thread uses every core too.

    The children are killed after PDF_RENDER_TIMEOUT seconds (gunicorn's gthread workers never
    enforce their own timeout): a booklet too large to render in time fails with RenderTimeout
    instead of holding the cores."""
    processes = min(len(arguments), multiprocessing.cpu_count())
    if _can_fork():
        connections.close_all()
        with frozen_for_fork():  # the workers are forked as the pool starts
            pool = multiprocessing.get_context("fork").Pool(processes=processes)
    else:
        pool = _fork_server().Pool(processes=processes)
    deadline = time.monotonic() + settings.PDF_RENDER_TIMEOUT
    with pool:
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


@lru_cache(maxsize=1)
def _fork_server():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["projects.documents.layout_server"])
    return context


def _can_fork() -> bool:
    """Layout workers are forked from this process only when it has no other thread (a
    command, a job worker's child): a fork copies the locks other threads hold (SQLite's, a
    queue's) and its children can wait on them for ever. Inside a transaction the connection
    cannot be closed for the fork either. Otherwise they come from the fork server."""
    if not _single_threaded():
        return False
    return not any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def _single_threaded() -> bool:
    return threading.current_thread() is threading.main_thread() and threading.active_count() == 1


# The 目录's entries of 第一部分: the anchor each leads to, its label and level.
CONTENTS = (
    ("part-one", "第一部分　部门整体绩效目标", 1),
    ("overall", "一、总体绩效目标", 2),
    ("sections", "二、分项绩效目标", 2),
    ("safeguards", "三、工作保障措施", 2),
    ("part-two", "第二部分　预算项目绩效目标", 1),
)


def _booklet_html(part_one, tables, splits: dict, *, front: bool) -> str:
    """The body of the booklet, or a run of it: with `front`, 第一部分 and the title of
    第二部分; then the tables, each from a page of its own."""
    return render_to_string(
        "pdf/booklet.html",
        {"part_one": part_one, "front": front, "items": _items(tables, splits)},
    )


def _anchor_pages(document) -> dict[str, int]:
    """The page (from 1) each anchor of a document starts on."""
    pages: dict[str, int] = {}
    for n, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            pages.setdefault(anchor, n)  # an element over several pages: where it starts
    return pages


def _cover_html(part_one, tables, pages: dict[str, int], link: str = "#") -> str:
    """The cover and the 目录 (numbered I, II …), given the body page each part, section and
    table starts on. Each entry links to `link` + its anchor: "#" when the cover and the body
    are one document; otherwise a placeholder the joined file resolves (pdf_runs.py)."""
    entries = [
        {"anchor": anchor, "label": label, "level": level, "page": pages[anchor]}
        for anchor, label, level in CONTENTS
    ] + [
        {
            "anchor": f"table-{t.code}",
            "label": t.heading,
            "level": 2,
            "page": pages[f"table-{t.code}"],
        }
        for t in tables
    ]
    return render_to_string(
        "pdf/cover.html", {"part_one": part_one, "entries": entries, "link": link}
    )


def _booklet_apart(part_one, tables) -> bytes:
    """A small booklet with no measuring: the body (第一部分 and the tables) laid out as a
    document of its own, so its pages count from 1 of its own total; then the cover and 目录,
    given the pages the body took; the two joined in one PDF (one set of fonts)."""
    body, _ = _lay_out_until_stable(lambda s: _booklet_html(part_one, tables, s, front=True))
    cover = _lay_out(_cover_html(part_one, tables, _anchor_pages(body)))
    return cover.copy([*cover.pages, *body.pages]).write_pdf(finisher=_open_outlines)


def _open_outlines(document, pdf) -> None:
    """A booklet opens with its bookmarks (目录, 第一部分, every table) shown beside the pages,
    and a viewer numbers its pages as they are printed (封面, I, II …, then 1, 2 … from
    第一部分)."""
    pdf.catalog["PageMode"] = "/UseOutlines"
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


def _quiet(done: int, total: int) -> None:
    """No one listens to a download's progress."""


@with_frame_room
def booklet_pdf(part_one: PartOne, tables: list[TargetTable], progress=None) -> bytes:
    """The booklet: cover, 目录, 第一部分, every table. `progress(done, total)` hears of the
    tables drawn (a background job shows it)."""
    progress = progress or _quiet
    if len(tables) < RUNS_MIN_TABLES:
        booklet = _booklet_apart(part_one, tables)
        progress(len(tables), len(tables))
        return booklet
    from projects.documents.pdf_runs import booklet_in_runs

    return booklet_in_runs(part_one, tables, progress)


@with_frame_room
def evaluation_pdf(table) -> bytes:
    """The 项目支出绩效自评表: laid out until no 一级/二级 group continues on a page without its
    labels, as a 绩效目标表 is."""

    def build(splits: dict) -> str:
        grid = table.grid_rows(splits.get(table.code, frozenset()))
        return render_to_string("pdf/evaluation.html", {"table": table, "grid": grid})

    document, _ = _lay_out_until_stable(build)
    return document.write_pdf()


@with_frame_room
def document_pdf(html: str) -> bytes:
    """A one-off document (the 审核意见书) in the forms' styles."""
    return _lay_out(html).write_pdf()
