"""The responses an import wrote, held for its figures so they are not read back.

Reading a million rows back cost as much as computing from them. The figures take each row the
import wrote from here (the values it stored) and every other row from the database; cycles
nobody had answered before the import (`fresh_cycles`) hold only written rows and are not read
at all. Only the people's stored key and name are read, since the import may have renamed
someone after writing a row of theirs. The intake's benchmarks use the same fact
(`bot.intake.service._FreshCycleFigures`).
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


class HeldResponses:
    """Every response an import added or changed, in the writer's columns."""

    def __init__(self) -> None:
        self.fresh_cycles: set[int] = set()
        self._parts: list[pd.DataFrame] = []
        self._people = pd.DataFrame(columns=["respondent_id", "respondent_key", "respondent"])

    def add(self, rows: pd.DataFrame, fresh_cycles: Iterable[int]) -> None:
        """Keep a chunk's written rows; `fresh_cycles` had no responses before the import."""
        self.fresh_cycles.update(int(cycle_id) for cycle_id in fresh_cycles)
        if len(rows):
            self._parts.append(rows.loc[:, list(HELD)].copy())

    def _rows(self) -> pd.DataFrame:
        if len(self._parts) != 1:  # once, however many batches of accounts ask
            parts = self._parts or [pd.DataFrame(columns=list(HELD))]
            self._parts = [pd.concat(parts, ignore_index=True)]
        return self._parts[0]

    def without_held(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame`'s rows (read from the database) but those this import wrote."""
        held = self._rows()
        if frame.empty or held.empty:
            return frame
        written = pd.MultiIndex.from_arrays([held["respondent_id"], held["cycle_id"]])
        rows = pd.MultiIndex.from_arrays([frame["respondent_id"], frame["cycle_id"]])
        return frame[~rows.isin(written)]

    def read_people(self, session: Session) -> None:
        """Read the held rows' people as stored now, once the import has written them all:
        after this, `frame` needs no connection."""
        held = self._rows()
        ids = sorted({int(i) for i in held["respondent_id"].unique()})
        self._people = pd.DataFrame(
            fetch_in(session, _PEOPLE, "ids", ids) if ids else [],
            columns=["respondent_id", "respondent_key", "respondent"],
        )

    def frame(self, account_ids: Collection[int]) -> pd.DataFrame:
        """The held rows of these accounts, as `bot.figures.queries.response_frame` reads them
        (`read_people` first)."""
        held = self._rows()
        held = held[held["account_id"].isin(list(account_ids))]
        if held.empty:
            return pd.DataFrame(columns=RESPONSES)
        frame = held.rename(columns={"continue_score": "continue"}).merge(
            self._people, on="respondent_id", how="left", validate="many_to_one"
        )
        return with_parsed_answers(frame[RESPONSES])
