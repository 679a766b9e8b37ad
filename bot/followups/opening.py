"""Opening follow-ups when responses arrive, inside the import's own transaction.

The intake hands every written chunk to a `FollowupOpener`; once the whole file is written it
opens, for each account whose latest cycle the import touched, one follow-up per person with
any reason. An import that only touched older cycles is history and opens nothing. What is
kept per chunk is small (the (account, cycle) pairs and the people who asked to be contacted),
so a million-row import holds no second copy of its rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from bot.core.cycles import cycle_sort_key
from bot.followups import queries
from bot.followups.rules import (
    FollowupPolicy,
    answer_reasons,
    combine_reasons,
    flagged,
    previous_answers,
)
from storage.bulk import bulk_write_settings

NO_CYCLE = -1


class FollowupOpener:
    """Collects what an import wrote, then opens the follow-ups it calls for."""

    def __init__(self, policy: FollowupPolicy) -> None:
        self.policy = policy
        self._touched: list[pd.DataFrame] = []
        self._asked: list[pd.DataFrame] = []
        self._scores: list[pd.DataFrame] = []

    def add(self, chunk: pd.DataFrame) -> None:
        """Called with every written chunk (account_id, cycle_id, respondent_id, the scores and
        contact_me). The scores are kept in compact columns (40 bytes a row): the reasons are
        then read from memory rather than from the rows just written."""
        self._touched.append(chunk[["account_id", "cycle_id"]].drop_duplicates())
        self._scores.append(_compact_scores(chunk))
        if "contact_me" in chunk:
            asked = chunk["contact_me"].to_numpy(dtype=bool, na_value=False)
            if asked.any():
                self._asked.append(chunk.loc[asked, ["account_id", "cycle_id", "respondent_id"]])

    def open(self, session: Session, workspace_id: str, now: datetime) -> int:
        """Open what the import calls for; returns how many follow-ups are new.

        With the import's large SQLite page cache: the reads walk the responses the import
        just wrote and each insert checks its respondent, which the default 2 MiB cache
        re-reads from disk page by page.
        """
        if not self._touched:
            return 0
        with bulk_write_settings(session):
            return self._open(session, workspace_id, now)

    def _open(self, session: Session, workspace_id: str, now: datetime) -> int:
        touched = pd.concat(self._touched).drop_duplicates()
        rank = _cycle_rank(session, workspace_id)
        latest, previous = _latest_two(session, touched["account_id"].unique().tolist(), rank)
        fresh = {(int(a), int(c)) for a, c in touched.itertuples(index=False)}
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for account_id, cycle_id in latest.items():
            if (account_id, cycle_id) in fresh:
                groups[(cycle_id, previous.get(account_id, NO_CYCLE))].append(account_id)
        asked = pd.concat(self._asked) if self._asked else None
        managers = queries.account_managers(session, sorted(latest))
        due_at = self.policy.due_at(now)
        held = HeldAnswers(pd.concat(self._scores)) if self._scores else None
        columns = _new_columns(session, groups, asked, rank, managers, held)
        count = len(columns["respondent_id"])
        constant = {"workspace_id": workspace_id, "status": "open", "opened_at": now}
        for name, value in {**constant, "due_at": due_at, "updated_at": now}.items():
            columns[name] = [value] * count
        return queries.insert_new(session, columns)


def _new_columns(
    session: Session,
    groups: dict[tuple[int, int], list[int]],
    asked: pd.DataFrame | None,
    rank: dict[int, int],
    managers: dict[int, str | None],
    held: HeldAnswers | None = None,
) -> dict[str, list[Any]]:
    """The per-person columns of the follow-ups to open, group by group of accounts."""
    columns: dict[str, list[Any]] = {name: [] for name in queries.FOLLOWUP_INSERT_COLUMNS}
    for (cycle_id, previous_id), account_ids in sorted(groups.items()):
        found = _reasons(session, cycle_id, previous_id, account_ids, asked, rank, held)
        accounts = found["account_id"].tolist()
        columns["account_id"] += accounts
        columns["cycle_id"] += [cycle_id] * len(found)
        columns["respondent_id"] += found["respondent_id"].tolist()
        columns["reasons"] += found["reasons"].tolist()
        columns["owner"] += [managers.get(account_id) for account_id in accounts]
    return columns


def _cycle_rank(session: Session, workspace_id: str) -> dict[int, int]:
    """Each cycle's position, oldest first, in the order every report uses."""
    cycles = sorted(
        queries.workspace_cycles(session, workspace_id),
        key=lambda c: cycle_sort_key(c[2], c[1]),
    )
    return {cycle_id: position for position, (cycle_id, _, _) in enumerate(cycles)}


def _latest_two(
    session: Session, account_ids: list[int], rank: dict[int, int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Per account, its latest cycle with answers and the one before it (when it has one)."""
    held = queries.cycles_of_accounts(session, [int(a) for a in account_ids])
    ordered = held.assign(rank=held["cycle_id"].map(rank)).sort_values(["account_id", "rank"])
    last_two = ordered.groupby("account_id").tail(2)
    latest = dict(last_two.groupby("account_id")["cycle_id"].last())
    before = dict(last_two.groupby("account_id")["cycle_id"].first())
    latest = {int(a): int(c) for a, c in latest.items()}
    previous = {int(a): int(c) for a, c in before.items() if int(c) != latest[int(a)]}
    return latest, previous


def _reasons(
    session: Session,
    cycle_id: int,
    previous_id: int,
    account_ids: list[int],
    asked: pd.DataFrame | None,
    rank: dict[int, int],
    held: HeldAnswers | None = None,
) -> pd.DataFrame:
    """respondent_id, account_id, reasons for one group of accounts sharing their cycles."""
    current = _answers(session, cycle_id, account_ids, held)
    earlier = _previous_satisfaction(
        session, current, cycle_id, previous_id, account_ids, rank, held
    )
    parts = [answer_reasons(current, earlier)]
    whose = [current[["respondent_id", "account_id"]]]
    if asked is not None:
        mine = asked[(asked["cycle_id"] == cycle_id) & asked["account_id"].isin(account_ids)]
        parts.append(flagged(mine["respondent_id"].unique(), "asked"))
    if previous_id != NO_CYCLE:
        silent = queries.silent_decision_makers(session, cycle_id, previous_id, account_ids)
        whose.append(pd.DataFrame(silent, columns=["respondent_id", "account_id"]))
        parts.append(flagged((respondent for respondent, _ in silent), "silent"))
    combined = combine_reasons(*parts)
    account_of = pd.concat(whose).drop_duplicates("respondent_id").set_index("respondent_id")
    combined["respondent_id"] = combined["respondent_id"].astype(np.int64)
    combined["account_id"] = (
        combined["respondent_id"].map(account_of["account_id"]).astype(np.int64)
    )
    return combined


def _previous_satisfaction(
    session: Session,
    current: pd.DataFrame,
    cycle_id: int,
    previous_id: int,
    account_ids: list[int],
    rank: dict[int, int],
    held: HeldAnswers | None = None,
) -> pd.DataFrame:
    """Each current respondent's previous satisfaction answer, reading as little as it can.

    Most people answered the account's previous cycle, which is one bounded read; only those
    who skipped it have their older answers looked up. An account with one cycle has no
    earlier answers at all (people belong to one account).
    """
    if previous_id == NO_CYCLE:
        return pd.DataFrame({"respondent_id": [], "satisfaction": []})
    before = _answers(session, previous_id, account_ids, held)
    before = before[["respondent_id", "satisfaction"]]
    ids = current["respondent_id"].to_numpy(dtype=np.int64)
    # Ids are dense, so a lookup table over their range beats sorting both sides.
    answered = np.isin(ids, before["respondent_id"].to_numpy(dtype=np.int64), kind="table")
    missing = np.unique(ids[~answered])
    if not len(missing):
        return before
    older = queries.older_answers(session, missing.tolist(), cycle_id, previous_id)
    return pd.concat([before, previous_answers(older, rank)], ignore_index=True)


SCORE_COLUMNS = ["respondent_id", "account_id", "satisfaction", "recommend", "continue_score"]


def _compact_scores(chunk: pd.DataFrame) -> pd.DataFrame:
    """A chunk's identities and scores, compactly: what the reasons need, nothing more."""
    return pd.DataFrame(
        {
            "respondent_id": chunk["respondent_id"].to_numpy(np.int64),
            "account_id": chunk["account_id"].to_numpy(np.int32),
            "cycle_id": chunk["cycle_id"].to_numpy(np.int32),
            **{
                name: chunk[name].to_numpy(np.float64, na_value=np.nan)
                for name in ("satisfaction", "recommend", "continue_score")
            },
        }
    )


class HeldAnswers:
    """The answers this import wrote, standing in for a read of the database where they are
    provably all that is stored for a cycle and group of accounts (the counts agree).

    Only the latest and previous cycles are ever asked for, so a cycle's rows are picked out
    when first asked (one pass over a million compact rows), not split up front."""

    def __init__(self, scores: pd.DataFrame) -> None:
        self.scores = scores
        self._cycles = scores["cycle_id"].to_numpy()
        self._by_cycle: dict[int, pd.DataFrame] = {}

    def answers(self, cycle_id: int, account_ids: list[int]) -> pd.DataFrame:
        part = self._by_cycle.get(cycle_id)
        if part is None:
            part = self.scores[self._cycles == cycle_id]
            # A person twice in one cycle of the file: the last row is what was stored.
            part = part.drop_duplicates("respondent_id", keep="last")
            self._by_cycle[cycle_id] = part
        mine = part[part["account_id"].isin(account_ids)]
        return mine[SCORE_COLUMNS]


def _answers(
    session: Session, cycle_id: int, account_ids: list[int], held: HeldAnswers | None
) -> pd.DataFrame:
    """The stored answers of one cycle in these accounts: from memory when the import wrote
    every one of them (an index-only count says so), else read back."""
    if held is not None:
        mine = held.answers(cycle_id, account_ids)
        if len(mine) and queries.count_answers(session, cycle_id, account_ids) == len(mine):
            return mine.reset_index(drop=True)
    return queries.latest_answers(session, cycle_id, account_ids)
