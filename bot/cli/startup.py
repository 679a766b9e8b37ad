"""Garbage collection while a command loads its modules.

Importing SQLAlchemy, pandas and the models allocates a few hundred thousand objects that live as
long as the process. With the interpreter's default thresholds that triggers some 250 young and
several full collections, each walking objects that can never be garbage: a tenth of a second of
`voc account`. While a command loads, collections wait for many more allocations; once it is
loaded (its runtime opened), what exists is frozen out of later collections and the default
thresholds return, so a long import or `voc serve` collects exactly as before.

Only a process that is the command does this: a program calling `main(argv)` in-process keeps its
own collector, since freezing would keep its earlier garbage (connections, files) for good.
"""

from __future__ import annotations

import gc

LOADING_THRESHOLD = 50_000
"""Allocations between young collections while loading: ~100x the default, still bounded."""

_usual: tuple[int, ...] | None = None


def loading() -> None:
    """Collect rarely: what is allocated now is modules, classes and mappers, kept to the end."""
    global _usual
    if _usual is None:
        _usual = gc.get_threshold()
        gc.set_threshold(LOADING_THRESHOLD, *_usual[1:])


def loaded() -> None:
    """Freeze what loading built (no collection walks it again) and collect as usual from here."""
    global _usual
    if _usual is None:
        return
    gc.freeze()
    gc.set_threshold(*_usual)
    _usual = None
