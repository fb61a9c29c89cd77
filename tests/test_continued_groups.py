"""A merged 一级/二级 cell whose rows go on to the next page (projects/documents/continued.py):
the table is laid out once and its pages mended in place, drawn exactly as a layout with the
group split at each page (labels repeated) draws them; a label taller than its rows on a page
makes the table split there and laid out again."""

from unittest import mock

import pytest
from django.template.loader import render_to_string

from projects.documents import pdf
from projects.documents.continued import mend_continued_groups
from projects.documents.evaluation_table import build_evaluation, for_evaluation
from projects.documents.target_table import build_target_table
from projects.models import BudgetYear, Project
from tests.long_table import add_long_group, add_rows, rows_by_page, tall_label_table
from tests.pdf_text import page_pixels, page_texts
from tests.reference_doc import squash

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CODE = "13081123P000182100018"


def _table(code: str = CODE):
    project = Project.objects.for_table().get(year=2024, code=code)
    return build_target_table(project, BudgetYear.milestones_of(2024))


def _split_at_pages(build, grid_of):
    """The table laid out as before mending existed: its groups split at the rows that open a
    page in their middle (labels repeated there), laid out again until none is left."""
    splits: frozenset[int] = frozenset()
    for _ in range(pdf.MAX_LAYOUTS):
        grid = grid_of(splits)
        document = pdf._lay_out(build(grid))
        starts = {line.index for line in grid if line.starts_group}
        found = {rows[0] for rows in rows_by_page(document)[1:] if rows and rows[0] not in starts}
        if not found:
            return document
        splits |= found
    raise AssertionError("the groups never settled")


def _split_table(table):
    return _split_at_pages(
        lambda grid: render_to_string("pdf/table.html", {"item": pdf.TableItem(table, grid)}),
        table.grid_rows,
    )


@pytest.mark.parametrize("more", [0, 60], ids=["three-pages", "more-pages"])
def test_a_table_is_laid_out_once_and_drawn_as_one_split_at_its_pages(reference, more):
    add_rows(add_long_group(CODE), more, order=100, name="续表指标")
    table = _table()
    with mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as lay_out:
        mended = pdf.table_pdf(table)
    assert lay_out.call_count == 1
    pixels = page_pixels(mended, dpi=80)
    assert len(pixels) >= (3 if not more else 4)
    assert pixels == page_pixels(_split_table(table).write_pdf(), dpi=80)
    for text in page_texts(mended)[1:]:
        assert "产出指标" in text and "数量指标" in text  # the labels open every page again


def test_a_self_evaluation_table_is_mended_as_a_target_table(reference):
    add_long_group(CODE)
    table = build_evaluation(for_evaluation().get(year=2024, code=CODE))
    with mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as lay_out:
        mended = pdf.evaluation_pdf(table)
    assert lay_out.call_count == 1
    split = _split_at_pages(
        lambda grid: render_to_string("pdf/evaluation.html", {"table": table, "grid": grid}),
        table.grid_rows,
    )
    pixels = page_pixels(mended, dpi=80)
    assert len(pixels) >= 2 and pixels == page_pixels(split.write_pdf(), dpi=80)


def test_a_label_taller_than_its_rows_on_a_page_is_split_there_and_laid_out_again(reference):
    table, on_first, label = tall_label_table(_table())
    document = pdf._lay_out(pdf._table_html(table, {}))
    assert rows_by_page(document)[1] == [on_first]
    assert mend_continued_groups(document) == {table.code: frozenset({on_first})}
    with mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as lay_out:
        data = pdf.table_pdf(table)
    assert lay_out.call_count == 2
    texts = page_texts(data)
    assert len(texts) == 2 and squash(label) in squash(texts[1])
    assert page_pixels(data, dpi=80) == page_pixels(_split_table(table).write_pdf(), dpi=80)
