"""Logging for `voc`, configured once in the CLI entry: every line has a UTC time and a level.

    2026-12-01T08:00:00Z INFO bot.scheduler: reminder reminder:U0ANN0001:2026-12-01: sent
    2026-12-01T08:00:01Z WARNING bot.handlers: [1234.5678.abcd] …

A line logged while a Slack request or a delivery is handled carries its key (the event ID or
trigger ID, the ledger key; `bot.core.log_keys`), in brackets unless the message names it.
With `VOC_LOG_FORMAT=json` each line is one JSON object instead (`time`, `level`, `logger`,
`message`, and `key` and `exception` when there are), for log shippers that parse.

The long-running commands (`serve`, `run`) and `tick` log the bot's own INFO lines, among them
one per scheduled delivery, because an operator reading them later must be able to tell what
went out and when. Other commands log warnings only. Libraries stay at WARNING either way, or
every `voc tick` would narrate Alembic's migration context. Python warnings are logged too, so
they carry a time and a level like everything else.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.core.log_keys import current_key

FORMAT = "%(asctime)s %(levelname)s %(name)s:%(key_part)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
OWN_LOGGERS = ("bot", "handlers")
VERBOSE_COMMANDS = frozenset({"serve", "run", "tick"})


class UtcFormatter(logging.Formatter):
    """Times in UTC with `Z`: logs from hosts in different zones then read in one order."""

    converter = time.gmtime


class JsonFormatter(UtcFormatter):
    """One JSON object per line; a traceback stays inside its object, escaped."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, DATE_FORMAT),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "key", None):
            entry["key"] = record.key
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _WithKey(logging.Filter):
    """Puts the current work's key on every record (`key`, and `key_part` for the text line,
    left out when the message already names the key, as the scheduler's lines do)."""

    def filter(self, record: logging.LogRecord) -> bool:
        key = current_key()
        record.key = key
        record.key_part = f" [{key}]" if key and key not in record.getMessage() else ""
        return True


class LogSetup:
    """The command's one handler: its format is chosen once the settings are read."""

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler

    def use_format(self, name: str) -> None:
        """`text` (the default) or `json` (VOC_LOG_FORMAT)."""
        if name == "json":
            self.handler.setFormatter(JsonFormatter())
        else:
            self.handler.setFormatter(UtcFormatter(FORMAT, DATE_FORMAT))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the moment (tests swap it for each test)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def level_for(command: str | None) -> int:
    return logging.INFO if command in VERBOSE_COMMANDS else logging.WARNING


@contextmanager
def cli_logging(own_level: int) -> Iterator[LogSetup]:
    """Log to stderr in the one format for the length of a command, then put things back.

    Restoring matters because `main()` also runs inside other programs (and the tests); a
    process-wide handler left behind would print into their output.
    """
    root = logging.getLogger()
    handler = _StderrHandler(sys.stderr)
    handler.addFilter(_WithKey())
    setup = LogSetup(handler)
    setup.use_format("text")
    own = [logging.getLogger(name) for name in OWN_LOGGERS]
    saved = (root.level, [logger.level for logger in own])
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for logger in own:
        logger.setLevel(own_level)
    logging.captureWarnings(True)
    try:
        yield setup
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for logger, level in zip(own, saved[1], strict=True):
            logger.setLevel(level)
