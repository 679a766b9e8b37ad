"""Logging for `voc`, configured once in the CLI entry: every line has a UTC time and a level.

    2026-12-01T08:00:00Z INFO bot.scheduler: reminder reminder:U0ANN0001:2026-12-01: sent

The long-running commands (`serve`, `run`) and `tick` log the bot's own INFO lines, among them
one per scheduled delivery, because an operator reading them later must be able to tell what
went out and when. Other commands log warnings only. Libraries stay at WARNING either way, or
every `voc tick` would narrate Alembic's migration context. Python warnings are logged too, so
they carry a time and a level like everything else.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
OWN_LOGGERS = ("bot", "handlers")
VERBOSE_COMMANDS = frozenset({"serve", "run", "tick"})


class UtcFormatter(logging.Formatter):
    """Times in UTC with `Z`: logs from hosts in different zones then read in one order."""

    converter = time.gmtime


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the moment (tests swap it for each test)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def level_for(command: str | None) -> int:
    return logging.INFO if command in VERBOSE_COMMANDS else logging.WARNING


@contextmanager
def cli_logging(own_level: int) -> Iterator[None]:
    """Log to stderr in the one format for the length of a command, then put things back.

    Restoring matters because `main()` also runs inside other programs (and the tests); a
    process-wide handler left behind would print into their output.
    """
    root = logging.getLogger()
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(UtcFormatter(FORMAT, DATE_FORMAT))
    own = [logging.getLogger(name) for name in OWN_LOGGERS]
    saved = (root.level, [logger.level for logger in own])
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for logger in own:
        logger.setLevel(own_level)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for logger, level in zip(own, saved[1], strict=True):
            logger.setLevel(level)
