"""Keeping the account figures current, in the transaction that changes the responses.

The intake calls `refresh_accounts` after an import (file, Slack upload, interview, demo),
`voc forget` calls `refresh_cycle` after deleting a cycle's responses, and the schema upgrade
that introduced the table calls `refresh_everything` once. An account is always recomputed
whole: a cycle's figures are compared with the account's cycle before it, and a new or
forgotten cycle changes which cycle that is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.core import collector
from bot.core.lazy import lazy_module
from bot.figures import queries
from bot.figures.compute import figure_rows
from bot.figures.fresh import FreshResponses

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: `voc forget` of nothing never does
    pd = lazy_module("pandas")


def refresh_accounts(
    session: Session,
    workspace_id: str,
    account_ids: Iterable[int],
    fresh: FreshResponses | None = None,
) -> int:
    """Recompute these accounts' figures from their responses; returns rows written.

    `fresh` holds what an import wrote into cycles nobody had answered before: those rows are
    taken from it rather than read back.
    """
    accounts = sorted(set(account_ids))
    if not accounts:
        return 0
    order = queries.cycle_sort_keys(session, workspace_id)
    leaving_out = fresh.cycles if fresh else set()
    rows = []
    with collector.paused():
        for batch in queries.account_batches(accounts):
            frame = queries.response_frame(session, batch, leaving_out)
            if fresh and leaving_out:
                frame = pd.concat([frame, fresh.frame(session, batch)], ignore_index=True)
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
