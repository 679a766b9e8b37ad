"""Writing validated frames into the tables: the roster writer and the response writer.

Bulk statements run through the DBAPI cursor of the caller's session (`storage.bulk`), so
everything lands in the caller's one transaction. Rows already stored and identical are not
written at all; new rows go in with `INSERT … ON CONFLICT DO NOTHING` (by COPY on PostgreSQL,
`storage.bulk.insert_or_keep`, where new responses wait until `responses_sent_meanwhile`),
changed rows with `… DO UPDATE`. This module decides *which* rows to write (matching accounts
by name, comparing with what is stored); `storage.bulk` knows only how. The respondents of the
responses are resolved and numbered by `people`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.clock import utc_now
from bot.core.cycles import cycle_start
from bot.intake.cells import object_frame, per_code, text_array
from bot.intake.people import People, WriteCounts
from bot.intake.roster import DEFAULT_SEGMENT, RosterRows
from bot.themes.tagging import CommentTagger
from storage.bulk import (
    copy_while,
    dialect_insert,
    executemany,
    fetch_in,
    insert_or_keep,
    python_values,
    upsert_sql,
)
from storage.models import Account, Cycle, Response

# --- roster -------------------------------------------------------------------------------

ROSTER_FIELDS = (
    "name",
    "segment",
    "tier",
    "annual_revenue",
    "account_manager",
    "exec_sponsor",
    "team",
    "channel",
    "cadence",
)
_ROSTER_FIELD_COLUMN = {"name": "account"}


@dataclass
class RosterResult:
    added: int
    updated: int
    unchanged: int
    segment_changed_ids: list[int]


def write_roster(session: Session, workspace_id: str, roster: RosterRows) -> RosterResult:
    """Insert new accounts, update changed ones in place (matched by name_key), count the rest."""
    existing = _existing_accounts(session, workspace_id)
    fields = [
        f for f in ROSTER_FIELDS if _ROSTER_FIELD_COLUMN.get(f, f) in roster.present or f == "name"
    ]
    frame = roster.frame
    new_rows, updates, segment_changed = [], [], []
    unchanged = 0
    now = utc_now()
    for record in frame.to_dict("records"):
        current = existing.get(record["name_key"])
        if current is None:
            new_rows.append(_new_account(workspace_id, record, now))
            continue
        changes = {f: record[f] for f in fields if not _same(current[f], record[f])}
        if not changes:
            unchanged += 1
            continue
        if "segment" in changes:
            segment_changed.append(current["id"])
        if "channel" in changes:
            changes["channel_id"] = None  # a new `#name` is trusted only once resolved again
        updates.append({"_id": current["id"], **changes, "updated_at": now})
    if new_rows:
        session.execute(sa.insert(Account.__table__), new_rows)
    for change in updates:
        account_id = change.pop("_id")
        session.execute(
            sa.update(Account.__table__).where(Account.id == account_id).values(**change)
        )
    return RosterResult(len(new_rows), len(updates), unchanged, segment_changed)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is None and new is None
        return abs(float(old) - float(new)) < 1e-9
    return old == new


def _existing_accounts(session: Session, workspace_id: str) -> dict[str, dict[str, Any]]:
    table = Account.__table__
    result = session.execute(
        sa.select(table.c.id, table.c.name_key, *(table.c[f] for f in ROSTER_FIELDS)).where(
            table.c.workspace_id == workspace_id
        )
    )
    return {row.name_key: dict(row._mapping) for row in result}


def _new_account(workspace_id: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "name_key": record["name_key"],
        **{f: record[f] for f in ROSTER_FIELDS},
        "created_at": now,
        "updated_at": now,
    }


# --- responses ----------------------------------------------------------------------------

RESPONSE_WRITE_COLUMNS = (
    "account_id",
    "cycle_id",
    "respondent_id",
    "title",
    "role",
    "satisfaction",
    "recommend",
    "continue_score",
    "ratings",
    "comment",
    "source",
    "responded_on",
    "themes",  # derived from the comment at import (bot.themes): a re-import re-tags
    "tone",
)
RESPONSE_KEY = ("respondent_id", "cycle_id")
# What a re-import compares: everything but the identity (account, cycle, respondent).
COMPARED_COLUMNS = RESPONSE_WRITE_COLUMNS[3:]


@dataclass
class UnknownAccount:
    name: str
    rows: list[int]
    count: int = 0


class ResponseWriter:
    """Resolves the accounts, cycles and people of validated chunks and upserts their responses.

    Keeps per-import state (accounts, cycles, the respondents of accounts seen so far) so each
    chunk costs queries in proportion to what is new in it, not to the size of the database.
    """

    def __init__(self, session: Session, workspace_id: str, *, create_accounts: bool) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.create_accounts = create_accounts
        self.counts = WriteCounts()
        self.accounts = self._load_accounts()
        self.cycles = self._load_cycles()
        self.created_accounts: list[str] = []
        self.wrote = False  # anything sent to the database (the caller rolls back on rejection)
        self.unknown: dict[str, UnknownAccount] = {}
        self.touched_cycles: set[int] = set()
        self.touched_accounts: set[int] = set()  # every known account a valid row names
        self.changed_cycles: set[int] = set()
        self.fresh_cycles: set[int] = set()
        # (account, cycle) of every response added or changed
        self.changed_pairs: set[tuple[int, int]] = set()
        self.moved_cycles: set[int] = set()  # cycles whose start moved: their order changed
        self._checked_cycles: set[int] = set()
        self.on_fresh_rows: Callable[[pd.DataFrame], None] | None = None
        # Every row added or changed, and the cycles that had no responses before the import.
        self.on_written_rows: Callable[[pd.DataFrame, set[int]], None] | None = None
        # Every valid row once its ids are known, written or not (follow-ups look at them all).
        self.on_rows: Callable[[pd.DataFrame], None] | None = None
        # Adds the comment's `themes` and `tone` columns (bot.themes.tagging.CommentTagger).
        self.tag_comments: Callable[[pd.DataFrame], pd.DataFrame] = CommentTagger()
        self.earliest: dict[int, date] = {}
        self.people = People(session, self.counts)
        # PostgreSQL: new responses wait to be sent while the figures compute (see
        # responses_sent_meanwhile); SQLite takes them as they come.
        self._sent_later = session.get_bind().dialect.name == "postgresql"
        self._unsent: list[pd.DataFrame] = []
        key = RESPONSE_KEY
        # New rows go in with DO NOTHING (storage.bulk.insert_or_keep): SQLite runs DO UPDATE
        # with a statement journal per row, which makes a million-row insert three times
        # slower; changed rows use DO UPDATE.
        self._update_sql = upsert_sql(
            session,
            "responses",
            RESPONSE_WRITE_COLUMNS,
            key,
            [c for c in RESPONSE_WRITE_COLUMNS if c not in key],
        )

    # --- accounts and cycles --------------------------------------------------------------

    def _load_accounts(self) -> dict[str, int]:
        rows = self.session.execute(
            sa.select(Account.name_key, Account.id, Account.segment).where(
                Account.workspace_id == self.workspace_id
            )
        ).all()
        self.segments = {account_id: segment for _, account_id, segment in rows}
        return {key: account_id for key, account_id, _ in rows}

    def _load_cycles(self) -> dict[str, tuple[int, str, date | None]]:
        rows = self.session.execute(
            sa.select(Cycle.id, Cycle.label, Cycle.starts_on).where(
                Cycle.workspace_id == self.workspace_id
            )
        )
        return {label.casefold(): (cycle_id, label, starts) for cycle_id, label, starts in rows}

    def resolve_accounts(self, chunk: pd.DataFrame) -> np.ndarray:
        """account_id per row; -1 where unknown (recorded, or created when that is allowed)."""
        keys = text_array(chunk["account_key"])
        ids = self._account_ids(chunk)
        missing = (ids < 0) & (keys != "")
        if missing.any():
            part = chunk.loc[missing, ["account_key", "account", "row"]]
            if self.create_accounts:
                self._create_accounts(part.drop_duplicates("account_key"))
                ids = self._account_ids(chunk)
            else:
                self._note_unknown(part)
        self.touched_accounts.update(int(a) for a in np.unique(ids[ids >= 0]))
        return ids

    def _account_ids(self, chunk: pd.DataFrame) -> np.ndarray:
        return per_code(
            chunk["account_code"].to_numpy(),
            text_array(chunk["account_key"]),
            lambda key: self.accounts.get(key, -1),
        )

    def _note_unknown(self, part: pd.DataFrame) -> None:
        for key, group in part.groupby("account_key", sort=False):
            first_name = str(group["account"].iloc[0])
            entry = self.unknown.setdefault(str(key), UnknownAccount(first_name, []))
            entry.count += len(group)
            room = max(0, 5 - len(entry.rows))
            entry.rows.extend(int(row) for row in group["row"].iloc[:room])

    def _create_accounts(self, part: pd.DataFrame) -> None:
        self.wrote = True
        table = Account.__table__
        now = utc_now()
        rows = [
            {
                "workspace_id": self.workspace_id,
                "name": name,
                "name_key": key,
                "segment": DEFAULT_SEGMENT,
                "tier": "standard",
                "cadence": "quarterly",
                "team": [],
                "created_at": now,
                "updated_at": now,
            }
            for key, name in zip(part["account_key"], part["account"], strict=True)
        ]
        statement = dialect_insert(self.session)(table).on_conflict_do_nothing(
            index_elements=["workspace_id", "name_key"]
        )
        self.session.execute(statement, rows)
        created = self.session.execute(
            sa.select(table.c.name_key, table.c.id).where(
                table.c.workspace_id == self.workspace_id,
                table.c.name_key.in_(part["account_key"].tolist()),
            )
        )
        created_ids = {key: account_id for key, account_id in created}
        self.accounts.update(created_ids)
        self.segments.update({account_id: DEFAULT_SEGMENT for account_id in created_ids.values()})
        self.created_accounts.extend(part["account"].tolist())

    def resolve_cycles(self, chunk: pd.DataFrame) -> np.ndarray:
        """cycle_id per row, creating the cycles the workspace has not seen yet."""
        labels = [str(label) for label in chunk["cycle"].unique() if label]
        new = [label for label in labels if label.casefold() not in self.cycles]
        if new:
            statement = dialect_insert(self.session)(Cycle.__table__).on_conflict_do_nothing(
                index_elements=["workspace_id", "label"]
            )
            now = utc_now()
            self.session.execute(
                statement,
                [
                    {
                        "workspace_id": self.workspace_id,
                        "label": label,
                        "starts_on": cycle_start(label),
                        "created_at": now,
                    }
                    for label in new
                ],
            )
            self.cycles = self._load_cycles()
            self.fresh_cycles.update(self.cycles[label.casefold()][0] for label in new)
        ids = {key: cycle_id for key, (cycle_id, _, _) in self.cycles.items()}
        cycle_ids = per_code(
            chunk["cycle_code"].to_numpy(),
            text_array(chunk["cycle"]),
            lambda label: ids.get(str(label).casefold(), -1),
        )
        cycle_ids = cycle_ids.astype(np.int64)
        self._check_freshness(set(cycle_ids.tolist()) - self._checked_cycles)
        return cycle_ids

    def _check_freshness(self, cycle_ids: set[int]) -> None:
        """A cycle without responses before this import will hold exactly what it writes."""
        for cycle_id in sorted(cycle_ids):
            has_rows = self.session.execute(
                sa.select(Response.id).where(Response.cycle_id == cycle_id).limit(1)
            ).first()
            if has_rows is None:
                self.fresh_cycles.add(cycle_id)
        self._checked_cycles.update(cycle_ids)

    # --- responses ------------------------------------------------------------------------

    def write(self, chunk: pd.DataFrame, account_ids: np.ndarray) -> None:
        """Upsert a valid chunk's responses; rows equal to what is stored are not written."""
        self.wrote = True
        chunk = chunk.assign(account_id=account_ids)
        chunk["cycle_id"] = self.resolve_cycles(chunk)
        respondent_ids, before = self.people.resolve(chunk)
        chunk["respondent_id"] = respondent_ids
        chunk = self.tag_comments(chunk.rename(columns={"continue": "continue_score"}))
        self._note_cycles(chunk)
        exists, same = self._compare_with_stored(chunk, before)
        self.counts.added += int((~exists).sum())
        self.counts.updated += int((exists & ~same).sum())
        self.counts.unchanged += int(same.sum())
        self._insert_responses(chunk[~exists])
        self._update_responses(chunk[exists & ~same])
        if self.on_written_rows is not None:
            self.on_written_rows(chunk[~same], self.fresh_cycles)
        self.changed_cycles.update(int(c) for c in chunk.loc[~same, "cycle_id"].unique())
        changed = chunk.loc[~same, ["account_id", "cycle_id"]].drop_duplicates()
        accounts, cycles = changed["account_id"].astype(int), changed["cycle_id"].astype(int)
        self.changed_pairs.update(zip(accounts.tolist(), cycles.tolist(), strict=True))
        if self.on_rows is not None:
            self.on_rows(chunk)
        fresh = chunk["cycle_id"].isin(list(self.fresh_cycles)).to_numpy()
        if self.on_fresh_rows is not None and fresh.any():
            self.on_fresh_rows(chunk[fresh])

    def _note_cycles(self, chunk: pd.DataFrame) -> None:
        self.touched_cycles.update(int(c) for c in chunk["cycle_id"].unique())
        days = chunk["responded_on"].to_numpy(dtype="datetime64[D]")
        dated = ~np.isnat(days)
        if not dated.any():
            return
        earliest = pd.Series(days[dated]).groupby(chunk["cycle_id"].to_numpy()[dated]).min()
        for cycle_id, day in earliest.items():
            value = pd.Timestamp(day).date()
            current = self.earliest.get(int(cycle_id))
            self.earliest[int(cycle_id)] = value if current is None else min(current, value)

    def _compare_with_stored(
        self, chunk: pd.DataFrame, before: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(already stored, stored and identical) per row; only people known before can be."""
        exists = np.zeros(len(chunk), dtype=bool)
        same = np.zeros(len(chunk), dtype=bool)
        if not before.any():
            return exists, same
        candidates = chunk.loc[before, ["respondent_id", "cycle_id", *COMPARED_COLUMNS]]
        stored = self._stored_responses(candidates)
        merged = candidates.merge(
            stored,
            on=["respondent_id", "cycle_id"],
            how="left",
            suffixes=("", "_stored"),
            indicator=True,
        )
        found = (merged["_merge"] == "both").to_numpy()
        identical = found.copy()
        for column in COMPARED_COLUMNS:
            identical &= _equal_column(merged[column], merged[f"{column}_stored"], column)
        exists[before] = found
        same[before] = identical
        return exists, same

    def _stored_responses(self, candidates: pd.DataFrame) -> pd.DataFrame:
        table = Response.__table__
        as_text = ("ratings", "responded_on")
        columns = [
            table.c.respondent_id,
            table.c.cycle_id,
            *(
                sa.cast(table.c[c], sa.Text).label(c) if c in as_text else table.c[c]
                for c in COMPARED_COLUMNS
            ),
        ]
        statement = sa.select(*columns).where(
            table.c.cycle_id == sa.bindparam("cycle"),
            table.c.respondent_id.in_(sa.bindparam("ids", expanding=True)),
        )
        found: list[tuple[Any, ...]] = []
        for cycle_id, group in candidates.groupby("cycle_id"):
            ids = sorted(set(group["respondent_id"].tolist()))
            found.extend(fetch_in(self.session, statement, "ids", ids, cycle=int(cycle_id)))
        names = ["respondent_id", "cycle_id", *COMPARED_COLUMNS]
        values = list(zip(*found, strict=True)) if found else [()] * len(names)
        stored = object_frame(
            {
                name: np.asarray(column, dtype=object)
                for name, column in zip(names, values, strict=True)
            },
            len(found),
        )
        stored = stored.astype({"respondent_id": np.int64, "cycle_id": np.int64})
        stored["responded_on"] = pd.to_datetime(stored["responded_on"], errors="coerce").to_numpy(
            dtype="datetime64[D]"
        )
        return stored

    def _insert_responses(self, rows: pd.DataFrame) -> None:
        """New rows in (account, respondent) order, which is also the order of the indexes.

        Respondents are numbered account by account (see _insert_people), so both the unique
        (respondent_id, cycle_id) index and the (account_id, cycle_id) index are written
        front to back instead of at random pages; that alone saves a fifth of the insert time.
        """
        if rows.empty:
            return
        by_index = np.lexsort((rows["respondent_id"].to_numpy(), rows["account_id"].to_numpy()))
        rows = rows.iloc[by_index]
        if self._sent_later:
            self._unsent.append(rows.loc[:, list(RESPONSE_WRITE_COLUMNS)])
            return
        values = _response_values(rows)
        inserted = insert_or_keep(self.session, "responses", values, conflict=RESPONSE_KEY)
        if 0 <= inserted < len(rows):
            self._file_wins([values])

    def _file_wins(self, parts: Iterable[dict[str, list[Any]]]) -> None:
        """Another writer stored some of these keys since we looked: the file's values win."""
        sql, order = self._update_sql
        for values in parts:
            executemany(self.session, sql, [values[name] for name in order])

    @contextmanager
    def responses_sent_meanwhile(self) -> Iterator[None]:
        """PostgreSQL: the new responses, held back since they were validated, are sent while
        the block computes (`storage.bulk.copy_while`); the block must not use the session.
        Elsewhere they are stored already and the block just runs."""
        unsent, self._unsent = self._unsent, []
        if not unsent:
            yield
            return

        def parts() -> Iterator[dict[str, list[Any]]]:
            return (_response_values(rows) for rows in unsent)

        with copy_while(
            self.session, "responses", RESPONSE_WRITE_COLUMNS, parts, conflict=RESPONSE_KEY
        ) as sent:
            yield
        if sent.inserted < sent.rows:
            self._file_wins(parts())

    def _update_responses(self, rows: pd.DataFrame) -> None:
        if rows.empty:
            return
        sql, order = self._update_sql
        executemany(self.session, sql, [python_values(rows[name]) for name in order])

    def finish(self) -> None:
        """Cycles whose label names no period start on their earliest response date."""
        by_id = {cycle_id: (label, starts) for cycle_id, label, starts in self.cycles.values()}
        for cycle_id, earliest in self.earliest.items():
            label, starts = by_id.get(cycle_id, ("", None))
            if cycle_start(label) is not None:
                continue
            if starts is None or earliest < starts:
                self.moved_cycles.add(cycle_id)
                self.session.execute(
                    sa.update(Cycle.__table__)
                    .where(Cycle.id == cycle_id)
                    .values(starts_on=earliest)
                )

    def figures_to_refresh(self) -> tuple[set[int], set[tuple[int, int]]]:
        """What this import changed the figures of: accounts to recompute whole (when a
        person's name changed, every account the file names, since names show in every
        cycle), and the (account, cycle) pairs a response was written in."""
        whole = self.touched_accounts if self.counts.people_updated else set()
        return whole, self.changed_pairs

    def cycle_labels(self) -> list[str]:
        """Labels of the cycles this import touched, oldest period first."""
        by_id = {cycle_id: label for cycle_id, label, _ in self.cycles.values()}
        labels = [by_id[c] for c in self.touched_cycles if c in by_id]
        return sorted(labels, key=lambda label: (cycle_start(label) or date.max, label))


def _response_values(rows: pd.DataFrame) -> dict[str, list[Any]]:
    return {name: python_values(rows[name].to_numpy()) for name in RESPONSE_WRITE_COLUMNS}


def _equal_objects(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    left_na = pd.isna(left)
    right_na = pd.isna(right)
    with np.errstate(invalid="ignore"):
        equal = np.asarray(left == right, dtype=bool)
    return (left_na & right_na) | (~left_na & ~right_na & equal)


def _equal_column(new: pd.Series, stored: pd.Series, column: str) -> np.ndarray:
    if column in ("satisfaction", "recommend", "continue_score"):
        a = new.to_numpy(dtype=float, na_value=np.nan)
        b = stored.to_numpy(dtype=float, na_value=np.nan)
        return (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) < 1e-9)
    if column == "responded_on":
        a = new.to_numpy(dtype="datetime64[D]")
        b = stored.to_numpy(dtype="datetime64[D]")
        return (np.isnat(a) & np.isnat(b)) | (a == b)
    if column == "ratings":
        return _equal_ratings(new.to_numpy(dtype=object), stored.to_numpy(dtype=object))
    return _equal_objects(new.to_numpy(dtype=object), stored.to_numpy(dtype=object))


def _equal_ratings(new: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Equal text is the fast path; another writer may order keys differently, so parse those."""
    same = _equal_objects(new, stored)
    for position in np.flatnonzero(~same):
        if isinstance(stored[position], str) and isinstance(new[position], str):
            try:
                same[position] = json.loads(stored[position]) == json.loads(new[position])
            except ValueError:
                same[position] = False
    return same
