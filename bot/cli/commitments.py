"""`voc commit` and `voc open`: commitments from the terminal, through the same use cases as Slack.

`voc commit ACCOUNT TEXT --owner WHO [--due DATE] [--area AREA]` checks the commitment exactly as
the Slack modal does (owner a Slack user ID or an email, due date today or later — by default the
day before the next feedback cycle, else 30 days out — and a known area) and records it with an
audit entry. Rejected input exits with status 2 and says what to fix; nothing is written.

Posting to Slack: when `SLACK_BOT_TOKEN` is configured the commitment is announced at once, like
one logged in Slack — its own message in the account channel (react there to complete it), a DM
to its owner, and the area's function channel when one is configured. Without a token it is only
recorded, and the command says so: nothing posts it later. It is still tracked — `voc open`,
`/voc open`, the owner's App Home (with a Done button) and `voc account --json` all list it.

`voc open [ACCOUNT] [--owner WHO] [--json]` lists open commitments, soonest due first; `--owner`
matches the owner as recorded (a Slack user ID or an email). `--json` prints a list of objects with
the keys of interface.md's `open_commitments` (`id, text, owner, due, status, area`) plus
`account`, `customer_told` and `answers`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date

from slack_sdk.errors import SlackApiError

from bot.accounts.queries import describe_miss, find_account
from bot.commitments import (
    Announcement,
    CommitmentDraft,
    InvalidCommitments,
    SlackWorkspace,
    announce_commitment,
    commitment_json,
    default_due_date,
    open_commitments,
    record_commitments,
)
from bot.core.clock import utc_now
from bot.directory import Directory, TtlCache
from bot.runtime import Runtime
from bot.settings import AREAS
from bot.slack_client import make_client
from storage.db import transaction

EXIT_REJECTED = 2
EXIT_NOT_FOUND = 1
FLAG_OF_FIELD = {"text": "TEXT", "owner": "--owner", "due": "--due", "area": "--area"}


def run_commit(args: argparse.Namespace, runtime: Runtime) -> int:
    settings = runtime.settings
    now = utc_now()
    today = now.astimezone(settings.tz).date()
    due, due_problem = parse_due(args.due)
    if due_problem:
        return _reject(due_problem)
    area = normalize_area(args.area)
    with transaction(runtime.sessions) as session:
        match = find_account(session, settings.workspace, args.account)
        if match.account is None:
            return _reject(describe_miss(args.account, match))
        account = match.account
        draft = CommitmentDraft(
            text=args.text,
            owner=args.owner,
            due_on=due or default_due_date(session, settings.workspace, today),
            area=area,
        )
        try:
            [row] = record_commitments(
                session,
                account,
                [draft],
                actor=_actor(),
                channel=account.channel,
                today=today,
                now=now,
            )
        except InvalidCommitments as invalid:
            problems = [
                f"{FLAG_OF_FIELD.get(name, name)}: {message}"
                for fields in invalid.problems.values()
                for name, message in fields.items()
            ]
            return _reject("\n".join(problems))
        commitment_id, account_name, due_on = row.id, account.name, row.due_on
    print(
        f"Recorded commitment #{commitment_id} to {account_name}: {draft.text.strip()} "
        f"(owner {row.owner}, due {due_on.isoformat() if due_on else 'none'}, {area})"
    )
    if not settings.slack_bot_token:
        print(
            "Not posted to Slack: SLACK_BOT_TOKEN is not set. It is tracked all the same "
            "(voc open, /voc open, the owner's App Home)."
        )
        return 0
    client = make_client(settings)
    slack = SlackWorkspace(
        client=client,
        directory=Directory(client, settings.workspace, TtlCache()),
        settings=settings,
        workspace_id=settings.workspace,
    )
    try:
        announcement = announce_commitment(runtime.sessions, slack, commitment_id, now=now)
    except (SlackApiError, OSError) as error:
        print(f"Recorded, but Slack could not be reached: {error}", file=sys.stderr)
        return 0
    _report_announcement(announcement)
    return 0


def parse_due(value: str | None) -> tuple[date | None, str | None]:
    if value is None:
        return None, None
    try:
        return date.fromisoformat(value.strip()), None
    except ValueError:
        return None, f'--due: "{value}" is not a date; write it as YYYY-MM-DD.'


def normalize_area(value: str) -> str:
    """`Product`, `account team` and `account-team` all mean what a person meant."""
    key = "_".join(value.strip().lower().replace("-", " ").split())
    return key if key in AREAS else value


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _reject(message: str) -> int:
    print(f"voc commit: {message}", file=sys.stderr)
    return EXIT_REJECTED


def _report_announcement(announcement: Announcement) -> None:
    if announcement.posted:
        print(f"Posted in {announcement.channel}; react there to mark it done.")
    else:
        print(
            f"Not posted in {announcement.channel or 'any channel'}: {announcement.post_error}",
            file=sys.stderr,
        )
    if announcement.owner_error:
        print(f"Owner not told by DM: {announcement.owner_error}", file=sys.stderr)
    if announcement.area_channel and not announcement.area_error:
        print(f"Announced in {announcement.area_channel}.")
    elif announcement.area_error:
        print(
            f"Not announced in {announcement.area_channel}: {announcement.area_error}",
            file=sys.stderr,
        )


def run_open(args: argparse.Namespace, runtime: Runtime) -> int:
    settings = runtime.settings
    with runtime.sessions() as session:
        account_id = None
        if args.account:
            match = find_account(session, settings.workspace, args.account)
            if match.account is None:
                print(describe_miss(args.account, match), file=sys.stderr)
                return EXIT_NOT_FOUND
            account_id = match.account.id
        items = open_commitments(
            session,
            settings.workspace,
            account_id=account_id,
            owners=[args.owner] if args.owner else None,
        )
    if args.json:
        print(json.dumps([commitment_json(item) for item in items], indent=2, ensure_ascii=False))
        return 0
    if not items:
        print("No open commitments.")
        return 0
    today = utc_now().astimezone(settings.tz).date()
    for item in items:
        row = item.commitment
        due = row.due_on.isoformat() if row.due_on else "no due date"
        late = " OVERDUE" if row.due_on and row.due_on < today else ""
        print(f"#{row.id:<5} {item.account_name} · due {due}{late} · {row.area} · {row.owner}")
        print(f"       {row.text}")
    return 0
