"""`voc demo [--reset] [--team WHO …]`: fill the database with the sample portfolio and say what
to try next."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import datetime

from bot.cli import status
from bot.cli.invocation import command_prefix
from bot.core.identity import person_ref
from bot.core.text import plural
from bot.demo.load import DemoSummary, load_demo
from bot.demo.tables import ACCOUNT_MANAGERS, IMPROVING, RECENT_DROP, SLIDING, TRAPPED
from bot.runtime import Runtime
from storage.db import transaction

_STORIES = (
    (TRAPPED, "trapped (renews because it must)"),
    (SLIDING, "sliding for five quarters"),
    (IMPROVING, "improving after onboarding fixes"),
    (RECENT_DROP, "sharp drop this quarter"),
)


def run_demo(args: argparse.Namespace, runtime: Runtime) -> int:
    """Load (or reload) the demo; people named by `--team` may then open it in Slack."""
    team, bad = team_refs(args.team or ())
    if bad:
        for value in bad:
            print(
                f'voc demo: --team "{value}" is not a Slack user ID (U…/W…) or an email',
                file=sys.stderr,
            )
        return status.REJECTED
    settings = runtime.settings
    # "Today" is the team's today: the current quarter and what is overdue follow their clock.
    today = datetime.now(settings.tz).date()
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        summary = load_demo(
            session,
            workspace_id=settings.workspace,
            today=today,
            reset=args.reset,
            settings=settings,
            team=team,
        )
    print(describe(summary, time.perf_counter() - started, command_prefix()))
    return status.OK


def team_refs(values: Sequence[str]) -> tuple[list[str], list[str]]:
    """(people as stored, what could not be read): read like a roster's `team` cell, so
    `<@U1>`, `U1` and `A@B.co` all work, and a typo is refused before anything is written."""
    refs: list[str] = []
    bad: list[str] = []
    for value in values:
        ref = person_ref(value)
        if ref is None:
            bad.append(value)
        elif ref not in refs:
            refs.append(ref)
    return refs, bad


def describe(summary: DemoSummary, seconds: float, voc: str = "voc") -> str:
    """The short summary: what is there now, what changed, which accounts to open first.

    `voc` is how to run the command again here (`.venv/bin/voc` in a fresh checkout), so every
    suggestion can be pasted as it is.
    """
    lines = []
    if summary.removed:
        removed = ", ".join(
            plural(count, what.removesuffix("s"), what) for what, count in summary.removed.items()
        )
        lines.append(f"Removed the previous demo data: {removed}.")
    past = summary.meetings - summary.upcoming_meetings
    lines += [
        f"Demo portfolio in workspace {summary.workspace_id} ({seconds:.1f}s):",
        f"  {plural(summary.accounts, 'account')}, "
        f"{plural(summary.respondents, 'person', 'people')}, "
        f"{plural(summary.responses, 'response')} over {plural(len(summary.cycles), 'cycle')} "
        f"({summary.cycles[0]} … {summary.cycles[-1]})",
        f"  {plural(summary.commitments, 'commitment')}, "
        f"{plural(summary.upcoming_meetings, 'upcoming review meeting')} and "
        f"{plural(past, 'past one')} ({_changes(summary)})",
        "",
        "Accounts worth a look:",
    ]
    width = max(len(label) for _, label in _STORIES)
    lines += [f"  {label:<{width}}  {summary.notable[kind]}" for kind, label in _STORIES]
    lines += [
        "",
        "Try next:",
        f"  {voc} account {shlex.quote(summary.notable[TRAPPED])}",
        f"  {voc} account {shlex.quote(summary.notable[RECENT_DROP])} --json",
        f"  {voc} open --owner {ACCOUNT_MANAGERS[0]}",
        f"  {voc} tick --dry-run",
    ]
    lines += _slack_lines(summary)
    return "\n".join(lines)


def _slack_lines(summary: DemoSummary) -> list[str]:
    """Who may now open the demo in Slack, and what to type there."""
    if not summary.team:
        return []
    short = summary.notable[TRAPPED].split()[0].casefold()
    return [
        "",
        f"On every account's team now: {', '.join(summary.team)}. In Slack, try:",
        f"  /voc account {short}",
        "  /voc meetings",
    ]


def _changes(summary: DemoSummary) -> str:
    """What this run changed; a second run should visibly say nothing, since that is the promise."""
    counts: list[tuple[int, str, str]] = []
    for imported, noun in (
        (summary.accounts_import, "account"),
        (summary.responses_import, "response"),
    ):
        if imported is not None:
            counts += [(imported.added, noun, "added"), (imported.updated, noun, "updated")]
    counts += [
        (summary.commitments_added, "commitment", "added"),
        (summary.meetings_added, "meeting", "added"),
    ]
    parts = [f"{plural(count, noun)} {verb}" for count, noun, verb in counts if count]
    return ", ".join(parts) if parts else "already loaded: nothing changed"
