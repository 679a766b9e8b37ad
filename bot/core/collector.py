"""The cyclic garbage collector, paused for bulk arithmetic.

Computing the figures of a big import builds a few million short-lived lists, dicts and strings,
none of them in a reference cycle, while the process holds millions more (the frames). With the
collector on, those allocations trigger full collections that walk the whole heap and find
nothing: a sixth of the computation. Reference counting frees everything the computation drops
either way; what pausing delays is only cycles, collected when the pause ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; nested or concurrent pauses (an upload's import beside
    another) end when the last one does, and the collector is then as it was before the first."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
