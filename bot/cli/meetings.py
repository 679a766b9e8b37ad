"""`voc meeting` and `voc meetings`: review meetings from the terminal, through the Slack use cases.

`voc meeting ACCOUNT DATE [TIME] [--channel C] [--attendees PEOPLE]` schedules a review exactly
as `/voc meeting` does (the same date words, 10:00 without a time, only in the future, the people
expected there as Slack IDs or emails), read in `VOC_TIMEZONE` since the terminal has no Slack
timezone. `voc meetings [ACCOUNT] [--json]` lists the upcoming reviews of
one account or, without one, of the whole workspace (the operator has the database). An unknown
account or a date that cannot be read exits with status 2 and says what to type instead.
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import datetime, tzinfo
from typing import Any

from bot.cli import status
from bot.core.clock import utc_now
from bot.errors import BadInput, NotFound
from bot.meetings.rules import MeetingText, attendee_refs, digest_due_at, parse_when
from bot.meetings.service import schedule_review, upcoming_for
from bot.runtime import Runtime
from bot.settings import Settings
from storage.models import Account, Meeting


def run_meeting(args: argparse.Namespace, runtime: Runtime) -> int:
    settings = runtime.settings
    now = utc_now()
    tz = settings.tz
    try:
        day, at = parse_when(args.when, now.astimezone(tz).date())
        attendees = attendee_refs(_listed(args.attendees))
        review = schedule_review(
            runtime,
            settings.workspace,
            MeetingText(args.account, day, at),
            tz,
            reader=None,
            channel=args.channel,
            fallback_channel=None,
            now=now,
            actor=_actor(),
            attendees=attendees,
        )
    except (BadInput, NotFound) as refused:
        return status.reject("meeting", str(refused))
    meeting, account = review.meeting, review.account
    assumed = "" if at else " (no time given, so 10:00)"
    print(
        f"Scheduled review #{meeting.id} with {account.name} for "
        f"{_local(meeting.starts_at, tz)}{assumed}."
    )
    if attendees:
        print(f"With {', '.join(attendees)}.")
    where = meeting.channel or "no channel: set the account's channel"
    print(f"Its digest is due {_local(_due(meeting, settings), tz)}, in {where}.")
    return status.OK


def run_meetings(args: argparse.Namespace, runtime: Runtime) -> int:
    settings = runtime.settings
    try:
        upcoming = upcoming_for(
            runtime, settings.workspace, args.account, reader=None, now=utc_now()
        )
    except NotFound as miss:
        return status.reject("meetings", str(miss))
    if args.json:
        rows = [_meeting_json(meeting, account, settings) for meeting, account in upcoming]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return status.OK
    if not upcoming:
        print("No upcoming review meetings.")
        return status.OK
    tz = settings.tz
    for meeting, account in upcoming:
        print(
            f"#{meeting.id:<5} {account.name} · {_local(meeting.starts_at, tz)} · "
            f"{meeting.channel or 'no channel'} · {_digest_state(meeting, settings)}"
        )
    return status.OK


def _meeting_json(meeting: Meeting, account: Account, settings: Settings) -> dict[str, Any]:
    """The keys docs/interface.md promises for `voc meetings --json`."""
    posted = meeting.digest_posted_at
    return {
        "id": meeting.id,
        "account": account.name,
        "starts_at": meeting.starts_at.isoformat(),
        "channel": meeting.channel,
        "digest_due_at": _due(meeting, settings).isoformat(),
        "digest_posted_at": posted.isoformat() if posted else None,
    }


def _due(meeting: Meeting, settings: Settings) -> datetime:
    """By today's settings, as the scheduler will post it (not as stored at scheduling)."""
    return digest_due_at(meeting.starts_at, settings)


def _digest_state(meeting: Meeting, settings: Settings) -> str:
    if meeting.digest_posted_at is not None:
        return f"digest posted {_local(meeting.digest_posted_at, settings.tz)}"
    return f"digest due {_local(_due(meeting, settings), settings.tz)}"


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _listed(value: str | None) -> list[str]:
    """`--attendees a,b c`: commas or spaces between people."""
    return (value or "").replace(",", " ").split()


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
