"""Iterating one item ahead on a thread.

For a producer that lets go of the interpreter while it works (pandas' CSV parser, while it
tokenizes): the next item is produced while the caller works on this one, so the two overlap
rather than add up.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator
from typing import TypeVar

T = TypeVar("T")


def read_ahead(items: Generator[T, None, None]) -> Generator[T, None, None]:
    """`items`, each next one produced on a thread while the caller works on this one.

    A failure to produce is raised where that item would have come. Closing the result (a
    caller that stops early) stops the thread and closes `items`, so a file they read is
    closed then, not whenever the garbage collector gets to it.
    """
    ahead: queue.Queue[tuple[bool, T | None, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                ahead.put((False, item, None))
                if stop.is_set():
                    return
            ahead.put((True, None, None))
        except BaseException as failure:  # raised again on the caller's thread
            ahead.put((True, None, failure))
        finally:
            items.close()

    producer = threading.Thread(target=produce, name="voc-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            done, item, failure = ahead.get()
            if failure is not None:
                raise failure
            if done:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            ahead.get_nowait()  # a producer waiting to hand over an item now sees the stop
        producer.join()
