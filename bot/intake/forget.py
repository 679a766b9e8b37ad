"""Forgetting a cycle's responses: `voc forget --cycle LABEL [--account NAME]`.

An operator needs a way out when a file should never have been imported (the wrong wave, a
test export, a file built to break the importer) or when a customer asks for their answers to be
removed. The responses and the follow-ups opened for them go, people left with no answer
anywhere go, the cycle's benchmarks are recomputed (or removed with the cycle when nothing is
left), and the audit log records what was removed by counts, never by name or email.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.accounts.queries import describe_miss, find_account
from bot.core.cycles import cycle_label
from bot.errors import NotFound
from bot.figures.service import refresh_cycles
from bot.intake import queries
from bot.intake.service import one_import_at_a_time, recompute_benchmarks
from storage import audit
from storage.models import Account, Cycle


@dataclass(frozen=True)
class Forgetting:
    """What forgetting removes (or removed): counts only, like the audit entry."""

    cycle: str
    account: str | None
    responses: int
    followups: int
    accounts: int
    people: int = 0
    cycle_removed: bool = False


def plan_forget_cycle(
    session: Session, workspace_id: str, label: str, account_query: str | None
) -> Forgetting:
    """What `forget_cycle` would remove; changes nothing."""
    cycle, account = _subject(session, workspace_id, label, account_query)
    counts = queries.count_cycle_rows(session, cycle.id, account.id if account else None)
    return Forgetting(cycle.label, account.name if account else None, **counts)


def forget_cycle(
    session: Session, workspace_id: str, label: str, account_query: str | None, *, actor: str
) -> Forgetting:
    """Delete the cycle's responses (of one account, or all), in the caller's transaction."""
    one_import_at_a_time(session, workspace_id)
    cycle, account = _subject(session, workspace_id, label, account_query)
    account_id = account.id if account else None
    counts = queries.count_cycle_rows(session, cycle.id, account_id)
    people = queries.delete_cycle_rows(session, cycle.id, account_id)
    recompute_benchmarks(session, workspace_id, [cycle.id])
    refresh_cycles(session, workspace_id, [cycle.id], account_id)
    removed = queries.delete_cycle_if_empty(session, cycle.id)
    done = Forgetting(
        cycle.label,
        account.name if account else None,
        **counts,
        people=people,
        cycle_removed=removed,
    )
    audit.record(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action="forget_cycle",
        entity="cycle",
        entity_id=cycle.id,
        details={
            "cycle": done.cycle,
            "account_id": account_id,
            "responses": done.responses,
            "followups": done.followups,
            "people": done.people,
            "cycle_removed": done.cycle_removed,
        },
    )
    session.flush()
    return done


def _subject(
    session: Session, workspace_id: str, label: str, account_query: str | None
) -> tuple[Cycle, Account | None]:
    cycle = queries.cycle_by_label(session, workspace_id, cycle_label(label))
    if cycle is None:
        known = ", ".join(sorted(queries.cycle_labels(session, workspace_id))) or "none yet"
        raise NotFound(f'There is no cycle "{label}". Cycles: {known}.')
    if account_query is None:
        return cycle, None
    match = find_account(session, workspace_id, account_query)
    if match.account is None:
        raise NotFound(describe_miss(account_query, match))
    return cycle, match.account
