"""`voc import accounts FILE` and `voc import responses FILE [--cycle L] [--create-accounts]`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.followups.rules import FollowupPolicy
from bot.intake.service import (
    ImportRejected,
    ImportSummary,
    Progress,
    import_accounts,
    import_responses,
)
from bot.runtime import Runtime
from storage.db import transaction

EXIT_OK = 0
EXIT_REJECTED = 2
LARGE_FILE_BYTES = 5 * 1024 * 1024
BAR_DELAY_SECONDS = 1.0


def run_import(args: argparse.Namespace, runtime: Runtime) -> int:
    """Import one file in one transaction; exit 2 when the file is refused or missing."""
    path = Path(args.file)
    if not path.is_file():
        print(f"voc: {path}: no such file", file=sys.stderr)
        return EXIT_REJECTED
    workspace = runtime.settings.workspace
    try:
        with transaction(runtime.sessions) as session:
            if args.kind == "accounts":
                summary = import_accounts(session, path, workspace_id=workspace, actor=_actor())
            else:
                with _progress_bar(path) as progress:
                    summary = import_responses(
                        session,
                        path,
                        workspace_id=workspace,
                        cycle=args.cycle,
                        create_accounts=args.create_accounts,
                        actor=_actor(),
                        progress=progress,
                        followups=FollowupPolicy(
                            runtime.settings.followup_sla_days, runtime.settings.tz
                        ),
                    )
    except ImportRejected as rejected:
        print(str(rejected), file=sys.stderr)
        return EXIT_REJECTED
    _print_summary(summary)
    return EXIT_OK


def _print_summary(summary: ImportSummary, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    for line in summary.lines():
        print(line, file=stream)


def _actor() -> str:
    """Audit entries name who ran the command; the OS user is what a terminal knows."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _progress_bar(path: Path) -> Iterator[Progress | None]:
    """A tqdm bar on stderr, for a terminal or a large file, and only once it takes a moment."""
    large = path.stat().st_size >= LARGE_FILE_BYTES
    if not (sys.stderr.isatty() or large):
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(
        total=None,
        unit=" rows",
        unit_scale=True,
        file=sys.stderr,
        delay=BAR_DELAY_SECONDS,
        desc=path.name,
        leave=False,
    )

    def progress(done: int, total: int | None) -> None:
        if total and total >= done and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()
