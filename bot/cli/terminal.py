"""The one printing path of `voc`: what reaches the terminal cannot steer it.

Comments, names and account names come from customers' files; a comment holding `ESC [2J`,
a bell or a right-to-left override would clear, ring or rewrite the operator's screen when
`voc account` prints it. Every command prints through `sys.stdout`/`sys.stderr` (logging and
argparse too), so `main()` wraps both once for the whole command and each line passes through
`bot.core.text.terminal_safe`. What is stored stays verbatim; `--json` stays valid JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from bot.core.text import terminal_safe


class SafeStream:
    """A text stream that writes everything made terminal-safe, and is the stream otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def terminal_output() -> Iterator[None]:
    """`sys.stdout` and `sys.stderr` made safe for the length of a command, then put back."""
    saved = sys.stdout, sys.stderr
    sys.stdout = SafeStream(saved[0])  # type: ignore[assignment]
    sys.stderr = SafeStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
