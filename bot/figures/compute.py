"""An account's figures per cycle, from its responses: what a report and the portfolio read.

Pure: a frame of responses of many accounts in, one row per (account, cycle) out. Every figure
is `bot.insights`' (and `bot.champions`') arithmetic, run once per group over the whole frame
rather than once per account, so a million responses cost a few vectorised passes. Each cycle
is compared with the account's cycle before it, in the order a report picks them, so a report of
any cycle finds what changed since the one before already stored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from bot import insights
from bot.champions import DECISION_MAKER, changes_by_account, loyalty_moves_by_account
from bot.figures.queries import PEOPLE
from bot.themes.tagging import Tags, tags_of

KEYS = ["account_id", "cycle_id"]
_COMPARED = (
    "respondent_id",
    "respondent_key",
    "respondent",
    "title",
    "role",
    "satisfaction",
    "loyalty",
)
"""The columns comparing a cycle with the one before reads: band moves, missing people,
champion changes and loyalty moves."""
SortKey = Callable[[int], Any]


def figure_rows(
    frame: pd.DataFrame, workspace_id: str, cycle_order: SortKey
) -> list[dict[str, Any]]:
    """One row per (account, cycle) of `frame` (columns of `bot.figures.queries.RESPONSES`, in
    any order), each cycle compared with the account's previous one by `cycle_order` (a cycle
    ID's sort key)."""
    if frame.empty:
        return []
    frame = _in_respondent_order(frame)
    figures = insights.figures_by_group(frame, KEYS)
    table = insights.people_table(frame, by=KEYS)
    people = _people_by_group(table)
    makers = _decision_makers_at_risk(table)
    previous_of = _previous_cycles(figures, cycle_order)
    changes = _changes(table, previous_of)
    now = datetime.now(UTC)
    return [
        {
            "workspace_id": workspace_id,
            "account_id": account_id,
            "cycle_id": cycle_id,
            "respondents": part.respondents,
            "promoters": part.promoters,
            "detractors": part.detractors,
            "recommend_answered": part.recommend_answered,
            "satisfaction_sum": part.satisfaction_sum,
            "satisfaction_mean": part.satisfaction_mean,
            "nps": part.nps,
            "decision_maker_high_risk": makers.get((account_id, cycle_id), (False, False))[0],
            "decision_maker_trapped": makers.get((account_id, cycle_id), (False, False))[1],
            "attribute_means": part.attribute_means,
            "people": people[(account_id, cycle_id)],
            "previous_cycle_id": previous_of.get((account_id, cycle_id)),
            "changes": changes.get((account_id, cycle_id), ({}, {}))[0],
            "champions": changes.get((account_id, cycle_id), ({}, {}))[1],
            "computed_at": now,
        }
        for (account_id, cycle_id), part in figures.items()
    ]


def _in_respondent_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows by (account, cycle, respondent): the figures are then the same whichever way the
    rows were gathered (read back, or held by the import that wrote them), down to the order
    of people whose call priority, score and name are all equal."""
    order = np.lexsort(
        (
            frame["respondent_id"].to_numpy(),
            frame["cycle_id"].to_numpy(),
            frame["account_id"].to_numpy(),
        )
    )
    return frame.iloc[order].reset_index(drop=True)


def _previous_cycles(
    figures: Mapping[tuple[Any, ...], Any], cycle_order: SortKey
) -> dict[tuple[int, int], int]:
    """(account, cycle) -> the account's cycle before it, for every cycle but its first."""
    cycles: dict[int, list[int]] = {}
    for account_id, cycle_id in figures:
        cycles.setdefault(account_id, []).append(cycle_id)
    previous = {}
    for account_id, own in cycles.items():
        ordered = sorted(own, key=cycle_order)
        for before, after in pairwise(ordered):
            previous[(account_id, after)] = before
    return previous


def _people_by_group(table: pd.DataFrame) -> dict[tuple[int, int], dict[str, list[Any]]]:
    """The people table of each (account, cycle), stored by column.

    By column, because then nothing runs per person in Python: each column is cleaned whole
    (a million-response import has a million people rows) and each group's share of it is a
    slice, since `people_table` keeps a group's rows together.
    """
    comments = _texts(table["comment"])
    tags = _tags(comments, _texts(table["themes"]), _texts(table["tone"]))
    columns = {
        "respondent": _objects(table["respondent"]),
        "title": _texts(table["title"]),
        "role": _texts(table["role"]),
        "satisfaction": table["satisfaction"].astype(float).tolist(),
        "recommend": _numbers(table["recommend"]),
        "continue": _numbers(table["continue"]),
        "band": _objects(table["band"]),
        "loyalty": _objects(table["loyalty"]),
        "comment": comments,
        "source": _objects(table["source"].fillna("survey").replace("", "survey")),
        "themes": [tagged.themes if tagged else None for tagged in tags],
        "tone": [tagged.tone if tagged else None for tagged in tags],
    }
    accounts = table["account_id"].to_numpy()
    cycles = table["cycle_id"].to_numpy()
    starts = np.flatnonzero(
        np.r_[True, (accounts[1:] != accounts[:-1]) | (cycles[1:] != cycles[:-1])]
    ).tolist()
    return {
        (int(accounts[start]), int(cycles[start])): {
            name: columns[name][start:end] for name in PEOPLE
        }
        for start, end in pairwise([*starts, len(table)])
    }


def _tags(
    comments: list[str | None], themes: list[str | None], tones: list[str | None]
) -> list[Tags | None]:
    """Each row's tags (`tags_of`), read once per distinct (comment, themes, tone): answers
    repeat, and blank comments, the most common kind, have none."""
    seen: dict[tuple[str | None, str | None, str | None], Tags | None] = {}
    result = []
    for row in zip(comments, themes, tones, strict=True):
        if row not in seen:
            seen[row] = tags_of(*row)
        result.append(seen[row])
    return result


def _objects(column: pd.Series) -> list[Any]:
    """The column's values as Python objects, missing ones as None."""
    return column.to_numpy(dtype=object, na_value=None).tolist()


def _texts(column: pd.Series) -> list[str | None]:
    """The column's text stripped, blank or missing as None; each distinct value cleaned once
    (titles, roles and tags repeat, and so do the commonest comments)."""
    codes, distinct = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    cleaned = [(value.strip() or None) if isinstance(value, str) else None for value in distinct]
    return np.array([*cleaned, None], dtype=object)[codes].tolist()  # code -1 (missing): None


def _numbers(column: pd.Series) -> list[float | None]:
    """The column as floats, missing as None."""
    values = column.astype(float)
    return _objects(values.astype(object).where(values.notna()))


def _decision_makers_at_risk(table: pd.DataFrame) -> dict[tuple[int, int], tuple[bool, bool]]:
    """(account, cycle) -> (a decision maker is high risk, a decision maker is trapped)."""
    makers = table[table["role"] == DECISION_MAKER]
    if makers.empty:
        return {}
    flags = (
        pd.DataFrame(
            {
                "account_id": makers["account_id"].to_numpy(),
                "cycle_id": makers["cycle_id"].to_numpy(),
                "high_risk": (makers["loyalty"] == insights.HIGH_RISK).to_numpy(),
                "trapped": (makers["loyalty"] == insights.TRAPPED).to_numpy(),
            }
        )
        .groupby(KEYS)[["high_risk", "trapped"]]
        .any()
    )
    return {
        (int(a), int(c)): (bool(high), bool(trapped))
        for (a, c), high, trapped in zip(
            flags.index, flags["high_risk"], flags["trapped"], strict=True
        )
    }


def _changes(
    table: pd.DataFrame, previous_of: Mapping[tuple[int, int], int]
) -> dict[tuple[int, int], tuple[dict[str, Any], dict[str, Any]]]:
    """What changed in each (account, cycle) since the account's cycle before it: what only the
    report shows (band moves, who did not answer again), and what the decision makers did
    (champion changes, loyalty moves; empty lists left out, so most rows store `{}`)."""
    if not previous_of:
        return {}
    pairs = list(previous_of.items())
    rows = pd.MultiIndex.from_arrays([table["account_id"], table["cycle_id"]])
    # Each cycle is the current one of at most one pair and, since an account's cycles are in
    # one order, the previous one of at most one: each row takes part in each side once.
    as_current = pd.MultiIndex.from_tuples([pair for pair, _ in pairs]).get_indexer(rows)
    as_previous = pd.MultiIndex.from_tuples(
        [(account_id, before) for (account_id, _), before in pairs]
    ).get_indexer(rows)
    compared = table[list(_COMPARED)]
    current = _labelled(compared, as_current)
    previous = _labelled(compared, as_previous)
    names = {n: "" for n in range(len(pairs))}
    # People are matched by respondent id (one per person in an account): integers, which
    # pandas matches several times faster than the keys' text.
    moves = insights.band_move_rows_by_group(previous, current, "pair", key="respondent_id")
    missing = insights.missing_by_group(previous, current, "pair", key="respondent_id")
    champions = changes_by_account(
        previous.assign(account_id=previous["pair"]),
        current.assign(account_id=current["pair"]),
        names,
        key="respondent_id",
    )
    loyalty = loyalty_moves_by_account(
        previous.assign(account_id=previous["pair"]),
        current.assign(account_id=current["pair"]),
        key="respondent_id",
    )
    result = {}
    for n, (pair, _) in enumerate(pairs):
        report_only = {
            "band_moves": moves.get(n, []),  # as rows of fields: `BandMove(*row)` reads one
            "not_answered": missing.get(n, []),
        }
        makers = {
            "champion_changes": [_champion_json(change) for change in champions.get(n, [])],
            "loyalty_moves": [
                {"respondent": m.respondent, "before": m.before, "after": m.after}
                for m in loyalty.get(n, [])
            ],
        }
        result[pair] = (report_only, {key: value for key, value in makers.items() if value})
    return result


def _labelled(table: pd.DataFrame, pair_of_row: np.ndarray) -> pd.DataFrame:
    """The rows of `table` that take part in a pair (`pair_of_row` ≥ 0), with its number as
    `pair`."""
    taking_part = pair_of_row >= 0
    return table[taking_part].reset_index(drop=True).assign(pair=pair_of_row[taking_part])


def _champion_json(change: Any) -> dict[str, Any]:
    return {
        "respondent": change.respondent,
        "change": change.change,
        "previous_title": _text_or_none(change.previous_title),
        "title": _text_or_none(change.title),
    }


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None
