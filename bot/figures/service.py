"""Keeping the account figures current, in the transaction that changes the responses.

The intake calls `refresh_accounts` after an import (file, Slack upload, interview, demo),
`voc forget` calls `refresh_cycle` after deleting a cycle's responses, and the schema upgrade
that introduced the table calls `refresh_everything` once. An account is always recomputed
whole: a cycle's figures are compared with the account's cycle before it, and a new or
forgotten cycle changes which cycle that is.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from bot.core import collector
from bot.figures import queries
from bot.figures.compute import figure_rows


def refresh_accounts(session: Session, workspace_id: str, account_ids: Iterable[int]) -> int:
    """Recompute these accounts' figures from their stored responses; returns rows written."""
    accounts = sorted(set(account_ids))
    if not accounts:
        return 0
    order = queries.cycle_sort_keys(session, workspace_id)
    rows = []
    with collector.paused():
        for frame in queries.response_frames(session, accounts):
            rows += figure_rows(frame, workspace_id, order.__getitem__)
    queries.replace_figures(session, accounts, rows)
    return len(rows)


def refresh_cycles(
    session: Session, workspace_id: str, cycle_ids: Iterable[int], account_id: int | None = None
) -> int:
    """Recompute the accounts that have figures in these cycles (or just `account_id`'s): their
    responses there changed or went, or the cycles' order did."""
    cycles = sorted(set(cycle_ids))
    if not cycles:
        return 0
    accounts = queries.accounts_in_cycles(session, cycles, account_id)
    return refresh_accounts(session, workspace_id, accounts)


def refresh_everything(session: Session) -> int:
    """Every account's figures, in every workspace: the backfill of existing data."""
    by_workspace: dict[str, list[int]] = {}
    for workspace_id, account_id in queries.accounts_with_responses(session):
        by_workspace.setdefault(workspace_id, []).append(account_id)
    return sum(
        refresh_accounts(session, workspace_id, accounts)
        for workspace_id, accounts in by_workspace.items()
    )
