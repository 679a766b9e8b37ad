"""`voc account NAME`: the same report as `/voc account`, for the terminal or a script."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli import status
from bot.core.clock import utc_now
from bot.errors import NotFound
from bot.reports.model import Show
from bot.reports.service import account_report
from bot.runtime import Runtime
from bot.settings import Settings
from bot.templating import render


def run_account(args: argparse.Namespace, runtime: Runtime) -> int:
    try:
        report = account_report(
            runtime,
            runtime.settings.workspace,
            args.name,
            reader=None,
            now=utc_now(),
            cycle_label=args.cycle,
            tz=runtime.settings.tz,
        )
    except NotFound as error:
        print(error, file=sys.stderr)
        return status.REJECTED
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return status.OK
    report = report.with_people(people_names(runtime.settings))
    meeting_at = None
    if report.next_meeting_at:
        local = report.next_meeting_at.astimezone(runtime.settings.tz)
        meeting_at = local.strftime("%Y-%m-%d %H:%M %Z")
    print(render("account_report.txt.j2", report=report, meeting_at=meeting_at), end="")
    return status.OK


def people_names(settings: Settings) -> Show:
    """How the terminal names people: by their Slack name when the bot can ask Slack
    (`SLACK_BOT_TOKEN`), else as the roster wrote them. The JSON keeps them as stored."""
    if not settings.slack_bot_token:
        return lambda who: who
    from bot.directory import Directory, TtlCache
    from bot.slack_client import make_client

    return Directory(make_client(settings), settings.workspace, TtlCache()).name_of
