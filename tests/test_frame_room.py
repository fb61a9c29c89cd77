"""WeasyPrint's layout runs with room on the Python frame stack (perfbudget/lib/frames.py).

CPython keeps a thread's frames in 16 KiB chunks, each mapped when a call needs one and unmapped
as soon as the call that opened it returns: a recursion going up and down across a chunk's edge
maps and unmaps that chunk again on every crossing, and faults its pages in again. A layout
worker whose stack happened to sit at such an edge took a quarter more CPU (1.1 million maps
for a 200-table booklet against 150,000). The probe here dives across two edges, again and
again, and counts the page faults of its thread."""

import resource
import threading

import pytest

from perfbudget.lib.frames import with_frame_room
from projects.documents import pdf, pdf_runs
from projects.documents.booklet import department_tables
from projects.documents.evaluation_table import build_evaluation, for_evaluation
from projects.documents.part_one import build_part_one
from projects.documents.target_table import build_target_table
from projects.models import BudgetYear, Project

CODE = "13081123P000182100018"
DEPTH = 400  # ~40 KiB of frames: across two of CPython's 16 KiB chunks
DIVES = 300


def _dive(n: int) -> int:
    return 0 if n == 0 else _dive(n - 1)


def _faults_while_diving() -> int:
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    for _ in range(DIVES):
        _dive(DEPTH)
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before


def _in_a_thread(function):
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_the_probe_sees_chunks_mapped_again_on_every_dive():
    """Without room, each dive maps a chunk anew and faults its pages in: the probe can fail."""
    assert _in_a_thread(_faults_while_diving) >= DIVES


def test_with_room_the_dives_map_nothing_again():
    assert _in_a_thread(with_frame_room(_faults_while_diving)) < DIVES // 10
    assert _faults_while_diving.__name__ == with_frame_room(_faults_while_diving).__name__


def test_room_is_made_once_however_deep_the_calls_that_ask_for_it():
    """A roomy call inside another uses the room it is in: a second large frame would fit in
    the first one's chunk and leave the dives too little room (2,405 faults without the rule)."""
    nested = with_frame_room(with_frame_room(_faults_while_diving))
    assert _in_a_thread(nested) < DIVES // 10


@pytest.fixture
def probed_layouts(monkeypatch):
    """Each WeasyPrint layout first dives; the faults of each dive are kept."""
    faults = []
    lay_out = pdf._lay_out

    def probed(*args, **kwargs):
        faults.append(_faults_while_diving())
        return lay_out(*args, **kwargs)

    monkeypatch.setattr(pdf, "_lay_out", probed)
    return faults


def _table():
    project = Project.objects.for_table().get(year=2024, code=CODE)
    return build_target_table(project, BudgetYear.milestones_of(2024))


@pytest.mark.django_db
@pytest.mark.slow
def test_every_pdf_is_laid_out_with_room(reference, probed_layouts):
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    part_one, tables = build_part_one(department_year), department_tables(department_year)
    evaluation = build_evaluation(for_evaluation().get(year=2024, code=CODE))
    drawings = {
        "绩效目标表": lambda: pdf.table_pdf(_table()),
        "自评表": lambda: pdf.evaluation_pdf(evaluation),
        "审核意见书": lambda: pdf.document_pdf("<p>审核意见</p>"),
        "整本（小）": lambda: pdf.booklet_pdf(part_one, tables),
        "整本的一段": lambda: pdf_runs._draw_run((part_one, tables, False)),
        "整本的封面": lambda: pdf_runs._draw_last(
            ("cover", pdf._cover_html(part_one, [], {a: 1 for a, _, _ in pdf.CONTENTS}))
        ),
    }
    for name, draw in drawings.items():
        probed_layouts.clear()
        data = _in_a_thread(draw)
        assert data and probed_layouts, name
        assert max(probed_layouts) < DIVES // 10, (name, probed_layouts)
