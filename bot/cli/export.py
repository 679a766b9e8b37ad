"""`voc export [ACCOUNT] --out DIR`: everything stored about the account(s), as CSV files.

The directory is checked before the database is opened, so a typo creates nothing: a path that
is a file, or a directory already holding an export, is refused with one line (exit 2) rather
than overwritten.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import status
from bot.cli.options import subcommand
from bot.core.text import plural

if TYPE_CHECKING:
    from bot.runtime import Runtime


def add_command(sub: Any, handler: Any) -> None:
    command = subcommand(
        sub, "export", "everything stored about the account(s), as CSV files for a spreadsheet"
    )
    command.add_argument(
        "account", nargs="?", metavar="ACCOUNT", help="only this account's (default: all)"
    )
    command.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="the directory to write the CSV files into (created if missing)",
    )
    command.set_defaults(handler=handler)


def bad_directory(out: str) -> int | None:
    """Exit 2 with one line when `out` cannot take a fresh export, else None."""
    from bot.export.service import existing_files  # the database libraries: not for --help

    directory = Path(out)
    try:
        if directory.exists() and not directory.is_dir():
            return status.reject("export", f'--out "{out}" is a file, not a directory')
        earlier = existing_files(directory) if directory.is_dir() else []
    except OSError as error:  # a name too long for the file system, a directory not readable
        return status.reject("export", f'cannot use "{out}": {error.strerror or error}')
    if earlier:
        return status.reject(
            "export",
            f'"{earlier[0]}" already exists: choose an empty directory or move the earlier '
            "export away (nothing is overwritten)",
        )
    return None


def run_export(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.errors import VocError
    from bot.export.service import export
    from storage.db import transaction

    try:
        with transaction(runtime.sessions) as session:
            written = export(session, runtime.settings.workspace, args.account, Path(args.out))
    except VocError as refusal:
        return status.reject("export", str(refusal))
    except OSError as error:
        return status.reject("export", f'cannot write into "{args.out}": {error.strerror or error}')
    for done in written:
        print(f"Wrote {plural(done.rows, 'row')} to {done.path}")
    return status.OK
