"""Running the real `voc` as a user does: a child process, its own environment, its output.

The child gets none of the developer's `SLACK_*`/`VOC_*`/`DATABASE_URL` variables and runs in a
directory of the test's choosing, so no stray `.env` or `voc.db` is read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 90


@dataclass(frozen=True)
class Ran:
    """What the person at the terminal saw."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def clean_env(**variables: str) -> dict[str, str]:
    """The parent's environment without the bot's settings, plus `variables`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "VOC_")) and key != "DATABASE_URL"
    }
    env.update(variables)
    return env


def voc(*argv: str, cwd: Path, env: dict[str, str] | None = None, **variables: str) -> Ran:
    """`voc ARGV…` in `cwd`; `variables` are added to a clean environment (or to `env`)."""
    environment = dict(env) if env is not None else clean_env()
    environment.update(variables)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
