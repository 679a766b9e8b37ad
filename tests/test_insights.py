"""Tests for bot.insights: every expected figure is worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bot import insights
from bot.insights import (
    AttributeGap,
    BandMove,
    CycleFigures,
    NpsCounts,
    band_moves,
    bands,
    benchmark_rows,
    cycle_figures,
    loyalty_segments,
    missing_respondents,
    nps_change_significant,
    nps_change_z,
    nps_counts,
    people_table,
    satisfaction_band,
    weakest_attributes,
)

NAN = math.nan


def responses(rows: list[dict]) -> pd.DataFrame:
    """A response frame with the standard columns; unspecified fields get neutral defaults."""
    defaults = {
        "title": "",
        "role": "user",
        "recommend": NAN,
        "continue": NAN,
        "comment": None,
        "ratings": {},
    }
    filled = []
    for row in rows:
        merged = {**defaults, **row}
        merged.setdefault("respondent_key", merged["respondent"].lower())
        filled.append(merged)
    return pd.DataFrame(filled)


# ---------------------------------------------------------------------------------------------
# NPS


def test_nps_ignores_unanswered() -> None:
    recommend = pd.Series([10, 9, 9, 8, 6, 0, NAN, NAN])
    counts = nps_counts(recommend)
    # 3 promoters (10, 9, 9), 1 passive (8), 2 detractors (6, 0); the 2 NaN are not counted.
    assert counts == NpsCounts(promoters=3, passives=1, detractors=2, answered=6)
    # (3 − 2) / 6 × 100 = 16.666…
    assert counts.nps == pytest.approx(100 / 6)


def test_nps_none_without_answers() -> None:
    assert nps_counts(pd.Series([NAN, NAN])).nps is None
    assert nps_counts(pd.Series([], dtype=float)) == NpsCounts(0, 0, 0, 0)
    assert nps_counts(pd.Series([], dtype=float)).nps is None


def test_nps_all_detractors_is_minus_100() -> None:
    # 0 promoters, 3 detractors of 3 → (0 − 3)/3 = −100.
    assert nps_counts(pd.Series([0.0, 3.0, 6.0])).nps == pytest.approx(-100.0)


def test_nps_non_integer_scores_between_6_and_9_are_passives() -> None:
    counts = nps_counts(pd.Series([6.0, 6.5, 8.5, 9.0]))
    # 6 → detractor (≤ 6); 6.5 and 8.5 → passive (> 6 and < 9); 9 → promoter.
    assert counts == NpsCounts(promoters=1, passives=2, detractors=1, answered=4)
    # (1 − 1)/4 = 0
    assert counts.nps == pytest.approx(0.0)


def test_nps_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside 0–10"):
        nps_counts(pd.Series([11.0]))


# ---------------------------------------------------------------------------------------------
# Satisfaction bands


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "dissatisfied"),
        (6, "dissatisfied"),
        (6.5, "dissatisfied"),  # below 7 → dissatisfied, same threshold as the loyalty matrix
        (7, "satisfied"),
        (8, "satisfied"),
        (8.5, "satisfied"),
        (9, "totally_satisfied"),
        (10, "totally_satisfied"),
    ],
)
def test_satisfaction_band_boundaries(score: float, band: str) -> None:
    assert satisfaction_band(score) == band
    assert bands(pd.Series([float(score)])).tolist() == [band]


def test_bands_keeps_index_and_matches_scalar() -> None:
    series = pd.Series([6.0, 7.0, 8.0, 9.0, 10.0, 6.5], index=[10, 11, 12, 13, 14, 15])
    result = bands(series)
    assert result.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert result.tolist() == [
        "dissatisfied",
        "satisfied",
        "satisfied",
        "totally_satisfied",
        "totally_satisfied",
        "dissatisfied",
    ]


@pytest.mark.parametrize("bad", [NAN, -1.0, 10.5])
def test_band_rejects_missing_or_out_of_range(bad: float) -> None:
    with pytest.raises(ValueError):
        satisfaction_band(bad)
    with pytest.raises(ValueError):
        bands(pd.Series([8.0, bad]))


# ---------------------------------------------------------------------------------------------
# Loyalty segments


@pytest.mark.parametrize(
    ("satisfaction", "recommend", "continue_", "segment"),
    [
        # attitude: sat ≥ 7 and (rec missing or ≥ 7); behaviour: continue ≥ 7
        (9, 9, 9, "truly_loyal"),  # attitude +, behaviour +
        (7, NAN, 7, "truly_loyal"),  # recommend missing does not block attitude
        (7, 7, 6, "accessible"),  # attitude +, continue 6 < 7
        (9, NAN, 3, "accessible"),  # recommend missing, attitude + only
        (8, 5, 9, "trapped"),  # satisfied but recommend 5 < 7 → attitude −, behaviour +
        (6, 10, 9, "trapped"),  # satisfaction 6 < 7 → attitude −
        (6.5, NAN, 8, "trapped"),  # 6.5 < 7 → attitude −
        (4, 3, 2, "high_risk"),  # both −
        (5, NAN, 6.9, "high_risk"),  # recommend missing, both −
        (10, 10, NAN, "unknown"),  # continue missing
        (2, NAN, NAN, "unknown"),  # continue and recommend missing
    ],
)
def test_loyalty_segment_cases(
    satisfaction: float, recommend: float, continue_: float, segment: str
) -> None:
    result = loyalty_segments(
        pd.Series([float(satisfaction)]),
        pd.Series([float(recommend)]),
        pd.Series([float(continue_)]),
    )
    assert result.tolist() == [segment]


def test_loyalty_segments_vectorised_keeps_index() -> None:
    index = ["a", "b", "c", "d", "e"]
    result = loyalty_segments(
        pd.Series([9.0, 9.0, 3.0, 3.0, 9.0], index=index),
        pd.Series([9.0, 9.0, NAN, 9.0, NAN], index=index),
        pd.Series([9.0, 1.0, 9.0, 1.0, NAN], index=index),
    )
    assert result.index.tolist() == index
    assert result.tolist() == ["truly_loyal", "accessible", "trapped", "high_risk", "unknown"]


def test_loyalty_segments_length_mismatch() -> None:
    with pytest.raises(ValueError):
        loyalty_segments(pd.Series([9.0]), pd.Series([9.0, 9.0]), pd.Series([9.0]))


# ---------------------------------------------------------------------------------------------
# Adjusted-Wald significance of an NPS change


def test_wald_large_swing_is_significant() -> None:
    previous = NpsCounts(promoters=40, passives=0, detractors=0, answered=40)
    current = NpsCounts(promoters=0, passives=0, detractors=40, answered=40)
    # n' = 43 on both sides.
    # previous: p'p = 40.75/43, p'd = 0.75/43, NPS' = 40/43 = 0.930233
    #   var = (41.5/43 − (40/43)²)/43 = (0.965116 − 0.865333)/43 = 0.0023206
    # current: mirror image, NPS' = −0.930233, var = 0.0023206
    # z = (−0.930233 − 0.930233)/sqrt(0.0046411) = −1.860465/0.068126 = −27.31
    assert nps_change_z(previous, current) == pytest.approx(-27.31, abs=0.01)
    assert nps_change_significant(previous, current) is True


def test_wald_small_sample_forty_point_swing_is_not_significant() -> None:
    # previous: 2 promoters, 1 passive, 2 detractors of 5 → NPS 0
    # current:  3 promoters, 1 passive, 1 detractor of 5 → NPS (3 − 1)/5 = 40, a 40-point swing
    previous = NpsCounts(promoters=2, passives=1, detractors=2, answered=5)
    current = NpsCounts(promoters=3, passives=1, detractors=1, answered=5)
    assert previous.nps == pytest.approx(0.0)
    assert current.nps == pytest.approx(40.0)
    # n' = 8.
    # previous: p'p = 2.75/8 = 0.34375, p'd = 0.34375, NPS' = 0, var = (0.6875 − 0)/8 = 0.0859375
    # current:  p'p = 3.75/8 = 0.46875, p'd = 1.75/8 = 0.21875, NPS' = 0.25,
    #           var = (0.6875 − 0.0625)/8 = 0.078125
    # z = 0.25 / sqrt(0.1640625) = 0.25 / 0.405046 = 0.61721 < 1.96
    assert nps_change_z(previous, current) == pytest.approx(0.61721, abs=1e-5)
    assert nps_change_significant(previous, current) is False
    # Two-sided 40% confidence: critical value Φ⁻¹(0.70) = 0.5244 < 0.617 → significant there.
    assert nps_change_significant(previous, current, confidence=0.40) is True


def test_wald_none_without_recommend_answers() -> None:
    empty = NpsCounts(0, 0, 0, 0)
    some = NpsCounts(promoters=3, passives=0, detractors=0, answered=3)
    assert nps_change_significant(empty, some) is None
    assert nps_change_significant(some, empty) is None
    assert nps_change_z(empty, empty) is None


def test_wald_rejects_bad_confidence() -> None:
    some = NpsCounts(promoters=1, passives=0, detractors=0, answered=1)
    with pytest.raises(ValueError):
        nps_change_significant(some, some, confidence=95)


# ---------------------------------------------------------------------------------------------
# Cycle figures and benchmarks


def test_cycle_figures() -> None:
    frame = responses(
        [
            {
                "respondent": "Ann",
                "satisfaction": 9.0,
                "recommend": 10.0,
                "ratings": {"support": 8.0},
            },
            {"respondent": "Ben", "satisfaction": 6.0, "recommend": 4.0, "ratings": {}},
            {
                "respondent": "Cy",
                "satisfaction": 8.0,
                "recommend": NAN,
                "ratings": {"support": 5.0, "pricing": 7.0},
            },
            {"respondent": "Di", "satisfaction": 10.0, "recommend": 9.0, "ratings": None},
        ]
    )
    figures = cycle_figures(frame)
    # satisfaction 9 + 6 + 8 + 10 = 33 over 4 → 8.25
    # recommend answered 3 (10, 4, 9): 2 promoters, 1 detractor → (2 − 1)/3 = 33.33
    # support (8 + 5)/2 = 6.5; pricing 7/1 = 7
    assert figures == CycleFigures(
        respondents=4,
        nps=pytest.approx(100 / 3),
        satisfaction_mean=pytest.approx(8.25),
        promoters=2,
        detractors=1,
        recommend_answered=3,
        satisfaction_sum=pytest.approx(33.0),
        attribute_means={"pricing": pytest.approx(7.0), "support": pytest.approx(6.5)},
    )


def test_cycle_figures_empty_and_unanswered() -> None:
    empty = cycle_figures(
        responses([]).reindex(columns=["respondent", "satisfaction", "recommend"])
    )
    assert empty.respondents == 0
    assert empty.satisfaction_mean is None
    assert empty.nps is None
    assert empty.attribute_means == {}

    one = cycle_figures(responses([{"respondent": "Ann", "satisfaction": 7.0}]))
    assert one.nps is None  # nobody answered recommend
    assert one.recommend_answered == 0
    assert one.satisfaction_mean == pytest.approx(7.0)


def benchmark_frame() -> pd.DataFrame:
    """Two cycles × two segments, rows deliberately out of order."""
    rows = [
        # cycle 2, SMB
        {"cycle_id": 2, "segment": "SMB", "account_id": 3, "respondent": "Gus",
         "satisfaction": 5.0, "recommend": 6.0, "ratings": {"support": 2.0, "pricing": 3.0}},
        {"cycle_id": 2, "segment": "SMB", "account_id": 4, "respondent": "Hal",
         "satisfaction": 4.0, "recommend": NAN, "ratings": {"support": NAN}},
        # cycle 1, Enterprise
        {"cycle_id": 1, "segment": "Enterprise", "account_id": 1, "respondent": "Ann",
         "satisfaction": 9.0, "recommend": 10.0, "ratings": {"support": 8.0, "pricing": 6.0}},
        {"cycle_id": 1, "segment": "Enterprise", "account_id": 2, "respondent": "Bo",
         "satisfaction": 6.0, "recommend": 3.0, "ratings": {"support": 4.0}},
        # cycle 1, SMB
        {"cycle_id": 1, "segment": "SMB", "account_id": 3, "respondent": "Cy",
         "satisfaction": 8.0, "recommend": 9.0, "ratings": {}},
        {"cycle_id": 1, "segment": "SMB", "account_id": 4, "respondent": "Di",
         "satisfaction": 10.0, "recommend": NAN, "ratings": {"pricing": 9.0}},
        # cycle 2, Enterprise
        {"cycle_id": 2, "segment": "Enterprise", "account_id": 1, "respondent": "Eve",
         "satisfaction": 7.0, "recommend": 9.0, "ratings": {"support": 10.0}},
    ]  # fmt: skip
    return responses(rows)


def test_benchmark_rows_two_segments_two_cycles() -> None:
    rows = benchmark_rows(benchmark_frame())
    assert list(rows.columns) == [
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
    ]
    assert rows[["cycle_id", "scope", "segment"]].values.tolist() == [
        [1, "all", ""],
        [1, "segment", "Enterprise"],
        [1, "segment", "SMB"],
        [2, "all", ""],
        [2, "segment", "Enterprise"],
        [2, "segment", "SMB"],
    ]
    # Worked by hand:
    # c1 Enterprise: Ann 9/10, Bo 6/3 → 2 people, 1 promoter, 1 detractor of 2 answered → NPS 0;
    #   satisfaction 15/2 = 7.5; support (8 + 4)/2 = 6, pricing 6
    # c1 SMB: Cy 8/9, Di 10/– → 1 promoter of 1 answered → NPS 100; satisfaction 18/2 = 9;
    #   pricing 9
    # c1 all: 4 people, 2 promoters, 1 detractor of 3 → (2 − 1)/3 = 33.33; satisfaction 33/4 = 8.25;
    #   support (8 + 4)/2 = 6, pricing (6 + 9)/2 = 7.5
    # c2 Enterprise: Eve 7/9 → NPS 100; satisfaction 7; support 10
    # c2 SMB: Gus 5/6, Hal 4/– → 1 detractor of 1 → −100; satisfaction 9/2 = 4.5;
    #   support 2 (Hal's NaN ignored), pricing 3
    # c2 all: 3 people, 1 promoter, 1 detractor of 2 → 0; satisfaction 16/3 = 5.333;
    #   support (10 + 2)/2 = 6, pricing 3
    expected = [
        # respondents, promoters, detractors, answered, sat sum, sat mean, nps, attribute means
        (4, 2, 1, 3, 33.0, 8.25, 100 / 3, {"pricing": 7.5, "support": 6.0}),
        (2, 1, 1, 2, 15.0, 7.5, 0.0, {"pricing": 6.0, "support": 6.0}),
        (2, 1, 0, 1, 18.0, 9.0, 100.0, {"pricing": 9.0}),
        (3, 1, 1, 2, 16.0, 16 / 3, 0.0, {"pricing": 3.0, "support": 6.0}),
        (1, 1, 0, 1, 7.0, 7.0, 100.0, {"support": 10.0}),
        (2, 0, 1, 1, 9.0, 4.5, -100.0, {"pricing": 3.0, "support": 2.0}),
    ]
    for (_, row), want in zip(rows.iterrows(), expected, strict=True):
        respondents, promoters, detractors, answered, sat_sum, sat_mean, nps, means = want
        assert row["respondents"] == respondents
        assert row["promoters"] == promoters
        assert row["detractors"] == detractors
        assert row["recommend_answered"] == answered
        assert row["satisfaction_sum"] == pytest.approx(sat_sum)
        assert row["satisfaction_mean"] == pytest.approx(sat_mean)
        assert row["nps"] == pytest.approx(nps)
        assert row["attribute_means"] == pytest.approx(means)


def test_benchmark_segment_row_matches_cycle_figures() -> None:
    frame = benchmark_frame()
    rows = benchmark_rows(frame).set_index(["cycle_id", "scope", "segment"])
    subset = frame[(frame["cycle_id"] == 1) & (frame["segment"] == "Enterprise")]
    figures = cycle_figures(subset)
    row = rows.loc[(1, "segment", "Enterprise")]
    assert row["respondents"] == figures.respondents
    assert row["nps"] == pytest.approx(figures.nps)
    assert row["satisfaction_mean"] == pytest.approx(figures.satisfaction_mean)
    assert row["attribute_means"] == pytest.approx(figures.attribute_means)


def test_benchmark_nps_none_and_missing_segment() -> None:
    frame = responses(
        [
            {"cycle_id": 5, "segment": None, "respondent": "Ann", "satisfaction": 8.0},
            {"cycle_id": 5, "segment": "SMB", "respondent": "Bo", "satisfaction": 6.0},
        ]
    )
    rows = benchmark_rows(frame)
    # No recommend answers anywhere → nps None (not NaN, not 0) on every row.
    assert rows["nps"].tolist() == [None, None, None]
    # A response without a segment is counted as "Unsegmented" and in "all": 2 people, (8+6)/2 = 7.
    assert rows["segment"].tolist() == ["", "SMB", "Unsegmented"]
    assert rows["respondents"].tolist() == [2, 1, 1]
    assert rows["satisfaction_mean"].tolist() == pytest.approx([7.0, 6.0, 8.0])
    assert rows["attribute_means"].tolist() == [{}, {}, {}]


def test_benchmark_rows_empty_frame() -> None:
    rows = benchmark_rows(benchmark_frame().iloc[0:0])
    assert rows.empty
    assert "attribute_means" in rows.columns


def test_benchmark_rows_does_not_modify_input() -> None:
    frame = benchmark_frame()
    before = frame.copy()
    benchmark_rows(frame)
    pd.testing.assert_frame_equal(frame, before)


# ---------------------------------------------------------------------------------------------
# Weakest attributes


def test_weakest_attributes() -> None:
    account = {"support": 6.0, "pricing": 8.0, "onboarding": 5.0, "training": 9.0}
    segment = {"support": 8.0, "pricing": 7.0, "onboarding": 5.5, "documentation": 7.0}
    # gaps: support 6 − 8 = −2, onboarding 5 − 5.5 = −0.5, pricing 8 − 7 = +1;
    # training has no segment mean → skipped; documentation is not rated for the account.
    assert weakest_attributes(account, segment, limit=2) == [
        AttributeGap("support", 6.0, 8.0, -2.0),
        AttributeGap("onboarding", 5.0, 5.5, -0.5),
    ]
    assert [gap.attribute for gap in weakest_attributes(account, segment)] == [
        "support",
        "onboarding",
        "pricing",
    ]
    assert weakest_attributes(account, segment, limit=0) == []
    assert weakest_attributes({}, segment) == []


def test_weakest_attributes_tie_goes_to_lower_account_score() -> None:
    # both gaps −1: speed 4 − 5 and quality 7 − 8 → the lower account score (speed) first
    result = weakest_attributes({"quality": 7.0, "speed": 4.0}, {"quality": 8.0, "speed": 5.0})
    assert [gap.attribute for gap in result] == ["speed", "quality"]


# ---------------------------------------------------------------------------------------------
# People


def test_people_table_orders_calls_first() -> None:
    frame = responses(
        [
            {"respondent": "Eve", "satisfaction": 10.0, "recommend": 10.0, "continue": 10.0},
            {"respondent": "Dana", "satisfaction": 8.0},
            {"respondent": "Carl", "satisfaction": 8.0, "recommend": 9.0, "continue": 9.0},
            {"respondent": "Bea", "satisfaction": 8.0, "recommend": 4.0, "continue": 3.0},
            {"respondent": "adam", "satisfaction": 5.0, "recommend": 9.0, "continue": 9.0},
            {"respondent": "Zoe", "satisfaction": 3.0, "recommend": 2.0, "continue": 2.0},
        ]
    )
    before = frame.copy()
    table = people_table(frame)
    # Zoe: sat 3 → dissatisfied, attitude − and continue 2 → high_risk: both flags, first.
    # adam: sat 5 → dissatisfied, continue 9 → trapped: one flag, sat 5.
    # Bea: sat 8 → satisfied, recommend 4 → attitude −, continue 3 → high_risk: one flag, sat 8.
    # Carl (truly_loyal), Dana (no continue → unknown), both sat 8 → by name; Eve sat 10 last.
    assert table["respondent"].tolist() == ["Zoe", "adam", "Bea", "Carl", "Dana", "Eve"]
    assert table["band"].tolist() == [
        "dissatisfied",
        "dissatisfied",
        "satisfied",
        "satisfied",
        "satisfied",
        "totally_satisfied",
    ]
    assert table["loyalty"].tolist() == [
        "high_risk",
        "trapped",
        "high_risk",
        "truly_loyal",
        "unknown",
        "truly_loyal",
    ]
    assert table.index.tolist() == list(range(6))
    pd.testing.assert_frame_equal(frame, before)  # input untouched


def test_people_table_name_order_is_case_insensitive() -> None:
    frame = responses(
        [
            {"respondent": "bob", "satisfaction": 9.0},
            {"respondent": "Amy", "satisfaction": 9.0},
            {"respondent": "Cat", "satisfaction": 9.0},
        ]
    )
    assert people_table(frame)["respondent"].tolist() == ["Amy", "bob", "Cat"]


# ---------------------------------------------------------------------------------------------
# Band moves and missing respondents


def cycle_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    previous = responses(
        [
            {"respondent_key": "a@x.com", "respondent": "Ann", "satisfaction": 9.0},
            {"respondent_key": "b@x.com", "respondent": "Bob", "satisfaction": 7.0},
            {"respondent_key": "c@x.com", "respondent": "Cy", "satisfaction": 5.0},
            {"respondent_key": "d@x.com", "respondent": "Dee", "satisfaction": 8.0},
            {"respondent_key": "f@x.com", "respondent": "Flo", "satisfaction": 4.0},
        ]
    )
    current = responses(
        [
            {"respondent_key": "a@x.com", "respondent": "Ann", "satisfaction": 6.0},
            {"respondent_key": "b@x.com", "respondent": "Bob Smith", "satisfaction": 9.0},
            {"respondent_key": "c@x.com", "respondent": "Cy", "satisfaction": 6.5},
            {"respondent_key": "e@x.com", "respondent": "Eli", "satisfaction": 2.0},
            {"respondent_key": "f@x.com", "respondent": "Flo", "satisfaction": 7.0},
        ]
    )
    return previous, current


def test_band_moves() -> None:
    previous, current = cycle_pair()
    # Ann 9 → 6: totally_satisfied → dissatisfied (down, listed first)
    # Bob 7 → 9: satisfied → totally_satisfied (up); shown under his current name
    # Cy 5 → 6.5: dissatisfied both times → no move
    # Flo 4 → 7: dissatisfied → satisfied (up); ups ordered by name: Bob Smith, Flo
    # Dee only previous, Eli only current → not moves
    assert band_moves(previous, current) == [
        BandMove("a@x.com", "Ann", "totally_satisfied", "dissatisfied"),
        BandMove("b@x.com", "Bob Smith", "satisfied", "totally_satisfied"),
        BandMove("f@x.com", "Flo", "dissatisfied", "satisfied"),
    ]


def test_band_moves_none_when_unchanged() -> None:
    previous, _ = cycle_pair()
    assert band_moves(previous, previous) == []


def test_band_moves_rejects_duplicate_keys() -> None:
    previous, current = cycle_pair()
    doubled = pd.concat([current, current], ignore_index=True)
    with pytest.raises(ValueError, match="duplicate respondent_key"):
        band_moves(previous, doubled)


def test_missing_respondents() -> None:
    previous, current = cycle_pair()
    # previous keys a, b, c, d, f; current a, b, c, e, f → only d (Dee) is missing.
    # Bob was renamed "Bob Smith" but kept his key, so he is not missing.
    assert missing_respondents(previous, current) == ["Dee"]
    assert missing_respondents(current, previous) == ["Eli"]
    assert missing_respondents(previous, previous) == []


def test_missing_respondents_sorted_by_name() -> None:
    previous = responses(
        [
            {"respondent": "zed", "satisfaction": 8.0},
            {"respondent": "Amy", "satisfaction": 8.0},
            {"respondent": "Bo", "satisfaction": 8.0},
        ]
    )
    current = responses([{"respondent": "Bo", "satisfaction": 8.0}])
    assert missing_respondents(previous, current) == ["Amy", "zed"]


def test_float_columns_may_be_nullable_dtype() -> None:
    # Frames built from a database may use pandas' nullable Float64 with <NA> for "not answered".
    recommend = pd.Series([10.0, None, 3.0], dtype="Float64")
    # 1 promoter, 1 detractor of 2 answered → 0
    assert nps_counts(recommend) == NpsCounts(1, 0, 1, 2)
    loyalty = loyalty_segments(
        pd.Series([8.0, 8.0, 8.0], dtype="Float64"),
        recommend,
        pd.Series([9.0, 9.0, None], dtype="Float64"),
    )
    assert loyalty.tolist() == ["truly_loyal", "truly_loyal", "unknown"]


def test_headline_by_cycle_matches_the_definitions_per_cycle() -> None:
    frame = pd.DataFrame(
        {
            "cycle_id": [1, 1, 1, 2, 2],
            # cycle 1: 10 promoter, 5 detractor, NaN not counted → (1 − 1)/2 = 0
            # cycle 2: 9 and 9 promoters → +100; nobody answered nothing
            "recommend": [10.0, 5.0, np.nan, 9.0, 9.0],
            # cycle 1: (8 + 4 + 6)/3 = 6.0; cycle 2: (9 + 10)/2 = 9.5
            "satisfaction": [8.0, 4.0, 6.0, 9.0, 10.0],
        }
    )
    assert insights.headline_by_cycle(frame) == {1: (0.0, 6.0), 2: (100.0, 9.5)}


def test_headline_by_cycle_without_recommend_answers_has_no_nps() -> None:
    frame = pd.DataFrame({"cycle_id": [3], "recommend": [np.nan], "satisfaction": [7.0]})
    assert insights.headline_by_cycle(frame) == {3: (None, 7.0)}
