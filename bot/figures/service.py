"""Keeping the account figures current, in the transaction that changes the responses.

A cycle's figures are compared with the account's cycle before it, so a change to one cycle's
responses changes its own figures and those of the account's next cycle, and a new or
forgotten cycle changes which cycle comes before which. The intake calls `refresh_changed`
after an import (file, Slack upload, interview, demo) for exactly those pairs, or
`refresh_accounts` for accounts recomputed whole (a person renamed: names show in every
cycle); `voc forget` calls `refresh_cycles` or `refresh_accounts` after deleting responses,
and the schema upgrades that change the figures call `refresh_everything`.
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


def refresh_changed(
    session: Session,
    workspace_id: str,
    changed: Iterable[tuple[int, int]],
    fresh: FreshResponses | None = None,
) -> int:
    """Recompute the figures of the (account, cycle) pairs whose responses an import changed,
    and of each one's next cycle (it is compared with the changed one); returns rows written.

    A quarter's import into years of history reads and computes that quarter and the one
    before it, not the history: each pair's figures depend only on its own responses and on
    those of the account's cycle before it. An account's cycles are the ones it has figures
    in, plus those the import just gave it.
    """
    by_account: dict[int, set[int]] = {}
    for account_id, cycle_id in changed:
        by_account.setdefault(int(account_id), set()).add(int(cycle_id))
    if not by_account:
        return 0
    order = queries.cycle_sort_keys(session, workspace_id)
    stored = queries.cycles_with_figures(session, sorted(by_account))
    redo: set[tuple[int, int]] = set()
    needed: set[tuple[int, int]] = set()
    for account_id, cycles in by_account.items():
        ordered = sorted(stored.get(account_id, set()) | cycles, key=order.__getitem__)
        mine, read = _recomputed_and_read(ordered, cycles)
        redo.update((account_id, cycle_id) for cycle_id in mine)
        needed.update((account_id, cycle_id) for cycle_id in read)
    leaving_out = fresh.cycles if fresh else set()
    rows = []
    with collector.paused():
        for batch in queries.account_batches(sorted(by_account)):
            accounts = set(batch)
            wanted = {cycle_id for account_id, cycle_id in needed if account_id in accounts}
            frame = queries.response_frame(session, batch, leaving_out, only=wanted - leaving_out)
            if fresh and leaving_out:
                frame = pd.concat([frame, fresh.frame(session, batch)], ignore_index=True)
            pairs = pd.MultiIndex.from_arrays([frame["account_id"], frame["cycle_id"]])
            frame = frame[pairs.isin(list(needed))]
            computed = figure_rows(frame, workspace_id, order.__getitem__)
            rows += [row for row in computed if (row["account_id"], row["cycle_id"]) in redo]
    queries.replace_cycle_figures(session, redo, rows)
    return len(rows)


def _recomputed_and_read(ordered: list[int], changed: set[int]) -> tuple[set[int], set[int]]:
    """Of an account's cycles in order: those to recompute (the changed ones and the cycle
    after each) and those to read for it (those, and the cycle before each)."""
    place = {cycle_id: n for n, cycle_id in enumerate(ordered)}
    mine = set(changed)
    mine.update(ordered[place[c] + 1] for c in changed if place[c] + 1 < len(ordered))
    read = set(mine)
    read.update(ordered[place[c] - 1] for c in mine if place[c] > 0)
    return mine, read


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
