"""`voc export`: the files, their columns, and writing them.

Each file is UTF-8 with a byte-order mark (Excel reads accents right only then), a header row,
one row per stored record, every cell through `rules.cell`. Files are created, never
overwritten: an earlier export in the same directory is refused before anything is read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.accounts.queries import describe_miss, find_account
from bot.errors import NotFound
from bot.export import queries
from bot.export.rules import cell

FILE_NAMES = (
    "responses.csv",
    "people.csv",
    "commitments.csv",
    "followups.csv",
    "meetings.csv",
    "audit.csv",
)
RESPONSE_COLUMNS = (
    "response_id", "account", "cycle", "person_id", "respondent", "email", "title", "role",
    "satisfaction", "recommend", "continue",
)  # fmt: skip
RESPONSE_TAIL = ("comment", "themes", "tone", "source", "responded_on")
PEOPLE_COLUMNS = ("person_id", "account", "name", "email")
COMMITMENT_COLUMNS = (
    "commitment_id", "account", "text", "owner", "due_on", "area", "status", "customer_told",
    "answers", "meeting_id", "followup_id", "created_by", "created_at", "done_by", "done_at",
    "channel", "message_ts",
)  # fmt: skip
FOLLOWUP_COLUMNS = (
    "followup_id", "account", "cycle", "respondent", "email", "reasons", "status", "owner",
    "opened_at", "due_at", "contacted_at", "contact_method", "closed_at", "note",
)  # fmt: skip
MEETING_COLUMNS = (
    "meeting_id", "account", "starts_at", "channel", "status", "created_by", "digest_due_at",
    "digest_posted_at", "created_at",
)  # fmt: skip
AUDIT_COLUMNS = ("audit_id", "at", "actor", "action", "entity", "entity_id", "details")


@dataclass(frozen=True)
class Written:
    """One file of the export and how many records it holds (the header not counted)."""

    path: Path
    rows: int


def existing_files(directory: Path) -> list[Path]:
    """The export files already in `directory`: writing there would overwrite them."""
    return [directory / name for name in FILE_NAMES if (directory / name).exists()]


def export(
    session: Session, workspace_id: str, account_query: str | None, directory: Path
) -> list[Written]:
    """Write every file into `directory` (created if missing); refuses an unknown account."""
    account_id = _account_id(session, workspace_id, account_query)
    ratings = queries.rating_names(session, workspace_id, account_id)
    tables: list[tuple[str, Sequence[str], Iterable[list[Any]]]] = [
        (
            "responses.csv",
            [*RESPONSE_COLUMNS, *(f"rating:{name}" for name in ratings), *RESPONSE_TAIL],
            _responses(queries.responses(session, workspace_id, account_id), ratings),
        ),
        (
            "people.csv",
            PEOPLE_COLUMNS,
            map(list, queries.people(session, workspace_id, account_id)),
        ),
        (
            "commitments.csv",
            COMMITMENT_COLUMNS,
            map(_commitment, queries.commitments(session, workspace_id, account_id)),
        ),
        (
            "followups.csv",
            FOLLOWUP_COLUMNS,
            map(_followup, queries.followups(session, workspace_id, account_id)),
        ),
        (
            "meetings.csv",
            MEETING_COLUMNS,
            map(_meeting, queries.meetings(session, workspace_id, account_id)),
        ),
        (
            "audit.csv",
            AUDIT_COLUMNS,
            map(_audit, queries.audit_entries(session, workspace_id, account_id)),
        ),
    ]
    directory.mkdir(parents=True, exist_ok=True)
    return [_write(directory / name, header, rows) for name, header, rows in tables]


def _account_id(session: Session, workspace_id: str, query: str | None) -> int | None:
    if query is None:
        return None
    match = find_account(session, workspace_id, query)
    if match.account is None:
        raise NotFound(describe_miss(query, match))
    return match.account.id


def _write(path: Path, header: Sequence[str], rows: Iterable[list[Any]]) -> Written:
    """Create `path` (never replacing a file that appeared meanwhile) and fill it."""
    count = 0
    with path.open("x", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(value) for value in row])
            count += 1
    return Written(path, count)


def _responses(rows: Iterator[Any], ratings: list[str]) -> Iterator[list[Any]]:
    for row in rows:
        scores = row.ratings or {}
        yield [
            *row[:11],
            *(scores.get(name) for name in ratings),
            row.comment,
            row.themes,
            row.tone,
            row.source,
            row.responded_on,
        ]


def _commitment(found: Any) -> list[Any]:
    row = found.Commitment
    return [
        row.id, found.account, row.text, row.owner, row.due_on, row.area, row.status,
        row.customer_told, row.answers, row.meeting_id, row.followup_id, row.created_by,
        row.created_at, row.done_by, row.done_at, row.channel, row.message_ts,
    ]  # fmt: skip


def _followup(row: Any) -> list[Any]:
    followup = row.Followup
    return [
        followup.id, row.account, row.cycle, row.respondent, row.email,
        ", ".join(followup.reasons or []), followup.status, followup.owner, followup.opened_at,
        followup.due_at, followup.contacted_at, followup.contact_method, followup.closed_at,
        followup.note,
    ]  # fmt: skip


def _meeting(found: Any) -> list[Any]:
    row = found.Meeting
    return [
        row.id, found.account, row.starts_at, row.channel, row.status, row.created_by,
        row.digest_due_at, row.digest_posted_at, row.created_at,
    ]  # fmt: skip


def _audit(entry: Any) -> list[Any]:
    return [
        entry.id, entry.at, entry.actor, entry.action, entry.entity, entry.entity_id,
        entry.details or {},
    ]  # fmt: skip
