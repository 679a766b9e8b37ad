"""Who answered: the respondents of an import, matched by email (or name) and numbered in bulk.

A response belongs to a person of an account; people recur cycle after cycle, so resolving them
is most of the work of writing responses and has its own state: the people of every account seen
so far, found by a 64-bit hash of (account_id, person_key) in a pandas Index (one C-level lookup
per chunk instead of a two-column merge, checked against the real keys afterwards). New people
are numbered account by account, so each account's people sit together in every index.

A person first recorded by name (no email) is matched by that name when a later row adds their
email, so adding emails to a corrected file updates people instead of doubling them. The other
way round cannot be decided safely (two people may share a name), so a row without an email whose
name is that of someone known by email becomes a new person and is kept in `namesakes`, which
the import summary turns into a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.names import name_key
from bot.intake.cells import mapped, mix, object_frame, string_hashes, text_array
from storage.bulk import (
    executemany,
    fetch_rows,
    in_batches,
    insert_or_keep,
    python_values,
    update_sql,
)
from storage.models import Respondent


@dataclass(frozen=True)
class Namesake:
    """A new person without an email who has the name of someone already known by email."""

    row: int
    name: str
    known_id: int
    known_name: str
    known_email: str


@dataclass
class WriteCounts:
    """What an import wrote: responses (counted by the ResponseWriter) and people (by People)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    people_added: int = 0
    people_updated: int = 0


def _person_hashes(account_ids: np.ndarray, person_keys: np.ndarray) -> np.ndarray:
    return mix(string_hashes(person_keys), account_ids)


def _people_frame(rows: list[tuple[Any, ...]], *, before: bool) -> pd.DataFrame:
    """(account_id, person_key, id, name, email) rows as the writer's people table."""
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    return object_frame(
        {
            "account_id": np.asarray(columns[0], dtype=np.int64),
            "person_key": np.asarray(columns[1], dtype=object),
            "respondent_id": np.asarray(columns[2], dtype=np.int64),
            "stored_name": np.asarray(columns[3], dtype=object),
            "stored_email": np.asarray(columns[4], dtype=object),
            "before": np.full(len(rows), before),
        },
        len(rows),
    )


def _empty_people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": pd.Series(dtype=np.int64),
            "account_id": pd.Series(dtype=np.int64),
            "person_key": pd.Series(dtype=object),
            "respondent_id": pd.Series(dtype=np.int64),
            "stored_name": pd.Series(dtype=object),
            "stored_email": pd.Series(dtype=object),
            "before": pd.Series(dtype=bool),
        }
    )


class People:
    """The respondents of the accounts an import has touched, loaded once per account."""

    def __init__(self, session: Session, counts: WriteCounts) -> None:
        self.session = session
        self.counts = counts
        self._people = _empty_people()
        self._people_index: pd.Index | None = None
        self._people_without_email = False
        self._loaded_accounts: set[int] = set()
        self.namesakes: list[Namesake] = []

    def resolve(self, chunk: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """respondent_id per row, and whether that person was in the database before."""
        account_ids = chunk["account_id"].to_numpy(dtype=np.int64)
        person_keys = text_array(chunk["person_key"])
        self._load_people(np.unique(account_ids))
        hashes = mix(chunk["person_hash"].to_numpy(dtype=np.int64), account_ids)
        last = ~pd.Series(hashes).duplicated(keep="last").to_numpy()
        people = object_frame(
            {
                "key": hashes[last],
                "account_id": account_ids[last],
                "person_key": person_keys[last],
                "respondent": text_array(chunk["respondent"])[last],
                "email": text_array(chunk["email"])[last],
                "row": chunk["row"].to_numpy(dtype=np.int64)[last],
            },
            int(last.sum()),
        )
        where = self._find_people(people)
        if (where < 0).any() and self._adopt_people_known_by_name(people[where < 0]):
            where = self._find_people(people)
        self._update_people(people[where >= 0], where[where >= 0])
        if (where < 0).any():
            self._note_namesakes(people[where < 0])
            self._insert_people(people[where < 0])
        everyone = {"key": hashes, "account_id": account_ids, "person_key": person_keys}
        found = self._find_people(object_frame(everyone, len(hashes)))
        if (found < 0).any():
            raise RuntimeError("respondents could not be resolved after inserting them")
        return (
            self._people["respondent_id"].to_numpy(dtype=np.int64)[found],
            self._people["before"].to_numpy(dtype=bool)[found],
        )

    def _find_people(self, people: pd.DataFrame) -> np.ndarray:
        """Row positions in self._people (-1 when unknown), verified against the real keys."""
        if self._people_index is None:
            self._people_index = pd.Index(self._people["key"].to_numpy(dtype=np.int64))
        where = self._people_index.get_indexer(people["key"].to_numpy(dtype=np.int64))
        hit = where >= 0
        same = np.ones(len(where), dtype=bool)
        same[hit] = (
            self._people["person_key"].to_numpy(dtype=object)[where[hit]]
            == text_array(people["person_key"])[hit]
        ) & (
            self._people["account_id"].to_numpy(dtype=np.int64)[where[hit]]
            == people["account_id"].to_numpy(dtype=np.int64)[hit]
        )
        if not same.all():
            raise RuntimeError("64-bit hash collision between two people; import again")
        return where

    def _remember_people(self, frame: pd.DataFrame) -> None:
        frame = frame.assign(
            key=_person_hashes(
                frame["account_id"].to_numpy(dtype=np.int64), text_array(frame["person_key"])
            )
        )
        self._people = pd.concat(
            [self._people, frame[list(self._people.columns)]], ignore_index=True
        )
        self._people_index = None
        self._people_without_email = self._people_without_email or bool(
            pd.isna(frame["stored_email"].to_numpy()).any()
        )

    def _load_people(self, account_ids: np.ndarray) -> None:
        todo = sorted(set(account_ids.tolist()) - self._loaded_accounts)
        if not todo:
            return
        table = Respondent.__table__
        columns = (table.c.account_id, table.c.person_key, table.c.id, table.c.name, table.c.email)
        found: list[Any] = []
        for batch in in_batches(todo):
            found.extend(
                self.session.execute(sa.select(*columns).where(table.c.account_id.in_(batch)))
            )
        self._loaded_accounts.update(todo)
        if found:
            self._remember_people(_people_frame([tuple(row) for row in found], before=True))

    def _adopt_people_known_by_name(self, candidates: pd.DataFrame) -> bool:
        """Someone first recorded without an email now has one: same person, new key."""
        if not self._people_without_email:
            return False
        with_email = candidates[pd.notna(candidates["email"].to_numpy())]
        nameless = self._people[pd.isna(self._people["stored_email"].to_numpy())]
        if with_email.empty or nameless.empty:
            return False
        old = pd.DataFrame(
            {
                "account_id": nameless["account_id"].to_numpy(dtype=np.int64),
                "name_key": nameless["person_key"].to_numpy(dtype=object),
                "old_id": nameless["respondent_id"].to_numpy(dtype=np.int64),
            }
        )
        new = with_email[["account_id", "person_key", "respondent", "email"]].assign(
            name_key=mapped(name_key, text_array(with_email["respondent"]))
        )
        matches = new.merge(old, on=["account_id", "name_key"])
        matches = matches.drop_duplicates("old_id").drop_duplicates(["account_id", "person_key"])
        if matches.empty:
            return False
        sql, order = update_sql(self.session, "respondents", ("person_key", "name", "email"))
        values = {
            "row_id": matches["old_id"].astype(np.int64).tolist(),
            "new_person_key": matches["person_key"].tolist(),
            "new_name": matches["respondent"].tolist(),
            "new_email": matches["email"].tolist(),
        }
        executemany(self.session, sql, [values[name] for name in order])
        adopted = self._people["respondent_id"].isin(matches["old_id"]).to_numpy()
        kept = self._people[~adopted]
        moved = self._people[adopted].drop(columns=["person_key", "stored_name", "stored_email"])
        moved = moved.merge(
            matches.rename(
                columns={
                    "old_id": "respondent_id",
                    "respondent": "stored_name",
                    "email": "stored_email",
                }
            )[["respondent_id", "person_key", "stored_name", "stored_email"]],
            on="respondent_id",
        )
        self._people = kept.reset_index(drop=True)
        self._remember_people(moved)
        self.counts.people_updated += len(matches)
        return True

    def _note_namesakes(self, new: pd.DataFrame) -> None:
        """New people without an email whose name matches someone of the account with one."""
        nameless = new[pd.isna(new["email"].to_numpy())]
        known = self._people[pd.notna(self._people["stored_email"].to_numpy())]
        if nameless.empty or known.empty:
            return
        known = known.assign(
            name_key=mapped(name_key, text_array(known["stored_name"])),
        )[["account_id", "name_key", "respondent_id", "stored_name", "stored_email"]]
        pairs = nameless.rename(columns={"person_key": "name_key"}).merge(
            known, on=["account_id", "name_key"]
        )
        for record in pairs.sort_values(["row", "respondent_id"]).to_dict("records"):
            self.namesakes.append(
                Namesake(
                    row=int(record["row"]),
                    name=str(record["respondent"]),
                    known_id=int(record["respondent_id"]),
                    known_name=str(record["stored_name"]),
                    known_email=str(record["stored_email"]),
                )
            )

    def _update_people(self, known: pd.DataFrame, where: np.ndarray) -> None:
        """People whose name (or email spelling) changed get it updated everywhere."""
        # Same key means same email (the key is the email when there is one), so only the
        # displayed name can differ.
        stored_names = self._people["stored_name"].to_numpy(dtype=object)[where]
        names = text_array(known["respondent"])
        emails = text_array(known["email"])
        changed = names != stored_names
        if not changed.any():
            return
        ids = self._people["respondent_id"].to_numpy(dtype=np.int64)[where[changed]]
        sql, order = update_sql(self.session, "respondents", ("name", "email"))
        values = {
            "row_id": ids.tolist(),
            "new_name": names[changed].tolist(),
            "new_email": python_values(emails[changed]),
        }
        executemany(self.session, sql, [values[name] for name in order])
        positions = where[changed]
        self._people.loc[positions, "stored_name"] = names[changed]
        self._people.loc[positions, "stored_email"] = emails[changed]
        self.counts.people_updated += int(changed.sum())

    def _insert_people(self, new: pd.DataFrame) -> None:
        """Plain bulk insert, then read back the ids above the previous highest one.

        (Multi-row INSERT … RETURNING would give the ids in one trip, but SQLite journals such
        statements page by page, which made it several times slower.)
        """
        table = Respondent.__table__
        watermark = self.session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
        above = int(watermark.scalar_one())
        # Numbered account by account, so each account's people sit together in every index.
        new = new.iloc[np.argsort(new["account_id"].to_numpy(), kind="stable")]
        values = {
            "account_id": new["account_id"].astype(np.int64).tolist(),
            "person_key": text_array(new["person_key"]).tolist(),
            "name": text_array(new["respondent"]).tolist(),
            "email": python_values(new["email"]),
        }
        inserted = insert_or_keep(
            self.session, "respondents", values, conflict=("account_id", "person_key")
        )
        stored = self._new_people_frame(new, *self._ids_above(above, inserted, len(new)))
        mine = stored["account_id"].isin(list(self._loaded_accounts)).to_numpy()
        self._remember_people(stored[mine])
        self.counts.people_added += int(mine.sum())
        missing = self._find_people(new) < 0
        if missing.any():
            # Stored meanwhile by another transaction, below the watermark: load them by account.
            self._loaded_accounts.difference_update(new.loc[missing, "account_id"].tolist())
            self._people = self._people[
                ~self._people["account_id"].isin(new.loc[missing, "account_id"])
            ].reset_index(drop=True)
            self._people_index = None
            self._load_people(new.loc[missing, "account_id"].to_numpy())

    def _ids_above(
        self, above: int, inserted: int, sent: int
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(ids, account_ids, person_keys) of the respondents stored after id `above`, in id order.

        SQLite numbers rows one above the highest, so when every row sent was inserted and the
        highest id is now exactly `above + sent`, those rows are ours, numbered in the order
        they were sent, and their keys need not be read back. Otherwise (PostgreSQL sequences,
        another writer in between) they are read from the table.
        """
        table = Respondent.__table__
        if self.session.get_bind().dialect.name == "sqlite":
            highest = self.session.execute(sa.select(sa.func.max(table.c.id))).scalar()
            if inserted == sent and highest == above + sent:
                return np.arange(above + 1, above + 1 + sent, dtype=np.int64), None, None
        columns = (table.c.id, table.c.account_id, table.c.person_key)
        statement = sa.select(*columns).where(table.c.id > above).order_by(table.c.id)
        found = fetch_rows(self.session, statement)
        ids, accounts, keys = zip(*found, strict=True) if found else ((), (), ())
        return (
            np.asarray(ids, dtype=np.int64),
            np.asarray(accounts, dtype=np.int64),
            np.asarray(keys, dtype=object),
        )

    @staticmethod
    def _new_people_frame(
        new: pd.DataFrame,
        ids: np.ndarray,
        account_ids: np.ndarray | None,
        person_keys: np.ndarray | None,
    ) -> pd.DataFrame:
        """Ids matched to the rows just inserted (id order is insert order).

        Names and emails are the ones just written. Without keys, the ids are known to be
        exactly the inserted rows; with keys, rows that do not line up (another writer's rows
        among them) are matched by key instead.
        """
        frame = object_frame(
            {
                "account_id": new["account_id"].to_numpy(dtype=np.int64),
                "person_key": text_array(new["person_key"]),
                "stored_name": text_array(new["respondent"]),
                "stored_email": text_array(new["email"]),
                "before": np.zeros(len(new), dtype=bool),
            },
            len(new),
        )
        aligned = account_ids is None or (
            len(ids) == len(new)
            and np.array_equal(account_ids, frame["account_id"].to_numpy())
            and bool((person_keys == frame["person_key"].to_numpy()).all())
        )
        if aligned:
            frame.insert(2, "respondent_id", ids)
            return frame
        keyed = object_frame(
            {"account_id": account_ids, "person_key": person_keys, "respondent_id": ids}, len(ids)
        )
        return frame.merge(keyed, on=["account_id", "person_key"])
