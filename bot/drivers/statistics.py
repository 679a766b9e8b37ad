"""Sufficient statistics for the key drivers: counts, sums and cross-products per answer pattern.

A driver analysis needs, over the complete cases of the attributes that at least half the scope
answered, the means and the covariance matrix of satisfaction and those attributes. Which
attributes qualify depends on the scope, so the statistics are kept per *answer pattern* (the
exact set of attributes a respondent rated): the complete cases of any attribute set are the
patterns that contain it, and their moments restricted to it add up. Performance (the mean of an
attribute over everyone who rated it) comes out of the same rows. Patterns are few in practice
(a survey has a handful of optional questions), so reading them costs the same at 1 k or 10 M
responses. Pure numpy/pandas; the intake feeds it chunks and `queries` stores what it holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.core.lazy import lazy_module
from bot.insights import DEFAULT_SEGMENT

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")

PATTERN_SEPARATOR = "|"
PATTERN_MAX = 1000  # the column's width
RATING_PREFIX = "rating:"


@dataclass
class Moments:
    """n, sums and cross-products of (satisfaction, *attributes) over one group of respondents."""

    attributes: tuple[str, ...]
    n: int
    sums: np.ndarray  # shape (k + 1,): satisfaction first
    cross: np.ndarray  # shape (k + 1, k + 1)

    @property
    def pattern(self) -> str:
        """The key of the answer pattern: the names, or a digest of them if very many."""
        joined = PATTERN_SEPARATOR.join(self.attributes)
        if len(joined) <= PATTERN_MAX:
            return joined
        return "#" + hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()

    def add(self, other: Moments) -> None:
        self.n += other.n
        self.sums = self.sums + other.sums
        self.cross = self.cross + other.cross

    def restricted(self, attributes: Iterable[str]) -> Moments:
        """The same respondents' moments over a subset of the attributes (satisfaction kept)."""
        names = tuple(attributes)
        index = [0, *(1 + self.attributes.index(name) for name in names)]
        return Moments(names, self.n, self.sums[index], self.cross[np.ix_(index, index)])

    def copy(self) -> Moments:
        return Moments(self.attributes, self.n, self.sums.copy(), self.cross.copy())


GroupKey = tuple[int, str, str]  # (cycle id, segment, pattern)


class MomentsBySegment:
    """Moments per (cycle, segment, pattern), added chunk by chunk.

    A chunk is a frame with `cycle_id`, `satisfaction`, `rating:<name>` columns and either a
    `segment` column or an `account_id` that `segment_of` maps to a segment.
    """

    def __init__(self, segment_of: Callable[[int], str | None] | None = None) -> None:
        self._segment_of = segment_of
        self.groups: dict[GroupKey, Moments] = {}

    def add(self, rows: pd.DataFrame) -> None:
        if rows.empty:
            return
        names = sorted(c[len(RATING_PREFIX) :] for c in rows.columns if c.startswith(RATING_PREFIX))
        scores = _scores(rows, names)
        answered = ~np.isnan(scores)
        satisfaction = rows["satisfaction"].to_numpy(dtype=float)
        keys = pd.DataFrame(
            {
                "cycle": rows["cycle_id"].to_numpy(dtype=np.int64),
                "segment": self._segments(rows),
                "mask": _masks(answered),
            }
        )
        for (cycle, segment, mask), positions in keys.groupby(
            ["cycle", "segment", "mask"], sort=False
        ).indices.items():
            columns = [i for i in range(len(names)) if int(mask) >> i & 1]
            block = np.column_stack([satisfaction[positions], scores[np.ix_(positions, columns)]])
            part = Moments(
                tuple(names[i] for i in columns), len(positions), block.sum(axis=0), block.T @ block
            )
            self._add(int(cycle), str(segment), part)

    def _segments(self, rows: pd.DataFrame) -> np.ndarray:
        if "segment" in rows.columns:
            values = rows["segment"].to_numpy(dtype=object)
        else:
            assert self._segment_of is not None, "rows without a segment need segment_of"
            values = np.array([self._segment_of(int(a)) for a in rows["account_id"]], dtype=object)
        return np.array([v or DEFAULT_SEGMENT for v in values], dtype=object)

    def _add(self, cycle: int, segment: str, part: Moments) -> None:
        key = (cycle, segment, part.pattern)
        if key in self.groups:
            self.groups[key].add(part)
        else:
            self.groups[key] = part

    def for_cycles(self, cycle_ids: Iterable[int]) -> dict[GroupKey, Moments]:
        wanted = set(cycle_ids)
        return {key: value for key, value in self.groups.items() if key[0] in wanted}


def all_customers(groups: Mapping[GroupKey, Moments]) -> dict[tuple[int, str], Moments]:
    """Per (cycle, pattern), the sum over segments: the "all customers" scope."""
    totals: dict[tuple[int, str], Moments] = {}
    for (cycle, _segment, pattern), part in groups.items():
        key = (cycle, pattern)
        if key in totals:
            totals[key].add(part)
        else:
            totals[key] = part.copy()
    return totals


def _scores(rows: pd.DataFrame, names: list[str]) -> np.ndarray:
    if not names:
        return np.empty((len(rows), 0))
    return np.column_stack(
        [
            pd.to_numeric(rows[f"{RATING_PREFIX}{n}"], errors="coerce").to_numpy(dtype=float)
            for n in names
        ]
    )


def _masks(answered: np.ndarray) -> np.ndarray:
    """One integer per row: bit i set when attribute i (sorted by name) was rated."""
    if answered.shape[1] == 0:
        return np.zeros(len(answered), dtype=np.int64)
    if answered.shape[1] > 62:
        raise ValueError("more than 62 rated attributes in one file")
    weights = np.left_shift(np.int64(1), np.arange(answered.shape[1], dtype=np.int64))
    return answered.astype(np.int64) @ weights
