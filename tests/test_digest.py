"""What the account team reads before the customer review, as posted in the account channel."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Commitment
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER, OUTSIDER, SPONSOR, account_row, load, response_row
from tests.reminders_world import serve_history
from tests.reviews import (
    CHANNEL,
    DIGEST_DUE,
    MINUTE,
    PARIS,
    account_id,
    add_last_review,
    block_texts,
    digests_in,
    load_acme,
    schedule,
    scheduler_settings,
    tick,
)
from tests.slack import FakeSlack, assert_valid_message


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    return make_runtime(**scheduler_settings(slack))


def _posted_digest(rt: Runtime, slack: FakeSlack) -> dict[str, Any]:
    tick(rt, DIGEST_DUE)
    [digest] = digests_in(slack)
    return digest


def _sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def _section_with(message: dict[str, Any], title: str) -> str:
    return next(text for text in _sections(message) if title in text)


def test_the_notification_says_when_how_it_goes_and_what_needs_attention(
    rt: Runtime, slack: FakeSlack
) -> None:
    load_acme(rt)
    add_last_review(rt)
    schedule(rt)
    digest = _posted_digest(rt, slack)
    # Q4 NPS: 2 promoters, 1 detractor of 4 → +25; Q3: 2 − 1 of 3 who answered → +33, so ▼8.
    # Open: the roadmap call and the support engineer. Dissatisfied in Q4: Bob (6) and Cy (4).
    assert digest["text"] == (
        "Review with ACME Corp on Thu 3 Dec: NPS +25 (▼8), 2 open commitments, "
        "2 people dissatisfied"
    )
    assert_valid_message(digest)
    assert len(digest["blocks"]) <= 50
    assert digest["metadata"]["event_payload"]["key"].startswith("digest:")


def test_it_opens_with_what_was_promised_last_time(rt: Runtime, slack: FakeSlack) -> None:
    load_acme(rt)
    add_last_review(rt)
    schedule(rt)
    since = _section_with(_posted_digest(rt, slack), "Since the last review")
    done = next(line for line in since.splitlines() if "Fix the invoice format" in line)
    assert done.startswith(":white_check_mark:") and f"<@{AM}>" in done
    still_open = next(line for line in since.splitlines() if "Quarterly roadmap call" in line)
    assert still_open.startswith(":white_large_square:") and f"<@{SPONSOR}>" in still_open
    assert "overdue" in still_open  # due 15 November, read on 1 December
    before = since.split("Still open from before the last review")[1]
    assert "Named support engineer" in before
    assert "1 of 2 done" in since


def test_results_against_segment_and_all_customers_with_the_trend(
    rt: Runtime, slack: FakeSlack
) -> None:
    load_acme(rt)
    schedule(rt)
    digest = _posted_digest(rt, slack)
    results = _section_with(digest, "This cycle's results")
    assert "2026-Q4, 4 respondents" in results
    assert "*NPS +25*  ▼ -8 vs 2026-Q3" in results
    assert "not statistically significant" in results
    # Satisfaction Q4 (10 + 6 + 4 + 9)/4 = 7.25; Q3 (9 + 8 + 5 + 8)/4 = 7.5 → ▼ -0.2.
    assert "*Satisfaction 7.2/10*  ▼ -0.2 vs 2026-Q3" in results
    benchmarks = _section_with(digest, "Against the benchmarks")
    # Enterprise Q4: ACME's 4 + Globex's promoter → 3 − 1 of 5 = +40, 15 points above ACME.
    # All customers adds Initech's detractor: 3 − 2 of 6 = +17, 8 points below ACME.
    assert "NPS: 15 points below Enterprise (+40) · 8 points above all customers (+17)" in (
        benchmarks
    )
    # Satisfaction: Enterprise (29 + 7)/5 = 7.2 (in line); all (36 + 2)/6 = 6.3 (0.9 below).
    assert "Satisfaction: in line with Enterprise (7.2) · 0.9 above all customers (6.3)" in (
        benchmarks
    )
    upload = slack.uploads[-1]
    assert upload.content is not None and upload.content.startswith(b"\x89PNG")
    assert (upload.channel_id, upload.thread_ts) == (CHANNEL, digest["ts"])
    assert "trend chart is in the thread" in block_texts(digest)


def test_the_people_who_need_a_word(rt: Runtime, slack: FakeSlack) -> None:
    load_acme(rt)
    schedule(rt)
    people = _section_with(_posted_digest(rt, slack), "The people")
    assert people.index("Cy Dunn") < people.index("Bob Ray")
    assert "Ann Lee" not in people.split("*Moved band")[0]  # totally satisfied, not listed
    assert "Moved band since 2026-Q3:* Bob Ray satisfied → dissatisfied" in people
    assert "Answered last time, not this time:* Ed Wu" in people


def test_roles_mention_both_and_the_three_questions(rt: Runtime, slack: FakeSlack) -> None:
    load_acme(rt)
    schedule(rt)
    roles = _section_with(_posted_digest(rt, slack), "Who says what")
    assert f"<@{SPONSOR}> (executive sponsor) opens: the company overview, our future plans" in (
        roles
    )
    assert "Voice of the Customer programme" in roles
    assert f"<@{AM}> (account manager) covers the feedback" in roles
    assert ">1. What can I do to improve your satisfaction and loyalty?" in roles
    assert ">2. What can the company do to improve?" in roles
    assert ">3. What would make you totally satisfied?" in roles


def test_a_checklist_and_a_button_to_log_this_meetings_commitments(
    rt: Runtime, slack: FakeSlack
) -> None:
    load_acme(rt)
    meeting_id = schedule(rt)
    digest = _posted_digest(rt, slack)
    assert "Dry-run checklist" in _section_with(digest, "Dry-run checklist")
    [button] = [
        element
        for block in digest["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert button["action_id"] == "commitments_open_modal"
    assert json.loads(button["value"]) == {
        "account_id": account_id(rt),
        "meeting_id": meeting_id,
    }


def test_a_strategic_account_without_sponsor_or_recent_review_is_flagged(
    rt: Runtime, slack: FakeSlack
) -> None:
    load_acme(rt, exec_sponsor=None)
    schedule(rt)
    digest = _posted_digest(rt, slack)
    text = block_texts(digest)
    assert ":warning: Strategic account without an executive sponsor." in text
    assert "No customer review meeting on record (quarterly cadence)." in text
    assert "No executive sponsor: name one with `/voc sponsor ACME Corp @person`" in text


def test_customer_words_are_shown_literally(rt: Runtime, slack: FakeSlack) -> None:
    load(
        rt,
        [account_row("ACME <Corp>")],
        [
            response_row(
                "ACME <Corp>",
                "2026-Q4",
                "Eve <Hacker>",
                3,
                2,
                2,
                comment="<!channel> call me <https://evil.example|click> & win",
            )
        ],
    )
    with transaction(rt.sessions) as session:
        session.add(
            Commitment(
                workspace_id="local",
                account_id=account_id(rt, "ACME <Corp>"),
                text="Ping <!here> & <@U0AM00001>",
                owner=AM,
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
    schedule(rt, name="ACME <Corp>")
    digest = _posted_digest(rt, slack)
    text = block_texts(digest)
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; call me &lt;https://evil.example|click&gt; &amp; win" in text
    assert "Ping &lt;!here&gt; &amp; &lt;@U0AM00001&gt;" in text
    assert digest["text"].startswith("Review with ACME &lt;Corp&gt; on Thu 3 Dec")


def test_an_account_without_results_still_gets_a_useful_digest(
    rt: Runtime, slack: FakeSlack
) -> None:
    load(rt, [account_row("ACME Corp")])
    schedule(rt)
    digest = _posted_digest(rt, slack)
    assert digest["text"] == (
        "Review with ACME Corp on Thu 3 Dec: no feedback results yet, 0 open commitments"
    )
    assert "No feedback results yet for this account." in block_texts(digest)
    assert slack.uploads == []


def test_a_big_account_fits_slack_limits(rt: Runtime, slack: FakeSlack) -> None:
    rows = [
        response_row(
            "ACME Corp",
            cycle,
            f"Person {i:03d}",
            i % 11,
            (i * 7) % 11,
            i % 5,
            comment="Long comment about support and invoices. " * 30,
        )
        for cycle in ("2026-Q3", "2026-Q4")
        for i in range(200)
    ]
    load(rt, [account_row("ACME Corp")], rows)
    acme = account_id(rt)
    with transaction(rt.sessions) as session:
        session.add_all(
            Commitment(
                workspace_id="local",
                account_id=acme,
                text=f"Promise number {n}: " + "x" * 400,
                owner=AM,
                created_at=datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=n),
            )
            for n in range(60)
        )
    schedule(rt)
    digest = _posted_digest(rt, slack)
    assert len(digest["blocks"]) <= 50
    assert all(len(text) <= 3000 for text in _sections(digest))
    assert "…and 48 more: `/voc open ACME Corp`" in block_texts(digest)
    assert "more: `/voc account ACME Corp`" in block_texts(digest)


# -- /voc digest ------------------------------------------------------------------------------


def _ask(bot: SlackBot, text: str, user: str = AM) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


@pytest.fixture
def team_bot(make_bot: Callable[..., SlackBot]) -> SlackBot:
    bot = make_bot(timezone="Europe/Paris")
    load_acme(bot.runtime)
    bot.slack.add_channel(CHANNEL, members=[MEMBER])
    return bot


def test_voc_digest_posts_it_now_in_the_account_channel(team_bot: SlackBot) -> None:
    reply = _ask(team_bot, "digest acme")
    assert reply["text"] == f"The digest of *ACME Corp* is in <#{CHANNEL}>."
    [digest] = digests_in(team_bot.slack)
    assert digest["text"].startswith("Review with ACME Corp: NPS +25 (▼8)")
    assert "No review meeting scheduled yet" in block_texts(digest)
    team_bot.slack.wait_for("files.completeUploadExternal")
    assert team_bot.slack.uploads[-1].thread_ts == digest["ts"]


def test_voc_digest_prepares_the_next_meeting_and_goes_where_asked(team_bot: SlackBot) -> None:
    schedule(team_bot.runtime, datetime.now(UTC) + timedelta(days=30), now=datetime.now(UTC))
    team_bot.slack.add_channel("C0PREP001", name="acme-prep", members=[AM])
    reply = _ask(team_bot, "digest ACME Corp <#C0PREP001|acme-prep>")
    assert "<#C0PREP001>" in reply["text"]
    [digest] = digests_in(team_bot.slack, "C0PREP001")
    assert digest["text"].startswith("Review with ACME Corp on ")
    assert digests_in(team_bot.slack) == []


def test_voc_digest_is_for_the_account_team_only(team_bot: SlackBot) -> None:
    team_bot.slack.add_user(OUTSIDER)
    reply = _ask(team_bot, "digest acme", user=OUTSIDER)
    assert "not on the account team" in reply["text"]
    assert team_bot.slack.calls_to("chat.postMessage") == []


def test_voc_digest_mentions_the_people_its_roster_names_by_email(
    make_bot: Callable[..., SlackBot],
) -> None:
    bot = make_bot(timezone="Europe/Paris")
    load_acme(
        bot.runtime,
        account_manager="alice@example.com",
        exec_sponsor="sam@example.com",  # not in Slack: stays text
        team=f"{MEMBER}, alice@example.com",
    )
    bot.slack.add_user("U0ALICE01", email="alice@example.com", name="Alice")
    bot.slack.add_channel(CHANNEL, members=[MEMBER])
    _ask(bot, "digest acme", user=MEMBER)
    [digest] = digests_in(bot.slack)
    roles = _section_with(digest, "Who says what")
    assert "sam@example.com (executive sponsor) opens" in roles
    assert "<@U0ALICE01> (account manager) covers the feedback" in roles
    assert "alice@example.com" not in block_texts(digest)


def test_voc_digest_explains_a_channel_it_cannot_post_in(team_bot: SlackBot) -> None:
    team_bot.slack.add_channel("C0PRIVATE", is_private=True, is_member=False)
    reply = _ask(team_bot, "digest acme <#C0PRIVATE|secret>")
    assert "could not post the digest of *ACME Corp*" in reply["text"]
    assert "not_in_channel" in reply["text"]


def test_voc_digest_stored_by_slack_before_a_500_is_found_not_posted_twice(
    team_bot: SlackBot,
) -> None:
    slack = team_bot.slack
    serve_history(slack)
    real = slack.workspace.call

    def store_then_fail(params: dict[str, Any]) -> dict[str, Any]:
        real("chat.postMessage", params)
        slack.set_handler("chat.postMessage", lambda p: real("chat.postMessage", p))
        return {"ok": False, "error": "internal_error"}

    slack.set_handler("chat.postMessage", store_then_fail)
    reply = _ask(team_bot, "digest acme")
    assert reply["text"] == f"The digest of *ACME Corp* is in <#{CHANNEL}>."
    assert len(digests_in(slack)) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_voc_digest_inside_the_lead_window_stands_in_for_the_scheduled_digest(
    make_bot: Callable[..., SlackBot],
) -> None:
    # Five working days' lead and a meeting three days away: the window opened days ago, so
    # the scheduled digest is already owed when the person asks for one.
    bot = make_bot(timezone="Europe/Paris", digest_lead_days=5)
    load_acme(bot.runtime)
    bot.slack.add_channel(CHANNEL, members=[MEMBER])
    asked_at = datetime.now(UTC)
    schedule(bot.runtime, asked_at + timedelta(days=3), now=asked_at)
    reply = _ask(bot, "digest acme")
    assert reply["text"] == f"The digest of *ACME Corp* is in <#{CHANNEL}>."
    tick(bot.runtime, datetime.now(UTC) + MINUTE)
    assert len(digests_in(bot.slack)) == 1


def test_a_later_digest_hour_moves_digests_already_scheduled(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    before = make_runtime(**scheduler_settings(slack))
    load_acme(before)
    meeting_id = schedule(before)  # due Tuesday 1 December at 09:00 Paris
    later = make_runtime(**scheduler_settings(slack), digest_hour=15)
    tick(later, DIGEST_DUE)
    assert digests_in(slack) == []
    tick(later, datetime(2026, 12, 1, 15, 0, tzinfo=PARIS))
    [digest] = digests_in(slack)
    # 15:00 Paris in December is 14:00 UTC.
    assert digest["metadata"]["event_payload"]["key"] == (
        f"digest:{meeting_id}:2026-12-01T14:00:00+00:00"
    )


def test_a_shorter_lead_moves_digests_already_scheduled(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    before = make_runtime(**scheduler_settings(slack))
    load_acme(before)
    schedule(before)  # Thursday's meeting, due Tuesday with two working days' lead
    later = make_runtime(**scheduler_settings(slack), digest_lead_days=1)
    tick(later, DIGEST_DUE)
    assert digests_in(slack) == []
    tick(later, datetime(2026, 12, 2, 9, 0, tzinfo=PARIS))  # Wednesday, one working day before
    assert len(digests_in(slack)) == 1
