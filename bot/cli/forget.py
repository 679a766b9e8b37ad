"""`voc forget --cycle LABEL [--account NAME] [--yes]`: delete a cycle's responses.

Deleting is not undone, so without `--yes` the command only says what it would delete. The
sibling `voc forget --email` / `--name` (one person everywhere) is a contract for later work.
"""

from __future__ import annotations

import argparse

from bot.cli import status
from bot.cli.imports import actor
from bot.core.text import plural
from bot.errors import NotFound
from bot.intake.forget import Forgetting, forget_cycle, plan_forget_cycle
from bot.runtime import Runtime
from storage.db import transaction


def run_forget(args: argparse.Namespace, runtime: Runtime) -> int:
    workspace = runtime.settings.workspace
    try:
        with transaction(runtime.sessions) as session:
            if args.yes:
                done = forget_cycle(session, workspace, args.cycle, args.account, actor=actor())
            else:
                done = plan_forget_cycle(session, workspace, args.cycle, args.account)
    except NotFound as refused:
        return status.reject("forget", str(refused))
    for line in describe(done, deleted=args.yes):
        print(line)
    return status.OK


def describe(done: Forgetting, *, deleted: bool) -> list[str]:
    """What was (or would be) deleted, as counts: the lines never name a person."""
    scope = f"{done.account}'s responses" if done.account else "responses"
    if done.responses == 0:
        return [f"Cycle {done.cycle} has no {scope}: nothing to delete."]
    what = (
        f"{plural(done.responses, 'response')} of {plural(done.accounts, 'account')} and "
        f"{plural(done.followups, 'follow-up')}"
    )
    if not deleted:
        return [
            f"Would delete from cycle {done.cycle}: {what}.",
            "Nothing was deleted: run again with --yes to delete them.",
        ]
    lines = [f"Deleted from cycle {done.cycle}: {what}."]
    if done.people:
        lines.append(f"{plural(done.people, 'person', 'people')} with no other answers removed.")
    if done.cycle_removed:
        lines.append(f"Cycle {done.cycle} had nothing left and was removed with its benchmarks.")
    else:
        lines.append("Benchmarks recomputed.")
    return lines
