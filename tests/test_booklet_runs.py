"""A large booklet drawn in runs of tables (projects/documents/pdf_runs.py): after a change only
the changed run is laid out again, and the booklet served equals one drawn from scratch — page
count, text of every page, bookmarks and their pages, page labels — after a change to the first,
a middle or the last table, to a table that grows by pages, and to 第一部分; and its size stays
within 1.2× of the booklet laid out as one document. The reference unit stands in for a large
one: runs of two tables."""

from unittest import mock

import pytest
from django.core.cache import cache

from projects.documents import pdf, pdf_runs
from projects.documents.booklet import department_tables
from projects.documents.part_one import build_part_one
from projects.models import Project
from tests.long_table import add_long_group, tall_label_table
from tests.pdf_text import page_pixels, page_texts, reader
from tests.reference_doc import squash

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _in_runs(monkeypatch):
    monkeypatch.setattr(pdf, "RUNS_MIN_TABLES", 2)
    monkeypatch.setattr(pdf_runs, "RUN_TABLES", 2)


def _booklet(reference) -> bytes:
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    return pdf.booklet_pdf(build_part_one(department_year), department_tables(department_year))


def _facts(data: bytes):
    """What a reader sees: every page's text, the bookmarks with their pages, the labels."""
    document = reader(data)
    marks = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                marks.append((level, item.title, document.get_destination_page_number(item)))

    walk(document.outline, 1)
    about = (document.metadata.title, str(document.trailer["/Root"].get("/Lang")))
    return page_texts(data), marks, document.page_labels, about


def _in_order(position: int) -> Project:
    return list(Project.objects.filter(year=2024).in_booklet_order())[position]


def _change_value(position: int):
    def change(reference):
        indicator = _in_order(position).indicators.order_by("pk").first()
        indicator.value_text = "≥99次（已修改）"
        indicator.save()

    return change


def _grow(reference):
    add_long_group(_in_order(1).code)


def _part_one(reference):
    reference.safeguards += "\n新增一条保障措施，写进第一部分。"
    reference.save()


CHANGES = {
    "first table": _change_value(0),
    "middle table": _change_value(2),
    "last table": _change_value(4),
    "a table that grows by pages": _grow,
    "第一部分": _part_one,
}


@pytest.mark.parametrize("change", CHANGES)
def test_after_a_change_only_its_run_is_drawn_and_the_booklet_equals_a_fresh_one(
    reference, change, monkeypatch
):
    before = _booklet(reference)
    CHANGES[change](reference)
    monkeypatch.setattr(pdf, "_pool", _in_this_process)  # the layouts seen here
    with mock.patch.object(pdf_runs, "_draw_run", wraps=pdf_runs._draw_run) as drawn:
        served = _booklet(reference)
    # The changed table's run (its halves side by side), or 第一部分's.
    tables = [table.code for call in drawn.call_args_list for table in call.args[0][1]]
    assert 1 <= drawn.call_count <= 2 and len(tables) <= pdf_runs.RUN_TABLES
    cache.clear()
    fresh = _booklet(reference)
    assert _facts(served) == _facts(fresh)
    assert _facts(served) != _facts(before)
    assert len(served) <= 1.2 * len(_one_document(reference))


def test_after_a_change_the_progress_counts_every_table_of_the_booklet(reference, monkeypatch):
    """The changed run is drawn in halves: what a job shows is still done of all the tables."""
    _booklet(reference)
    _change_value(2)(reference)
    monkeypatch.setattr(pdf, "_pool", _in_this_process)
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    tables = department_tables(department_year)
    heard = []
    pdf.booklet_pdf(build_part_one(department_year), tables, lambda *done: heard.append(done))
    assert heard and all(total == len(tables) for _, total in heard)
    assert heard[-1] == (len(tables), len(tables))


def _one_document(reference) -> bytes:
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    return pdf._booklet_apart(build_part_one(department_year), department_tables(department_year))


def test_a_booklet_in_runs_reads_as_the_booklet_laid_out_as_one_document(reference):
    add_long_group(_in_order(3).code)  # a table over several pages, its labels repeated
    runs = _booklet(reference)
    one = _one_document(reference)
    assert _facts(runs) == _facts(one)
    texts = page_texts(runs)
    total = len(texts) - 2
    assert [t.splitlines()[-1] for t in texts[2:]] == [
        f"第 {n} 页 共 {total} 页" for n in range(1, total + 1)
    ]
    # One embedded font program per face, not one per run (every run names its subset alike:
    # the names say nothing; the programs embedded do), the page numbers' forms included.
    assert len(_font_programs(runs)) == len(_font_programs(one)) == 2
    assert len(runs) <= 1.2 * len(one)
    # Every page looks as the one-document booklet's: a subset missing a glyph prints a blank
    # where the text (read from the fonts' Unicode maps) still reads right.
    assert page_pixels(runs) == page_pixels(one)


def _font_programs(data: bytes) -> set:
    """The embedded font programs a file's pages and their forms draw with (object ids)."""
    programs, seen = set(), set()

    def visit(resources):
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        programs.add(descriptor.raw_get(key).idnum)
        for form in (resources.get("/XObject") or {}).values():
            if form.idnum not in seen:
                seen.add(form.idnum)
                visit(form.get_object().get("/Resources"))

    for page in reader(data).pages:
        visit(page.get("/Resources"))
    return programs


def test_every_entry_of_the_contents_leads_to_its_page(reference):
    data = _booklet(reference)
    document = reader(data)
    targets = set()
    for annotation in document.pages[1]["/Annots"]:
        action = annotation.get_object()["/A"]
        assert action["/S"] == "/GoTo"
        targets.add(document.get_page_number(action["/D"][0].get_object()))
    starts = {
        n for n, text in enumerate(page_texts(data)) if text.startswith(("第一部分", "第二部分"))
    }
    tables = {n for n, text in enumerate(page_texts(data)) if "绩效目标表" in text.splitlines()[0]}
    assert starts <= targets and tables <= targets


def test_an_unchanged_booklet_draws_nothing_again(reference):
    _booklet(reference)
    with (
        mock.patch.object(pdf_runs, "_draw_run") as drawn,
        mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as laid_out,
    ):
        _booklet(reference)
    drawn.assert_not_called()
    assert laid_out.call_count == 0  # the cover, the page numbers and every run from the cache


def test_layout_workers_are_forked_only_from_a_process_with_one_thread():
    # A fork from a threaded server copies locks other threads hold; its children could wait
    # on them for ever (seen: a booklet job in `make run` stuck, and every job after it).
    import multiprocessing
    import threading

    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    alone = context.Process(target=lambda: answer.put(pdf._single_threaded()))
    alone.start()
    assert answer.get(timeout=30) is True  # a process with one thread, as a job worker's child
    alone.join()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(pdf._single_threaded()))
    thread.start()
    thread.join()
    assert seen == [False]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not pdf._single_threaded()  # the main thread, while another runs
    finally:
        stop.set()
        other.join()


def test_a_booklet_drawn_in_a_thread_uses_every_core_through_the_fork_server(
    reference, monkeypatch
):
    """A web or job thread must not fork (tests above); its runs, cover and page numbers are
    laid out by workers of the fork server instead, and the booklet is the same."""
    import threading

    cache.clear()
    expected = _facts(_booklet(reference))
    cache.clear()
    monkeypatch.setattr(pdf.multiprocessing, "cpu_count", lambda: 2)
    drawn = []
    with (
        mock.patch.object(pdf, "_fork_server", wraps=pdf._fork_server) as server,
        mock.patch.object(pdf, "_pool", wraps=pdf._pool) as pool,
    ):
        thread = threading.Thread(target=lambda: drawn.append(_booklet(reference)))
        thread.start()
        thread.join()
    assert [call.args[0] for call in pool.call_args_list] == [
        pdf_runs._draw_run,
        pdf_runs._draw_last,
    ]
    assert server.call_count == 2
    assert _facts(drawn[0]) == expected


def _in_this_process(function, arguments, on_each=None):
    done = []
    for argument in arguments:
        done.append(function(argument))
        if on_each:
            on_each(len(done))
    return done


def test_a_run_whose_groups_cross_a_page_is_laid_out_once(reference, monkeypatch):
    """A table of a run whose groups cross a page is mended in place: no layout again."""
    long = add_long_group(_in_order(3).code)  # the 4th table: the second of its run of two
    other = _in_order(2)  # the first of that run
    monkeypatch.setattr(pdf, "_pool", _in_this_process)  # the layouts seen here
    cache.clear()
    with mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as laid_out:
        runs = _booklet(reference)
    shown = [call.args[0] for call in laid_out.call_args_list]
    assert sum(f'id="table-{long.code}"' in html for html in shown) == 1
    assert sum(f'id="table-{other.code}"' in html for html in shown) == 1
    assert _facts(runs) == _facts(_one_document(reference))


def test_a_table_that_cannot_be_mended_is_laid_out_again_alone(reference, monkeypatch):
    """Every table starts on a page of its own: when a table of a run has a label taller than
    its rows on a page, that table alone is laid out again with its group split there, and its
    pages replace its first pages; the run's other table is laid out once."""
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    part_one, tables = build_part_one(department_year), department_tables(department_year)
    tables[3], _, label = tall_label_table(tables[3])  # the second of its run of two
    monkeypatch.setattr(pdf, "_pool", _in_this_process)
    cache.clear()
    with mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as laid_out:
        runs = pdf.booklet_pdf(part_one, tables)
    shown = [call.args[0] for call in laid_out.call_args_list]
    assert sum(f'id="table-{tables[3].code}"' in html for html in shown) == 2
    assert sum(f'id="table-{tables[2].code}"' in html for html in shown) == 1
    assert _facts(runs) == _facts(pdf._booklet_apart(part_one, tables))
    assert sum(squash(label) in squash(text) for text in page_texts(runs)) == 2


@pytest.mark.parametrize("total", [9, 12, 105])
def test_page_numbers_set_as_lines_are_drawn_as_weasyprint_numbers_pages(total):
    """The numbers stamped on a booklet in runs are laid out as lines of one document and moved
    to the foot of their pages: the pages look as WeasyPrint's own numbered pages do."""
    with mock.patch.object(pdf_runs, "_numbered_pages", wraps=pdf_runs._numbered_pages) as pages:
        drawn = pdf_runs._draw_footers(total)
    # WeasyPrint numbers one page at most (the foot the lines are moved to), never `total`.
    assert all(call.args == (1,) for call in pages.call_args_list)
    assert page_pixels(drawn, dpi=100) == page_pixels(pdf_runs._numbered_pages(total), dpi=100)


def test_page_numbers_that_do_not_come_out_as_lines_are_numbered_by_weasyprint(monkeypatch):
    from weasyprint import CSS

    wrapped = CSS(string=".footer-lines p { width: 3em; }")  # each number over several lines
    monkeypatch.setattr(pdf_runs, "_unnumbered", lambda: wrapped)
    assert page_pixels(pdf_runs._draw_footers(7)) == page_pixels(pdf_runs._numbered_pages(7))
