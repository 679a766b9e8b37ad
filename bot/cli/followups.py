"""`voc followups`, `voc followup` and `voc loop`: closing the loop from the terminal.

`voc followups [ACCOUNT] [--status open|contacted|closed|all] [--json]` lists follow-ups, soonest
due first; `voc followup ID contacted|closed|not-needed --by WHO [--note TEXT]` moves one on;
`voc loop [--json]` prints the closed-loop figures. An unknown id, account or status exits 2 and
changes nothing. The time is read through `bot.core.clock`, the bot's one clock.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from bot.cli import status
from bot.cli.options import subcommand
from bot.core import clock
from bot.errors import VocError

if TYPE_CHECKING:  # imported where used: `voc --help` loads none of it
    from bot.followups.values import FollowupItem
    from bot.runtime import Runtime


def add_commands(sub: Any, handler: Any) -> None:
    """The three commands' arguments, registered on `voc`'s subcommand parser."""
    followups = subcommand(sub, "followups", "follow-ups on individual customers")
    followups.add_argument("account", nargs="?", help="only this account's (default: all)")
    followups.add_argument("--status", default="open", help="open, contacted, closed or all")
    followups.add_argument("--json", action="store_true", help="print the list as JSON")
    followups.set_defaults(handler=handler)
    followup = subcommand(sub, "followup", "move a follow-up on")
    followup.add_argument("id", type=int, help="the follow-up's number, as `voc followups` shows")
    followup.add_argument("step", help="contacted, closed or not-needed")
    followup.add_argument("--by", required=True, help="who did it: Slack user ID or email")
    followup.add_argument("--note", help="what was said or done (required for not-needed)")
    followup.set_defaults(handler=handler)
    loop = subcommand(sub, "loop", "closed-loop figures, overall and per account")
    loop.add_argument("--json", action="store_true", help="print the figures as JSON")
    loop.set_defaults(handler=handler)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    commands = {"followups": run_followups, "followup": run_followup, "loop": run_loop}
    try:
        return commands[args.command](args, runtime)
    except VocError as refusal:
        return status.reject(args.command, str(refusal))


def run_followups(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.accounts.service import account_named
    from bot.followups.service import list_followups
    from bot.followups.values import followup_json

    workspace = runtime.settings.workspace
    account_ids = None
    if args.account:
        account_ids = [account_named(runtime, workspace, args.account, reader=None).id]
    items = list_followups(runtime, workspace, account_ids=account_ids, status=args.status)
    if args.json:
        print(json.dumps([followup_json(i) for i in items], indent=2, ensure_ascii=False))
        return status.OK
    if not items:
        shown = "" if args.status == "all" else f"{args.status} "
        print(f"No {shown}follow-ups.")
        return status.OK
    now = clock.utc_now()
    for item in items:
        print(_line(item, now))
    return status.OK


def _line(item: FollowupItem, now: Any) -> str:
    who = f"{item.respondent} <{item.email}>" if item.email else item.respondent
    due = item.due_at.strftime("%Y-%m-%d %H:%M UTC")
    late = " PAST SLA" if item.past_sla(now) else ""
    return (
        f"#{item.id:<5} {item.account} · {item.cycle} · {who} · {', '.join(item.reasons)} · "
        f"{item.status} · owner {item.owner or 'none'} · due {due}{late}"
    )


def run_followup(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.followups.service import move_followup

    moved = move_followup(
        runtime,
        runtime.settings.workspace,
        args.id,
        args.step,
        by=args.by,
        note=args.note,
        now=clock.utc_now(),
    )
    item = moved.item
    if not moved.changed:
        print(f"Follow-up #{item.id} is already {item.status}.")
        return status.OK
    who = f"{item.respondent}, {item.account}"
    print(f"Follow-up #{item.id} ({who}): {moved.previous} → {item.status}")
    return status.OK


def run_loop(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.followups.service import closed_loop

    report = closed_loop(runtime, runtime.settings.workspace, clock.utc_now())
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return status.OK
    print(_loop_line("All accounts", report))
    for account in report["accounts"]:
        print(_loop_line(account["account"], account))
    return status.OK


def _loop_line(name: str, figures: dict[str, Any]) -> str:
    share = figures["share_within_sla"]
    median = figures["median_working_hours_to_contact"]
    return (
        f"{name}: {_count(figures['followups'], 'follow-up')}, {figures['contacted']} contacted, "
        f"{figures['contacted_within_sla']} within the SLA"
        f"{f' ({share:.0%})' if share is not None else ''}, "
        f"median {f'{median:g} working hours' if median is not None else '—'} to first contact, "
        f"{figures['open_past_sla']} open past the SLA"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
