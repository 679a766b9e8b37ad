"""Owners hear about their promises at the start of their own working day, once, bundled.

Every tick is given its `now`; what the fake Slack holds is what people would see. Dates were
read off a calendar: 1 December 2026 is a Tuesday; European clocks go back on Sunday 25 October
2026 and American ones on Sunday 1 November.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime import Runtime
from tests.reminders_world import (
    ANN,
    BO,
    BO_EMAIL,
    KEN,
    LIA,
    PARIS,
    add_cycle,
    buttons_of,
    item_texts,
    ledger_rows,
    load_accounts,
    promise,
    reminders_to,
    tick,
    world_settings,
)
from tests.slack import FakeSlack


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    runtime = make_runtime(**world_settings(slack))
    load_accounts(runtime, slack)
    return runtime


def _daily(rt: Runtime, slack: FakeSlack, user: str, days: list[date], hour: int = 9) -> dict:
    """Tick once a day at `hour`:30 Paris time; what each day's new reminder showed."""
    seen = 0
    shown: dict[date, list[str]] = {}
    for day in days:
        tick(rt, datetime(day.year, day.month, day.day, hour, 30, tzinfo=PARIS))
        dms = reminders_to(slack, user)
        if len(dms) > seen:
            assert len(dms) == seen + 1, "two reminders in one day"
            shown[day] = item_texts(dms[-1])
            seen = len(dms)
    return shown


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _titles(texts: list[str]) -> list[str]:
    """The commitment text of each item section (`*Account* · text\\nwhy`)."""
    return [text.split("\n")[0].split(" · ", 1)[1] for text in texts]


# --- kinds --------------------------------------------------------------------------------------


def test_due_soon_comes_three_working_days_before_the_due_date(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 10))  # Thu → Mon 7
    promise(rt, "Price the extra seats", ANN, date(2026, 12, 14))  # Mon → Wed 9
    promise(rt, "Share the QBR deck", ANN, date(2026, 12, 12))  # Sat → Wed 9

    shown = _daily(rt, slack, ANN, _days(date(2026, 12, 3), date(2026, 12, 10)))

    assert {day: _titles(texts) for day, texts in shown.items()} == {
        date(2026, 12, 7): ["Send the SSO plan"],
        date(2026, 12, 9): ["Share the QBR deck", "Price the extra seats"],
    }
    assert "Due" in shown[date(2026, 12, 7)][0]
    assert "2026-12-10" in shown[date(2026, 12, 7)][0]


def test_the_reminder_waits_for_the_start_of_the_owners_working_day(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 10))
    assert tick(rt, datetime(2026, 12, 7, 8, 59, tzinfo=PARIS)).done == []
    assert reminders_to(slack, ANN) == []

    sent = tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    assert [(e.item.job, e.outcome) for e in sent.done] == [("reminder", "sent")]
    for later in (9, 12, 23):
        tick(rt, datetime(2026, 12, 7, later, 2, tzinfo=PARIS))
    assert len(reminders_to(slack, ANN)) == 1


def test_overdue_on_the_first_working_day_after_then_weekly_even_after_a_missed_day(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Fix the invoice format", ANN, date(2026, 12, 4))  # a Friday
    days = [d for d in _days(date(2026, 12, 5), date(2026, 12, 22)) if d != date(2026, 12, 14)]

    shown = _daily(rt, slack, ANN, days)

    # Monday 7th (first working day after), then weekly; the bot was down on Monday 14th, so
    # that week's reminder comes on Tuesday 15th instead of being lost.
    assert list(shown) == [date(2026, 12, 7), date(2026, 12, 15), date(2026, 12, 21)]
    assert all(":warning: *Overdue*" in texts[0] for texts in shown.values())


def test_open_promises_are_recalled_once_before_customers_are_asked_again(
    rt: Runtime, slack: FakeSlack
) -> None:
    add_cycle(rt, "2027-Q1", date(2026, 12, 21))  # 14 days' window opens on Monday 7th
    promise(rt, "Named support engineer", ANN, date(2027, 1, 29))
    later = None

    shown: dict[date, list[str]] = {}
    for day in _days(date(2026, 12, 1), date(2026, 12, 22)):
        if day == date(2026, 12, 10):
            later = promise(rt, "Quarterly roadmap call", ANN, date(2027, 2, 26))
        before = len(reminders_to(slack, ANN))
        tick(rt, datetime(day.year, day.month, day.day, 9, 30, tzinfo=PARIS))
        if len(reminders_to(slack, ANN)) > before:
            shown[day] = item_texts(reminders_to(slack, ANN)[-1])

    assert later is not None
    assert {day: _titles(texts) for day, texts in shown.items()} == {
        date(2026, 12, 7): ["Named support engineer"],
        date(2026, 12, 10): ["Quarterly roadmap call"],  # made inside the window: told next
    }
    assert "asked for feedback again from" in shown[date(2026, 12, 7)][0]
    assert "2026-12-21" in shown[date(2026, 12, 7)][0]


# --- bundling -----------------------------------------------------------------------------------


def test_one_message_per_owner_bundles_everything_most_urgent_first(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 10))
    promise(rt, "Fix the invoice format", ANN, date(2026, 12, 4))
    promise(rt, "Price the extra seats", "ann@example.com", date(2026, 12, 9))  # her email
    promise(rt, "Globex security review", ANN, date(2026, 12, 3), account="Globex")
    promise(rt, "Named support engineer", BO_EMAIL, date(2026, 12, 9))

    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    tick(rt, datetime(2026, 12, 7, 9, 2, tzinfo=PARIS))
    [dm] = reminders_to(slack, ANN)
    assert _titles(item_texts(dm)) == [
        "Globex security review",  # overdue since Thursday
        "Fix the invoice format",  # overdue since Friday
        "Price the extra seats",  # due Wednesday
        "Send the SSO plan",  # due Thursday
    ]
    assert dm["text"] == "4 promises to customers need you today, 2 overdue"
    assert reminders_to(slack, BO) == []  # 03:00 in New York

    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS) + timedelta(hours=6))  # 09:00 New York
    [bo] = reminders_to(slack, BO)
    assert _titles(item_texts(bo)) == ["Named support engineer"]
    # The workspace's people are listed once for all those ticks; nobody is asked about alone.
    assert len(slack.calls_to("users.list")) == 1
    assert slack.calls_to("users.info") == slack.calls_to("users.lookupByEmail") == []


def test_each_item_has_done_snooze_and_open_in_channel(rt: Runtime, slack: FakeSlack) -> None:
    posted = promise(
        rt, "Send the SSO plan", ANN, date(2026, 12, 10), channel="C0ACME001", message_ts="1.2"
    )
    unposted = promise(rt, "Price the extra seats", ANN, date(2026, 12, 10))
    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    [dm] = reminders_to(slack, ANN)
    assert buttons_of(dm, posted) == ["Done", "Snooze 1 day", "Snooze 1 week", "Open in channel"]
    assert buttons_of(dm, unposted) == ["Done", "Snooze 1 day", "Snooze 1 week"]
    link = next(
        element["url"]
        for block in dm["blocks"]
        if block.get("block_id") == f"reminder_actions:{posted}"
        for element in block["elements"]
        if "url" in element
    )
    assert link == "https://voc-test.slack.com/archives/C0ACME001/p12"


def test_what_does_not_fit_in_one_message_comes_the_next_day(rt: Runtime, slack: FakeSlack) -> None:
    for n in range(23):  # all overdue since Friday 4th; next weekly reminder Friday 11th
        promise(rt, f"Promise {n:02d}", ANN, date(2026, 12, 3))
    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    [monday] = reminders_to(slack, ANN)
    assert len(item_texts(monday)) == 20
    assert "and 3 more" in str(monday["blocks"])
    assert monday["text"].startswith("23 promises")

    tick(rt, datetime(2026, 12, 8, 9, 0, tzinfo=PARIS))
    tuesday = reminders_to(slack, ANN)[1]
    assert _titles(item_texts(monday)) == [f"Promise {n:02d}" for n in range(20)]
    assert _titles(item_texts(tuesday)) == ["Promise 20", "Promise 21", "Promise 22"]


def test_something_owed_after_todays_message_waits_for_tomorrow(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 10))
    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    promise(rt, "Price the extra seats", ANN, date(2026, 12, 9))  # logged at 11:00
    assert tick(rt, datetime(2026, 12, 7, 11, 5, tzinfo=PARIS)).done == []

    tick(rt, datetime(2026, 12, 8, 9, 0, tzinfo=PARIS))
    monday, tuesday = reminders_to(slack, ANN)
    assert _titles(item_texts(monday)) == ["Send the SSO plan"]
    assert _titles(item_texts(tuesday)) == ["Price the extra seats"]


def test_done_snoozed_and_undated_or_unknown_owners_are_left_alone(
    rt: Runtime, slack: FakeSlack
) -> None:
    from storage.db import transaction
    from storage.models import Commitment

    done = promise(rt, "Already done", ANN, date(2026, 12, 4))
    snoozed = promise(rt, "Snoozed for a week", ANN, date(2026, 12, 4))
    promise(rt, "No due date, no cycle", ANN, None)
    promise(rt, "Owner not in Slack", "ghost@example.com", date(2026, 12, 4))
    with transaction(rt.sessions) as session:
        session.get_one(Commitment, done).status = "done"
        session.get_one(Commitment, snoozed).snoozed_until = datetime(2026, 12, 14, 8, tzinfo=UTC)

    report = tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    assert [entry for entry in report.done if entry.item.job == "reminder"] == []
    assert reminders_to(slack, ANN) == []


# --- the owner's clock: far apart, weekends, daylight saving ------------------------------------


def test_a_fortnight_across_both_dst_changes_in_four_timezones(
    rt: Runtime, slack: FakeSlack
) -> None:
    """Something is due soon every working day; ticks every hour on the hour, UTC.

    Paris leaves summer time on 25 October (UTC+2 → +1), New York and Los Angeles on 1 November
    (−4 → −5, −7 → −8); Tokyo stays at +9. Nobody hears from the bot at a weekend.
    """
    working = [
        date(2026, 10, 23),
        *(date(2026, 10, d) for d in (26, 27, 28, 29, 30)),
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]
    due_three_working_days_later = {
        date(2026, 10, 23): date(2026, 10, 28),
        date(2026, 10, 26): date(2026, 10, 29),
        date(2026, 10, 27): date(2026, 10, 30),
        date(2026, 10, 28): date(2026, 11, 2),
        date(2026, 10, 29): date(2026, 11, 3),
        date(2026, 10, 30): date(2026, 11, 4),
        date(2026, 11, 2): date(2026, 11, 5),
        date(2026, 11, 3): date(2026, 11, 6),
    }
    for owner in (ANN, BO_EMAIL, LIA, KEN):
        for day in working:
            promise(rt, f"{owner} for {day}", owner, due_three_working_days_later[day])

    sent_at: dict[str, list[datetime]] = defaultdict(list)
    moment = datetime(2026, 10, 23, 0, 0, tzinfo=UTC)
    while moment < datetime(2026, 11, 4, 0, 0, tzinfo=UTC):
        for entry in tick(rt, moment).done:
            if entry.item.job == "reminder" and entry.outcome == "sent":
                sent_at[entry.item.payload.user_id].append(moment)
        moment += timedelta(hours=1)

    def at(hours: dict[date, int]) -> list[datetime]:
        return [datetime(d.year, d.month, d.day, h, tzinfo=UTC) for d, h in hours.items()]

    assert sent_at[ANN] == at({d: 7 if d == date(2026, 10, 23) else 8 for d in working})
    assert sent_at[BO] == at({d: 13 if d.month == 10 else 14 for d in working})
    assert sent_at[LIA] == at({d: 16 if d.month == 10 else 17 for d in working})
    assert sent_at[KEN] == at(dict.fromkeys(working, 0))
    for user in (ANN, BO, LIA, KEN):
        assert len(reminders_to(slack, user)) == len(working)


# --- dry run ------------------------------------------------------------------------------------


def test_voc_tick_dry_run_says_who_would_get_what_and_sends_nothing(
    database_url: str,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from bot.cli import main
    from tests.conftest import _runtime

    rt = _runtime(database_url, **world_settings(slack))
    load_accounts(rt, slack)
    first = promise(rt, "Fix the invoice format", ANN, date(2026, 12, 4))
    second = promise(rt, "Send the SSO plan", ANN, date(2026, 12, 10))
    third = promise(rt, "Named support engineer", BO_EMAIL, date(2026, 12, 9))
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "VOC_TIMEZONE": "Europe/Paris",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["tick", "--now", "2026-12-07T15:00:00Z", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        f"would send: reminder DM to {ANN} at Mon 2026-12-07 09:00 Europe/Paris (08:00 UTC): "
        "2 items\n"
        f"      #{first} overdue: ACME Corp — Fix the invoice format\n"
        f"      #{second} due soon: ACME Corp — Send the SSO plan\n"
    ) in out
    assert (
        f"would send: reminder DM to {BO} ({BO_EMAIL}) at Mon 2026-12-07 09:00 "
        f"America/New_York (14:00 UTC): 1 item\n"
        f"      #{third} due soon: ACME Corp — Named support engineer"
    ) in out
    assert slack.calls_to("chat.postMessage") == []
    assert ledger_rows(rt, "reminder") == []

    assert main(["tick", "--now", "2026-12-07T15:00:00Z"]) == 0
    assert f"sent: reminder DM to {ANN}" in capsys.readouterr().out
    assert len(reminders_to(slack, ANN)) == 1 and len(reminders_to(slack, BO)) == 1
    rt.engine.dispose()


# --- who the owners are: the workspace's list, kept in the database -----------------------------


def test_someone_who_joined_after_the_list_is_looked_up_alone(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 4))
    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    assert len(reminders_to(slack, ANN)) == 1

    slack.add_user("U0NEW0001", tz="Asia/Tokyo", name="Nia New")  # joined since the list
    promise(rt, "Fix the invoice format", "U0NEW0001", date(2026, 12, 4))
    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))  # 17:00 in Tokyo: her day has started
    assert len(reminders_to(slack, "U0NEW0001")) == 1
    assert [call.params["user"] for call in slack.calls_to("users.info")] == ["U0NEW0001"]
    assert len(slack.calls_to("users.list")) == 1  # the list itself is still fresh


def test_a_list_older_than_its_refresh_age_is_taken_again(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.core import clock

    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 4))
    started = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: started)
    tick(rt, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    assert len(reminders_to(slack, ANN)) == 1

    # Ann moved to Tokyo; six hours on, the list is no longer trusted and is taken again, so
    # her next reminder starts her Tokyo morning (09:00 there is 00:00 UTC): not before.
    slack.add_user(ANN, tz="Asia/Tokyo", name="Ann Paris", email="ann@example.com")
    promise(rt, "Fix the invoice format", ANN, date(2026, 12, 4))
    monkeypatch.setattr(clock, "utc_now", lambda: started + timedelta(hours=6))
    tick(rt, datetime(2026, 12, 7, 23, 30, tzinfo=UTC))  # Tuesday 08:30 in Tokyo
    assert len(reminders_to(slack, ANN)) == 1
    tick(rt, datetime(2026, 12, 8, 0, 0, tzinfo=UTC))  # Tuesday 09:00 in Tokyo
    assert len(reminders_to(slack, ANN)) == 2
    assert _titles(item_texts(reminders_to(slack, ANN)[-1])) == ["Fix the invoice format"]
    assert len(slack.calls_to("users.list")) == 2
    assert slack.calls_to("users.info") == []


def test_while_slack_cannot_list_people_each_owner_is_asked_about_alone(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 4))
    promise(rt, "Named support engineer", BO_EMAIL, date(2026, 12, 4))
    slack.fail_next("users.list", status=500, count=3)  # the client's retries, all failing
    tick(rt, datetime(2026, 12, 7, 15, 0, tzinfo=PARIS))  # 09:00 in New York
    assert len(reminders_to(slack, ANN)) == len(reminders_to(slack, BO)) == 1
    assert [call.params["user"] for call in slack.calls_to("users.info")] == [ANN]
    assert [call.params["email"] for call in slack.calls_to("users.lookupByEmail")] == [BO_EMAIL]
