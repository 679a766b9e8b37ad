"""The responses an import wrote into cycles nobody had answered before, held for the figures.

Those cycles hold exactly the rows the import just wrote, so their figures need not read them
back: reading a million rows back cost as much as computing from them. Only the people's stored
key and name are read, since the import may have renamed someone after writing a row of theirs.
The intake's benchmarks use the same fact (`bot.intake.service._FreshCycleFigures`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.lazy import lazy_module
from bot.figures.queries import RESPONSES, with_parsed_answers
from bot.intake.writing import RESPONSE_WRITE_COLUMNS
from storage.bulk import fetch_in
from storage.models import Respondent

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")

HELD = tuple(column for column in RESPONSE_WRITE_COLUMNS if column != "responded_on")
"""The written columns a figure is computed from (the writer's names): all but the date."""

_PEOPLE = sa.select(Respondent.id, Respondent.person_key, Respondent.name).where(
    Respondent.id.in_(sa.bindparam("ids", expanding=True))
)


class FreshResponses:
    """Rows written into cycles that had no responses before the import (`cycles`)."""

    def __init__(self) -> None:
        self.cycles: set[int] = set()
        self._parts: list[pd.DataFrame] = []

    def add(self, rows: pd.DataFrame, cycles: Iterable[int]) -> None:
        """Keep a written chunk's rows of the fresh `cycles` (the writer's columns)."""
        self.cycles.update(int(cycle_id) for cycle_id in cycles)
        self._parts.append(rows.loc[:, list(HELD)].copy())

    def frame(self, session: Session, account_ids: Collection[int]) -> pd.DataFrame:
        """The held rows of these accounts, as `bot.figures.queries.response_frame` reads them."""
        if not self._parts:
            return pd.DataFrame(columns=RESPONSES)
        if len(self._parts) > 1:  # once, however many batches of accounts ask
            self._parts = [pd.concat(self._parts, ignore_index=True)]
        held = self._parts[0]
        held = held[held["account_id"].isin(list(account_ids))]
        ids = sorted({int(i) for i in held["respondent_id"].unique()})
        people = pd.DataFrame(
            fetch_in(session, _PEOPLE, "ids", ids),
            columns=["respondent_id", "respondent_key", "respondent"],
        )
        frame = held.rename(columns={"continue_score": "continue"}).merge(
            people, on="respondent_id", how="left", validate="many_to_one"
        )
        return with_parsed_answers(frame[RESPONSES])
