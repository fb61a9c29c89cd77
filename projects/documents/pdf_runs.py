"""A large booklet drawn in runs of tables, so that a change redraws only its run.

Every table starts on a page of its own, so a run of tables lays out the same whatever comes
before it. The body is drawn as separate documents — 第一部分 (with the title of 第二部分), then
runs of RUN_TABLES tables — each without page numbers and kept in the cache under its content:
after one table changes, only its run is laid out again (on every core when several are
missing). Then the cover and 目录 are laid out with the pages the runs took, and the documents are
joined: the page numbers (第 i 页 共 N 页, laid out as the lines of one short document and kept
per total) are stamped at the foot of the body's pages, the bookmarks nested as in a one-pass
booklet, and the embedded fonts merged into one subset per face (projects/documents/fonts.py),
so the file stays about the size of a booklet laid out in one pass.
"""

from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

import pikepdf
from django.core.cache import cache
from weasyprint import CSS

from perfbudget.lib.downloads import cache_keep, fingerprint
from perfbudget.lib.frames import with_frame_room
from projects.documents import pdf
from projects.documents.continued import mend_continued_groups
from projects.documents.fonts import consolidate_fonts
from projects.documents.part_one import PartOne
from projects.documents.target_table import TargetTable

RUN_TABLES = 10


@dataclass(frozen=True)
class Run:
    """One document of the body: its PDF (without page numbers), its page count, the page
    (from 1) each anchor starts on, and its bookmarks."""

    data: bytes
    pages: int
    anchors: dict
    bookmarks: list


@lru_cache(maxsize=1)
def _unnumbered() -> CSS:
    return CSS(string="@page { @bottom-center { content: none; } }")


@with_frame_room
def _draw_run(task: tuple) -> Run:
    """Lay out a run (第一部分, or tables) and mend its merged cells that cross a page. A table
    that cannot be mended (a label taller than its rows on a page) is laid out again alone,
    its groups split at its pages (each table starts on a page of its own, so its pages depend
    on it alone), and its pages take the place of the first ones."""
    part_one, tables, front = task
    document = pdf._lay_out(pdf._booklet_html(part_one, tables, {}, front=front), (_unnumbered(),))
    if unmended := mend_continued_groups(document):
        redo = [t for t in tables if t.code in unmended]
        again, _ = pdf._lay_out_until_stable(
            lambda s: pdf._booklet_html(part_one, redo, s, front=False),
            (_unnumbered(),),
            unmended,
        )
        document = _spliced(document, again, tables, {t.code for t in redo})
    return Run(
        document.write_pdf(),
        len(document.pages),
        pdf._anchor_pages(document),
        document.make_bookmark_tree(),
    )


def _run_key(part_one: PartOne, tables: list[TargetTable], front: bool) -> str:
    shown = [repr(part_one)] if front else [t.content_key() for t in tables]
    return "pdf-run:" + fingerprint("run", str(front), *shown)


def _pages_by_table(document, codes: list[str]) -> dict:
    """The document's pages: those before its first table (None), then each table's."""
    starts = pdf._anchor_pages(document)
    firsts = [starts[f"table-{code}"] - 1 for code in codes]
    ends = [*firsts[1:], len(document.pages)]
    pages = {None: document.pages[: firsts[0] if firsts else len(document.pages)]}
    for code, first, end in zip(codes, firsts, ends, strict=True):
        pages[code] = document.pages[first:end]
    return pages


def _spliced(document, again, tables: list[TargetTable], redone: set[str]):
    """The run's pages, each redone table's taken from `again`."""
    first = _pages_by_table(document, [t.code for t in tables])
    second = _pages_by_table(again, [t.code for t in tables if t.code in redone])
    pages = list(first[None])
    for table in tables:
        pages += (second if table.code in redone else first)[table.code]
    return document.copy(pages)


def _runs(part_one, tables, progress) -> list[Run]:
    """第一部分, then the tables in runs: from the cache, or laid out now (on every core)."""
    specs = [([], True)] + [
        (tables[i : i + RUN_TABLES], False) for i in range(0, len(tables), RUN_TABLES)
    ]
    keys = [_run_key(part_one, run, front) for run, front in specs]
    found: list[Run | None] = [cache.get(key) for key in keys]
    missing = [i for i, run in enumerate(found) if run is None]
    done = sum(len(specs[i][0]) for i, run in enumerate(found) if run is not None)
    progress(done, len(tables))

    def drawn(k: int) -> None:
        progress(done + sum(len(specs[i][0]) for i in missing[:k]), len(tables))

    tasks = [(part_one, *specs[i]) for i in missing]
    if len(tasks) > 1:
        new = pdf._pool(_draw_run, tasks, drawn)
    elif tasks and len(changed := tasks[0][1]) > 1:
        # One run missing (a change): its halves on two cores, joined.
        half = (len(changed) + 1) // 2
        halves = [(part_one, changed[:half], False), (part_one, changed[half:], False)]
        new = [_together(*pdf._pool(_draw_run, halves))]
        drawn(1)
    else:
        new = [_draw_run(task) for task in tasks]
        drawn(len(new))
    for i, run in zip(missing, new, strict=True):
        found[i] = run
        cache_keep(keys[i], run)
    return found


def _together(first: Run, second: Run) -> Run:
    """Two runs as one: the second's pages, anchors and bookmarks after the first's."""
    with pikepdf.open(BytesIO(first.data)) as joined, pikepdf.open(BytesIO(second.data)) as rest:
        joined.pages.extend(rest.pages)
        out = BytesIO()
        joined.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)

    def later(marks):
        return [
            (label, (page + first.pages, x, y), later(children), state)
            for label, (page, x, y), children, state in marks
        ]

    anchors = {**first.anchors, **{a: p + first.pages for a, p in second.anchors.items()}}
    return Run(
        out.getvalue(),
        first.pages + second.pages,
        anchors,
        first.bookmarks + later(second.bookmarks),
    )


def _footers_key(total: int) -> str:
    return "pdf-footers:" + fingerprint("footers", str(total))


def _numbered_pages(total: int) -> bytes:
    """`total` blank pages numbered 第 i 页 共 N 页 by WeasyPrint, as every body page is."""
    pages = '<div class="numbered-page"></div>' * total
    html = f'<!DOCTYPE html><html lang="zh-Hans"><body class="footers">{pages}</body></html>'
    return pdf._lay_out(html).write_pdf()


@lru_cache(maxsize=1)
def _one_footer() -> tuple[list, tuple[float, float], list]:
    """A page number as WeasyPrint draws it at the foot of a page: the operators before its
    text object, the text's position, and the operators after it."""
    with pikepdf.open(BytesIO(_numbered_pages(1))) as numbered:
        operators = list(pikepdf.parse_content_stream(numbered.pages[0]))
    begin = next(i for i, (_, op) in enumerate(operators) if str(op) == "BT")
    end = next(i for i, (_, op) in enumerate(operators) if str(op) == "ET")
    return operators[:begin], _position(operators[begin:end]), operators[end:]


def _draw_footers(total: int) -> bytes:
    """`total` blank pages, each bearing its number 第 i 页 共 N 页 where WeasyPrint draws it.

    Laying out `total` numbered pages costs WeasyPrint 4 ms a page (16 margin boxes each, twice
    over for the page count): the numbers are laid out instead as lines of one short document,
    centred as the foot of a page centres them, and each line's text is moved to where the foot
    of a page draws it. Should the lines not come out one line of text each, the pages are
    numbered by WeasyPrint."""
    before, (x, y), after = _one_footer()
    numbers = [(1, 1), *((n, total) for n in range(1, total + 1))]  # first: the foot's own
    rows = "".join(f"<p>第 {n} 页 共 {t} 页</p>" for n, t in numbers)
    html = f'<!DOCTYPE html><html lang="zh-Hans"><body class="footer-lines">{rows}</body></html>'
    with pikepdf.open(BytesIO(pdf._lay_out(html, (_unnumbered(),)).write_pdf())) as source:
        lines, resources = _text_lines(source)
        states = {str(operands[0]) for operands, op in before if str(op) == "gs"}
        if len(lines) != len(numbers) or not states <= set(resources.get("/ExtGState", {}).keys()):
            return _numbered_pages(total)
        shift = x - _position(lines[0])[0]  # where the lines are centred, where a foot is
        media = pikepdf.Array([float(v) for v in source.pages[0].MediaBox])
        out = pikepdf.new()
        shared = out.copy_foreign(resources)
        for text in lines[1:]:
            moved = _moved(text, _position(text)[0] + shift, y)
            stream = pikepdf.unparse_content_stream([*before, ([], _BT), *moved, *after])
            page = pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=media,
                Resources=shared,
                Contents=out.make_stream(stream),
            )
            out.pages.append(pikepdf.Page(page))
        data = BytesIO()
        out.save(data)  # while the lines' document, whose font it copies, is open
    return data.getvalue()


_BT = pikepdf.Operator("BT")


def _moved(text: list, x: float, y: float) -> list:
    """A line of text set at (x, y)."""
    return [
        (pikepdf.Array([*operands[:4], x, y]) if str(op) == "Tm" else operands, op)
        for operands, op in text
    ]


def _text_lines(source) -> tuple[list, object]:
    """Each line of text of the document: its place (Tm), its font and its glyphs; and the
    resources its pages share (none, when they do not share them)."""
    lines, resources = [], source.pages[0].Resources
    font = None  # a text object sets its font once, for the lines after it too
    for page in source.pages:
        if page.Resources.objgen != resources.objgen:
            return [], resources
        for operands, op in pikepdf.parse_content_stream(page):
            name = str(op)
            if name == "Tm":
                lines.append([(operands, op)])
            elif name == "Tf":
                font = (operands, op)
            elif name in ("TJ", "Tj") and lines and font:
                if len(lines[-1]) == 1:
                    lines[-1].append(font)
                lines[-1].append((operands, op))
    return lines, resources


def _position(text: list) -> tuple[float, float]:
    matrix = next(operands for operands, op in text if str(op) == "Tm")
    return float(matrix[4]), float(matrix[5])


# The 目录's links name their target so; the joined file points them at its pages.
LINK = "booklet-target:"


@dataclass(frozen=True)
class Cover:
    data: bytes
    pages: int
    bookmarks: list


def _draw_cover(html: str) -> Cover:
    document = pdf._lay_out(html)
    return Cover(document.write_pdf(), len(document.pages), document.make_bookmark_tree())


@with_frame_room
def _draw_last(part: tuple):
    """The cover (its HTML) or the page numbers (their total), in a worker process."""
    kind, value = part
    return _draw_cover(value) if kind == "cover" else _draw_footers(value)


def _cover_and_footers(part_one, tables, anchors: dict, total: int) -> tuple[Cover, bytes]:
    """The cover and 目录 (unchanged as long as no page count changed) and the page numbers of
    `total` pages, each kept in the cache; when both are missing, laid out side by side."""
    html = pdf._cover_html(part_one, tables, anchors, LINK)
    keys = ("pdf-cover:" + fingerprint("cover", html), _footers_key(total))
    found = [cache.get(key) for key in keys]
    if found == [None, None]:
        drawn = pdf._pool(_draw_last, [("cover", html), ("footers", total)])
    else:
        drawn = [
            found[0] or _draw_cover(html),
            found[1] or _draw_footers(total),
        ]
    for key, before, value in zip(keys, found, drawn, strict=True):
        if before is None:
            cache_keep(key, value)
    return drawn[0], drawn[1]


def booklet_in_runs(part_one: PartOne, tables: list[TargetTable], progress) -> bytes:
    runs = _runs(part_one, tables, progress)
    anchors, first = {}, 0
    for run in runs:
        anchors.update({anchor: page + first for anchor, page in run.anchors.items()})
        first += run.pages
    cover, footers = _cover_and_footers(part_one, tables, anchors, first)
    return _join(cover, runs, footers, anchors, part_one.title)


def _join(cover: Cover, runs: list[Run], footers: bytes, anchors: dict, title: str) -> bytes:
    """The cover, then the runs' pages, each body page stamped with its number; the bookmarks,
    links, page labels, title and language of a one-pass booklet; one font per face. Joined by
    qpdf (pikepdf), which copies pages between files without reading them object by object,
    and written once with its objects in compressed object streams, as WeasyPrint writes its
    own."""
    lead = cover.pages
    sources = [pikepdf.open(BytesIO(run.data)) for run in runs]
    numbers = pikepdf.open(BytesIO(footers))
    try:
        with pikepdf.open(BytesIO(cover.data)) as booklet:
            for source in sources:
                booklet.pages.extend(source.pages)
            for page, number in zip(booklet.pages[lead:], numbers.pages, strict=True):
                page.add_overlay(number)  # as a form, the page's own content left as it is
            _outline(booklet, cover.bookmarks, runs, lead)
            _point_links(booklet, lead, anchors)
            root = booklet.Root
            root.PageMode = pikepdf.Name.UseOutlines
            # As a booklet laid out in one pass: its title, its language for screen readers,
            # and its pages numbered as printed (封面, I, II …, then 1, 2 … from 第一部分).
            booklet.docinfo[pikepdf.Name.Title] = pikepdf.String(title)
            root.Lang = pikepdf.String("zh-Hans")
            root.PageLabels = pikepdf.Dictionary(
                Nums=pikepdf.Array(
                    [
                        *(0, pikepdf.Dictionary(P=pikepdf.String("封面"))),
                        *(1, pikepdf.Dictionary(S=pikepdf.Name.R)),
                        *(lead, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)),
                    ]
                )
            )
            consolidate_fonts(booklet)
            out = BytesIO()
            booklet.save(
                out,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                compress_streams=True,
                deterministic_id=True,
            )
    finally:
        for source in [*sources, numbers]:
            source.close()
    return out.getvalue()


def _point_links(booklet: pikepdf.Pdf, lead: int, anchors: dict[str, int]) -> None:
    """Each 目录 entry leads to the page its part, section or table starts on."""
    for page in booklet.pages[:lead]:
        for annotation in page.obj.get("/Annots") or []:
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(LINK):
                continue
            target = booklet.pages[lead + anchors[uri.removeprefix(LINK)] - 1]
            annotation.A = pikepdf.Dictionary(
                S=pikepdf.Name.GoTo, D=pikepdf.Array([target.obj, pikepdf.Name.Fit])
            )


def _outline(booklet: pikepdf.Pdf, cover_marks: list, runs: list[Run], lead: int) -> None:
    """目录, then 第一部分 and 第二部分 as in a one-pass booklet, each table under 第二部分."""

    def add(items, offset, into):
        added = None
        for label, (page, _x, _y), children, _state in items:
            added = pikepdf.OutlineItem(label, offset + page)
            into.append(added)
            add(children, offset, added.children)
        return added

    with booklet.open_outline() as outline:
        outline.root.clear()  # the cover's own
        add(cover_marks, 0, outline.root)
        offset = lead
        part_two = add(runs[0].bookmarks, offset, outline.root)
        offset += runs[0].pages
        for run in runs[1:]:
            add(run.bookmarks, offset, part_two.children)
            offset += run.pages
