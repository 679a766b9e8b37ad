"""`voc tick [--now ISO-8601] [--dry-run]`: the scheduled work, once, for cron and for replays."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.cli import status
from bot.core.clock import utc_now
from bot.runtime import Runtime
from bot.scheduler import run_due_work

EXAMPLE = "2026-12-01T09:00:00Z"


class BadMoment(ValueError):
    """`--now` that names no single instant; the text says how to write one."""


def parse_moment(text: str) -> datetime:
    """ISO-8601 with an offset or `Z`; a bare local time is refused rather than guessed."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadMoment(
            f'--now: "{text}" is not an ISO-8601 moment; write it as {EXAMPLE}'
        ) from None
    if moment.tzinfo is None:
        raise BadMoment(
            f'--now: "{text}" has no timezone; add Z or an offset, as in 2026-12-01T09:00:00+01:00'
        )
    return moment


def parse_now(text: str | None) -> datetime:
    """The moment to run as: `--now` when given, else the real clock."""
    return parse_moment(text) if text else utc_now()


def run_tick(args: argparse.Namespace, runtime: Runtime, now: datetime) -> int:
    """Print what was done (or would be, with --dry-run); exit 1 when a delivery failed."""
    report = run_due_work(runtime, now, dry_run=args.dry_run)
    print("\n".join(report.lines()))
    if report.unresolved:
        zone = runtime.settings.timezone
        print(
            f"No Slack token: reminders planned in VOC_TIMEZONE ({zone}), owners not resolved.",
            file=sys.stderr,
        )
    return status.PROBLEMS if report.failed else status.OK
