"""An account's figures per cycle, from its responses: what a report and the portfolio read.

Pure: a frame of responses of many accounts in, one row per (account, cycle) out. Every figure
is `bot.insights`' (and `bot.champions`') arithmetic, run once per group over the whole frame
rather than once per account, so a million responses cost a few vectorised passes. Each cycle
is compared with the account's cycle before it, in the order a report picks them, so a report of
any cycle finds what changed since the one before already stored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from bot import insights
from bot.champions import DECISION_MAKER, changes_by_account, loyalty_moves_by_account
from bot.themes.tagging import tags_of

KEYS = ["account_id", "cycle_id"]
SortKey = Callable[[int], Any]


def figure_rows(
    frame: pd.DataFrame, workspace_id: str, cycle_order: SortKey
) -> list[dict[str, Any]]:
    """One row per (account, cycle) of `frame` (columns of `bot.figures.queries.RESPONSES`),
    each cycle compared with the account's previous one by `cycle_order` (a cycle ID's sort
    key)."""
    if frame.empty:
        return []
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
            "people": people.get((account_id, cycle_id), []),
            "previous_cycle_id": previous_of.get((account_id, cycle_id)),
            "changes": changes.get((account_id, cycle_id), ({}, {}))[0],
            "champions": changes.get((account_id, cycle_id), ({}, {}))[1],
            "computed_at": now,
        }
        for (account_id, cycle_id), part in figures.items()
    ]


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


def _people_by_group(table: pd.DataFrame) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """The people table of each (account, cycle) as the report shows it, in its order."""
    columns = [
        "account_id",
        "cycle_id",
        "respondent_key",
        "respondent",
        "title",
        "role",
        "satisfaction",
        "recommend",
        "continue",
        "band",
        "loyalty",
        "comment",
        "source",
        "themes",
        "tone",
    ]
    result: dict[tuple[int, int], list[dict[str, Any]]] = {}
    lists = [_python_values(table[column]) for column in columns]
    for account_id, cycle_id, key, name, title, role, *rest in zip(*lists, strict=True):
        satisfaction, recommend, continue_, band, loyalty, comment, source, themes, tone = rest
        text = _text_or_none(comment)
        tags = tags_of(text, _text_or_none(themes), _text_or_none(tone))
        result.setdefault((account_id, cycle_id), []).append(
            {
                "respondent_key": key,
                "respondent": name,
                "title": _text_or_none(title),
                "role": _text_or_none(role),
                "satisfaction": float(satisfaction),
                "recommend": _number_or_none(recommend),
                "continue": _number_or_none(continue_),
                "band": band,
                "loyalty": loyalty,
                "comment": text,
                "source": source or "survey",
                **({"themes": tags.themes, "tone": tags.tone} if tags else {}),
            }
        )
    return result


def _python_values(column: pd.Series) -> list[Any]:
    return column.astype(object).where(column.notna(), None).tolist()


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
    current_pair = {pair: n for n, (pair, _) in enumerate(pairs)}
    previous_pair: dict[tuple[int, int], list[int]] = {}
    for n, ((account_id, _), before) in enumerate(pairs):
        previous_pair.setdefault((account_id, before), []).append(n)
    group = list(zip(table["account_id"].tolist(), table["cycle_id"].tolist(), strict=True))
    current = _labelled(table, [[current_pair[g]] if g in current_pair else [] for g in group])
    previous = _labelled(table, [previous_pair.get(g, []) for g in group])
    names = {n: "" for n in range(len(pairs))}
    moves = insights.band_moves_by_group(previous, current, "pair")
    missing = insights.missing_by_group(previous, current, "pair")
    champions = changes_by_account(
        previous.assign(account_id=previous["pair"]),
        current.assign(account_id=current["pair"]),
        names,
        key="respondent_key",
    )
    loyalty = loyalty_moves_by_account(
        previous.assign(account_id=previous["pair"]),
        current.assign(account_id=current["pair"]),
        key="respondent_key",
    )
    result = {}
    for n, (pair, _) in enumerate(pairs):
        report_only = {
            "band_moves": [_band_move_json(move) for move in moves.get(n, [])],
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


def _labelled(table: pd.DataFrame, pairs: Iterable[list[int]]) -> pd.DataFrame:
    """The rows of `table` that take part in a pair, once per pair, with its number as `pair`
    (a cycle is the previous one of at most one pair per account, but stay general)."""
    counts = []
    labels: list[int] = []
    for own in pairs:
        counts.append(len(own))
        labels.extend(own)
    rows = table.iloc[np.repeat(np.arange(len(table)), counts)].reset_index(drop=True)
    return rows.assign(pair=np.asarray(labels, dtype=np.int64))


def _band_move_json(move: insights.BandMove) -> dict[str, str]:
    return {
        "respondent_key": move.respondent_key,
        "respondent": move.respondent,
        "from_band": move.from_band,
        "to_band": move.to_band,
    }


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


def _number_or_none(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)
