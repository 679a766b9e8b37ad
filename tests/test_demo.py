"""The demo portfolio: deterministic, the right size, and telling the stories it claims to tell."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from bot import demo
from bot.accounts.queries import find_account
from bot.cli.demo import run_demo
from bot.intake.service import import_accounts, import_responses
from bot.reports.assemble import build_account_report
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import (
    Account,
    Benchmark,
    Commitment,
    Cycle,
    Meeting,
    Respondent,
    Response,
)

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


def test_no_two_people_of_one_account_share_a_sentence_in_a_cycle(
    portfolio: demo.DemoPortfolio,
) -> None:
    said = portfolio.responses.dropna(subset=["comment"])
    for (account, cycle), rows in said.groupby(["account", "cycle"]):
        sentences = [s.casefold() for c in rows["comment"] for s in re.split(r"(?<=[.!?])\s+", c)]
        assert len(sentences) == len(set(sentences)), (account, cycle)


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


# --------------------------------------------------------------------------------------------
# Loading through the real importer

WORKSPACE = "T0DEMOTEST"
_COUNTED = (Account, Cycle, Respondent, Response, Benchmark, Commitment, Meeting)


def _load(runtime: Runtime, *, reset: bool = False, workspace: str = WORKSPACE) -> demo.DemoSummary:
    with transaction(runtime.sessions) as session:
        return demo.load_demo(
            session, workspace_id=workspace, today=TODAY, reset=reset, settings=runtime.settings
        )


def _row_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in _COUNTED
        }


def test_load_twice_gives_the_same_rows(runtime: Runtime, portfolio: demo.DemoPortfolio) -> None:
    first = _load(runtime)
    counts = _row_counts(runtime)
    assert counts["accounts"] == first.accounts == len(portfolio.accounts)
    assert counts["responses"] == first.responses == len(portfolio.responses)
    assert counts["cycles"] == 6 and counts["benchmarks"] > 6
    assert first.commitments_added == counts["commitments"] == len(demo.commitment_plans())
    meetings = len(demo.meeting_plans()) + len(demo.past_review_plans())
    assert first.meetings_added == counts["meetings"] == meetings
    assert first.upcoming_meetings == len(demo.meeting_plans())

    second = _load(runtime)
    assert _row_counts(runtime) == counts
    assert second.commitments_added == 0 and second.meetings_added == 0
    assert second.responses_import is not None and second.accounts_import is not None
    assert second.responses_import.added == second.responses_import.updated == 0
    assert second.accounts_import.added == 0


def test_reset_reloads_cleanly_and_spares_other_data(runtime: Runtime) -> None:
    _load(runtime)
    fresh = _row_counts(runtime)
    with transaction(runtime.sessions) as session:
        # A real customer sharing the latest cycle, and a promise someone logged on a demo account.
        roster = pd.DataFrame({"account": ["Real Customer Ltd"], "segment": ["Enterprise"]})
        import_accounts(session, roster, workspace_id=WORKSPACE, actor="U0TEST")
        answers = pd.DataFrame(
            {"account": ["Real Customer Ltd"], "cycle": ["2026-Q2"], "respondent": ["Ana Lima"]}
        ).assign(satisfaction=[2])
        import_responses(session, answers, workspace_id=WORKSPACE, actor="U0TEST")
        trapped = find_account(session, WORKSPACE, demo.TRAPPED_ACCOUNT).account
        assert trapped is not None
        session.add(
            Commitment(workspace_id=WORKSPACE, account_id=trapped.id, text="Extra", owner="U0TEST")
        )
    _load(runtime, workspace="T0OTHER")  # another workspace's demo must survive our reset

    summary = _load(runtime, reset=True)

    assert summary.removed["accounts"] == fresh["accounts"]
    assert summary.removed["commitments"] == fresh["commitments"] + 1
    with runtime.sessions() as session:
        ours = select(func.count()).select_from(Account).where(Account.workspace_id == WORKSPACE)
        assert session.scalar(ours) == fresh["accounts"] + 1
        extra = select(Commitment).where(Commitment.text == "Extra")
        assert session.scalars(extra).first() is None
        latest = session.scalars(
            select(Cycle.id).where(Cycle.workspace_id == WORKSPACE, Cycle.label == "2026-Q2")
        ).one()
        bench = session.scalars(
            select(Benchmark).where(Benchmark.cycle_id == latest, Benchmark.scope == "all")
        ).one()
        answered = select(func.count()).select_from(Response).where(Response.cycle_id == latest)
        assert bench.respondents == session.scalar(answered)
    other = _row_counts(runtime)
    assert other["accounts"] == 2 * fresh["accounts"] + 1
    assert other["commitments"] == 2 * fresh["commitments"]


def test_reset_on_an_empty_workspace_just_loads(runtime: Runtime) -> None:
    summary = _load(runtime, reset=True)
    assert summary.removed == {}
    assert summary.accounts == 60


def test_commitments_and_meetings_are_dated_around_today(runtime: Runtime) -> None:
    _load(runtime)
    with runtime.sessions() as session:
        commitments = session.scalars(select(Commitment)).all()
        meetings = session.scalars(select(Meeting)).all()
    open_ = [c for c in commitments if c.status == "open"]
    assert any(c.due_on < TODAY for c in open_) and any(c.due_on >= TODAY for c in open_)
    done = [c for c in commitments if c.status == "done"]
    assert done and all(c.done_at is not None and c.done_by == c.owner for c in done)
    assert {c.owner for c in commitments} <= set(demo.ACCOUNT_MANAGERS)
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    upcoming = [m for m in meetings if m.starts_at > midnight]
    assert len(upcoming) == len(demo.meeting_plans())
    for meeting in meetings:
        assert meeting.starts_at.weekday() < 5 and meeting.status == "scheduled"
        assert meeting.digest_due_at is not None and meeting.digest_due_at < meeting.starts_at
        assert meeting.channel and meeting.channel.startswith("#acct-")
        # Past reviews had their digest; upcoming ones still owe it.
        assert (meeting.digest_posted_at is None) == (meeting in upcoming)
    held = {m.id: m for m in meetings if m not in upcoming}
    linked = [c for c in commitments if c.meeting_id is not None]
    assert linked and all(c.meeting_id in held for c in linked)
    assert all(c.due_on > held[c.meeting_id].starts_at.date() for c in linked)


def test_report_of_the_trapped_account_shows_trapped_people(runtime: Runtime) -> None:
    _load(runtime)
    with runtime.sessions() as session:
        account = find_account(session, WORKSPACE, demo.TRAPPED_ACCOUNT).account
        assert account is not None
        report = build_account_report(session, account, now=datetime.now(UTC)).to_json()
    assert report["cycle"] == "2026-Q2"
    loyalty = [person["loyalty"] for person in report["people"]]
    assert loyalty.count("trapped") >= 0.75 * len(loyalty)
    assert report["open_commitments"]


def test_cli_prints_a_summary_and_what_to_try(
    runtime: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["voc", "demo"])  # as typed by someone with voc on PATH
    assert run_demo(argparse.Namespace(reset=False, team=None), runtime) == 0
    out = capsys.readouterr().out
    added = f"{len(demo.generate_responses()):,} responses added"
    assert "60 accounts" in out and added in out
    assert f"voc account '{demo.TRAPPED_ACCOUNT}'" in out
    assert run_demo(argparse.Namespace(reset=False, team=None), runtime) == 0
    again = capsys.readouterr().out
    assert "responses added" not in again and "commitments added" not in again
    assert run_demo(argparse.Namespace(reset=True, team=None), runtime) == 0
    assert "Removed the previous demo data: " in capsys.readouterr().out
