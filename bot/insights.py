"""Voice-of-the-Customer metrics as pure pandas/numpy functions.

Everything here follows "Definitions used in every report" in `docs/data-formats.md`.
No database, no Slack, no I/O: callers load responses into a DataFrame, these functions turn
them into figures, and the report layers decide how to say them. Keeping the arithmetic in one
place is what makes an account's numbers and its benchmarks comparable, and is why this module
stays one file past 600 lines: splitting the definitions would let them drift apart.

Input frames have one row per person per cycle with the columns `respondent_key`, `respondent`,
`title`, `role`, `satisfaction` (0–10, always present), `recommend` and `continue` (0–10 or NaN
for "not answered"), `comment` and `ratings` (dict attribute -> score, possibly empty); frames
covering several accounts also carry `account_id`, `segment` and `cycle_id`.

Boundaries for non-integer scores (an averaged interview score such as 6.5 can occur):
- NPS: promoter >= 9, detractor <= 6, everything strictly between (6.5, 8.5) is a passive. That
  is the published 0–6 / 7–8 / 9–10 rule for integers, and it never calls someone a detractor
  for a score above 6.
- Satisfaction band: totally satisfied >= 9, satisfied >= 7, dissatisfied below 7 (so 6.5 is
  dissatisfied). The band uses the same ">= 7 is positive" threshold as the loyalty matrix, so a
  person is never "satisfied" in one table and "attitude negative" for satisfaction in another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.core.lazy import lazy_module

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")

PROMOTER_MIN = 9.0
DETRACTOR_MAX = 6.0
TOTALLY_SATISFIED_MIN = 9.0
SATISFIED_MIN = 7.0
LOYALTY_POSITIVE_MIN = 7.0
SCORE_MIN = 0.0
SCORE_MAX = 10.0

TOTALLY_SATISFIED = "totally_satisfied"
SATISFIED = "satisfied"
DISSATISFIED = "dissatisfied"
# Worst first: the order an account manager reads the people table in.
BAND_ORDER: tuple[str, ...] = (DISSATISFIED, SATISFIED, TOTALLY_SATISFIED)

TRULY_LOYAL = "truly_loyal"
ACCESSIBLE = "accessible"
TRAPPED = "trapped"
HIGH_RISK = "high_risk"
UNKNOWN = "unknown"

# Spec default segment name; a response without one still counts in the "all" benchmark.
DEFAULT_SEGMENT = "Unsegmented"

# Adjusted Wald (Agresti–Caffo style) for NPS: add 3 to n and 3/4 to promoters and detractors.
_WALD_N_ADD = 3.0
_WALD_COUNT_ADD = 0.75

BENCHMARK_COLUMNS: tuple[str, ...] = (
    "cycle_id",
    "scope",
    "segment",
    "respondents",
    "promoters",
    "detractors",
    "recommend_answered",
    "satisfaction_sum",
    "satisfaction_mean",
    "nps",
    "attribute_means",
)
_COUNT_COLUMNS = ["respondents", "promoters", "detractors", "recommend_answered"]


# --------------------------------------------------------------------------------------------
# NPS


@dataclass(frozen=True)
class NpsCounts:
    """Promoter/passive/detractor counts over the people who answered recommend.

    Counts rather than a bare score are kept because the significance test and the benchmarks
    both need them, and a percentage alone hides how few people it rests on.
    """

    promoters: int
    passives: int
    detractors: int
    answered: int

    @property
    def nps(self) -> float | None:
        """NPS in percentage points (−100..100), unrounded; None when nobody answered.

        None rather than 0 because "no answers" and "as many promoters as detractors" must not
        look the same in a report.
        """
        if self.answered == 0:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.answered


def _as_float_array(values: pd.Series | np.ndarray) -> np.ndarray:
    """Float view of a score column with NaN for "not answered" (None/pd.NA included)."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values, dtype=float)


def _check_range(values: np.ndarray, what: str) -> None:
    """Reject scores outside 0–10: the importer should have, and a silent 11 skews every figure."""
    answered = values[~np.isnan(values)]
    bad = answered[(answered < SCORE_MIN) | (answered > SCORE_MAX)]
    if bad.size:
        raise ValueError(f"{what}: {bad.size} value(s) outside 0–10, e.g. {bad[0]:g}")


def _recommend_classes(recommend: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean (promoter, detractor, answered) arrays; the single NPS classification rule.

    NaN compares False, so unanswered rows are neither promoters nor detractors.
    """
    answered = ~np.isnan(recommend)
    return recommend >= PROMOTER_MIN, recommend <= DETRACTOR_MAX, answered


def nps_counts(recommend: pd.Series) -> NpsCounts:
    """Count promoters (>= 9), passives and detractors (<= 6), ignoring unanswered (NaN) rows.

    Non-integer scores strictly between 6 and 9 are passives (see module docstring).
    """
    values = _as_float_array(recommend)
    _check_range(values, "recommend")
    promoter, detractor, answered = _recommend_classes(values)
    n_answered = int(answered.sum())
    n_promoters = int(promoter.sum())
    n_detractors = int(detractor.sum())
    return NpsCounts(
        promoters=n_promoters,
        passives=n_answered - n_promoters - n_detractors,
        detractors=n_detractors,
        answered=n_answered,
    )


def _adjusted_nps_and_variance(counts: NpsCounts) -> tuple[float, float]:
    """Adjusted-Wald NPS (as a proportion, −1..1) and its variance for one sample."""
    n = counts.answered + _WALD_N_ADD
    p_promoter = (counts.promoters + _WALD_COUNT_ADD) / n
    p_detractor = (counts.detractors + _WALD_COUNT_ADD) / n
    nps = p_promoter - p_detractor
    variance = (p_promoter + p_detractor - nps**2) / n
    return nps, variance


def nps_change_z(previous: NpsCounts, current: NpsCounts) -> float | None:
    """z statistic of the adjusted-Wald two-sample test for a change in NPS.

    Exposed separately from the yes/no answer so a report (or a test) can show how far from
    significance a change is. None when either cycle has no recommend answers: there is nothing
    to compare, and the +3/+¾ adjustment alone must not manufacture a result.
    The adjusted variance is always > 0 (both adjusted proportions are positive), so no zero
    division is possible.
    """
    if previous.answered == 0 or current.answered == 0:
        return None
    nps_prev, var_prev = _adjusted_nps_and_variance(previous)
    nps_cur, var_cur = _adjusted_nps_and_variance(current)
    return (nps_cur - nps_prev) / math.sqrt(var_prev + var_cur)


def nps_change_significant(
    previous: NpsCounts, current: NpsCounts, confidence: float = 0.95
) -> bool | None:
    """Whether the NPS change between two cycles is significant (two-sided, adjusted Wald).

    Small B2B samples rarely pass; the report says "not significant" instead of over-claiming a
    trend. None when either side has no recommend answers.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    z = nps_change_z(previous, current)
    if z is None:
        return None
    return abs(z) > _critical_z(confidence)


@lru_cache(maxsize=8)
def _critical_z(confidence: float) -> float:
    """The two-sided critical value: the same few confidences are asked for every account."""
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


# --------------------------------------------------------------------------------------------
# Satisfaction bands and loyalty


def satisfaction_band(value: float) -> str:
    """Band of one satisfaction score: >= 9 totally satisfied, >= 7 satisfied, else dissatisfied.

    Raises on NaN or out-of-range scores: satisfaction is required, so a missing one is a data
    bug, and quietly calling that person "dissatisfied" would send an account manager on a
    needless call.
    """
    score = float(value)
    if math.isnan(score) or not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"satisfaction must be a number 0–10, got {value!r}")
    if score >= TOTALLY_SATISFIED_MIN:
        return TOTALLY_SATISFIED
    if score >= SATISFIED_MIN:
        return SATISFIED
    return DISSATISFIED


def bands(series: pd.Series) -> pd.Series:
    """Vectorised `satisfaction_band` over a column, same index, named "band"."""
    values = _as_float_array(series)
    if np.isnan(values).any():
        raise ValueError("satisfaction is missing for some respondents; bands need a score")
    _check_range(values, "satisfaction")
    labels = np.select(
        [values >= TOTALLY_SATISFIED_MIN, values >= SATISFIED_MIN],
        [TOTALLY_SATISFIED, SATISFIED],
        default=DISSATISFIED,
    )
    return pd.Series(labels, index=series.index, name="band", dtype=object)


def loyalty_segments(
    satisfaction: pd.Series, recommend: pd.Series, continue_: pd.Series
) -> pd.Series:
    """Walker-style loyalty segment per person (the spec's documented approximation).

    Attitude is positive when satisfaction >= 7 and recommend, if answered, >= 7; behaviour is
    positive when continue >= 7. Both: truly_loyal; attitude only: accessible; behaviour only:
    trapped; neither: high_risk. Without a continue answer the behaviour is unknown, so the
    segment is "unknown" rather than a guess. The three Series must be aligned row for row;
    the result carries the index of `satisfaction` and is named "loyalty".
    """
    sat = _as_float_array(satisfaction)
    rec = _as_float_array(recommend)
    cont = _as_float_array(continue_)
    if not len(sat) == len(rec) == len(cont):
        raise ValueError("satisfaction, recommend and continue must have the same length")
    attitude = (sat >= LOYALTY_POSITIVE_MIN) & (np.isnan(rec) | (rec >= LOYALTY_POSITIVE_MIN))
    behaviour = cont >= LOYALTY_POSITIVE_MIN
    labels = np.select(
        [np.isnan(cont), attitude & behaviour, attitude, behaviour],
        [UNKNOWN, TRULY_LOYAL, ACCESSIBLE, TRAPPED],
        default=HIGH_RISK,
    )
    return pd.Series(labels, index=satisfaction.index, name="loyalty", dtype=object)


# --------------------------------------------------------------------------------------------
# Attribute ratings


def _flatten_ratings(ratings: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long form of a column of rating dicts: (row position, attribute, score), NaN scores dropped.

    Built with C-level iterators (map/chain/fromiter) rather than a DataFrame of dicts, which
    is ~3x slower at a million rows. Missing cells (None/NaN) count as "rated nothing".
    """
    cells = ratings.tolist()
    for position in np.flatnonzero(ratings.isna().to_numpy()):
        cells[position] = {}
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    total = int(lengths.sum())
    attributes = np.fromiter(chain.from_iterable(cells), dtype=object, count=total)
    scores = np.fromiter(chain.from_iterable(map(dict.values, cells)), dtype=float, count=total)
    positions = np.repeat(np.arange(len(cells)), lengths)
    keep = ~np.isnan(scores)
    return positions[keep], attributes[keep], scores[keep]


def _ratings_column(frame: pd.DataFrame) -> pd.Series:
    if "ratings" in frame.columns:
        return frame["ratings"]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _means_dict(
    attributes: pd.Index | np.ndarray, sums: np.ndarray, counts: np.ndarray
) -> dict[str, float]:
    """{attribute: mean} over attributes somebody rated, keys in alphabetical order."""
    return {
        str(name): float(total / count)
        for name, total, count in sorted(zip(attributes, sums, counts, strict=True))
        if count > 0
    }


# --------------------------------------------------------------------------------------------
# Per-cycle figures and benchmarks


@dataclass(frozen=True)
class CycleFigures:
    """The headline figures of one set of responses (usually one account, one cycle).

    Sums and counts travel with the derived means so they can be compared with, or added to,
    benchmark rows computed the same way.
    """

    respondents: int
    nps: float | None
    satisfaction_mean: float | None
    promoters: int
    detractors: int
    recommend_answered: int
    satisfaction_sum: float
    attribute_means: dict[str, float] = field(default_factory=dict)


def cycle_figures(frame: pd.DataFrame) -> CycleFigures:
    """Figures for the given responses, each row counted once.

    satisfaction_mean is None for an empty frame; nps is None when nobody answered recommend;
    attribute means are over the people who rated that attribute.
    """
    if not len(frame):
        return CycleFigures(0, None, None, 0, 0, 0, 0.0, {})
    return figures_by_group(frame.assign(_group=0), ["_group"])[(0,)]


def figures_by_group(
    frame: pd.DataFrame, keys: Sequence[str]
) -> dict[tuple[Any, ...], CycleFigures]:
    """`cycle_figures` of every group of rows sharing `keys` (an account in a cycle), in one pass.

    This is what the intake stores per account and cycle when responses arrive, so a report
    reads its figures instead of computing them; keys come back as tuples of Python scalars.
    """
    if not len(frame):
        return {}
    recommend = _as_float_array(frame["recommend"])
    _check_range(recommend, "recommend")
    promoter, detractor, answered = _recommend_classes(recommend)
    per_row = pd.DataFrame(
        {
            **{key: frame[key].to_numpy() for key in keys},
            "respondents": np.ones(len(frame), dtype=np.int64),
            "promoters": promoter.astype(np.int64),
            "detractors": detractor.astype(np.int64),
            "answered": answered.astype(np.int64),
            "satisfaction": np.nan_to_num(_as_float_array(frame["satisfaction"])),
        }
    )
    grouped = per_row.groupby(list(keys), sort=True)
    sums = grouped[["respondents", "promoters", "detractors", "answered", "satisfaction"]].sum()
    group_of_row = grouped.ngroup().to_numpy()
    means = _attribute_means_by_group(_ratings_column(frame), group_of_row)
    result = {}
    for position, (key, row) in enumerate(
        zip(sums.index, sums.itertuples(index=False), strict=True)
    ):
        counts = NpsCounts(int(row.promoters), 0, int(row.detractors), int(row.answered))
        respondents = int(row.respondents)
        result[_key_tuple(key)] = CycleFigures(
            respondents=respondents,
            nps=counts.nps,
            satisfaction_mean=float(row.satisfaction) / respondents,
            promoters=counts.promoters,
            detractors=counts.detractors,
            recommend_answered=counts.answered,
            satisfaction_sum=float(row.satisfaction),
            attribute_means=means.get(position, {}),
        )
    return result


def _key_tuple(key: Any) -> tuple[Any, ...]:
    values = key if isinstance(key, tuple) else (key,)
    return tuple(value.item() if isinstance(value, np.generic) else value for value in values)


def _attribute_means_by_group(
    ratings: pd.Series, group_of_row: np.ndarray
) -> dict[int, dict[str, float]]:
    """{group position: {attribute: mean}} over the people of each group who rated it."""
    positions, attributes, scores = _flatten_ratings(ratings)
    if not scores.size:
        return {}
    long = pd.DataFrame(
        {"group": group_of_row[positions], "attribute": attributes, "score": scores}
    )
    per_attribute = long.groupby(["group", "attribute"], sort=True)["score"].agg(["sum", "count"])
    result: dict[int, dict[str, float]] = {}
    for group, attribute, total, count in zip(
        per_attribute.index.get_level_values("group").tolist(),
        per_attribute.index.get_level_values("attribute").tolist(),
        per_attribute["sum"].tolist(),
        per_attribute["count"].tolist(),
        strict=True,
    ):  # sorted by group, then attribute: each group's means come out in alphabetical order
        if count > 0:
            result.setdefault(int(group), {})[str(attribute)] = float(total / count)
    return result


def headline_by_cycle(frame: pd.DataFrame) -> dict[Any, tuple[float | None, float | None]]:
    """NPS and mean satisfaction per `cycle_id`: the trend of one account.

    The same figures as `cycle_figures` per cycle (`figures_by_group`), reduced to the two a
    trend chart draws.
    """
    return {
        key[0]: (figures.nps, figures.satisfaction_mean)
        for key, figures in figures_by_group(frame, ["cycle_id"]).items()
    }


def _empty_benchmark_rows() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in BENCHMARK_COLUMNS})


def benchmark_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Benchmark figures per cycle, for each segment (scope "segment") and all customers ("all").

    One row per (cycle_id, scope, segment); the "all" row has segment "". Every response is
    counted once (pooled over respondents, not an average of account scores), which is what the
    spec means by "every respondent counted once". Responses without a segment are counted under
    "Unsegmented" so they are never silently dropped from the "all" figures.

    Per-row indicators are summed with one groupby on (cycle_id, segment); the "all" rows are
    the sums of their segment rows (counts and sums add up exactly), so the big frame is grouped
    once. Attribute ratings are flattened to long form and grouped the same way.

    Columns: see BENCHMARK_COLUMNS. Counts are int64 and satisfaction_sum/mean float64; `nps`
    is an object column holding a float or None (nobody answered recommend) so rows can be
    written to the database as they are: a float NaN would be stored as a number by Postgres.
    Rows are sorted by cycle_id, then the "all" row, then segments alphabetically.
    """
    if frame.empty:
        return _empty_benchmark_rows()

    recommend = _as_float_array(frame["recommend"])
    _check_range(recommend, "recommend")
    promoter, detractor, answered = _recommend_classes(recommend)
    segment = frame["segment"].astype(object).where(frame["segment"].notna(), DEFAULT_SEGMENT)
    per_row = pd.DataFrame(
        {
            "cycle_id": frame["cycle_id"].to_numpy(),
            "segment": segment.astype(str).to_numpy(),
            "respondents": np.ones(len(frame), dtype=np.int64),
            "promoters": promoter.astype(np.int64),
            "detractors": detractor.astype(np.int64),
            "recommend_answered": answered.astype(np.int64),
            "satisfaction_sum": _as_float_array(frame["satisfaction"]),
        }
    )
    grouped = per_row.groupby(["cycle_id", "segment"], sort=True)
    by_segment = grouped[[*_COUNT_COLUMNS, "satisfaction_sum"]].sum()
    group_of_row = grouped.ngroup().to_numpy()

    # Attribute sums/counts per (group, attribute), then per (cycle, attribute) for "all".
    # Attribute names are factorised once so the big grouping is on integers, not strings.
    positions, attributes, scores = _flatten_ratings(_ratings_column(frame))
    attribute_codes, attribute_names = pd.factorize(attributes)
    long = pd.DataFrame(
        {"group": group_of_row[positions], "attribute": attribute_codes, "score": scores}
    )
    attr_by_segment = long.groupby(["group", "attribute"], sort=False)["score"].agg(
        ["sum", "count"]
    )
    group_keys = by_segment.index.to_frame(index=False)
    attr_by_segment = attr_by_segment.join(group_keys, on="group")
    attr_by_cycle = attr_by_segment.groupby(["cycle_id", "attribute"], sort=False)[
        ["sum", "count"]
    ].sum()

    def means_by(table: pd.DataFrame, level: str) -> dict[Any, dict[str, float]]:
        # One dict per group (cycles × segments), not per response row.
        return {
            key: _means_dict(
                attribute_names[part.index.get_level_values("attribute")],
                part["sum"].to_numpy(),
                part["count"].to_numpy(),
            )
            for key, part in table.groupby(level=level, sort=False)
        }

    segment_means = means_by(attr_by_segment, "group")
    cycle_means = means_by(attr_by_cycle, "cycle_id")

    segment_rows = by_segment.reset_index()
    segment_rows.insert(1, "scope", "segment")
    segment_rows["attribute_means"] = [
        segment_means.get(group, {}) for group in range(len(segment_rows))
    ]

    all_rows = by_segment.groupby(level="cycle_id", sort=True).sum().reset_index()
    all_rows.insert(1, "scope", "all")
    all_rows.insert(2, "segment", "")
    all_rows["attribute_means"] = [cycle_means.get(cycle, {}) for cycle in all_rows["cycle_id"]]

    rows = pd.concat([all_rows, segment_rows], ignore_index=True)
    # Stable sort keeps "all" ahead of its cycle's segments, which are already alphabetical.
    rows = rows.sort_values("cycle_id", kind="stable", ignore_index=True)
    rows["satisfaction_mean"] = rows["satisfaction_sum"] / rows["respondents"]
    answered_rows = rows["recommend_answered"].to_numpy()
    nps = 100.0 * (rows["promoters"] - rows["detractors"]).to_numpy() / np.maximum(answered_rows, 1)
    rows["nps"] = pd.Series(
        [float(value) if n else None for value, n in zip(nps, answered_rows, strict=True)],
        dtype=object,
    )
    rows["segment"] = rows["segment"].astype(object)
    rows["scope"] = rows["scope"].astype(object)
    return rows[list(BENCHMARK_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Attribute gaps


@dataclass(frozen=True)
class AttributeGap:
    """An attribute where the account scores against its segment; gap = account − segment."""

    attribute: str
    account_mean: float
    segment_mean: float
    gap: float


def weakest_attributes(
    account_attribute_means: dict[str, float],
    segment_attribute_means: dict[str, float],
    limit: int = 3,
) -> list[AttributeGap]:
    """The account's attributes that trail the segment most, most negative gap first.

    Only attributes the account was rated on are considered; an attribute the segment has no
    mean for (or a NaN mean) has no gap and is skipped rather than compared with nothing.
    Attributes above the segment can still appear if there are fewer weak ones than `limit`:
    "relatively weakest" is what the review needs. Ties go to the lower account score, then name.
    """
    if limit <= 0:
        return []
    gaps = [
        AttributeGap(
            attribute=name,
            account_mean=float(account_mean),
            segment_mean=float(segment_attribute_means[name]),
            gap=float(account_mean) - float(segment_attribute_means[name]),
        )
        for name, account_mean in account_attribute_means.items()
        if name in segment_attribute_means
        and not math.isnan(float(account_mean))
        and not math.isnan(float(segment_attribute_means[name]))
    ]
    gaps.sort(key=lambda item: (item.gap, item.account_mean, item.attribute))
    return gaps[:limit]


# --------------------------------------------------------------------------------------------
# People


def people_table(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Responses with `band` and `loyalty` columns, ordered for the account manager's calls.

    Order: people both dissatisfied and high_risk first, then those who are either one, then
    everyone else; within each tier lowest satisfaction first, then name (case-insensitive).
    With `by` (say account and cycle) the rows are grouped by those columns first and each group
    is ordered as it would be alone. The input frame is not modified; the result has a fresh
    0..n-1 index.
    """
    table = frame.assign(
        band=bands(frame["satisfaction"]),
        loyalty=loyalty_segments(frame["satisfaction"], frame["recommend"], frame["continue"]),
    )
    needs_call = (table["band"] == DISSATISFIED).astype(int) + (
        table["loyalty"] == HIGH_RISK
    ).astype(int)
    order = pd.DataFrame(
        {
            **{f"by:{key}": table[key].to_numpy() for key in by},
            "tier": -needs_call.to_numpy(),
            "satisfaction": _as_float_array(table["satisfaction"]),
            "name": table["respondent"].astype(str).str.casefold().to_numpy(),
        }
    )
    columns = [*(f"by:{key}" for key in by), "tier", "satisfaction", "name"]
    positions = order.sort_values(columns, kind="stable").index
    return table.iloc[positions].reset_index(drop=True)


@dataclass(frozen=True)
class BandMove:
    """A person whose satisfaction band changed between two cycles."""

    respondent_key: str
    respondent: str
    from_band: str
    to_band: str


def _unique_keys(
    frame: pd.DataFrame, which: str, by: Sequence[str] = (), key: str = "respondent_key"
) -> None:
    """Cycle comparisons match people by key; duplicates mean frames of several accounts."""
    duplicated = frame[key][frame.duplicated([*by, key])]
    if not duplicated.empty:
        raise ValueError(
            f"{which} frame has duplicate {key} {duplicated.iloc[0]!r}; "
            "compare one account's cycles at a time"
        )


def band_moves(previous_frame: pd.DataFrame, current_frame: pd.DataFrame) -> list[BandMove]:
    """People in both cycles whose satisfaction band changed, moves down first.

    Downward moves come first because they are the ones to act on; within a direction, by name.
    The name shown is the current one (people's names get corrected between cycles).
    """
    moves = band_moves_by_group(
        previous_frame.assign(_group=0), current_frame.assign(_group=0), "_group"
    )
    return moves.get(0, [])


_MOVE_FIELDS = ("respondent_key", "respondent", "from_band", "to_band")


def band_moves_by_group(
    previous_frame: pd.DataFrame,
    current_frame: pd.DataFrame,
    group: str,
    key: str = "respondent_key",
) -> dict[Any, list[BandMove]]:
    """`band_moves` of many pairs of cycles at once, each pair named by the column `group`
    (the same value in the pair's previous and current rows). People are matched by `key`
    (any column naming them within an account: integer ids match fastest); each move names
    them by their `respondent_key`."""
    rows = band_move_rows_by_group(previous_frame, current_frame, group, key)
    return {pair: [BandMove(*move) for move in moves] for pair, moves in rows.items()}


BandMoveRow = tuple[str, str, str, str]
"""A band move's fields in `BandMove`'s order: what the stored figures keep of each."""


def band_move_rows_by_group(
    previous_frame: pd.DataFrame,
    current_frame: pd.DataFrame,
    group: str,
    key: str = "respondent_key",
) -> dict[Any, list[BandMoveRow]]:
    """`band_moves_by_group` with each move as its fields: a big import stores tens of
    thousands, and building an object for each only to take it apart again cost a third."""
    _unique_keys(previous_frame, "previous", [group], key)
    _unique_keys(current_frame, "current", [group], key)
    previous = pd.DataFrame(
        {
            "group": previous_frame[group].to_numpy(),
            "_match": previous_frame[key].to_numpy(),
            "from_band": bands(previous_frame["satisfaction"]).to_numpy(),
        }
    )
    current = pd.DataFrame(
        {
            "group": current_frame[group].to_numpy(),
            "_match": current_frame[key].to_numpy(),
            "respondent_key": current_frame["respondent_key"].astype(str).to_numpy(),
            "respondent": current_frame["respondent"].astype(str).to_numpy(),
            "to_band": bands(current_frame["satisfaction"]).to_numpy(),
        }
    )
    both = previous.merge(current, on=["group", "_match"], how="inner")
    moved = both[both["from_band"] != both["to_band"]].copy()
    rank = {band: position for position, band in enumerate(BAND_ORDER)}
    moved["up"] = moved["to_band"].map(rank) > moved["from_band"].map(rank)
    moved["name"] = moved["respondent"].str.casefold()
    moved = moved.sort_values(["group", "up", "name", "respondent_key"], kind="stable")
    fields = zip(*(moved[column].tolist() for column in _MOVE_FIELDS), strict=True)
    result: dict[Any, list[BandMoveRow]] = {}
    for pair, move in zip(moved["group"].tolist(), fields, strict=True):
        result.setdefault(pair, []).append(move)
    return result


def missing_respondents(previous_frame: pd.DataFrame, current_frame: pd.DataFrame) -> list[str]:
    """Names of people who answered last cycle but not this one, sorted case-insensitively.

    Matched by respondent_key (email, or name when there is none), so a renamed person who kept
    their email is not reported missing. Silence from someone who answered before is itself a
    signal worth a call.
    """
    missing = missing_by_group(
        previous_frame.assign(_group=0), current_frame.assign(_group=0), "_group"
    )
    return missing.get(0, [])


def missing_by_group(
    previous_frame: pd.DataFrame,
    current_frame: pd.DataFrame,
    group: str,
    key: str = "respondent_key",
) -> dict[Any, list[str]]:
    """`missing_respondents` of many pairs of cycles at once, each named by the column `group`,
    people matched by `key`."""
    asked = pd.DataFrame(
        {
            "group": previous_frame[group].to_numpy(),
            "_match": previous_frame[key].to_numpy(),
            "respondent": previous_frame["respondent"].astype(str).to_numpy(),
        }
    )
    answered = pd.DataFrame(
        {
            "group": current_frame[group].to_numpy(),
            "_match": current_frame[key].to_numpy(),
        }
    ).drop_duplicates()
    both = asked.merge(answered, on=["group", "_match"], how="left", indicator=True)
    gone = both.loc[both["_merge"] == "left_only", ["group", "respondent"]].drop_duplicates()
    gone = gone.assign(name=gone["respondent"].str.casefold())
    gone = gone.sort_values(["group", "name", "respondent"], kind="stable")
    result: dict[Any, list[str]] = {}
    for key, name in zip(gone["group"].tolist(), gone["respondent"].tolist(), strict=True):
        result.setdefault(key, []).append(name)
    return result
