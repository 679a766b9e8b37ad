"""Commitments through the real HTTP path: the modal as Slack shows it, submitted the way Slack
sends it, and what people then see — channel messages, DMs, thread replies, App Home — when they
react, unreact, or press Done."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from storage.db import transaction
from storage.models import Account, AuditEntry, Commitment, Cycle, Meeting
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, AM, MEMBER, OUTSIDER, SPONSOR, account_row, load, response_row
from tests.slack import (
    BOT_USER_ID,
    FakeSlack,
    HttpReply,
    datepicker_value,
    plain_text_value,
    static_select_value,
    users_select_value,
)

ACME_CHANNEL = "C0ACME001"
PRODUCT_CHANNEL = "C0PRODUCT"
OTHER_CHANNEL = "C0RANDOM1"
# The fake gives every user Europe/Paris; "today" and "the past" are theirs.
TODAY = datetime.now(ZoneInfo("Europe/Paris")).date()
SOON = TODAY + timedelta(days=14)
LATER = TODAY + timedelta(days=40)


# --- the portfolio and the people ------------------------------------------------------------


def _portfolio(bot: SlackBot, **acme_fields: Any) -> None:
    load(
        bot.runtime,
        [account_row("ACME Corp", **acme_fields), account_row("Globex", channel="C0GLOBEX1")],
        [
            response_row(
                "ACME Corp",
                "2026-Q4",
                "Cy Dunn",
                4,
                3,
                3,
                comment="Support tickets sit for days",
            ),
            response_row("ACME Corp", "2026-Q4", "Ann Lee", 9, 10, 9, comment="Great onboarding"),
        ],
    )
    bot.slack.add_user(AM, name="Alma Manager")
    bot.slack.add_user(MEMBER, name="Tess Member")
    bot.slack.add_user(SPONSOR, name="Seb Sponsor")
    bot.slack.add_user(OUTSIDER, name="Otto Outsider")
    bot.slack.add_user(ADMIN, name="Ada Admin")
    bot.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM, MEMBER])
    bot.slack.add_channel(OTHER_CHANNEL, name="random", members=[AM, MEMBER, OUTSIDER])


def _expect(bot: SlackBot, method: str, more: int = 1) -> Callable[[], list[Any]]:
    """Wait later for `more` calls to `method` beyond those made so far."""
    seen = len(bot.slack.calls_to(method))
    return lambda: bot.slack.wait_for(method, count=seen + more)


def _text_of(payload: dict[str, Any]) -> str:
    """Everything a reader could see in a message: fallback text and every text in its blocks."""
    return payload.get("text", "") + "\n" + json.dumps(payload.get("blocks") or [])


def _top_level(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages_in(channel) if "thread_ts" not in m]


def _thread(slack: FakeSlack, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in slack.messages_in(channel) if m.get("thread_ts") == ts]


def _commitments(bot: SlackBot) -> list[Commitment]:
    with bot.runtime.sessions() as session:
        return list(session.scalars(select(Commitment).order_by(Commitment.id)))


def _audit(bot: SlackBot) -> list[tuple[str, str]]:
    with bot.runtime.sessions() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == "commitment")
            .order_by(AuditEntry.id)
        ).all()
    return [(row.action, row.actor) for row in rows]


def _ask(bot: SlackBot, text: str, user: str = AM) -> dict[str, Any]:
    """A slash command whose answer comes back on its response URL."""
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    bot.requests.slash_command(text, user_id=user, response_url=url)
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _press(bot: SlackBot, value: str, user: str, message: dict[str, Any]) -> dict[str, Any]:
    """Press Done in an ephemeral list; returns what the bot answered on the response URL."""
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    bot.requests.block_action(
        "commitment_done", value, user_id=user, message=message, response_url=url
    )
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


# --- the modal, read and filled the way a person (and Slack) would ---------------------------


def _open_modal(bot: SlackBot, text: str = "commit acme", user: str = AM) -> dict[str, Any]:
    opened = _expect(bot, "views.open")
    reply = bot.requests.slash_command(text, user_id=user, channel_id=ACME_CHANNEL)
    assert reply.status == 200
    return opened()[-1].response["view"]


def _rows(view: dict[str, Any]) -> list[dict[str, dict[str, Any]]]:
    """Each row's input blocks by the label a person reads."""
    rows: list[dict[str, dict[str, Any]]] = []
    for block in view["blocks"]:
        if block["type"] == "section" and block["text"]["text"].startswith("*Commitment "):
            rows.append({})
        elif block["type"] == "input" and rows:
            rows[-1][block["label"]["text"]] = block
    return rows


def _shown(element: dict[str, Any]) -> dict[str, Any]:
    """What an untouched input holds: Slack submits the initial value."""
    kind = element["type"]
    if kind == "plain_text_input":
        return plain_text_value(element.get("initial_value"))
    if kind == "users_select":
        return users_select_value(element.get("initial_user"))
    if kind == "datepicker":
        return datepicker_value(element.get("initial_date"))
    if kind == "static_select":
        return {"type": "static_select", "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": "checkboxes", "selected_options": element.get("initial_options", [])}
    raise AssertionError(f"unexpected input element {kind}")


def _picked(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """What a person's choice looks like in view.state: options are picked by their text."""
    kind = element["type"]
    if kind == "plain_text_input":
        return plain_text_value(value)
    if kind == "users_select":
        return users_select_value(value)
    if kind == "datepicker":
        return datepicker_value(value.isoformat() if isinstance(value, date) else value)
    if kind == "static_select":
        if value is None:
            return static_select_value(None)
        option = next(o for o in element["options"] if o["text"]["text"].startswith(value))
        return static_select_value(option["value"], option["text"]["text"])
    if kind == "checkboxes":
        return {"type": "checkboxes", "selected_options": element["options"] if value else []}
    raise AssertionError(f"unexpected input element {kind}")


def _state(
    view: dict[str, Any], typed: list[dict[str, Any]], account: str | None = None
) -> dict[str, Any]:
    """`view.state.values` as Slack sends it: every input, changed where the person typed."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            values[block["block_id"]] = {element["action_id"]: _shown(element)}
    for row, changes in zip(_rows(view), typed, strict=False):
        for label, value in changes.items():
            element = row[label]["element"]
            values[row[label]["block_id"]] = {element["action_id"]: _picked(element, value)}
    if account is not None:
        block = next(
            b for b in view["blocks"] if b["type"] == "input" and b["label"]["text"] == "Account"
        )
        values[block["block_id"]] = {block["element"]["action_id"]: plain_text_value(account)}
    return values


def _click_in_modal(
    bot: SlackBot, view: dict[str, Any], action_id: str, typed: list[dict[str, Any]], **kw: Any
) -> dict[str, Any]:
    updated = _expect(bot, "views.update")
    reply = bot.requests.block_action(
        action_id, view=view, state_values=_state(view, typed), user_id=kw.pop("user", AM), **kw
    )
    assert reply.status == 200
    updated()
    current = bot.slack.view(view["id"])
    assert current is not None
    return current


def _submit(
    bot: SlackBot,
    view: dict[str, Any],
    typed: list[dict[str, Any]],
    user: str = AM,
    account: str | None = None,
) -> HttpReply:
    return bot.requests.view_submission(view, user_id=user, values=_state(view, typed, account))


def _row(text: str, owner: str | None, due: date | None = SOON, **more: Any) -> dict[str, Any]:
    return {"What was promised": text, "Owner": owner, "Due": due, **more}


def _log(
    bot: SlackBot,
    rows: list[dict[str, Any]],
    *,
    user: str = AM,
) -> list[dict[str, Any]]:
    """Log commitments through the modal; returns their channel messages, in order.

    Each is posted in the channel (and its link asked for once saved), and its owner is told
    by DM unless the owner is the person logging it.
    """
    view = _open_modal(bot, user=user)
    for _ in rows[1:]:
        view = _click_in_modal(bot, view, "commitments_add_row", [])
    dms = sum(row["Owner"] != user for row in rows)
    posted = _expect(bot, "chat.postMessage", len(rows) + dms)
    linked = _expect(bot, "chat.getPermalink", len(rows))
    before = len(_top_level(bot.slack, ACME_CHANNEL))
    reply = _submit(bot, view, rows, user=user)
    assert reply.status == 200 and reply.body == b""  # an empty ack closes the modal
    posted()
    linked()
    return _top_level(bot.slack, ACME_CHANNEL)[before:]


# --- capture ---------------------------------------------------------------------------------


def test_the_modal_offers_the_fields_and_due_date_before_the_next_cycle(bot: SlackBot) -> None:
    load(bot.runtime, [account_row("ACME Corp")])
    # Two waves 60 days apart, the last one 20 days ago: customers are asked again in 40 days,
    # so by default a promise is due the day before, 39 days from today.
    with transaction(bot.runtime.sessions) as session:
        session.add(Cycle(workspace_id="local", label="Wave A", starts_on=TODAY - timedelta(80)))
        session.add(Cycle(workspace_id="local", label="Wave B", starts_on=TODAY - timedelta(20)))
    bot.slack.add_user(AM)
    view = _open_modal(bot)
    assert view["title"]["text"] == "Log commitments"
    [row] = _rows(view)
    assert list(row) == ["What was promised", "Owner", "Due", "Who must act", "Customer", "Answers"]
    assert row["Due"]["element"]["initial_date"] == (TODAY + timedelta(days=39)).isoformat()
    areas = [o["text"]["text"] for o in row["Who must act"]["element"]["options"]]
    assert areas == ["Account team", "Product", "Support", "Marketing", "Services", "Executive"]
    assert row["Who must act"]["element"]["initial_option"]["text"]["text"] == "Account team"
    later = _click_in_modal(bot, view, "commitments_add_row", [_row("Roadmap", AM, SOON)])
    first, added = _rows(later)
    assert first["Due"]["element"]["initial_date"] == SOON.isoformat()
    assert added["Due"]["element"]["initial_date"] == (TODAY + timedelta(days=39)).isoformat()


def test_an_account_name_with_an_ampersand_is_found(bot: SlackBot) -> None:
    load(bot.runtime, [account_row("Smith & Sons")])
    bot.slack.add_user(AM)
    view = _open_modal(bot, "commit smith &amp; sons")  # Slack escapes & in command text
    assert "Commitments to *Smith &amp; Sons*" in json.dumps(view["blocks"])


def test_without_a_known_next_cycle_the_due_date_is_a_month_out(bot: SlackBot) -> None:
    load(bot.runtime, [account_row("ACME Corp")])
    bot.slack.add_user(AM)
    [row] = _rows(_open_modal(bot))
    assert row["Due"]["element"]["initial_date"] == (TODAY + timedelta(days=30)).isoformat()


def test_logged_commitments_are_posted_dmed_and_announced_to_their_function(
    make_bot: Callable[..., SlackBot],
) -> None:
    bot = make_bot(area_channels={"product": PRODUCT_CHANNEL})
    _portfolio(bot)
    bot.slack.add_channel(PRODUCT_CHANNEL, name="product-feedback")
    view = _open_modal(bot)
    answers = [o["text"]["text"] for o in _rows(view)[0]["Answers"]["element"]["options"]]
    # The latest feedback is offered, the unhappiest first.
    assert answers[0].startswith("Cy Dunn (2026-Q4): Support tickets")
    view = _click_in_modal(
        bot, view, "commitments_add_row", [_row("Send the 2027 roadmap", MEMBER, LATER)]
    )
    [first, second] = _rows(view)
    # What was typed in the first row is still there after adding the second.
    assert first["What was promised"]["element"]["initial_value"] == "Send the 2027 roadmap"
    assert "initial_value" not in second["What was promised"]["element"]
    # 2 channel posts, 1 to Product, and 1 owner DM: the invoice is AM's own, AM logged it.
    posted = _expect(bot, "chat.postMessage", 4)
    linked = _expect(bot, "chat.getPermalink", 2)  # each asked for once its ts is saved
    reply = _submit(
        bot,
        view,
        [
            _row(
                "Send the 2027 roadmap",
                MEMBER,
                LATER,
                **{"Who must act": "Product", "Customer": True, "Answers": "Cy Dunn"},
            ),
            _row("Fix the invoice format <!channel>", AM, SOON),
        ],
    )
    assert reply.status == 200 and reply.body == b""
    posted()
    linked()

    roadmap, invoice = _top_level(bot.slack, ACME_CHANNEL)
    text = _text_of(roadmap)
    assert "Send the 2027 roadmap" in text and f"<@{MEMBER}>" in text
    assert f"|{LATER.isoformat()}>" in text and "<!date^" in text  # each reader's own timezone
    assert "Product" in text and "customer told" in text
    assert "Support tickets sit for days" in text
    assert "React with :white_check_mark: when done" in text
    assert "Fix the invoice format &lt;!channel&gt;" in _text_of(invoice)
    assert "<!channel>" not in _text_of(invoice)

    [dm] = bot.slack.messages_in(bot.slack.dm_channel(MEMBER))
    assert "Send the 2027 roadmap" in _text_of(dm) and "ACME Corp" in _text_of(dm)
    assert any(
        e.get("action_id") == "commitment_done"
        for b in dm["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )
    assert bot.slack.messages_in(bot.slack.dm_channel(AM)) == []
    [announcement] = bot.slack.messages_in(PRODUCT_CHANNEL)
    assert "Send the 2027 roadmap" in _text_of(announcement)
    assert "ACME Corp" in _text_of(announcement)

    saved = _commitments(bot)
    assert [(c.text, c.owner, c.due_on, c.area, c.customer_told) for c in saved] == [
        ("Send the 2027 roadmap", MEMBER, LATER, "product", True),
        ("Fix the invoice format <!channel>", AM, SOON, "account_team", False),
    ]
    assert all(c.status == "open" and c.created_by == AM for c in saved)
    assert [(c.channel, c.message_ts) for c in saved] == [
        (ACME_CHANNEL, roadmap["ts"]),
        (ACME_CHANNEL, invoice["ts"]),
    ]
    assert _audit(bot) == [("commitment.created", AM), ("commitment.created", AM)]


def test_the_account_report_lists_open_commitments(bot: SlackBot) -> None:
    _portfolio(bot)
    _log(bot, [_row("Send the 2027 roadmap", MEMBER, SOON)])
    text = _text_of(_ask(bot, "account acme"))
    assert "Open commitments" in text and "Send the 2027 roadmap" in text
    assert f"<@{MEMBER}>" in text


def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(bot: SlackBot) -> None:
    _portfolio(bot)
    view = _open_modal(bot)
    view = _click_in_modal(bot, view, "commitments_add_row", [])
    reply = _submit(
        bot,
        view,
        [
            _row("   ", None, TODAY - timedelta(days=1)),
            _row("Exec call with their CFO", SPONSOR, SOON),
        ],
    )
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    first = _rows(view)[0]
    assert answer["errors"] == {
        first["What was promised"]["block_id"]: "Say what was promised.",
        first["Owner"]["block_id"]: "Pick who owns it.",
        first["Due"]["block_id"]: (
            f"{(TODAY - timedelta(days=1)).isoformat()} has passed; pick today or a later day."
        ),
    }
    assert _commitments(bot) == []
    assert bot.slack.calls_to("chat.postMessage") == []


def test_an_unknown_account_or_an_outsider_gets_no_modal(bot: SlackBot) -> None:
    _portfolio(bot)
    url = bot.slack.response_url()
    bot.requests.slash_command("commit acne corp", user_id=AM, response_url=url)
    bot.requests.slash_command("commit acme", user_id=OUTSIDER, response_url=url)
    bot.requests.slash_command("commit", user_id=AM, response_url=url)
    bot.slack.wait_for_response_url(count=3)
    answers = sorted(payload["text"] for payload in bot.slack.responses_to(url))
    assert any("Did you mean ACME Corp?" in text for text in answers)
    assert any("not on the account team" in text and f"<@{AM}>" in text for text in answers)
    assert any("Which account?" in text for text in answers)
    assert bot.slack.calls_to("views.open") == []


def test_a_deleted_account_saves_nothing_and_says_so(bot: SlackBot) -> None:
    _portfolio(bot)
    view = _open_modal(bot)
    with transaction(bot.runtime.sessions) as session:
        session.execute(delete(Account).where(Account.name == "ACME Corp"))
    reply = _submit(bot, view, [_row("Send the roadmap", MEMBER)])
    answer = reply.json()
    assert answer["response_action"] == "update"
    assert "no longer exists" in json.dumps(answer["view"])
    assert _commitments(bot) == []


def test_someone_removed_from_the_team_while_the_modal_was_open_saves_nothing(
    bot: SlackBot,
) -> None:
    _portfolio(bot)
    view = _open_modal(bot, user=MEMBER)  # on the team as a listed member
    with transaction(bot.runtime.sessions) as session:
        session.scalars(select(Account).where(Account.name == "ACME Corp")).one().team = []
    bot.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM])
    reply = _submit(bot, view, [_row("Send the roadmap", MEMBER)], user=MEMBER)
    answer = reply.json()
    assert answer["response_action"] == "update"
    assert "not on the account team" in json.dumps(answer["view"])
    assert _commitments(bot) == []


@pytest.mark.parametrize("action", ["commitments_add_row", "commitments_remove_row"])
def test_someone_removed_from_the_team_cannot_change_the_modal_to_see_respondents(
    bot: SlackBot, action: str
) -> None:
    _portfolio(bot)
    view = _open_modal(bot, user=MEMBER)  # on the team as a listed member
    view = _click_in_modal(bot, view, "commitments_add_row", [], user=MEMBER)
    assert "Cy Dunn" in json.dumps(view["blocks"])  # the feedback it may answer names people
    with transaction(bot.runtime.sessions) as session:
        session.scalars(select(Account).where(Account.name == "ACME Corp")).one().team = []
    bot.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM])
    shown = json.dumps(_click_in_modal(bot, view, action, [], user=MEMBER))
    assert "not on the account team" in shown
    assert "Cy Dunn" not in shown and "Ann Lee" not in shown and "ACME" not in shown


def test_rows_can_be_removed_and_are_capped_at_ten(bot: SlackBot) -> None:
    _portfolio(bot)
    view = _open_modal(bot)
    view = _click_in_modal(bot, view, "commitments_add_row", [_row("First", AM)])
    view = _click_in_modal(
        bot, view, "commitments_add_row", [_row("First", AM), _row("Second", MEMBER)]
    )
    first_remove = _rows(view)  # three rows now
    assert len(first_remove) == 3
    remove_first = next(
        b["accessory"]["value"]
        for b in view["blocks"]
        if b["type"] == "section" and b["text"]["text"] == "*Commitment 1*"
    )
    view = _click_in_modal(
        bot,
        view,
        "commitments_remove_row",
        [_row("First", AM), _row("Second", MEMBER)],
        value=remove_first,
    )
    rows = _rows(view)
    assert [r["What was promised"]["element"].get("initial_value") for r in rows] == [
        "Second",
        None,
    ]
    assert rows[0]["Owner"]["element"]["initial_user"] == MEMBER
    # The second row kept its block ids, so Slack keeps whatever was typed there.
    assert (
        rows[0]["What was promised"]["block_id"] == first_remove[1]["What was promised"]["block_id"]
    )
    while len(_rows(view)) < 10:
        view = _click_in_modal(bot, view, "commitments_add_row", [])
    assert len(_rows(view)) == 10
    assert not any(b["type"] == "actions" for b in view["blocks"])
    assert "10 is the most" in json.dumps(view["blocks"])


def test_meeting_notes_become_one_row_per_bullet(bot: SlackBot) -> None:
    _portfolio(bot)
    notes = bot.slack.seed_message(
        ACME_CHANNEL,
        user=AM,
        text=(
            "Review with ACME, what we promised:\n"
            f"• <@{MEMBER}> send the roadmap\n"
            "• fix the invoice format &amp; PO numbers\n"
            "- exec call with their CFO"
        ),
    )
    opened = _expect(bot, "views.open")
    bot.requests.message_shortcut("log_commitment", notes, user_id=AM, channel_id=ACME_CHANNEL)
    view = opened()[-1].response["view"]
    rows = _rows(view)
    assert [r["What was promised"]["element"]["initial_value"] for r in rows] == [
        "send the roadmap",
        "fix the invoice format & PO numbers",
        "exec call with their CFO",
    ]
    assert rows[0]["Owner"]["element"]["initial_user"] == MEMBER
    assert "initial_user" not in rows[1]["Owner"]["element"]
    assert "ACME Corp" in json.dumps(view["blocks"])
    posted = _expect(bot, "chat.postMessage", 5)  # 3 posts; DMs to Tess and Seb, not to AM
    reply = _submit(bot, view, [{}, {"Owner": AM}, {"Owner": SPONSOR, "Who must act": "Executive"}])
    assert reply.body == b""
    posted()
    messages = _top_level(bot.slack, ACME_CHANNEL)[1:]  # after the notes themselves
    assert ["send the roadmap" in _text_of(m) for m in messages] == [True, False, False]
    assert "fix the invoice format &amp; PO numbers" in _text_of(messages[1])
    assert "Executive" in _text_of(messages[2])


def test_notes_in_an_account_channel_are_refused_to_an_outsider(bot: SlackBot) -> None:
    _portfolio(bot)
    notes = bot.slack.seed_message(ACME_CHANNEL, user=AM, text="• send the roadmap")
    url = bot.slack.response_url()
    bot.requests.message_shortcut(
        "log_commitment", notes, user_id=OUTSIDER, channel_id=ACME_CHANNEL, response_url=url
    )
    bot.slack.wait_for_response_url(count=1)
    [answer] = bot.slack.responses_to(url)
    assert "not on the account team of *ACME Corp*" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert bot.slack.calls_to("views.open") == []


def test_notes_outside_an_account_channel_ask_for_the_account(bot: SlackBot) -> None:
    _portfolio(bot)
    notes = bot.slack.seed_message(OTHER_CHANNEL, user=AM, text="Promised ACME a CFO call")
    opened = _expect(bot, "views.open")
    bot.requests.message_shortcut("log_commitment", notes, user_id=AM, channel_id=OTHER_CHANNEL)
    view = opened()[-1].response["view"]
    [row] = _rows(view)
    assert row["What was promised"]["element"]["initial_value"] == "Promised ACME a CFO call"
    miss = _submit(bot, view, [{"Owner": SPONSOR}], account="acne corp")
    assert miss.json() == {
        "response_action": "errors",
        "errors": {"account": 'No account is called "acne corp". Did you mean ACME Corp?'},
    }
    # Slack prints a field's error as plain text: what was typed comes back as typed.
    typed = _submit(bot, view, [{"Owner": SPONSOR}], account="Q&A <Ltd>")
    assert typed.json()["errors"]["account"] == 'No account is called "Q&A <Ltd>".'
    refused = _submit(bot, view, [{"Owner": SPONSOR}], user=OUTSIDER, account="acme")
    assert "not on the account team" in refused.json()["errors"]["account"]
    assert _commitments(bot) == []
    posted = _expect(bot, "chat.postMessage", 2)
    assert _submit(bot, view, [{"Owner": SPONSOR}], account="acme").body == b""
    posted()
    [commitment] = _commitments(bot)
    assert commitment.channel == ACME_CHANNEL  # the account's channel, not where notes were
    assert "Promised ACME a CFO call" in _text_of(_top_level(bot.slack, ACME_CHANNEL)[-1])


def test_when_the_channel_post_fails_it_is_saved_and_the_submitter_told(bot: SlackBot) -> None:
    _portfolio(bot)
    bot.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM, MEMBER], is_member=False)
    view = _open_modal(bot)
    posted = _expect(bot, "chat.postMessage", 3)  # failed post, owner DM, note to submitter
    assert _submit(bot, view, [_row("Send the roadmap", MEMBER)]).body == b""
    posted()
    [commitment] = _commitments(bot)
    assert commitment.status == "open" and commitment.message_ts is None
    [note] = bot.slack.messages_in(bot.slack.dm_channel(AM))
    assert "could not post it in <#C0ACME001>" in note["text"]
    assert "/invite" in note["text"] and "/voc open ACME Corp" in note["text"]
    assert len(bot.slack.messages_in(bot.slack.dm_channel(MEMBER))) == 1


def test_the_digest_button_links_the_commitments_to_its_meeting(bot: SlackBot) -> None:
    _portfolio(bot)
    with transaction(bot.runtime.sessions) as session:
        acme = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        meeting = Meeting(
            workspace_id="local",
            account_id=acme.id,
            starts_at=datetime.now(UTC) + timedelta(days=1),
            channel=ACME_CHANNEL,
        )
        session.add(meeting)
        session.flush()
        value = json.dumps({"account_id": acme.id, "meeting_id": meeting.id})
    digest = {
        "ts": "1700000000.000900",
        "text": "Pre-meeting digest",
        "blocks": [
            {
                "type": "actions",
                "block_id": "digest_actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Log commitments"},
                        "action_id": "commitments_open_modal",
                        "value": value,
                    }
                ],
            }
        ],
    }
    opened = _expect(bot, "views.open")
    bot.requests.block_action(
        "commitments_open_modal", user_id=AM, message=digest, channel_id=ACME_CHANNEL
    )
    view = opened()[-1].response["view"]
    [row] = _rows(view)
    assert row["Answers"]["element"]["initial_option"]["text"]["text"].startswith("Review meeting")
    posted = _expect(bot, "chat.postMessage", 2)
    assert _submit(bot, view, [_row("Send the roadmap", MEMBER)]).body == b""
    posted()
    [commitment] = _commitments(bot)
    assert commitment.meeting_id == meeting.id
    assert commitment.answers and commitment.answers.startswith("Review meeting on ")


def _digest_button(value: str) -> dict[str, Any]:
    return {
        "ts": "1700000000.000901",
        "text": "Pre-meeting digest",
        "blocks": [
            {
                "type": "actions",
                "block_id": "digest_actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Log commitments"},
                        "action_id": "commitments_open_modal",
                        "value": value,
                    }
                ],
            }
        ],
    }


def test_the_digest_button_refuses_outsiders_stale_values_and_gone_accounts(
    bot: SlackBot,
) -> None:
    _portfolio(bot)
    with bot.runtime.sessions() as session:
        acme = session.scalars(select(Account).where(Account.name == "ACME Corp")).one().id
    presses = [
        (OUTSIDER, json.dumps({"account_id": acme, "meeting_id": None})),
        (AM, "not json"),
        (AM, json.dumps({"account_id": acme + 100, "meeting_id": None})),
    ]
    answers = []
    for user, value in presses:
        url = bot.slack.response_url()
        expected = len(bot.slack.responses) + 1
        bot.requests.block_action(
            "commitments_open_modal",
            user_id=user,
            message=_digest_button(value),
            channel_id=OTHER_CHANNEL,
            response_url=url,
        )
        bot.slack.wait_for_response_url(count=expected)
        answers.append(bot.slack.responses_to(url)[-1]["text"])
    refused, stale, gone = answers
    assert "not on the account team" in refused and "ACME" not in refused
    assert stale == "That button is out of date; try `/voc commit ACCOUNT`."
    assert gone == "That account no longer exists."
    assert bot.slack.calls_to("views.open") == []


# --- completing with the reaction ------------------------------------------------------------


class SlackReactions:
    """Slack's record of who reacted with what, answering `reactions.get` as Slack does.

    Slack changes this record first and sends the event after, so a test that changes it and
    then delivers events late or out of order reproduces what a bot really faces.
    """

    def __init__(self, slack: FakeSlack) -> None:
        self._lock = threading.Lock()
        self._by_message: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list)
        )
        slack.set_handler("reactions.get", self.get)

    def add(self, channel: str, ts: str, user: str, name: str = "white_check_mark") -> None:
        with self._lock:
            self._by_message[(channel, ts)][name].append(user)

    def remove(self, channel: str, ts: str, user: str, name: str = "white_check_mark") -> None:
        with self._lock:
            self._by_message[(channel, ts)][name].remove(user)

    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("timestamp"))
        with self._lock:
            reactions = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self._by_message.get((channel, ts), {}).items()
                if users
            ]
        message: dict[str, Any] = {"type": "message", "ts": ts}
        if reactions:
            message["reactions"] = reactions
        return {"ok": True, "type": "message", "channel": channel, "message": message}


def _react(
    bot: SlackBot,
    user: str,
    message: dict[str, Any],
    *,
    added: bool = True,
    reaction: str = "white_check_mark",
    channel: str = ACME_CHANNEL,
    event_id: str | None = None,
    retry_num: int | None = None,
) -> None:
    event = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": message["ts"]},
        "item_user": BOT_USER_ID,
    }
    reply = bot.requests.event(event, event_id=event_id, retry_num=retry_num)
    assert reply.status == 200


def _react_and_wait(
    bot: SlackBot, user: str, message: dict[str, Any], *, added: bool = True
) -> None:
    """A reaction that changes the state: a thread reply, then the message is updated."""
    updated = _expect(bot, "chat.update")
    _react(bot, user, message, added=added)
    updated()


def _current(bot: SlackBot, message: dict[str, Any]) -> dict[str, Any]:
    current = bot.slack.message(ACME_CHANNEL, message["ts"])
    assert current is not None
    return current


def test_the_done_reaction_completes_and_removing_it_reopens(bot: SlackBot) -> None:
    _portfolio(bot)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])

    _react_and_wait(bot, MEMBER, message)
    done = _text_of(_current(bot, message))
    assert "~Send the 2027 roadmap~" in done and f"Done by <@{MEMBER}>" in done
    assert _thread(bot.slack, ACME_CHANNEL, message["ts"]) == [
        f":white_check_mark: Marked done by <@{MEMBER}>."
    ]
    [commitment] = _commitments(bot)
    assert commitment.status == "done" and commitment.done_by == MEMBER
    assert commitment.done_at is not None

    _react_and_wait(bot, MEMBER, message, added=False)
    reopened = _text_of(_current(bot, message))
    assert "~Send" not in reopened and "React with :white_check_mark: when done" in reopened
    assert (
        _thread(bot.slack, ACME_CHANNEL, message["ts"])[-1]
        == f":leftwards_arrow_with_hook: Reopened by <@{MEMBER}>."
    )
    [commitment] = _commitments(bot)
    assert commitment.status == "open" and commitment.done_by is None

    _react_and_wait(bot, AM, message)  # the account team may close it too
    assert _commitments(bot)[0].done_by == AM
    assert _audit(bot) == [
        ("commitment.created", AM),
        ("commitment.done", MEMBER),
        ("commitment.reopened", MEMBER),
        ("commitment.done", AM),
    ]


def test_an_outsiders_reaction_changes_nothing_and_is_answered_once(bot: SlackBot) -> None:
    _portfolio(bot)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    replied = _expect(bot, "chat.postMessage")
    _react(bot, OUTSIDER, message)
    replied()
    [reply] = _thread(bot.slack, ACME_CHANNEL, message["ts"])
    assert reply.startswith(f"<@{OUTSIDER}>, only the owner, the account team of *ACME Corp*")
    _react(bot, OUTSIDER, message, added=False)
    _react(bot, OUTSIDER, message)
    # Then the owner: the outsider's reactions, handled before, left nothing to undo.
    _react_and_wait(bot, MEMBER, message)
    thread = _thread(bot.slack, ACME_CHANNEL, message["ts"])
    assert thread == [reply, f":white_check_mark: Marked done by <@{MEMBER}>."]
    assert _audit(bot)[1:] == [("commitment.done", MEMBER)]


def test_other_reactions_and_the_bots_own_change_nothing(bot: SlackBot) -> None:
    _portfolio(bot)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    notes = bot.slack.seed_message(ACME_CHANNEL, user=AM, text="Unrelated message")
    _react(bot, MEMBER, message, reaction="thumbsup")
    _react(bot, BOT_USER_ID, message)
    _react(bot, MEMBER, notes)
    _react(bot, MEMBER, message, channel=OTHER_CHANNEL)
    assert _commitments(bot)[0].status == "open"
    _react_and_wait(bot, MEMBER, message)
    assert _thread(bot.slack, ACME_CHANNEL, message["ts"]) == [
        f":white_check_mark: Marked done by <@{MEMBER}>."
    ]
    assert _thread(bot.slack, ACME_CHANNEL, notes["ts"]) == []
    assert _audit(bot)[1:] == [("commitment.done", MEMBER)]


def test_a_reaction_delivered_twice_is_applied_once(bot: SlackBot) -> None:
    _portfolio(bot)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    looked = _expect(bot, "reactions.get", 2)
    updated = _expect(bot, "chat.update")
    _react(bot, MEMBER, message, event_id="Ev0REACT01")
    updated()
    _react(bot, MEMBER, message, event_id="Ev0REACT01", retry_num=1)  # Slack's retry
    _react(bot, MEMBER, message, event_id="Ev0REACT02")  # the same reaction, a new delivery
    looked()
    assert _thread(bot.slack, ACME_CHANNEL, message["ts"]) == [
        f":white_check_mark: Marked done by <@{MEMBER}>."
    ]
    assert len(bot.slack.calls_to("chat.update")) == 1
    assert _audit(bot)[1:] == [("commitment.done", MEMBER)]


def test_late_and_out_of_order_reactions_follow_what_the_message_shows(bot: SlackBot) -> None:
    _portfolio(bot)
    reactions = SlackReactions(bot.slack)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    ts = message["ts"]

    # Added then removed at once; Slack delivers the removal first. Nothing should happen.
    reactions.add(ACME_CHANNEL, ts, MEMBER)
    reactions.remove(ACME_CHANNEL, ts, MEMBER)
    looked = _expect(bot, "reactions.get", 4)  # each event looks, writes, and looks again
    _react(bot, MEMBER, message, added=False)
    _react(bot, MEMBER, message, added=True)
    looked()
    assert _commitments(bot)[0].status == "open"
    assert _thread(bot.slack, ACME_CHANNEL, ts) == []
    assert bot.slack.calls_to("chat.update") == []

    # Added, removed, added: the message ends with the reaction, however the events arrive.
    reactions.add(ACME_CHANNEL, ts, MEMBER)
    reactions.remove(ACME_CHANNEL, ts, MEMBER)
    reactions.add(ACME_CHANNEL, ts, MEMBER)
    updated = _expect(bot, "chat.update")
    looked = _expect(bot, "reactions.get", 6)
    _react(bot, MEMBER, message, added=False)
    _react(bot, MEMBER, message, added=True)
    _react(bot, MEMBER, message, added=True)
    updated()
    looked()
    [commitment] = _commitments(bot)
    assert commitment.status == "done" and commitment.done_by == MEMBER
    assert _thread(bot.slack, ACME_CHANNEL, ts) == [
        f":white_check_mark: Marked done by <@{MEMBER}>."
    ]
    assert _audit(bot)[1:] == [("commitment.done", MEMBER)]
    assert "~Send the 2027 roadmap~" in _text_of(_current(bot, message))


def test_an_outsiders_reaction_does_not_keep_a_commitment_done(bot: SlackBot) -> None:
    _portfolio(bot)
    reactions = SlackReactions(bot.slack)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    reactions.add(ACME_CHANNEL, message["ts"], MEMBER)
    _react_and_wait(bot, MEMBER, message)
    reactions.add(ACME_CHANNEL, message["ts"], OUTSIDER)
    reactions.remove(ACME_CHANNEL, message["ts"], MEMBER)
    _react_and_wait(bot, MEMBER, message, added=False)
    assert _commitments(bot)[0].status == "open"


# --- completing with the Done button ---------------------------------------------------------


def _done_buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(the item's text, the button's value) for each Done button."""
    return [
        (b["text"]["text"], b["accessory"]["value"])
        for b in blocks
        if b["type"] == "section"
        and (b.get("accessory") or {}).get("action_id") == "commitment_done"
    ]


def test_logging_a_commitment_for_yourself_sends_you_no_dm(bot: SlackBot) -> None:
    _portfolio(bot)
    own, theirs = _log(
        bot,
        [_row("Fix the invoice format", AM, SOON), _row("Send the 2027 roadmap", MEMBER, LATER)],
        user=AM,
    )
    assert f"Owner <@{AM}>" in _text_of(own) and f"Owner <@{MEMBER}>" in _text_of(theirs)
    assert bot.slack.messages_in(bot.slack.dm_channel(AM)) == []
    [dm] = bot.slack.messages_in(bot.slack.dm_channel(MEMBER))
    assert "Send the 2027 roadmap" in _text_of(dm)


def test_voc_open_lists_with_done_buttons_that_complete(bot: SlackBot) -> None:
    _portfolio(bot)
    _, invoice = _log(
        bot,
        [_row("Send the 2027 roadmap", MEMBER, LATER), _row("Fix the invoice format", AM, SOON)],
    )
    listing = _ask(bot, "open acme")
    assert listing["response_type"] == "ephemeral"
    buttons = _done_buttons(listing["blocks"])
    assert [text.split("\n")[0] for text, _ in buttons] == [
        "*ACME Corp* · Fix the invoice format",  # soonest due first
        "*ACME Corp* · Send the 2027 roadmap",
    ]
    mine = _ask(bot, "open", user=MEMBER)
    assert [t.split("\n")[0] for t, _ in _done_buttons(mine["blocks"])] == [
        "*ACME Corp* · Send the 2027 roadmap"
    ]
    theirs = _ask(bot, f"open <@{MEMBER}|tess>", user=AM)
    assert len(_done_buttons(theirs["blocks"])) == 1
    hidden = _ask(bot, f"open <@{MEMBER}|tess>", user=OUTSIDER)
    assert _done_buttons(hidden["blocks"]) == [] and "1 more on accounts" in _text_of(hidden)

    confirmation = _press(bot, buttons[0][1], AM, listing)
    assert confirmation["text"] == "Marked done: Fix the invoice format (ACME Corp)."
    assert "~Fix the invoice format~" in _text_of(_current(bot, invoice))
    assert _thread(bot.slack, ACME_CHANNEL, invoice["ts"]) == [
        f":white_check_mark: Marked done by <@{AM}>."
    ]
    assert [t.split("\n")[0] for t, _ in _done_buttons(_ask(bot, "open acme")["blocks"])] == [
        "*ACME Corp* · Send the 2027 roadmap"
    ]
    # Pressing the old button again changes nothing and says why.
    again = _press(bot, buttons[0][1], AM, listing)
    assert again["text"].startswith(f"Already done (by <@{AM}>)")
    assert [action for action, _ in _audit(bot)].count("commitment.done") == 1


def test_an_outsider_cannot_press_done(bot: SlackBot) -> None:
    _portfolio(bot)
    _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    listing = _ask(bot, "open acme")
    [(_, value)] = _done_buttons(listing["blocks"])
    assert "not on the account team" in _press(bot, value, OUTSIDER, listing)["text"]
    assert _commitments(bot)[0].status == "open"


def test_app_home_shows_my_open_commitments_and_done_clears_them(bot: SlackBot) -> None:
    _portfolio(bot)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    published = _expect(bot, "views.publish")
    bot.requests.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    home = published()[-1].response["view"]
    [(text, value)] = _done_buttons(home["blocks"])
    assert "Send the 2027 roadmap" in text and "Your open commitments" in _text_of(home)

    republished = _expect(bot, "views.publish")
    updated = _expect(bot, "chat.update")
    bot.requests.block_action("commitment_done", value, user_id=MEMBER, view=home)
    updated()
    home = republished()[-1].response["view"]
    assert _done_buttons(home["blocks"]) == []
    assert "~Send the 2027 roadmap~" in _text_of(_current(bot, message))
    assert _commitments(bot)[0].done_by == MEMBER


@pytest.mark.parametrize("who", [SPONSOR, ADMIN])
def test_the_sponsor_and_admins_may_complete(make_bot: Callable[..., SlackBot], who: str) -> None:
    bot = make_bot(admins=frozenset({ADMIN}))
    _portfolio(bot)
    [message] = _log(bot, [_row("Send the 2027 roadmap", MEMBER)])
    _react_and_wait(bot, who, message)
    assert _commitments(bot)[0].done_by == who
