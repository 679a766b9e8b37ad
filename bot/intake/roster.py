"""Validating an accounts roster file: one valid row per account, or the file is refused.

A roster is small (hundreds of accounts), so it is read and checked whole, before anything is
written; `writing.write_roster` then stores it.

Roster columns absent from a file leave existing values alone; a column that is present but blank
in a row resets that value (no sponsor, default tier, …): the file is the truth for what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bot.core.names import name_key, squeeze
from bot.intake.cells import (
    BLANK_TOKENS,
    blank_rows,
    channel_column,
    check_length,
    constant,
    mapped,
    money,
    object_frame,
    people_column,
    team_column,
    text_array,
    vocabulary,
)
from bot.intake.headers import ROSTER_COLUMNS, Columns, column_cells, match_columns
from bot.intake.problems import ProblemLog, reject
from bot.intake.reading import RawChunk, Table

DEFAULT_SEGMENT = "Unsegmented"
TIERS = ("strategic", "key", "standard")
CADENCES = ("monthly", "quarterly")


@dataclass
class RosterRows:
    """Valid roster rows, one per account, and which optional columns the file had."""

    frame: pd.DataFrame
    present: set[str]
    ignored: list[str]


def validate_roster(table: Table, problems: ProblemLog) -> RosterRows:
    """Check every roster row; a roster is small, so all of it is held at once."""
    columns = match_columns(table.header, ROSTER_COLUMNS, name=table.name)
    parts = []
    for chunk in table.chunks:
        keep = ~blank_rows(chunk.cells)
        parts.append(RawChunk(chunk.cells[keep], chunk.rows[keep]))
    rows = np.concatenate([p.rows for p in parts]) if parts else np.array([], dtype=np.int64)
    if not len(rows):
        raise reject(f"{table.name} has a header but no data rows", table.name)
    cells = pd.concat([p.cells for p in parts], ignore_index=True)
    out: dict[str, Any] = {"row": rows}

    names = mapped(squeeze, text_array(column_cells(cells, columns, "account")))
    out["name"] = names
    out["name_key"] = mapped(name_key, names)
    empty = names == ""
    problems.missing(rows[empty], "account")
    check_length(names, rows, "account", 200, problems)
    _duplicate_names(object_frame(out, len(rows))[~empty], problems)

    out["segment"] = _roster_segment(cells, columns, rows, problems)
    out["tier"] = vocabulary(cells, columns, "tier", TIERS, "standard", rows, problems)
    out["cadence"] = vocabulary(
        cells, columns, "cadence", CADENCES, "quarterly", rows, problems, _CADENCE_ALIASES
    )
    out["annual_revenue"] = _revenue(cells, columns, rows, problems)
    for column in ("account_manager", "exec_sponsor"):
        out[column] = people_column(cells, columns, column, rows, problems)
    out["team"] = team_column(cells, columns, rows, problems)
    out["channel"] = channel_column(cells, columns, rows, problems)
    return RosterRows(object_frame(out, len(rows)), set(columns.positions), columns.ignored)


_CADENCE_ALIASES = {"month": "monthly", "quarter": "quarterly"}


def _duplicate_names(frame: pd.DataFrame, problems: ProblemLog) -> None:
    repeated = frame[frame["name_key"].duplicated(keep=False)]
    for _, group in repeated.groupby("name_key", sort=False):
        first_row = int(group["row"].iloc[0])
        for row, name in zip(group["row"].iloc[1:], group["name"].iloc[1:], strict=True):
            problems.row(
                int(row),
                f'rows {first_row} and {int(row)} both name the account "{name}" '
                "(names are matched ignoring case and spacing): one row per account",
            )


def _roster_segment(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = column_cells(cells, columns, "segment")
    if raw is None:
        return constant(DEFAULT_SEGMENT, len(rows))
    values = mapped(squeeze, text_array(raw))
    check_length(values, rows, "segment", 100, problems)
    values[values == ""] = DEFAULT_SEGMENT
    return values


def _revenue(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = column_cells(cells, columns, "annual_revenue")
    if raw is None:
        return constant(None, len(rows))
    text = mapped(str.strip, text_array(raw))
    blank = np.isin(mapped(str.casefold, text), list(BLANK_TOKENS))
    values = constant(None, len(rows))
    values[~blank] = [money(v) for v in text[~blank]]
    bad = ~blank & pd.isna(values)
    problems.cells(
        rows[bad], "annual_revenue", text[bad], "is not an amount (e.g. 1200000 or $1.2M)"
    )
    return values
