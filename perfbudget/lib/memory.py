"""Pausing Python's cyclic garbage collector over a bounded burst of allocations, and keeping it
off the objects a forked child shares with its parent."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reading a workbook of tens of thousands of cells allocates as many objects, all alive
    until the end: the collector would walk them again and again (a third of an import's time)
    and free nothing. The work is bounded by the import limits; the collector runs again
    afterwards. Where it is paused already (another thread's import), this changes nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Children forked here leave the objects alive now out of their collector's walks: a
    child's collections would otherwise touch every object it shares with its parent, and each
    page touched is copied (measured: a 200-table booklet's layout workers took a fifth more
    CPU and memory). The parent's collector sees them again once the children are forked."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
