"""How to run `voc` again, written the way this process was started.

Hints such as "Try next: voc account …" are only useful if they can be pasted: a checkout that
ran `.venv/bin/voc demo` has no `voc` on PATH, so the hint must say `.venv/bin/voc`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

MODULE = "bot.cli"


def command_prefix(
    argv0: str | None = None, *, cwd: Path | None = None, search_path: str | None = None
) -> str:
    """The words that start `voc` the way this process was started (`sys.argv[0]`).

    A name that PATH finds is shown bare (`voc`); a script PATH would not find is shown by its
    path, relative when it lies inside the working directory; `python -m bot.cli` is shown as
    the interpreter that ran it. `cwd` and `search_path` stand in for the process's own.
    """
    program = sys.argv[0] if argv0 is None else argv0
    where = Path.cwd() if cwd is None else cwd
    if not program or os.sep not in program:
        return program or "voc"  # typed as a bare name, so the shell found it on PATH
    path = Path(program)
    if path.name == "__main__.py":
        return f"{shlex.quote(_shown(Path(sys.executable), where))} -m {MODULE}"
    if _on_path(path, where, search_path):
        return path.name
    return shlex.quote(_shown(path, where))


def _on_path(path: Path, cwd: Path, search_path: str | None) -> bool:
    """True when typing the bare name would run this very file."""
    found = shutil.which(path.name, path=search_path)
    return found is not None and Path(found).resolve() == (cwd / path).resolve()


def _shown(path: Path, cwd: Path) -> str:
    """`.venv/bin/voc` inside the working directory, the absolute path outside it.

    A path without a slash would be looked up on PATH by the shell, so `./` is kept for a
    program that sits in the working directory itself.
    """
    absolute = Path(os.path.normpath(path if path.is_absolute() else cwd / path))
    try:
        relative = absolute.relative_to(cwd)
    except ValueError:
        return str(absolute)
    text = str(relative)
    return text if os.sep in text else f".{os.sep}{text}"
