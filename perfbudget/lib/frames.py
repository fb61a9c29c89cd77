"""Room on the Python frame stack for a deep recursion: WeasyPrint's layout and drawing.

CPython (3.11 on) keeps a thread's frames in chunks of 16 KiB, each mapped from the system when a
call finds no room left in the current one, and unmapped as soon as the call that opened it
returns. A recursion whose depth goes up and down across a chunk's edge maps and unmaps that
chunk again on every crossing, and faults its pages in again each time. Where the edge falls
depends on how deep the stack already is when the layout starts, so the same booklet cost a
quarter more CPU in one process than in another: measured, a 200-table booklet's layout workers
made 1.1 million maps and unmaps against 150,000, and took 19–20 s instead of 15 s.

`with_frame_room` calls its function from a frame that holds many local variables: CPython
gives that frame a chunk of its own, sized to leave as much again free after it (128 KiB,
several times what a layout's deepest recursion needs), and the layout runs in there without
crossing an edge. A roomy call inside another runs where it is: the room is made once per
thread.
"""

import functools
import threading
from collections.abc import Callable

# Slots (pointers) of the roomy frame. CPython gives a frame that does not fit a chunk of its
# own of at least its size plus 1,000 slots, doubling from 16 KiB: 15,400 + 1,000 slots just pass
# 128 KiB, so the chunk is 256 KiB and about 16,000 slots stay free above the frame.
ROOM_SLOTS = 15_400

_state = threading.local()


def _roomy_caller() -> Callable:
    """A function `call(function, args, kwargs)` with ROOM_SLOTS local variables, never
    assigned: they only make its frame large. Written out, it would be 15,400 names long."""
    names = " = ".join(f"v{i}" for i in range(ROOM_SLOTS))
    source = (
        "def call(function, args, kwargs):\n"
        "    if function is None:\n"
        f"        {names} = None\n"
        "    return function(*args, **kwargs)\n"
    )
    namespace: dict = {}
    exec(compile(source, __file__ + ":roomy", "exec"), namespace)  # noqa: S102 (fixed text)
    return namespace["call"]


_call = _roomy_caller()


def with_frame_room(function: Callable) -> Callable:
    """`function` run from a frame with room above it on the frame stack (see above)."""

    @functools.wraps(function)
    def roomy(*args, **kwargs):
        if getattr(_state, "roomy", False):
            return function(*args, **kwargs)
        _state.roomy = True
        try:
            return _call(function, args, kwargs)
        finally:
            _state.roomy = False

    return roomy
