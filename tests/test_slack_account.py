"""`/voc account` through the real HTTP path: signed requests in, Slack Web API calls out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import transaction
from storage.models import Account, Commitment
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, AM, MEMBER, OUTSIDER, account_row, load, response_row
from tests.slack import assert_valid_blocks


def _text_of(payload: dict[str, Any]) -> str:
    """Everything a reader could see in a message: fallback text and every text in its blocks."""
    blocks = json.dumps(payload.get("blocks") or [], ensure_ascii=False)
    return payload.get("text", "") + "\n" + blocks


def _ask(bot: SlackBot, text: str, user: str = AM) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    reply = bot.requests.slash_command(text, user_id=user, response_url=url)
    assert reply.status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


ACME_Q3 = [
    # satisfaction, recommend, continue
    ("Ann Lee", 9, 10, 9),
    ("Bob Ray", 8, 9, 8),
    ("Cy Dunn", 5, 4, 8),  # dissatisfied, trapped
]
ACME_Q4 = [
    ("Ann Lee", 10, 10, 10),  # promoter
    ("Bob Ray", 6, 7, 5),  # passive, dissatisfied, high risk
    ("Cy Dunn", 4, 3, 3),  # detractor, dissatisfied, high risk
    ("Di Moss", 9, 9, 9),  # promoter
]


def _acme(bot: SlackBot, **account_fields: Any) -> None:
    rows = [response_row("ACME Corp", "2026-Q3", n, s, r, c) for n, s, r, c in ACME_Q3]
    rows += [response_row("ACME Corp", "2026-Q4", n, s, r, c) for n, s, r, c in ACME_Q4]
    rows += [response_row("Globex", "2026-Q4", "Gus Fring", 7, 10, 9)]
    rows += [response_row("Initech", "2026-Q4", "Pete Gibbons", 2, 0, 2, segment="x")]
    load(
        bot.runtime,
        [
            account_row("ACME Corp", **account_fields),
            account_row("Globex", channel="C0GLOBEX1"),
            account_row("Initech", segment="Mid-Market", channel="C0INITEC1"),
        ],
        rows,
    )


def test_the_account_manager_sees_the_report_privately(bot: SlackBot) -> None:
    _acme(bot)
    payload = _ask(bot, "account acme")
    assert payload["response_type"] == "ephemeral"
    assert_valid_blocks(payload["blocks"])
    text = _text_of(payload)
    # Q4: 2 promoters, 1 passive, 1 detractor of 4 → (2 − 1)/4 = +25.
    # Q3: 2 promoters (10, 9), 0 passives, 1 detractor of 3 → (2 − 1)/3 = +33.3, so −8.
    assert "NPS +25" in text
    assert "▼ -8 vs 2026-Q3" in text
    # Satisfaction Q4: (10 + 6 + 4 + 9)/4 = 7.25 → "7.2"; Q3: 22/3 = 7.33 → change −0.1.
    assert "Satisfaction 7.2/10" in text
    assert "not statistically significant" in text
    # Enterprise segment Q4 = ACME's 4 + Globex's 1 (recommend 10): 3 promoters, 1 detractor of 5
    # → +40; all customers adds Initech's detractor: 3 − 2 of 6 → +17.
    assert "NPS +40" in text and "NPS +17" in text
    people = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    listing = next(t for t in people if "Ann Lee" in t)
    # Dissatisfied and high risk first, lowest satisfaction first: Cy (4), Bob (6), then others.
    assert listing.index("Cy Dunn") < listing.index("Bob Ray") < listing.index("Di Moss")
    assert "high risk" in listing


def test_a_forgiving_name_finds_the_account_and_a_miss_suggests(bot: SlackBot) -> None:
    _acme(bot)
    assert "ACME Corp" in _text_of(_ask(bot, "account ACME corp"))
    miss = _ask(bot, "account acne corp")
    assert "Did you mean ACME Corp?" in miss["text"]
    assert "blocks" not in miss or not miss["blocks"]


def test_several_matches_are_listed(bot: SlackBot) -> None:
    load(bot.runtime, [account_row("Acme East"), account_row("Acme West")])
    answer = _ask(bot, "account acme")["text"]
    assert "Several accounts match" in answer
    assert "Acme East" in answer and "Acme West" in answer


def test_someone_outside_the_team_learns_nothing_but_whom_to_ask(bot: SlackBot) -> None:
    _acme(bot)
    bot.slack.add_user(OUTSIDER, email="out@vendor.example")
    bot.slack.add_channel("C0ACME001", members=[MEMBER])
    payload = _ask(bot, "account acme", user=OUTSIDER)
    text = _text_of(payload)
    assert "not on the account team" in text
    assert f"<@{AM}>" in text
    assert "NPS" not in text and "Cy Dunn" not in text


@pytest.mark.parametrize("how", ["admin", "channel member", "team email", "open access"])
def test_who_else_may_read_the_report(make_bot: Callable[..., SlackBot], how: str) -> None:
    reader = "U0READER1"
    overrides: dict[str, Any] = {}
    if how == "admin":
        overrides["admins"] = frozenset({ADMIN})
        reader = ADMIN
    if how == "open access":
        overrides["access"] = "open"
    bot = make_bot(**overrides)
    _acme(bot, team="reader@acme-vendor.example")
    bot.slack.add_user(reader, email="reader@acme-vendor.example" if how == "team email" else None)
    bot.slack.add_channel("C0ACME001", members=[reader] if how == "channel member" else [])
    assert "NPS +25" in _text_of(_ask(bot, "account acme", user=reader))


def test_customer_text_is_shown_literally_and_pings_nobody(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [account_row("ACME Corp")],
        [
            response_row(
                "ACME Corp",
                "2026-Q4",
                "Eve <Hacker>",
                3,
                2,
                2,
                comment="<!channel> call me <https://evil.example|click> & win",
                title="CEO <@U0AM00001>",
            )
        ],
    )
    text = _text_of(_ask(bot, "account acme"))
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; call me &lt;https://evil.example|click&gt; &amp; win" in text
    assert "Eve &lt;Hacker&gt;" in text and "CEO &lt;@U0AM00001&gt;" in text


def test_an_account_without_results_says_so(bot: SlackBot) -> None:
    load(bot.runtime, [account_row("ACME Corp")])
    payload = _ask(bot, "account acme")
    assert_valid_blocks(payload["blocks"])
    assert "No feedback results yet" in _text_of(payload)


def test_a_single_respondent_is_reported(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [account_row("ACME Corp")],
        [response_row("ACME Corp", "2026-Q4", "Solo", 7, 9, 8)],
    )
    text = _text_of(_ask(bot, "account acme"))
    # One promoter of one → +100.
    assert "NPS +100" in text and "1 respondent\\n" not in text and "1 respondent" in text


def test_two_hundred_respondents_fit_slack_limits_with_a_way_to_see_all(bot: SlackBot) -> None:
    rows = [
        response_row(
            "ACME Corp",
            "2026-Q4",
            f"Person {i:03d}",
            i % 11,
            (i * 7) % 11,
            8,
            comment="Long comment about support. " * 40,
        )
        for i in range(200)
    ]
    load(bot.runtime, [account_row("ACME Corp")], rows)
    payload = _ask(bot, "account acme")
    assert len(payload["blocks"]) <= 50
    assert_valid_blocks(payload["blocks"])
    text = _text_of(payload)
    assert "and 188 more" in text
    button = next(
        e
        for b in payload["blocks"]
        if b["type"] == "section" and "accessory" in b
        for e in [b["accessory"]]
    )
    reply = bot.requests.block_action(
        button["action_id"],
        button["value"],
        user_id=AM,
        message=payload,
        channel_id="C0ACME001",
        response_url=bot.slack.response_url(),
    )
    assert reply.status == 200
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert len(view["blocks"]) <= 100
    shown = json.dumps(view["blocks"])
    assert sum(f"Person {i:03d}" in shown for i in range(200)) == 200


def test_the_trend_chart_goes_to_the_requester_only(bot: SlackBot) -> None:
    _acme(bot)
    bot.slack.add_user(AM, tz="Europe/Paris")
    payload = _ask(bot, "account acme")
    chart = next(e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.requests.block_action(
        chart["action_id"],
        chart["value"],
        user_id=AM,
        message=payload,
        response_url=bot.slack.response_url(),
    )
    bot.slack.wait_for("files.completeUploadExternal")
    upload = bot.slack.uploads[-1]
    assert upload.content.startswith(b"\x89PNG")
    assert upload.channel_id == bot.slack.dm_channel(AM)


def test_help_lists_every_subcommand_with_an_example(bot: SlackBot) -> None:
    for text in ("", "help"):
        answer = _ask(bot, text)["text"]
        assert "/voc account NAME" in answer and "e.g. `/voc account halvorsen`" in answer
    unknown = _ask(bot, "acount acme")["text"]
    assert "`/voc acount` is not a command I know" in unknown
    assert "/voc account NAME" in unknown


def test_forged_and_stale_signatures_are_rejected(bot: SlackBot) -> None:
    _acme(bot)
    forged = bot.requests.slash_command("account acme", signature="v0=" + "0" * 64)
    stale = bot.requests.slash_command("account acme", timestamp=int(time.time()) - 600)
    assert forged.status == 401 and stale.status == 401
    assert bot.slack.responses == []


def test_a_redelivered_event_is_handled_once(bot: SlackBot) -> None:
    event = {"type": "app_home_opened", "user": AM, "channel": "D0AM", "tab": "home"}
    assert bot.requests.event(event, event_id="Ev0001").status == 200
    bot.slack.wait_for("views.publish")
    assert bot.requests.event(event, event_id="Ev0001", retry_num=1).status == 200
    # A later, different event is handled after the retry was; by then the retry is done with.
    later = {**event, "user": MEMBER}
    assert bot.requests.event(later, event_id="Ev0002").status == 200
    published = bot.slack.wait_for("views.publish", count=2)
    assert [call.params["user_id"] for call in published] == [AM, MEMBER]


def test_health_check_answers(bot: SlackBot) -> None:
    from urllib.request import urlopen

    with urlopen(f"{bot.base_url}/healthz") as response:
        assert response.status == 200
        assert json.loads(response.read())["status"] == "ok"


# --- people named by email in the roster -----------------------------------------------------

JORDAN = "U0JORDAN1"
JORDAN_EMAIL = "jordan.ellis@vendor.example"


def _acme_with_emails(bot: SlackBot, sponsor: str = "sam.ruiz@vendor.example") -> None:
    """ACME's roster names its account manager and sponsor by email, as rosters do; Jordan
    also owns an open promise, written by email too."""
    _acme(bot, account_manager=JORDAN_EMAIL, exec_sponsor=sponsor)
    bot.slack.add_user(JORDAN, email=JORDAN_EMAIL, name="Jordan Ellis")
    with transaction(bot.runtime.sessions) as session:
        acme = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        session.add(
            Commitment(
                workspace_id="local",
                account_id=acme.id,
                text="Send the SSO plan",
                owner=JORDAN_EMAIL,
                created_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            )
        )


def test_the_report_mentions_the_people_its_roster_names_by_email(bot: SlackBot) -> None:
    _acme_with_emails(bot, sponsor=JORDAN_EMAIL)
    payload = _ask(bot, "account acme", user=MEMBER)
    assert_valid_blocks(payload["blocks"])
    text = _text_of(payload)
    assert f"account manager <@{JORDAN}> · exec sponsor <@{JORDAN}>" in text
    assert f"Send the SSO plan — <@{JORDAN}>, " in text
    assert JORDAN_EMAIL not in text


def test_an_email_slack_does_not_know_stays_text(bot: SlackBot) -> None:
    _acme_with_emails(bot)
    text = _text_of(_ask(bot, "account acme", user=MEMBER))
    assert f"account manager <@{JORDAN}> · exec sponsor sam.ruiz@vendor.example" in text


def test_a_refusal_mentions_whom_to_ask(bot: SlackBot) -> None:
    _acme_with_emails(bot)
    bot.slack.add_user(OUTSIDER, email="out@vendor.example")
    bot.slack.add_channel("C0ACME001", members=[MEMBER])
    text = _ask(bot, "account acme", user=OUTSIDER)["text"]
    # The manager first, then the sponsor, whom Slack does not know.
    assert f"Ask <@{JORDAN}> or sam.ruiz@vendor.example to add you" in text
    assert JORDAN_EMAIL not in text


def test_an_overdue_commitment_is_flagged_in_the_report(bot: SlackBot) -> None:
    _acme(bot)
    with transaction(bot.runtime.sessions) as session:
        acme = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        for text, due in (
            ("Send the root-cause report", date(2020, 1, 15)),
            ("Roadmap call", date(2099, 1, 15)),
        ):
            session.add(
                Commitment(
                    workspace_id="local",
                    account_id=acme.id,
                    text=text,
                    owner=AM,
                    due_on=due,
                    created_at=datetime(2020, 1, 1, tzinfo=UTC),
                )
            )
    payload = _ask(bot, "account acme")
    assert_valid_blocks(payload["blocks"])
    section = next(
        b["text"]["text"] for b in payload["blocks"] if "*Open commitments*" in json.dumps(b)
    )
    [late] = [line for line in section.splitlines() if "root-cause" in line]
    [later] = [line for line in section.splitlines() if "Roadmap call" in line]
    assert ":warning: overdue" in late and "overdue" not in later
