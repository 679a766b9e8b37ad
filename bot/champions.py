"""Champion changes: what our own survey cycles say about an account's decision makers.

A decision maker who answered the previous cycle and not the latest (`left_or_silent`), or whose
title changed between the two (`title_changed`), is the strongest early churn signal there is,
and it needs no paid data source (data-formats.md, Champion changes). Pure: two cycles' answers
in, the changes out; the executive view and the account report both ask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.lazy import lazy_module

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")


DECISION_MAKER = "decision_maker"
LEFT_OR_SILENT = "left_or_silent"
TITLE_CHANGED = "title_changed"


@dataclass(frozen=True)
class ChampionChange:
    account: str
    respondent: str
    change: str  # left_or_silent | title_changed
    previous_title: str | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "respondent": self.respondent,
            "change": self.change,
            "previous_title": self.previous_title,
            "title": self.title,
        }


def champion_changes(
    account: str, previous: pd.DataFrame, current: pd.DataFrame, key: str = "respondent_id"
) -> tuple[ChampionChange, ...]:
    """One account's changes between two cycles' answers (`key` names the person)."""
    one = {0: account}
    found = changes_by_account(
        previous.assign(account_id=0), current.assign(account_id=0), one, key=key
    )
    return tuple(found.get(0, ()))


def changes_by_account(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    names: Mapping[int, str],
    key: str = "respondent_id",
) -> dict[int, list[ChampionChange]]:
    """Decision makers of the previous cycle who did not answer the latest, or changed title,
    for many accounts at once (column `account_id`), by respondent name within each account.

    Only accounts with answers in their latest cycle are compared: without a latest cycle
    there is nobody to have gone silent from.
    """
    if previous.empty or current.empty:
        return {}
    makers = previous[previous["role"] == DECISION_MAKER]
    answered = set(current["account_id"])
    makers = makers[makers["account_id"].isin(answered)]
    merged = makers[["account_id", key, "respondent", "title"]].merge(
        current[["account_id", key, "title"]],
        on=["account_id", key],
        how="left",
        suffixes=("", "_now"),
        indicator="presence",
    )
    candidates = merged[
        (merged["presence"] == "left_only") | (merged["title"] != merged["title_now"])
    ]
    changes: dict[int, list[ChampionChange]] = {}
    for row in candidates.sort_values(["account_id", "respondent"]).itertuples(index=False):
        account_id = int(row.account_id)
        if row.presence == "left_only":
            change = ChampionChange(names[account_id], row.respondent, LEFT_OR_SILENT, row.title)
        elif (
            _title_key(row.title)
            and _title_key(row.title_now)
            and (_title_key(row.title) != _title_key(row.title_now))
        ):
            change = ChampionChange(
                names[account_id], row.respondent, TITLE_CHANGED, row.title, row.title_now
            )
        else:
            continue
        changes.setdefault(account_id, []).append(change)
    return changes


@dataclass(frozen=True)
class LoyaltyMove:
    """A decision maker whose loyalty segment moved between two cycles (bot.insights)."""

    respondent: str
    before: str
    after: str


def loyalty_moves_by_account(
    previous: pd.DataFrame, current: pd.DataFrame, key: str = "respondent_id"
) -> dict[int, list[LoyaltyMove]]:
    """Decision makers in both cycles whose loyalty segment changed, per `account_id`, by name
    (columns `role`, `respondent` and `loyalty`; `key` names the person)."""
    if previous.empty or current.empty:
        return {}
    both = previous[["account_id", key, "loyalty"]].merge(
        current[["account_id", key, "respondent", "role", "loyalty"]],
        on=["account_id", key],
        suffixes=("_before", "_after"),
    )
    both = both[
        (both["role"] == DECISION_MAKER) & (both["loyalty_before"] != both["loyalty_after"])
    ]
    moves: dict[int, list[LoyaltyMove]] = {}
    ordered = both.sort_values("respondent", kind="stable")
    columns = ("account_id", "respondent", "loyalty_before", "loyalty_after")
    for account_id, respondent, before, after in zip(
        *(ordered[column].tolist() for column in columns), strict=True
    ):
        moves.setdefault(int(account_id), []).append(LoyaltyMove(respondent, before, after))
    return moves


def _title_key(title: object) -> str:
    return " ".join(str(title).split()).casefold() if isinstance(title, str) else ""
