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
the keys of docs/interface.md's `open_commitments` (`id, text, owner, due, status, area`) plus
`account`, `customer_told` and `answers`.

`voc done ID [--by WHO]` and `voc reopen ID [--by WHO]` change a commitment as its done reaction
does: audited (as WHO, else the terminal's user), and with its Slack message redrawn and a
thread reply when a bot token is configured. An unknown number exits with status 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date

from bot.accounts.service import GONE, account_named
from bot.cli import status
from bot.commitments.service import (
    default_due_date,
    list_open,
    log_commitments,
    set_done_by_operator,
)
from bot.commitments.values import Announcement, CommitmentDraft, Logged, commitment_json
from bot.commitments.workspace import SlackWorkspace
from bot.core.clock import utc_now
from bot.directory import Directory, TtlCache
from bot.errors import NotFound
from bot.runtime import Runtime
from bot.settings import AREAS, Settings
from bot.slack_client import make_client

FLAG_OF_FIELD = {"text": "TEXT", "owner": "--owner", "due": "--due", "area": "--area"}


def run_commit(args: argparse.Namespace, runtime: Runtime) -> int:
    settings = runtime.settings
    now = utc_now()
    today = now.astimezone(settings.tz).date()
    due, due_problem = parse_due(args.due)
    if due_problem:
        return _reject(due_problem)
    area = normalize_area(args.area)
    try:
        account = account_named(runtime, settings.workspace, args.account, reader=None)
    except NotFound as miss:
        return _reject(str(miss))
    draft = CommitmentDraft(
        text=args.text,
        owner=args.owner,
        due_on=due or default_due_date(runtime.sessions, settings.workspace, today),
        area=area,
    )
    logged = log_commitments(
        runtime,
        _slack_workspace(settings),
        account.id,
        [draft],
        actor=_actor(),
        captured_in=None,
        today=today,
        now=now,
    )
    if logged.account_name is None:
        return _reject(GONE)
    if logged.problems:
        return _reject(_problems_text(logged))
    [row] = logged.saved
    print(
        f"Recorded commitment #{row.id} to {logged.account_name}: {row.text} "
        f"(owner {row.owner}, due {row.due_on.isoformat() if row.due_on else 'none'}, {area})"
    )
    if not settings.slack_bot_token:
        print(
            "Not posted to Slack: SLACK_BOT_TOKEN is not set. It is tracked all the same "
            "(voc open, /voc open, the owner's App Home)."
        )
        return status.OK
    if logged.unreachable is not None:
        print(f"Recorded, but Slack could not be reached: {logged.unreachable}", file=sys.stderr)
        return status.OK
    for announcement in logged.announcements:
        _report_announcement(announcement)
    return status.OK


def _slack_workspace(settings: Settings) -> SlackWorkspace | None:
    """Slack is told only when a bot token is configured; otherwise it is only recorded."""
    if not settings.slack_bot_token:
        return None
    client = make_client(settings)
    return SlackWorkspace(
        client=client,
        directory=Directory(client, settings.workspace, TtlCache()),
        settings=settings,
        workspace_id=settings.workspace,
    )


def _problems_text(logged: Logged) -> str:
    return "\n".join(
        f"{FLAG_OF_FIELD.get(name, name)}: {message}"
        for fields in logged.problems.values()
        for name, message in fields.items()
    )


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
    return status.reject("commit", message)


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
    account_id = None
    if args.account:
        try:
            account_id = account_named(runtime, settings.workspace, args.account, None).id
        except NotFound as miss:
            print(miss, file=sys.stderr)
            return status.REJECTED
    items = list_open(
        runtime.sessions,
        settings.workspace,
        account_id=account_id,
        owners=[args.owner] if args.owner else None,
    )
    if args.json:
        print(json.dumps([commitment_json(item) for item in items], indent=2, ensure_ascii=False))
        return status.OK
    if not items:
        print("No open commitments.")
        return status.OK
    today = utc_now().astimezone(settings.tz).date()
    for item in items:
        row = item.commitment
        due = row.due_on.isoformat() if row.due_on else "no due date"
        late = " OVERDUE" if row.due_on and row.due_on < today else ""
        print(f"#{row.id:<5} {item.account_name} · due {due}{late} · {row.area} · {row.owner}")
        print(f"       {row.text}")
    return status.OK


# --- voc done / voc reopen ----------------------------------------------------------------------


def run_done(args: argparse.Namespace, runtime: Runtime) -> int:
    """`voc done ID [--by WHO]`: close a commitment as its done reaction would."""
    return _set_done(args, runtime, done=True)


def run_reopen(args: argparse.Namespace, runtime: Runtime) -> int:
    """`voc reopen ID [--by WHO]`: open it again, as removing the reaction would."""
    return _set_done(args, runtime, done=False)


def _set_done(args: argparse.Namespace, runtime: Runtime, *, done: bool) -> int:
    command = "done" if done else "reopen"
    settings = runtime.settings
    commitment_id = _commitment_number(args.id)
    if commitment_id is None:
        return status.reject(
            command, f'"{args.id}" is not a commitment number; `voc open` lists them.'
        )
    outcome = set_done_by_operator(
        runtime.sessions,
        _slack_workspace(settings),
        settings.workspace,
        commitment_id,
        done=done,
        actor=args.by or _actor(),
        now=utc_now(),
    )
    if outcome.result == "missing":
        return status.reject(command, f"no commitment #{commitment_id}; `voc open` lists them.")
    row = outcome.commitment
    assert row is not None
    if outcome.result == "unchanged":
        state = "already done" if done else "already open"
        print(f"Commitment #{row.id} to {outcome.account_name} is {state}: {row.text}")
        return status.OK
    verb = "Marked done" if done else "Reopened"
    print(f"{verb}: commitment #{row.id} to {outcome.account_name}: {row.text}")
    if not settings.slack_bot_token:
        print("Its Slack message is not updated: SLACK_BOT_TOKEN is not set.")
    return status.OK


def _commitment_number(text: str) -> int | None:
    """`12` or `#12`, as `voc open` shows them."""
    digits = text.strip().removeprefix("#")
    return int(digits) if digits.isdigit() else None
