"""The processes a booklet's runs are laid out in, forked from a job's process."""

import gc
import multiprocessing

from projects.documents import pdf


def _frozen_objects(_argument) -> int:
    return gc.get_freeze_count()


def test_layout_workers_leave_what_they_share_with_their_parent_out_of_their_collections():
    """A worker's collector would touch, and so copy, every object it shares with the process
    it was forked from: they are frozen in the worker, and only there."""
    context = multiprocessing.get_context("fork")
    answer = context.Queue()

    def parent():  # a process with one thread, as a job worker's child
        in_workers = pdf._pool(_frozen_objects, [0, 1])
        answer.put((in_workers, gc.get_freeze_count()))

    process = context.Process(target=parent)
    process.start()
    in_workers, in_parent_after = answer.get(timeout=60)
    process.join()
    assert all(count > 10_000 for count in in_workers) and in_parent_after == 0
