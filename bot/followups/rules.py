"""Who gets a follow-up, when its first contact is due, and what the closed-loop figures are.

Pure decisions on plain data, so the million-row import and a test of three people run the
same arithmetic. The reasons are computed on whole columns at once: a per-person Python loop
would cost more than writing the responses did.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from bot.core.clock import add_working_hours, working_hours_between
from bot.insights import DETRACTOR_MAX, HIGH_RISK, loyalty_segments

CONTACT_METHODS = ("call", "meeting", "email")
REASONS = ("dissatisfied", "detractor", "high_risk", "dropped", "asked", "silent")
STATUSES = ("open", "contacted", "closed", "not_needed")
DISSATISFIED_MAX = 6.0
DROP_POINTS = 2.0
DECISION_MAKER = "decision_maker"
HOURS_PER_WORKING_DAY = 24


@dataclass(frozen=True)
class FollowupPolicy:
    """How long the owner has for the first contact, and on whose calendar it is counted.

    The owner's own Slack timezone is not known while a file is imported (there may be no
    Slack at all), so the workspace's `VOC_TIMEZONE` stands in for it.
    """

    sla_days: int = 2
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # Whether the import owes the account channels a message (the real import paths), and
    # whether an account whose import opened nothing still hears its headline.
    announce: bool = False
    announce_headlines: bool = False

    def due_at(self, opened_at: datetime) -> datetime:
        """`sla_days` working days later: weekends do not eat into the owner's time."""
        return add_working_hours(opened_at, self.sla_days * HOURS_PER_WORKING_DAY, self.tz)


def answer_reasons(current: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame:
    """The reasons each latest-cycle answer gives, as one bit per reason.

    `current` has respondent_id, satisfaction, recommend, continue_score; `earlier` has
    respondent_id and the satisfaction of that person's previous answer (at most one row each).
    Returns respondent_id and `bits` (a reason's bit is 1 << its position in REASONS).
    """
    satisfaction = current["satisfaction"].to_numpy(dtype=float, na_value=np.nan)
    recommend = current["recommend"].to_numpy(dtype=float, na_value=np.nan)
    loyalty = loyalty_segments(
        current["satisfaction"], current["recommend"], current["continue_score"]
    ).to_numpy()
    previous = (
        current[["respondent_id"]]
        .merge(earlier[["respondent_id", "satisfaction"]], on="respondent_id", how="left")[
            "satisfaction"
        ]
        .to_numpy(dtype=float, na_value=np.nan)
    )
    with np.errstate(invalid="ignore"):
        holds = {
            "dissatisfied": satisfaction <= DISSATISFIED_MAX,
            "detractor": recommend <= DETRACTOR_MAX,
            "high_risk": loyalty == HIGH_RISK,
            "dropped": previous - satisfaction >= DROP_POINTS,
        }
    bits = np.zeros(len(current), dtype=np.int64)
    for name, mask in holds.items():
        bits |= np.where(mask, _bit(name), 0)
    return pd.DataFrame({"respondent_id": current["respondent_id"].to_numpy(), "bits": bits})


def previous_answers(history: pd.DataFrame, rank: dict[int, int]) -> pd.DataFrame:
    """Each person's most recent earlier answer, from all their answers before the latest cycle.

    `history` has respondent_id, cycle_id, satisfaction; `rank` orders cycles oldest first.
    """
    if history.empty:
        return pd.DataFrame({"respondent_id": [], "satisfaction": []})
    ordered = history.assign(rank=history["cycle_id"].map(rank)).sort_values("rank")
    return ordered.drop_duplicates("respondent_id", keep="last")[["respondent_id", "satisfaction"]]


def combine_reasons(*parts: pd.DataFrame) -> pd.DataFrame:
    """One row per person holding every reason found for them; people without any are dropped."""
    frames = [part[["respondent_id", "bits"]].drop_duplicates() for part in parts if len(part)]
    if not frames:
        return pd.DataFrame({"respondent_id": [], "reasons": []})
    # Each part holds a person once and parts hold different reasons: a sum is their union,
    # and pandas sums groups in C where a bitwise reduce would call Python once per person.
    merged = pd.concat(frames).groupby("respondent_id", sort=True)["bits"].sum()
    merged = merged[merged > 0]
    names = {code: reasons_of(int(code)) for code in merged.unique()}
    return pd.DataFrame(
        {"respondent_id": merged.index.to_numpy(), "reasons": [names[c] for c in merged]}
    )


def flagged(respondent_ids: Iterable[int], reason: str) -> pd.DataFrame:
    """The same reason for each of these people (`asked`, `silent`)."""
    ids = np.fromiter((int(i) for i in respondent_ids), dtype=np.int64)
    return pd.DataFrame({"respondent_id": ids, "bits": np.full(len(ids), _bit(reason))})


def reasons_of(bits: int) -> list[str]:
    """The reason names of a bit set, always in the order of REASONS."""
    return [name for name in REASONS if bits & _bit(name)]


def _bit(reason: str) -> int:
    return 1 << REASONS.index(reason)


# --- the closed-loop figures --------------------------------------------------------------


@dataclass(frozen=True)
class LoopRow:
    account: str
    status: str
    opened_at: datetime
    due_at: datetime
    contacted_at: datetime | None


@dataclass(frozen=True)
class LoopFigures:
    followups: int
    contacted: int
    contacted_within_sla: int
    share_within_sla: float | None
    median_working_hours_to_contact: float | None
    open_past_sla: int


def loop_figures(rows: Sequence[LoopRow], now: datetime, tz: tzinfo) -> LoopFigures:
    """The figures of `voc loop` for these follow-ups.

    A follow-up settled as not needed without any contact asked nothing of its owner, so it is
    left out of the share's denominator; it is still counted among the follow-ups.
    """
    contacted = [row for row in rows if row.contacted_at is not None]
    within = sum(1 for row in contacted if row.contacted_at <= row.due_at)  # type: ignore[operator]
    owed = sum(1 for row in rows if not (row.status == "not_needed" and row.contacted_at is None))
    hours = [working_hours_between(r.opened_at, r.contacted_at, tz) for r in contacted]  # type: ignore[arg-type]
    return LoopFigures(
        followups=len(rows),
        contacted=len(contacted),
        contacted_within_sla=within,
        share_within_sla=round(within / owed, 3) if owed else None,
        median_working_hours_to_contact=round(statistics.median(hours), 1) if hours else None,
        open_past_sla=sum(1 for row in rows if row.status == "open" and row.due_at < now),
    )


# --- moving a follow-up on ----------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """The fields a state change sets; None leaves a field as it was unless named in `clear`."""

    status: str
    contacted_at: datetime | None = None
    closed_at: datetime | None = None
    clear: tuple[str, ...] = ()


def move_to(
    target: str, *, current: str, contacted_at: datetime | None, now: datetime
) -> Move | None:
    """What changes when a follow-up moves to `target`; None when it is there already.

    Closing straight from open means the loop was closed in the contact itself, so the first
    contact is recorded then too. Moving back from closed or not needed reopens it: the
    closing time goes, the first contact, which did happen, stays.
    """
    if target == current:
        return None
    first_contact = now if contacted_at is None else None
    if target == "contacted":
        return Move("contacted", contacted_at=first_contact, clear=("closed_at",))
    if target == "closed":
        return Move("closed", contacted_at=first_contact, closed_at=now)
    if target == "not_needed":
        return Move("not_needed", closed_at=now)
    raise ValueError(f"unknown follow-up status {target!r}")
