"""The exit statuses of `voc`, one meaning each (interface.md, Exit status), in one place.

Scripts and cron jobs branch on these numbers, so a command never invents its own: anything a
person typed wrong is `REJECTED`, anything about the deployment is `CONFIG`.
"""

from __future__ import annotations

import sys

OK = 0
PROBLEMS = 1  # a check found problems (a tick with a failed delivery, later `voc doctor`)
REJECTED = 2  # unknown account or cycle, bad date, bad file, bad option: nothing was written
CONFIG = 78  # settings, the database or the Slack token (EX_CONFIG)
INTERRUPTED = 130  # Ctrl+C, as shells report SIGINT
BROKEN_PIPE = 141  # the reader of the output went away (`voc … | head`), as shells report SIGPIPE


def reject(command: str, message: str) -> int:
    """Say what to fix, on standard error, prefixed like argparse's own errors."""
    print(f"voc {command}: {message}", file=sys.stderr)
    return REJECTED
