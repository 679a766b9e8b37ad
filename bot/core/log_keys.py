"""The key of what the current thread is doing (a Slack request, a delivery), for its log lines.

Set around a unit of work with `keyed`; the one logging setup (`bot.cli.logs`) writes it on every
line logged meanwhile, so an operator can gather everything one request or one message caused.
A context variable, so threads handed the work (Bolt's listener pool copies the context) carry
the same key and concurrent requests never see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("voc_log_key", default=None)


@contextmanager
def keyed(key: str | None) -> Iterator[None]:
    """Log under `key` for the length of the block (None: keep whatever key is already set)."""
    if key is None:
        yield
        return
    token = _current.set(key)
    try:
        yield
    finally:
        _current.reset(token)


def current_key() -> str | None:
    return _current.get()
