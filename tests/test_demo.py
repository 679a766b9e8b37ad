"""The demo portfolio: deterministic, the right size, and telling the stories it claims to tell."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bot import demo

TODAY = date(2026, 5, 14)


@pytest.fixture(scope="module")
def portfolio() -> demo.DemoPortfolio:
    return demo.generate_portfolio(TODAY)


def _mean_satisfaction(responses: pd.DataFrame, account: str, cycle: str) -> float:
    rows = responses[(responses["account"] == account) & (responses["cycle"] == cycle)]
    return float(rows["satisfaction"].astype(float).mean())


def test_two_generations_are_identical(portfolio: demo.DemoPortfolio) -> None:
    again = demo.generate_portfolio(TODAY)
    pd.testing.assert_frame_equal(portfolio.accounts, again.accounts)
    pd.testing.assert_frame_equal(portfolio.responses, again.responses)
    pd.testing.assert_series_equal(portfolio.comment_tones, again.comment_tones)


def test_only_dates_follow_today(portfolio: demo.DemoPortfolio) -> None:
    later = demo.generate_portfolio(date(2026, 11, 2))
    columns = ["account", "respondent", "satisfaction", "recommend", "continue", "title"]
    pd.testing.assert_frame_equal(portfolio.responses[columns], later.responses[columns])
    pd.testing.assert_series_equal(portfolio.comment_tones, later.comment_tones)
    assert later.responses["cycle"].iloc[-1] == "2026-Q4"


def test_cycles_are_six_quarters_ending_with_the_current_one() -> None:
    labels = [cycle.label for cycle in demo.demo_cycles(date(2026, 12, 31))]
    assert labels == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    first = demo.demo_cycles(date(2026, 1, 1))
    assert first[0].label == "2024-Q4" and first[-1].label == "2026-Q1"
    assert first[0].starts_on == date(2024, 10, 1) and first[0].ends_on == date(2024, 12, 31)


def test_sizes_are_in_range(portfolio: demo.DemoPortfolio) -> None:
    accounts, responses = portfolio.accounts, portfolio.responses
    assert 55 <= len(accounts) <= 65
    assert accounts["account"].str.casefold().is_unique
    assert 3 <= accounts["segment"].nunique() <= 4
    tiers = accounts["tier"].value_counts()
    assert 3 <= tiers["strategic"] <= 8 and tiers["key"] > tiers["strategic"]
    assert tiers["standard"] > tiers["key"]
    assert responses["cycle"].nunique() == 6
    per_cycle = responses.groupby(["account", "cycle"]).size()
    assert len(per_cycle) == len(accounts) * 6
    assert per_cycle.between(3, 9).all()


def test_columns_are_those_of_the_spec(portfolio: demo.DemoPortfolio) -> None:
    assert list(portfolio.accounts.columns) == list(demo.ACCOUNT_COLUMNS)
    assert list(portfolio.responses.columns) == list(demo.RESPONSE_COLUMNS)
    scores = portfolio.responses[["satisfaction", "recommend", "continue", *demo.RATING_COLUMNS]]
    assert scores.stack().between(0, 10).all()
    assert portfolio.responses["satisfaction"].notna().all()
    assert set(portfolio.responses["role"]) == {"decision_maker", "influencer", "user"}
    assert set(portfolio.responses["source"]) == {"survey", "interview"}
    assert (portfolio.responses["source"] == "survey").mean() > 0.75


def test_roster_identifiers_are_well_formed(portfolio: demo.DemoPortfolio) -> None:
    accounts = portfolio.accounts
    people = pd.concat(
        [
            accounts["account_manager"],
            accounts.loc[accounts["exec_sponsor"] != "", "exec_sponsor"],
            accounts["team"].str.split(", ").explode().dropna().loc[lambda s: s != ""],
        ]
    )
    assert people.str.fullmatch(r"U[A-Z0-9]{2,}|[a-z.]+@[a-z.-]+\.example").all()
    assert people.str.contains("@").any() and accounts["account_manager"].str.contains("@").any()
    assert accounts["channel"].str.fullmatch(r"#acct-[a-z0-9-]+").all()
    strategic = accounts[accounts["tier"] == "strategic"]
    assert (strategic["exec_sponsor"] != "").all()


def test_respondents_mostly_return_with_some_churn(portfolio: demo.DemoPortfolio) -> None:
    responses = portfolio.responses
    key = responses["email"].fillna(responses["respondent"])
    first, last = (responses["cycle"] == c for c in ("2025-Q1", "2026-Q2"))
    returning = set(zip(responses.loc[first, "account"], key[first], strict=True)) & set(
        zip(responses.loc[last, "account"], key[last], strict=True)
    )
    assert len(returning) > 0.5 * first.sum()
    cycles_answered = responses.assign(key=key).groupby(["account", "key"])["cycle"].nunique()
    assert (cycles_answered < 6).sum() > 50  # leavers, newcomers, skippers
    assert responses["email"].isna().any() and responses["email"].notna().mean() > 0.9
    dupes = responses.assign(key=key).duplicated(["account", "cycle", "key"])
    assert not dupes.any()


def test_trapped_account_is_trapped_in_the_latest_cycle(portfolio: demo.DemoPortfolio) -> None:
    responses = portfolio.responses
    latest = responses[
        (responses["account"] == demo.TRAPPED_ACCOUNT) & (responses["cycle"] == "2026-Q2")
    ]
    sat, rec, cont = (latest[c].astype(float) for c in ("satisfaction", "recommend", "continue"))
    attitude_positive = (sat >= 7) & (rec.isna() | (rec >= 7))
    trapped = ~attitude_positive & (cont >= 7)
    assert trapped.mean() >= 0.75
    assert portfolio.trajectories[demo.TRAPPED_ACCOUNT] == demo.TRAPPED
    comments = latest["comment"].dropna()
    assert len(comments) >= 2
    assert not comments.str.casefold().str.contains("|".join(demo.PRAISE_MARKERS)).any()


def test_sliding_and_improving_accounts_move_as_told(portfolio: demo.DemoPortfolio) -> None:
    responses = portfolio.responses
    trajectories = portfolio.trajectories
    for account, trajectory in trajectories.items():
        change = _mean_satisfaction(responses, account, "2026-Q2") - _mean_satisfaction(
            responses, account, "2025-Q1"
        )
        if trajectory == demo.SLIDING:
            assert change <= -1.5, account
        elif trajectory == demo.IMPROVING:
            assert change >= 1.5, account
    assert trajectories[demo.SLIDING_ACCOUNT] == demo.SLIDING
    assert trajectories[demo.IMPROVING_ACCOUNT] == demo.IMPROVING
    stable = [a for a, t in trajectories.items() if t == demo.STABLE]
    assert len(stable) > 40


def test_recent_drop_is_sharp_and_only_in_the_latest_cycle(
    portfolio: demo.DemoPortfolio,
) -> None:
    means = [
        _mean_satisfaction(portfolio.responses, demo.RECENT_DROP_ACCOUNT, cycle.label)
        for cycle in portfolio.cycles
    ]
    assert min(means[:-1]) >= 7.5
    assert means[-2] - means[-1] >= 3
    latest = portfolio.responses[
        (portfolio.responses["account"] == demo.RECENT_DROP_ACCOUNT)
        & (portfolio.responses["cycle"] == portfolio.cycles[-1].label)
    ]
    assert latest["comment"].str.contains("outage", case=False).sum() >= 2


def test_comment_tone_matches_scores(portfolio: demo.DemoPortfolio) -> None:
    responses = portfolio.responses.assign(tone=portfolio.comment_tones)
    has_comment = responses["comment"].notna()
    assert (has_comment == responses["tone"].notna()).all()
    assert 0.05 < (~has_comment).mean() < 0.5  # some people leave no comment
    sat = responses["satisfaction"].astype(float)
    rec = responses["recommend"].astype(float)
    low = has_comment & ((sat <= 6) | (rec <= 4))
    assert (responses.loc[low, "tone"] == demo.COMPLAINT).all()
    praise = responses["tone"] == demo.PRAISE
    assert (sat[praise] >= 9).all() and not (rec[praise] < 8).any()
    unhappy_words = responses.loc[has_comment & (sat <= 6), "comment"].str.casefold()
    assert not unhappy_words.str.contains("|".join(demo.PRAISE_MARKERS)).any()
    happy_words = responses.loc[praise, "comment"].str.casefold()
    assert happy_words.str.contains("|".join(demo.PRAISE_MARKERS)).all()
    assert responses.loc[has_comment, "comment"].nunique() > 60


def test_commitment_and_meeting_plans_name_demo_accounts(
    portfolio: demo.DemoPortfolio,
) -> None:
    names = set(portfolio.accounts["account"])
    plans = demo.commitment_plans()
    assert {plan.account for plan in plans} <= names
    assert {plan.status for plan in plans} == {"open", "done"}
    assert any(plan.status == "open" and plan.due_in_days < 0 for plan in plans)
    assert {plan.area for plan in plans} == {"product", "support", "account_team", "marketing"}
    strategic = set(portfolio.accounts.loc[portfolio.accounts["tier"] == "strategic", "account"])
    meetings = demo.meeting_plans()
    assert 1 <= len(meetings) <= 2
    assert {meeting.account for meeting in meetings} <= strategic
