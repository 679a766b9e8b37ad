"""Keeping the account figures current, in the transaction that changes the responses.

A cycle's figures are compared with the account's cycle before it, so a change to one cycle's
responses changes its own figures and those of the account's next cycle, and a new or
forgotten cycle changes which cycle comes before which. An import (file, Slack upload,
interview, demo) plans exactly those pairs (`plan_recomputation`), computes them
(`Recomputation.computed`) and stores them; `voc forget` recomputes whole
accounts (`refresh_accounts`, `refresh_cycles`) after deleting responses, and the schema
upgrades that change the figures call `refresh_everything`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.core import collector
from bot.core.lazy import lazy_module
from bot.figures import queries
from bot.figures.compute import figure_rows
from bot.figures.held import HeldResponses

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: `voc forget` of nothing never does
    pd = lazy_module("pandas")


def refresh_accounts(session: Session, workspace_id: str, account_ids: Iterable[int]) -> int:
    """Recompute these accounts' figures, every cycle, from their stored responses; returns
    rows written. A cycle they no longer have answers in loses its figures."""
    accounts = sorted(set(account_ids))
    if not accounts:
        return 0
    order = queries.cycle_sort_keys(session, workspace_id)
    rows = []
    with collector.paused():
        for batch in queries.account_batches(accounts):
            frame = queries.response_frame(session, batch)
            rows += figure_rows(frame, workspace_id, order.__getitem__)
    queries.replace_figures(session, accounts, rows)
    return len(rows)


@dataclass
class Recomputation:
    """The figures an import changed, with what computing them reads from the database read
    already: `rows` is the arithmetic alone, on rows in memory."""

    workspace_id: str
    order: dict[int, Any]
    redo: set[tuple[int, int]]  # the (account, cycle) pairs recomputed
    needed: set[tuple[int, int]]  # those and the cycle before each: what computing them reads
    batches: list[tuple[Sequence[int], pd.DataFrame]]  # accounts, and their stored rows read
    held: HeldResponses | None

    def rows(self) -> list[dict[str, Any]]:
        """The recomputed pairs' figure rows; a cycle read only to compare with is dropped,
        since the cycle before it was not read."""
        result = []
        with collector.paused():
            for accounts, stored in self.batches:
                frame = self._responses(accounts, stored)
                computed = figure_rows(frame, self.workspace_id, self.order.__getitem__)
                result += [
                    row for row in computed if (row["account_id"], row["cycle_id"]) in self.redo
                ]
        return result

    def _responses(self, accounts: Sequence[int], stored: pd.DataFrame) -> pd.DataFrame:
        """The `needed` responses of these accounts: the held rows, and the others stored."""
        frame = stored
        if self.held is not None:
            frame = pd.concat([self.held.without_held(stored), self.held.frame(accounts)])
        pairs = pd.MultiIndex.from_arrays([frame["account_id"], frame["cycle_id"]])
        return frame[pairs.isin(list(self.needed))].reset_index(drop=True)

    def computed(self, session: Session) -> dict[str, list[Any]]:
        """`rows` as the columns `store` sends: arithmetic and encoding, on rows in memory and
        without the session's connection."""
        return queries.figure_columns(session, self.rows())

    def store(self, session: Session, columns: dict[str, list[Any]]) -> None:
        """Replace the recomputed pairs' figures with `columns` (`computed`)."""
        queries.replace_cycle_figures(session, self.redo, columns)


def plan_recomputation(
    session: Session,
    workspace_id: str,
    changed: Iterable[tuple[int, int]],
    *,
    whole: Iterable[int] = (),
    held: HeldResponses | None = None,
) -> Recomputation:
    """What recomputing the (account, cycle) pairs whose responses an import `changed` takes,
    with every cycle of the accounts recomputed `whole` (someone renamed: names show in every
    cycle). Each pair's next cycle is recomputed too (it compares with the changed one), and
    read are those pairs and the cycle before each.

    A quarter's import into years of history reads and computes that quarter and the one before
    it, not the history. An account's cycles are the ones it has figures in, plus those the
    import just gave it. Rows the import wrote come from `held`, the rest from the database.
    """
    by_account: dict[int, set[int]] = {}
    for account_id, cycle_id in changed:
        by_account.setdefault(int(account_id), set()).add(int(cycle_id))
    renamed = {int(account_id) for account_id in whole}
    order = queries.cycle_sort_keys(session, workspace_id)
    stored = queries.cycles_with_figures(session, sorted(set(by_account) | renamed))
    for account_id in renamed:
        by_account.setdefault(account_id, set()).update(stored.get(account_id, set()))
    redo: set[tuple[int, int]] = set()
    needed: set[tuple[int, int]] = set()
    for account_id, cycles in by_account.items():
        ordered = sorted(stored.get(account_id, set()) | cycles, key=order.__getitem__)
        mine, read = _recomputed_and_read(ordered, cycles)
        redo.update((account_id, cycle_id) for cycle_id in mine)
        needed.update((account_id, cycle_id) for cycle_id in read)
    if held is not None:
        held.read_people(session)
    batches = [
        (batch, _stored_responses(session, batch, needed, held))
        for batch in queries.account_batches(sorted(by_account))
    ]
    return Recomputation(workspace_id, order, redo, needed, batches, held)


def _stored_responses(
    session: Session,
    accounts: Sequence[int],
    needed: set[tuple[int, int]],
    held: HeldResponses | None,
) -> pd.DataFrame:
    """The stored responses of these accounts' `needed` pairs, but in cycles only the import
    wrote (the held rows are all they have)."""
    mine = set(accounts)
    cycles = {cycle_id for account_id, cycle_id in needed if account_id in mine}
    fresh = held.fresh_cycles if held else set()
    return queries.response_frame(session, accounts, fresh, only=cycles - fresh)


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
