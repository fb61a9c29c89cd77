"""Pausing Python's cyclic garbage collector over a bounded burst of allocations."""

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
