"""Champion changes: what our own survey cycles say about an account's decision makers.

A decision maker who answered the previous cycle and not the latest (`left_or_silent`), or whose
title changed between the two (`title_changed`), is the strongest early churn signal there is,
and it needs no paid data source (data-formats.md, Champion changes). Pure: two cycles' answers
in, the changes out; the executive view and the account report both ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

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
    """Decision makers of the previous cycle who did not answer the latest, or changed title.

    Our own survey cycles are the data source: a champion who moved on usually stops answering,
    or answers under a new title, before the account says anything.
    """
    if previous.empty or current.empty:
        return ()
    makers = previous[previous["role"] == DECISION_MAKER]
    now_by_person = current.set_index(key)
    changes = []
    for row in makers.sort_values("respondent").itertuples(index=False):
        if getattr(row, key) not in now_by_person.index:
            changes.append(ChampionChange(account, row.respondent, LEFT_OR_SILENT, row.title))
            continue
        title = now_by_person.at[getattr(row, key), "title"]
        if (
            _title_key(row.title)
            and _title_key(title)
            and _title_key(row.title) != _title_key(title)
        ):
            changes.append(ChampionChange(account, row.respondent, TITLE_CHANGED, row.title, title))
    return tuple(changes)


def _title_key(title: object) -> str:
    return " ".join(str(title).split()).casefold() if isinstance(title, str) else ""
