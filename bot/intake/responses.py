"""Validating a responses file chunk by chunk, keeping what must be checked across the file.

A responses file can hold a million rows, so it is validated one chunk at a time (and written
while it validates, see `service`); what spans chunks (duplicates, the file's date order, the
spelling of cycle labels, account and cycle numbering) lives in the `ResponseValidator`.
Nothing here touches a database.

Cycle labels that name a period are written one way (`bot.core.cycles.cycle_label`): `Q3 2026`,
`2026 q3` → `2026-Q3`; `July 2026`, `2026/07` → `2026-07`; `H2 2026` → `2026-H2`. Other labels are
kept as typed (spaces collapsed) and matched to existing cycles ignoring case.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from bot.core.cycles import cycle_label
from bot.core.identity import is_email
from bot.core.names import name_key, squeeze
from bot.intake.cells import (
    DateOrder,
    blank_rows,
    check_length,
    check_scores,
    constant,
    distinct,
    lengths,
    mapped,
    mix,
    object_frame,
    parse_dates,
    string_hashes,
    text_array,
    vocabulary,
)
from bot.intake.headers import RESPONSE_COLUMNS, column_cells, match_columns
from bot.intake.problems import ProblemLog
from bot.intake.reading import RawChunk, Table

ROLES = ("decision_maker", "influencer", "user")
SOURCES = ("survey", "interview")


RESPONSE_LIMITS = {"account": 200, "respondent": 200, "title": 200, "email": 320, "cycle": 50}
_ROLE_ALIASES = {
    "decisionmaker": "decision_maker",
    "decision_makers": "decision_maker",
    "end_user": "user",
    "enduser": "user",
    "users": "user",
    "influencers": "influencer",
}
_SOURCE_ALIASES = {"surveys": "survey", "interviews": "interview"}


class ResponseValidator:
    """Validates response chunks one by one, keeping what must be checked across the file."""

    def __init__(self, table: Table, *, default_cycle: str | None) -> None:
        self.table = table
        self.problems = ProblemLog(table.name)
        self.columns = match_columns(
            table.header,
            RESPONSE_COLUMNS,
            name=table.name,
            allow_ratings=True,
            optional_when_given=("cycle",) if default_cycle else (),
        )
        self.default_cycle = cycle_label(default_cycle) if default_cycle else None
        self.dates = DateOrder()
        self.blank_rows = 0
        self.rows = 0
        self._key_hashes: list[np.ndarray] = []
        self._key_rows: list[np.ndarray] = []
        self._cycle_spelling: dict[str, str] = {}
        self._account_codes: dict[str, int] = {}
        self._cycle_codes: dict[str, int] = {}
        # Emails recur once per cycle: each distinct valid one is checked once per import.
        self._valid_emails: set[str] = set()

    @property
    def attributes(self) -> list[str]:
        return sorted(self.columns.ratings)

    def validate(self, chunk: RawChunk) -> pd.DataFrame:
        """A clean frame for the chunk's non-blank rows; problems go to `self.problems`."""
        keep = ~blank_rows(chunk.cells)
        self.blank_rows += int((~keep).sum())
        cells = chunk.cells[keep].reset_index(drop=True) if not keep.all() else chunk.cells
        rows = chunk.rows[keep]
        self.rows += len(rows)
        out: dict[str, Any] = {"row": rows}
        if not len(rows):
            return object_frame(out, 0)
        self._accounts(cells, rows, out)
        self._cycles(cells, rows, out)
        self._people(cells, rows, out)
        self._vocabularies(cells, rows, out)
        self._scores(cells, rows, out)
        self._texts(cells, rows, out)
        self._responded_on(cells, rows, out)
        out["contact_me"] = contact_requested(column_cells(cells, self.columns, "contact_me"), rows)
        self._duplicates(out)
        return object_frame(out, len(rows))

    def _column(self, cells: pd.DataFrame, name: str) -> np.ndarray | None:
        raw = column_cells(cells, self.columns, name)
        return None if raw is None else text_array(raw)

    def _accounts(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        raw = column_cells(cells, self.columns, "account")
        assert raw is not None
        codes, uniques = distinct(raw)
        names = np.array([squeeze(v) for v in uniques], dtype=object)
        keys = np.array([name_key(v) for v in names], dtype=object)
        out["account"] = names[codes]
        out["account_key"] = keys[codes]
        out["account_code"] = np.array([self._code(self._account_codes, k) for k in keys])[codes]
        self.problems.missing(rows[(names == "")[codes]], "account")
        long = (lengths(names) > RESPONSE_LIMITS["account"])[codes]
        if long.any():
            self.problems.cells(
                rows[long], "account", text_array(raw)[long], "is longer than 200 characters"
            )

    @staticmethod
    def _code(table: dict[str, int], key: str) -> int:
        return table.setdefault(key, len(table))

    def _cycles(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        raw = column_cells(cells, self.columns, "cycle")
        if raw is None:
            out["cycle"] = constant(self.default_cycle, len(rows))
            out["cycle_code"] = np.zeros(len(rows), dtype=np.int64)
            return
        codes, uniques = distinct(raw)
        labels = np.array([self._one_cycle_spelling(v) for v in uniques], dtype=object)
        empty = labels == ""
        if self.default_cycle:
            labels[empty] = self.default_cycle
        else:
            self.problems.missing(
                rows[empty[codes]], "cycle", "is empty (required, or pass --cycle)"
            )
        long = (lengths(labels) > RESPONSE_LIMITS["cycle"])[codes]
        if long.any():
            self.problems.cells(
                rows[long], "cycle", text_array(raw)[long], "is longer than 50 characters"
            )
        out["cycle"] = labels[codes]
        label_codes = np.array([self._code(self._cycle_codes, str(v).casefold()) for v in labels])
        out["cycle_code"] = label_codes[codes]

    def _one_cycle_spelling(self, text: str) -> str:
        """First spelling seen wins among labels equal but for case (`Pilot` / `pilot`)."""
        label = cycle_label(text)
        return self._cycle_spelling.setdefault(label.casefold(), label) if label else ""

    def _people(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        """Display name as typed (trimmed); identity is the email, or the name when none."""
        raw_names = self._column(cells, "respondent")
        assert raw_names is not None
        names = mapped(str.strip, raw_names)
        self.problems.missing(rows[names == ""], "respondent")
        check_length(names, rows, "respondent", RESPONSE_LIMITS["respondent"], self.problems)
        out["respondent"] = names
        raw_emails = self._column(cells, "email")
        if raw_emails is None:
            emails = constant(None, len(rows))
            has_email = np.zeros(len(rows), dtype=bool)
        else:
            emails = mapped(str.lower, mapped(str.strip, raw_emails))
            has_email = emails != ""
            valid = self._emails_valid(emails) | ~has_email
            self.problems.cells(
                rows[~valid], "email", raw_emails[~valid], "is not an email address"
            )
            check_length(emails, rows, "email", RESPONSE_LIMITS["email"], self.problems)
            emails[~has_email] = None
        out["email"] = emails
        person_keys = emails.copy()
        person_keys[~has_email] = mapped(name_key, names[~has_email])
        out["person_key"] = person_keys
        out["person_hash"] = string_hashes(person_keys)

    def _emails_valid(self, emails: np.ndarray) -> np.ndarray:
        known = self._valid_emails
        valid = mapped(known.__contains__, emails, bool)
        unknown = ~valid
        if unknown.any():
            if len(known) > 2_000_000:
                known.clear()  # bounded memory for enormous files; correctness is unaffected
            fresh = emails[unknown]
            verdict = {email: is_email(email) for email in set(fresh.tolist())}
            known.update(email for email, ok in verdict.items() if ok)
            valid[unknown] = mapped(verdict.__getitem__, fresh, bool)
        return valid

    def _vocabularies(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        out["role"] = vocabulary(
            cells, self.columns, "role", ROLES, None, rows, self.problems, _ROLE_ALIASES
        )
        out["source"] = vocabulary(
            cells, self.columns, "source", SOURCES, "survey", rows, self.problems, _SOURCE_ALIASES
        )

    def _scores(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        for column, required in (("satisfaction", True), ("recommend", False), ("continue", False)):
            raw = column_cells(cells, self.columns, column)
            if raw is None:
                out[column] = np.nan
                continue
            out[column] = check_scores(raw, rows, column, self.problems, required=required)
        ratings = {}
        for attribute, position in self.columns.ratings.items():
            header = self.table.header[position].strip()
            label = f"rating:{header.split(':', 1)[1].strip()}" if ":" in header else header
            ratings[attribute] = check_scores(
                cells[position], rows, label, self.problems, required=False
            )
            out[f"rating:{attribute}"] = ratings[attribute]
        out["ratings"] = ratings_json(ratings, len(rows))

    def _texts(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        title = column_cells(cells, self.columns, "title")
        if title is None:
            out["title"] = None
        else:
            codes, uniques = distinct(title)
            titles = np.array([squeeze(v) for v in uniques], dtype=object)
            long = (lengths(titles) > RESPONSE_LIMITS["title"])[codes]
            if long.any():
                self.problems.cells(
                    rows[long], "title", text_array(title)[long], "is longer than 200 characters"
                )
            titles[titles == ""] = None
            out["title"] = titles[codes]
        comment = self._column(cells, "comment")
        if comment is None:
            out["comment"] = None
        else:
            comments = comment.copy()
            comments[(comment == "") | mapped(str.isspace, comment, bool)] = None
            out["comment"] = comments

    def _responded_on(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        raw = column_cells(cells, self.columns, "responded_on")
        if raw is None:
            out["responded_on"] = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[D]")
            return
        out["responded_on"] = parse_dates(raw, rows, "responded_on", self.problems, self.dates)

    def _duplicates(self, out: dict[str, Any]) -> None:
        """Same (account, cycle, person) twice: named in full within a chunk, across in finish()."""
        hashes = mix(out["person_hash"], out["account_code"], out["cycle_code"])
        self._key_hashes.append(hashes)
        self._key_rows.append(out["row"])
        repeated = pd.Series(hashes).duplicated(keep=False).to_numpy()
        if not repeated.any():
            return
        part = object_frame(
            {
                "row": out["row"][repeated],
                "account": out["account"][repeated],
                "cycle": out["cycle"][repeated],
                "person_key": out["person_key"][repeated],
            },
            int(repeated.sum()),
        )
        for _, group in part.groupby(hashes[repeated], sort=False):
            first = group.iloc[0]
            for row in group["row"].iloc[1:]:
                self.problems.row(
                    int(row),
                    f"rows {int(first['row'])} and {int(row)} are the same response: account "
                    f'"{first["account"]}", cycle "{first["cycle"]}", person '
                    f'"{first["person_key"]}" (one row per person per cycle)',
                )

    def finish(self) -> None:
        """File-wide checks that need every chunk: duplicates across chunks, empty files."""
        if self.rows == 0:
            self.problems.file(f"{self.table.name} has a header but no data rows")
            return
        if len(self._key_hashes) > 1:
            self._cross_chunk_duplicates()
        if self.dates.ambiguous:
            self.table.notes.append(
                f"{self.dates.ambiguous} dates such as {self.dates.example} could be read either "
                f"way and were read {self.dates.reading}; write YYYY-MM-DD to be unambiguous"
            )

    def _cross_chunk_duplicates(self) -> None:
        hashes = np.concatenate(self._key_hashes)
        if not pd.Series(hashes).duplicated().any():
            return
        rows = np.concatenate(self._key_rows)
        chunk_of = np.concatenate([np.full(len(h), i) for i, h in enumerate(self._key_hashes)])
        frame = pd.DataFrame({"hash": hashes, "row": rows, "chunk": chunk_of})
        repeated = frame[frame["hash"].duplicated(keep=False)]
        for _, group in repeated.groupby("hash", sort=False):
            first_row, first_chunk = int(group["row"].iloc[0]), group["chunk"].iloc[0]
            for row, chunk in zip(group["row"].iloc[1:], group["chunk"].iloc[1:], strict=True):
                if chunk != first_chunk:
                    self.problems.row(
                        int(row),
                        f"rows {first_row} and {int(row)} are the same response: same account, "
                        "cycle and person (one row per person per cycle)",
                    )


CONTACT_YES = frozenset({"yes", "true", "1"})


def contact_requested(raw: pd.Series | None, rows: np.ndarray) -> np.ndarray:
    """`contact_me` per row: yes, true or 1 asks for a follow-up; anything else does not.

    Evaluated once per distinct cell, as every other vocabulary column is.
    """
    if raw is None:
        return np.zeros(len(rows), dtype=bool)
    codes, uniques = distinct(raw)
    yes = np.array([str(v).strip().casefold() in CONTACT_YES for v in uniques], dtype=bool)
    return yes[codes] if len(uniques) else np.zeros(len(rows), dtype=bool)


def ratings_json(ratings: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The `ratings` JSON text of every row, built per distinct combination of scores.

    Scores are few distinct values, so the rows share a few hundred distinct JSON texts at most;
    each is made once with json.dumps (sorted keys, so equal ratings are equal text) and spread
    with numpy, instead of a million json.dumps calls.
    """
    if not ratings or n == 0:
        return np.full(n, "{}", dtype=object)
    names = sorted(ratings)
    combined = np.zeros(n, dtype=np.int64)
    uniques_per_attribute = []
    for name in names:
        codes, uniques = pd.factorize(ratings[name], use_na_sentinel=True)
        uniques_per_attribute.append(np.asarray(uniques, dtype=float))
        combined = combined * (len(uniques) + 1) + (codes + 1)
        combined, _ = pd.factorize(combined)
    combo_codes, first_rows = np.unique(combined, return_index=True)
    texts = np.empty(len(combo_codes), dtype=object)
    for i, row in enumerate(first_rows):
        values = {
            name: float(ratings[name][row]) for name in names if not np.isnan(ratings[name][row])
        }
        texts[i] = json.dumps(values, sort_keys=True)
    return texts[np.searchsorted(combo_codes, combined)]
