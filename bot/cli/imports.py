"""`voc import accounts FILE` and `voc import responses FILE [--cycle L] [--create-accounts]
[--format F] [--mapping FILE]`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.accounts.queries import unresolved_channels
from bot.accounts.service import resolve_channels
from bot.cli import status
from bot.core.clock import utc_now
from bot.core.text import plural
from bot.directory import Directory, TtlCache
from bot.followups.announce import Outcome, owed_announcements
from bot.followups.service import policy_of
from bot.intake.exports import Mapping, load_mapping
from bot.intake.roster import DEFAULT_SEGMENT
from bot.intake.service import (
    ImportRejected,
    ImportSummary,
    Progress,
    import_accounts,
    import_responses,
)
from bot.runtime import Runtime
from bot.slack_client import client_for_workspace
from bot.themes.lexicon import load_lexicon
from storage.db import transaction

LARGE_FILE_BYTES = 5 * 1024 * 1024
BAR_DELAY_SECONDS = 1.0


def run_import(args: argparse.Namespace, runtime: Runtime) -> int:
    """Import one file in one transaction; exit 2 when the file is refused or missing."""
    path = Path(args.file)
    if not path.is_file():
        print(f"voc: {path}: no such file", file=sys.stderr)
        return status.REJECTED
    workspace = runtime.settings.workspace
    try:
        mapping = _mapping(args)
        with transaction(runtime.sessions) as session:
            if args.kind == "accounts":
                summary = import_accounts(session, path, workspace_id=workspace, actor=actor())
            else:
                with _progress_bar(path) as progress:
                    summary = import_responses(
                        session,
                        path,
                        workspace_id=workspace,
                        cycle=args.cycle,
                        format=args.format,
                        mapping=mapping,
                        create_accounts=args.create_accounts,
                        actor=actor(),
                        progress=progress,
                        followups=policy_of(runtime.settings),
                        themes=load_lexicon(runtime.settings.themes_file),
                    )
    except ImportRejected as rejected:
        print(str(rejected), file=sys.stderr)
        return status.REJECTED
    if args.kind == "accounts":
        _check_channels(runtime, summary)
    _print_summary(summary)
    _announce(runtime, summary.announcements)
    return status.OK


def _mapping(args: argparse.Namespace) -> Mapping | None:
    """`--mapping FILE`, read before the database is touched: a bad one is rejected input."""
    path = getattr(args, "mapping", None)
    return load_mapping(path) if path else None


def _check_channels(runtime: Runtime, summary: ImportSummary) -> None:
    """Resolve the roster's `#name` channels to IDs now, when Slack is there to ask."""
    workspace = runtime.settings.workspace
    client = client_for_workspace(runtime, workspace)
    if client is None:
        with runtime.sessions() as session:
            waiting = unresolved_channels(session, workspace)
        summary.missing_channels = sorted({account.channel or "" for account in waiting})
        summary.channels_checked = False
        return
    check = resolve_channels(runtime, workspace, Directory(client, workspace, TtlCache()))
    summary.missing_channels = check.missing
    summary.channels_checked = not check.unanswered


def _announce(runtime: Runtime, keys: list[str]) -> None:
    """Post what the import owes the account channels now, when there is a token to post with.

    Without one the messages stay owed: the running bot's scheduler (or `voc tick`) posts them
    once a token is configured, within three days of the import.
    """
    if not keys:
        return
    client = client_for_workspace(runtime, runtime.settings.workspace)
    if client is None:
        channels = plural(len(keys), "account channel")
        print(f"Not announced yet: no Slack token. {channels} will hear of it once there is one.")
        return
    for outcome in owed_announcements(runtime, client, runtime.settings.workspace, keys, utc_now()):
        print(_announced_line(outcome), file=sys.stderr if outcome.outcome == "failed" else None)


def _announced_line(outcome: Outcome) -> str:
    if outcome.outcome in ("sent", "found"):
        return f"Announced in {outcome.channel}: {outcome.account}"
    if outcome.outcome == "failed":
        return (
            f"Not announced in {outcome.channel} ({outcome.detail}): "
            "the scheduler tries again at its next tick."
        )
    return f"Not announced for {outcome.account or 'an account'}: {outcome.detail}"


def _print_summary(summary: ImportSummary, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    for line in summary_lines(summary):
        print(line, file=stream)


def summary_lines(summary: ImportSummary) -> list[str]:
    """What an import did, as a person checks it against their file (data-formats.md, Import
    summary). Rendered here, where it is printed, so every count agrees with its noun."""
    noun = "account" if summary.kind == "accounts" else "response"
    lines = [
        f"Imported {summary.source or summary.kind}: {plural(summary.rows, 'row')} — "
        f"{plural(summary.added, noun)} added, {summary.updated:,} updated, "
        f"{summary.unchanged:,} unchanged."
    ]
    if summary.cycles:
        lines.append(f"Cycles: {', '.join(summary.cycles)}")
    if summary.accounts_created:
        lines.append(_created_accounts_line(summary))
    people = _people_parts(summary)
    if people:
        lines.append(f"People: {', '.join(people)}")
    if summary.benchmark_rows:
        rows = plural(summary.benchmark_rows, "segment/all row")
        lines.append(f"Benchmarks recomputed: {rows}")
    if summary.followups_opened:
        lines.append(f"Follow-ups opened: {summary.followups_opened:,}")
    if summary.ignored_columns:
        quoted = ", ".join(f'"{name}"' for name in summary.ignored_columns)
        lines.append(f"Ignored columns (not part of the format): {quoted}")
    if summary.unmapped_questions:
        lines.append(_unmapped_line(summary.unmapped_questions))
    if summary.missing_channels:
        lines.append(_channels_line(summary))
    lines.extend(f"Warning: {warning}" for warning in summary.warnings)
    return lines


def _unmapped_line(questions: list[str]) -> str:
    """Survey questions no field was mapped to: named, so a forgotten rating is noticed."""
    shown = ", ".join(questions[:20])
    more = f" and {len(questions) - 20:,} more" if len(questions) > 20 else ""
    return f"Unmapped questions (not imported; map them with --mapping): {shown}{more}"


def _channels_line(summary: ImportSummary) -> str:
    """One line: channels the roster names that count for nothing until found in Slack."""
    names = ", ".join(summary.missing_channels[:10])
    extra = len(summary.missing_channels) - 10
    more = f" and {extra:,} more" if extra > 0 else ""
    why = "not found in Slack" if summary.channels_checked else "not checked in Slack yet"
    return (
        f"Channels {why}, so their members are not the team and nothing is posted there: "
        f"{names}{more}"
    )


def _created_accounts_line(summary: ImportSummary) -> str:
    """`--create-accounts`: which accounts appeared, so a typo in a name is seen at once."""
    names = ", ".join(summary.new_accounts[:10])
    extra = summary.accounts_created - 10
    more = f" and {extra:,} more" if extra > 0 else ""
    created = plural(summary.accounts_created, "account")
    return f"Created {created} (segment {DEFAULT_SEGMENT}): {names}{more}"


def _people_parts(summary: ImportSummary) -> list[str]:
    """New people and corrected ones; nothing at all when the import changed nobody."""
    parts = []
    if summary.people_added:
        parts.append(f"{summary.people_added:,} new")
    if summary.people_updated:
        parts.append(f"{summary.people_updated:,} with a corrected name or email")
    return parts


def actor() -> str:
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
