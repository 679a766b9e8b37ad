"""`voc account NAME`: the same report as `/voc account`, for the terminal or a script."""

from __future__ import annotations

import argparse
import json
import sys

from bot.accounts import describe_miss, find_account
from bot.core.clock import utc_now
from bot.reports import UnknownCycle, build_account_report
from bot.runtime import Runtime
from bot.templating import render

EXIT_NOT_FOUND = 1


def run_account(args: argparse.Namespace, runtime: Runtime) -> int:
    with runtime.sessions() as session:
        match = find_account(session, runtime.settings.workspace, args.name)
        if match.account is None:
            print(describe_miss(args.name, match), file=sys.stderr)
            return EXIT_NOT_FOUND
        try:
            report = build_account_report(
                session, match.account, cycle_label=args.cycle, now=utc_now()
            )
        except UnknownCycle as error:
            print(f'{match.account.name} has no results for cycle "{error}".', file=sys.stderr)
            return EXIT_NOT_FOUND
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return 0
    meeting_at = None
    if report.next_meeting_at:
        local = report.next_meeting_at.astimezone(runtime.settings.tz)
        meeting_at = local.strftime("%Y-%m-%d %H:%M %Z")
    print(render("account_report.txt.j2", report=report, meeting_at=meeting_at), end="")
    return 0
