"""Which column is which: header keys, aliases, the known columns of each file kind, `rating:`.

A header cell is matched by its key (`Overall Satisfaction`, `overall-satisfaction` and
` overall_satisfaction ` are one key) against each column's name and aliases; `rating:<attribute>`
columns name rated attributes. Matching happens once per file, before any cell is parsed, so a
file with a missing or doubled column is refused without reading its rows.

Attribute names from `rating:<attribute>` are sentence case (`Product quality`); words of up to
four capitals (`SLA`, `UX`) are kept as acronyms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from bot.intake.hostile import MAX_ATTRIBUTES, too_many_attributes
from bot.intake.problems import ProblemLog, quote


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


ROSTER_COLUMNS = (
    ColumnSpec("account", ("account_name", "customer", "company", "name"), required=True),
    ColumnSpec("segment"),
    ColumnSpec("tier"),
    ColumnSpec("annual_revenue", ("revenue", "arr")),
    ColumnSpec("account_manager", ("am", "owner")),
    ColumnSpec("exec_sponsor", ("executive", "sponsor", "executive_sponsor")),
    ColumnSpec("team", ("account_team",)),
    ColumnSpec("channel", ("slack_channel",)),
    ColumnSpec(
        "cadence",
    ),
)

RESPONSE_COLUMNS = (
    ColumnSpec("account", ("account_name", "customer", "company"), required=True),
    ColumnSpec("cycle", ("wave", "period"), required=True),
    ColumnSpec("respondent", ("name", "contact", "respondent_name", "contact_name"), required=True),
    ColumnSpec("title", ("job_title",)),
    ColumnSpec("email", ("e_mail", "email_address")),
    ColumnSpec(
        "role",
    ),
    ColumnSpec("responded_on", ("date", "response_date")),
    ColumnSpec(
        "source",
    ),
    ColumnSpec("satisfaction", ("overall_satisfaction", "osat"), required=True),
    ColumnSpec("recommend", ("likelihood_to_recommend", "ltr", "nps")),
    ColumnSpec("continue", ("likelihood_to_continue", "repurchase", "renew", "continue_score")),
    ColumnSpec("comment", ("comments", "verbatim")),
    ColumnSpec("contact_me", ("contact_me", "follow_up")),
)

_RATING_HEADER = re.compile(r"^\s*ratings?\s*:\s*(.+?)\s*$", re.IGNORECASE)


def header_key(text: str) -> str:
    """`Overall Satisfaction`, `overall-satisfaction` and ` overall_satisfaction ` are one key."""
    return re.sub(r"[\s_\-]+", "_", str(text).replace("\ufeff", "").strip().casefold()).strip("_")


def attribute_name(text: str) -> str:
    """Display name of a rated attribute: sentence case, short acronyms (SLA, UX) kept.

    One spelling per attribute matters more than the file's capitalisation: benchmarks average
    an attribute across files, and "Product Quality" and "product quality" must be one attribute.
    A header written all in capitals is shouting, not a string of acronyms.
    """
    cleaned = re.sub(r"[\s_\-]+", " ", text.replace('"', "").replace("\\", "")).strip()
    words = cleaned.split(" ")
    shouting = len(words) > 1 and cleaned.replace(" ", "").isupper()
    shaped = [w if w.isupper() and len(w) <= 4 and not shouting else w.lower() for w in words]
    name = " ".join(shaped)
    return name[:1].upper() + name[1:]


@dataclass
class Columns:
    """Where each known column sits in the file, and what was left out."""

    positions: dict[str, int]
    headers: dict[str, str]
    ratings: dict[str, int]
    ignored: list[str]


def match_columns(
    header: list[str],
    specs: Sequence[ColumnSpec],
    *,
    name: str,
    allow_ratings: bool = False,
    optional_when_given: Sequence[str] = (),
) -> Columns:
    """Map header cells to known columns; reject duplicates and missing required columns."""
    lookup = {
        header_key(alias): spec.name for spec in specs for alias in (spec.name, *spec.aliases)
    }
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ratings: dict[str, int] = {}
    ignored: list[str] = []
    problems = ProblemLog(name)
    for position, raw in enumerate(header):
        text = str(raw).replace("\ufeff", "").strip()
        rating = _RATING_HEADER.match(text) if allow_ratings else None
        if rating:
            attribute = attribute_name(rating.group(1))
            if attribute in ratings:
                problems.file(
                    f"columns {ratings[attribute] + 1} and {position + 1} both rate "
                    f'"{attribute}": keep one'
                )
            ratings[attribute] = position
            continue
        canonical = lookup.get(header_key(text))
        if canonical is None:
            if text:
                ignored.append(text)
            continue
        if canonical in positions:
            problems.file(
                f'columns {positions[canonical] + 1} ("{headers[canonical]}") and {position + 1} '
                f'("{text}") both mean {canonical}: keep one'
            )
            continue
        positions[canonical] = position
        headers[canonical] = text
    missing = [
        spec
        for spec in specs
        if spec.required and spec.name not in positions and spec.name not in optional_when_given
    ]
    if len(ratings) > MAX_ATTRIBUTES:
        problems.file(too_many_attributes(len(ratings)))
    for spec in missing:
        also = (
            f" (also accepted: {', '.join(a.replace('_', ' ') for a in spec.aliases)})"
            if spec.aliases
            else ""
        )
        extra = " — or pass --cycle LABEL" if spec.name == "cycle" else ""
        problems.file(f"missing required column: {spec.name}{also}{extra}")
    if missing:
        cells = [quote(str(h).strip()) for h in header if str(h).strip()]
        more = f" and {len(cells) - 20:,} more" if len(cells) > 20 else ""
        found = (", ".join(cells[:20]) + more) or "nothing"
        problems.file(f"the header row (row 1 of the data) has: {found}")
    problems.raise_if_any()
    return Columns(positions, headers, ratings, ignored)


_REPETITIVE_RESPONSE_COLUMNS = frozenset(
    {"account", "cycle", "title", "role", "source", "responded_on"}
    | {"satisfaction", "recommend", "continue"}
)


def repetitive_response_columns(header: list[str]) -> set[int]:
    """Columns of a responses file with few distinct values: read as categoricals."""
    lookup = {
        header_key(alias): spec.name
        for spec in RESPONSE_COLUMNS
        for alias in (spec.name, *spec.aliases)
    }
    return {
        position
        for position, text in enumerate(header)
        if lookup.get(header_key(text)) in _REPETITIVE_RESPONSE_COLUMNS
        or _RATING_HEADER.match(str(text))
    }


def column_cells(cells: pd.DataFrame, columns: Columns, name: str) -> pd.Series | None:
    position = columns.positions.get(name)
    if position is None:
        return None
    return cells[position]
