"""`voc tick [--now ISO-8601] [--dry-run]`: the scheduled work, once, for cron and for replays."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.core.clock import utc_now
from bot.runtime import Runtime
from bot.scheduler import run_due_work

EXIT_FAILED = 1
EXIT_USAGE = 64


class BadMoment(ValueError):
    """`--now` that names no single instant."""


def parse_moment(text: str) -> datetime:
    """ISO-8601 with an offset or `Z`; a bare local time is refused rather than guessed."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadMoment(
            f'--now "{text}" is not an ISO-8601 moment such as 2026-12-01T09:00:00Z'
        ) from None
    if moment.tzinfo is None:
        raise BadMoment(
            f'--now "{text}" has no timezone: add Z or an offset, e.g. 2026-12-01T09:00:00+01:00'
        )
    return moment


def run_tick(args: argparse.Namespace, runtime: Runtime) -> int:
    """Print what was done (or would be, with --dry-run); exit 1 when a delivery failed."""
    try:
        now = parse_moment(args.now) if args.now else utc_now()
    except BadMoment as error:
        print(f"voc: {error}", file=sys.stderr)
        return EXIT_USAGE
    report = run_due_work(runtime, now, dry_run=args.dry_run)
    print("\n".join(report.lines()))
    return EXIT_FAILED if report.failed else 0
