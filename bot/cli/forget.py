"""`voc forget`: delete a cycle's responses (`--cycle`) or erase one person (`--email`/`--name`).

Deleting is not undone, so without `--yes` the command only says what it would delete. After a
deletion the database file is rebuilt (`storage.db.reclaim_freed_pages`): what was forgotten
must not be readable from the file's free pages either.
"""

from __future__ import annotations

import argparse
import sys

from bot.cli import status
from bot.cli.imports import actor
from bot.core.text import plural
from bot.errors import BadInput, NotFound
from bot.intake.erasure import Person, PersonForgetting, forget_person, plan_forget_person
from bot.intake.forget import Forgetting, forget_cycle, plan_forget_cycle
from bot.runtime import Runtime
from storage.db import reclaim_freed_pages, transaction

FILE_BUSY = (
    "The database file was busy, so its free space still holds what was deleted until it is "
    "reused: run `sqlite3 {path} VACUUM` when no import is running to clear it."
)


def run_forget(args: argparse.Namespace, runtime: Runtime) -> int:
    try:
        lines = _forget_cycle(args, runtime) if args.cycle else _forget_person(args, runtime)
    except (BadInput, NotFound) as refused:
        return status.reject("forget", str(refused))
    for line in lines:
        print(line)
    if args.yes and not reclaim_freed_pages(runtime.engine):
        print(FILE_BUSY.format(path=runtime.engine.url.database), file=sys.stderr)
    return status.OK


def _forget_cycle(args: argparse.Namespace, runtime: Runtime) -> list[str]:
    workspace = runtime.settings.workspace
    with transaction(runtime.sessions) as session:
        if args.yes:
            done = forget_cycle(session, workspace, args.cycle, args.account, actor=actor())
        else:
            done = plan_forget_cycle(session, workspace, args.cycle, args.account)
    return describe(done, deleted=args.yes)


def _forget_person(args: argparse.Namespace, runtime: Runtime) -> list[str]:
    workspace = runtime.settings.workspace
    who = Person(email=args.email, name=args.name, account=args.account)
    with transaction(runtime.sessions) as session:
        if args.yes:
            done = forget_person(session, workspace, who, actor=actor())
        else:
            done = plan_forget_person(session, workspace, who)
    return describe_person(done, erased=args.yes)


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


def describe_person(done: PersonForgetting, *, erased: bool) -> list[str]:
    """What was (or would be) erased, by counts, accounts and cycles: the operator named the
    person, so the lines need not repeat them (and a log of the run should not)."""
    cycles = f" in {', '.join(done.cycles)}" if done.cycles else ""
    what = (
        f"{plural(done.people, 'person', 'people')} at {', '.join(done.accounts)}: "
        f"{plural(done.responses, 'response')}{cycles} with {plural(done.comments, 'comment')}, "
        f"and {plural(done.followups, 'follow-up')}"
    )
    if not erased:
        return [f"Would erase {what}.", "Nothing was erased: run again with --yes to erase it."]
    lines = [f"Erased {what}."]
    if done.commitments or done.audit_entries:
        lines.append(
            f"Cut out of {plural(done.commitments, 'commitment')} and "
            f"{plural(done.audit_entries, 'audit entry', 'audit entries')} that mentioned them."
        )
    for label in done.cycles_removed:
        lines.append(f"Cycle {label} had nothing left and was removed with its benchmarks.")
    if set(done.cycles) - set(done.cycles_removed):
        lines.append("Benchmarks and key drivers recomputed.")
    return lines
