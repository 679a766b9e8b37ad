"""Following through: the people waiting for a first contact reach their owner's one DM of the
day, past the target the account manager's and (strategic accounts) the sponsor's, and at twice
the target the account channel, once.

The world is `tests.reminders_world`: ACME Corp (strategic, channel C0ACME001) and Globex
(standard), both managed by Alma (AM, Paris) with Seb (SPONSOR, New York) as sponsor; the team's
VOC_TIMEZONE is Europe/Paris. Follow-ups are opened by the real import, with the bot's clock set
to the opening moment. 4 December 2026 is a Friday; the SLA is the default 2 working days.

Worked out by hand: opened Friday 4 December 16:00 Paris (15:00 UTC), the first contact is due
after 8 hours of Friday, all of Monday and 16 hours of Tuesday: Tuesday 8 December 16:00 Paris
(15:00 UTC). Twice the SLA (96 working hours) ends Thursday 10 December 16:00 Paris (15:00 UTC).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

from bot.core import clock
from bot.runtime import Runtime
from bot.scheduler import default_jobs
from bot.slack_client import client_for_workspace
from storage.db import transaction
from storage.models import Followup, Respondent
from tests.portfolio import AM, SPONSOR, account_row, load, response_row
from tests.reminders_world import (
    ACME_CHANNEL,
    ANN,
    GLOBEX_CHANNEL,
    KEN,
    PARIS,
    add_people,
    ledger_rows,
    promise,
    reminders_to,
    serve_history,
    tagged,
    tick,
    world_settings,
)
from tests.slack import FakeSlack

OPENED = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 16:00 Paris
DUE = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # Tuesday 16:00 Paris
TWICE = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # Thursday 16:00 Paris
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
TUESDAY_9 = datetime(2026, 12, 8, 9, 0, tzinfo=PARIS)
WEDNESDAY_9 = datetime(2026, 12, 9, 9, 0, tzinfo=PARIS)
HOSTILE = "<!channel> *Eve* & <@U0ADMIN01>"


def _accounts() -> list[dict[str, Any]]:
    return [
        account_row("ACME Corp"),
        account_row("Globex", tier="standard", channel=GLOBEX_CHANNEL),
    ]


def _open_followups(rt: Runtime, monkeypatch: pytest.MonkeyPatch, at: datetime = OPENED) -> None:
    """Q3, then Q4 imported at `at`: Cy Dunn (ACME, satisfaction 4), the hostile name (ACME,
    recommend 3), Ida Jo (Globex, satisfaction 5) get follow-ups; Ann Lee (9) does not."""
    monkeypatch.setattr(clock, "utc_now", lambda: at - timedelta(days=90))
    load(rt, _accounts(), [response_row("ACME Corp", "2026-Q3", "Ann Lee", 9, 9, 9)])
    monkeypatch.setattr(clock, "utc_now", lambda: at)
    load(
        rt,
        _accounts(),
        [
            response_row("ACME Corp", "2026-Q4", "Ann Lee", 9, 9, 9),
            response_row("ACME Corp", "2026-Q4", "Cy Dunn", 4, 8, 8, role="user"),
            response_row(
                "ACME Corp", "2026-Q4", HOSTILE, 8, 3, 8, role="user", email="eve@acme.example"
            ),
            response_row("Globex", "2026-Q4", "Ida Jo", 5, 9, 9, role="user"),
        ],
    )


def _take(rt: Runtime, who: str, owner: str) -> None:
    """Someone took the follow-up (the *I'll take it* control is another branch's)."""
    with transaction(rt.sessions) as session:
        session.execute(
            update(Followup)
            .where(Followup.respondent_id.in_(_respondents(session, who)))
            .values(owner=owner)
        )


def _respondents(session: Any, name: str) -> list[int]:
    return list(session.scalars(select(Respondent.id).where(Respondent.name == name)))


def _contacted(rt: Runtime, who: str, at: datetime) -> None:
    with transaction(rt.sessions) as session:
        session.execute(
            update(Followup)
            .where(Followup.respondent_id.in_(_respondents(session, who)))
            .values(status="contacted", contacted_at=at)
        )


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    runtime = make_runtime(**world_settings(slack))
    add_people(slack)
    serve_history(slack)
    return runtime


def _dms(slack: FakeSlack, user: str) -> list[dict[str, Any]]:
    """Every message the bot sent the person, whatever it carried."""
    return slack.messages_in(slack.dm_channel(user))


def _all_text(message: dict[str, Any]) -> str:
    texts = [message["text"]]
    for block in message.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            texts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element, dict) and "text" in element:
                texts.append(str(element["text"]))
    return "\n".join(texts)


def _date_token(moment: datetime, fallback: str) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def test_the_owner_hears_of_a_follow_up_on_the_day_it_is_due_in_their_one_dm(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_followups(rt, monkeypatch)
    promise(rt, "Send the SSO plan", AM, date(2026, 12, 7))  # overdue from Tuesday

    tick(rt, MONDAY_9)  # the follow-ups are due tomorrow: not yet; the promise is due today
    [monday] = _dms(slack, AM)
    assert "Cy Dunn" not in _all_text(monday)

    tick(rt, TUESDAY_9)
    tick(rt, TUESDAY_9 + timedelta(hours=3))
    dms = _dms(slack, AM)
    assert len(dms) == 2  # Monday's and Tuesday's: one a day
    text = _all_text(dms[1])
    assert "Send the SSO plan" in text  # the promise and the people, in one DM
    assert "*Cy Dunn* (user) · ACME Corp · dissatisfied" in text
    assert "*Ida Jo* (user) · Globex · dissatisfied" in text
    assert _date_token(DUE, "2026-12-08 16:00 CET") in text  # Alma reads Paris time
    assert "`/voc followups ACME Corp`" in text and "`/voc followups Globex`" in text
    assert "3 customers to contact today" in dms[1]["text"]


def test_customer_names_are_data_in_every_field(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_followups(rt, monkeypatch)
    tick(rt, TUESDAY_9)
    [dm] = _dms(slack, AM)
    text = _all_text(dm)
    assert "&lt;!channel&gt; *Eve* &amp; &lt;@U0ADMIN01&gt;" in text
    assert "<!channel>" not in text and "<@U0ADMIN01>" not in text


def test_past_the_target_the_manager_and_the_strategic_sponsor_see_what_others_own(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_followups(rt, monkeypatch)
    _take(rt, "Cy Dunn", ANN)  # ACME, strategic
    _take(rt, "Ida Jo", KEN)  # Globex, standard

    tick(rt, TUESDAY_9)  # due at 16:00 today: Ann hears, nobody else yet
    assert "Cy Dunn" in _all_text(_dms(slack, ANN)[0])
    assert all("Cy Dunn" not in _all_text(m) for m in _dms(slack, AM))
    assert _dms(slack, SPONSOR) == []
    # Opened Friday 16:00 Paris is Saturday 00:00 in Tokyo: Ken's two working days are Monday
    # and Tuesday there, so it is due Wednesday 00:00 Tokyo, and not on his Tuesday's list.
    assert _dms(slack, KEN) == []

    tick(rt, WEDNESDAY_9)  # Paris 09:00, Tokyo 17:00; New York is still at 03:00
    assert "*Ida Jo*" in _all_text(_dms(slack, KEN)[0])
    tick(rt, datetime(2026, 12, 9, 9, 0, tzinfo=UTC) + timedelta(hours=5))  # NY 09:00
    manager = _all_text(_dms(slack, AM)[-1])
    assert "Waiting past the first-contact target" in manager
    assert "*Cy Dunn*" in manager and f"Owner <@{ANN}>" in manager
    assert "*Ida Jo*" in manager and f"Owner <@{KEN}>" in manager
    [sponsor] = _dms(slack, SPONSOR)
    assert "*Cy Dunn*" in _all_text(sponsor)  # ACME is strategic
    assert "Ida Jo" not in _all_text(sponsor)  # Globex is not
    # Alma owns the hostile name's follow-up and manages ACME: she sees it once, as hers.
    assert _all_text(_dms(slack, AM)[-1]).count("*Eve*") == 1


def test_a_follow_up_contacted_is_no_longer_listed(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_followups(rt, monkeypatch)
    _contacted(rt, "Cy Dunn", DUE - timedelta(hours=9))
    _contacted(rt, "Ida Jo", DUE - timedelta(hours=9))
    tick(rt, TUESDAY_9)
    [dm] = _dms(slack, AM)
    assert "Cy Dunn" not in _all_text(dm) and "Ida Jo" not in _all_text(dm)
    assert "1 customer to contact today" in dm["text"]


def _flags(slack: FakeSlack) -> list[dict[str, Any]]:
    return tagged(slack, ACME_CHANNEL, "voc_followup_late")


def test_at_twice_the_target_the_account_channel_is_told_once(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_followups(rt, monkeypatch)
    _contacted(rt, HOSTILE, DUE)  # contacted on time: never flagged
    tick(rt, TWICE - timedelta(minutes=1))
    assert _flags(slack) == []
    tick(rt, TWICE)
    tick(rt, TWICE + timedelta(minutes=2))
    tick(rt, TWICE + timedelta(days=1))
    [flag] = _flags(slack)
    assert flag["text"].startswith("Cy Dunn (ACME Corp) is still waiting for a first contact")
    assert f"Owner <@{AM}>" in _all_text(flag)
    assert tagged(slack, GLOBEX_CHANNEL, "voc_followup_late")[0]["text"].startswith("Ida Jo")
    assert [status for _, status in ledger_rows(rt, "followup-late:")] == ["sent", "sent"]


def test_a_flag_that_failed_is_posted_once_on_the_next_tick(
    rt: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_followups(rt, monkeypatch)
    _contacted(rt, "Ida Jo", DUE)
    _contacted(rt, HOSTILE, DUE)
    jobs = [job for job in default_jobs() if job.name == "followup_late"]
    slack.fail_next("chat.postMessage", 500)
    report = tick(rt, TWICE, jobs=jobs)
    assert [d.outcome for d in report.done] == ["failed"]
    tick(rt, TWICE + timedelta(minutes=2), jobs=jobs)
    tick(rt, TWICE + timedelta(minutes=4), jobs=jobs)
    assert len(_flags(slack)) == 1


def test_two_schedulers_racing_flag_once(
    any_runtime: Runtime, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = replace(any_runtime, settings=replace(any_runtime.settings, **world_settings(slack)))
    add_people(slack)
    serve_history(slack)
    _open_followups(rt, monkeypatch)
    barrier = threading.Barrier(4)

    def run() -> None:
        def after_everyone_planned(workspace_id: str) -> WebClient | None:
            barrier.wait(timeout=20)
            return client_for_workspace(rt, workspace_id)

        tick(rt, TWICE, client_for=after_everyone_planned)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_flags(slack)) == 2  # Cy and the hostile name, once each
    assert len(tagged(slack, GLOBEX_CHANNEL, "voc_followup_late")) == 1
    assert len(reminders_to(slack, AM)) == 1
