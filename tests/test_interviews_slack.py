"""`/voc interview ACCOUNT` and "Log as interview note", through signed requests to the real app."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.intake.service import import_accounts, import_responses
from storage.db import transaction
from storage.models import Benchmark, Followup, Respondent, Response
from tests.conftest import SlackBot
from tests.slack import plain_text_value, static_select_value

MANAGER = "U0AMNORD"
OUTSIDER = "U0OUTSID"
CHANNEL = "C0NORDHAV"
ROSTER = (
    f"account,segment,account_manager,channel\nNordhavn Logistics,Enterprise,{MANAGER},{CHANNEL}\n"
)
EARLIER = (
    "account,cycle,respondent,email,satisfaction,recommend,rating:support\n"
    "Nordhavn Logistics,2026-Q3,Ingrid Solberg,ingrid@nordhavn.example,9,9,8\n"
    "Nordhavn Logistics,2026-Q3,Jonas Berg,jonas@nordhavn.example,7,8,6\n"
)


@pytest.fixture
def bot(make_bot: Callable[..., SlackBot]) -> SlackBot:
    made = make_bot()
    workspace = made.runtime.settings.workspace
    with transaction(made.runtime.sessions) as session:
        import_accounts(session, ROSTER.encode(), workspace_id=workspace, actor="test")
        import_responses(session, EARLIER.encode(), workspace_id=workspace, actor="test")
    made.slack.add_user(MANAGER, tz="Europe/Oslo")
    made.slack.add_user(OUTSIDER)
    made.slack.add_channel(CHANNEL, name="acct-nordhavn", members=[MANAGER])
    return made


def opened_modal(bot: SlackBot, count: int = 1) -> dict:
    return bot.slack.wait_for("views.open", count)[-1].params["view"]


def ingrid_id(bot: SlackBot) -> int:
    with bot.runtime.sessions() as session:
        return int(session.scalar(select(Respondent.id).where(Respondent.name == "Ingrid Solberg")))


def test_an_interview_is_stored_through_the_importer(bot: SlackBot) -> None:
    assert bot.requests.slash_command("interview nordhavn", user_id=MANAGER).status == 200
    view = opened_modal(bot)
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert "Rating: Support" in labels and "Person (known respondents)" in labels
    person = next(b for b in view["blocks"] if b.get("block_id") == "person")
    assert [o["text"]["text"] for o in person["element"]["options"]] == [
        "Ingrid Solberg (ingrid@nordhavn.example)",
        "Jonas Berg (jonas@nordhavn.example)",
    ]
    values = {
        "person": {"value": static_select_value(str(ingrid_id(bot)), "Ingrid Solberg")},
        "satisfaction": {"value": static_select_value("4")},
        "recommend": {"value": static_select_value("3")},
        "rating_0": {"value": static_select_value("5")},
        "comment": {"value": plain_text_value("<!channel> support never called us back")},
    }
    reply = bot.requests.view_submission(view, user_id=MANAGER, values=values)
    assert reply.status == 200 and reply.body in (b"", b"{}")
    dm = bot.slack.dm_channel(MANAGER)
    bot.slack.wait_until(lambda: len(bot.slack.messages_in(dm)) == 1)
    bot.slack.wait_until(lambda: len(bot.slack.messages_in(CHANNEL)) == 1)
    assert bot.slack.messages_in(dm)[0]["text"] == (
        "Interview with *Ingrid Solberg* at *Nordhavn Logistics* recorded in 2026-Q3. "
        "A follow-up was opened."
    )
    with bot.runtime.sessions() as session:
        stored = session.scalars(
            select(Response).where(Response.respondent_id == ingrid_id(bot))
        ).one()
        assert (stored.source, stored.satisfaction, stored.recommend) == ("interview", 4, 3)
        assert stored.comment == "<!channel> support never called us back"
        followup = session.scalars(select(Followup)).one()
        # 4 and 3, in the cycle she answered before: no earlier answer to have dropped from.
        assert set(followup.reasons) == {"dissatisfied", "detractor"}
        benchmark = session.scalars(select(Benchmark).where(Benchmark.scope == "all")).one()
        # Ingrid's answer replaced (one row per person per cycle): (4 + 7) / 2, ratings (5 + 6) / 2.
        assert (benchmark.respondents, benchmark.satisfaction_mean) == (2, 5.5)
        assert benchmark.attribute_means == {"Support": 5.5}

    # The account channel heard once that Ingrid needs a follow-up (the import's announcement).
    assert "Ingrid Solberg" in str(bot.slack.messages_in(CHANNEL)[0])

    again = bot.requests.view_submission(view, user_id=MANAGER, values=values)  # a replay
    assert again.status == 200
    with bot.runtime.sessions() as session:
        assert len(session.scalars(select(Followup)).all()) == 1
    assert len(bot.slack.messages_in(CHANNEL)) == 1


def test_a_new_person_with_a_bad_email_is_told_on_the_field(bot: SlackBot) -> None:
    bot.requests.slash_command("interview nordhavn", user_id=MANAGER)
    view = opened_modal(bot)
    values = {
        "name": {"value": plain_text_value("Mikkel Dahl")},
        "email": {"value": plain_text_value("mikkel@")},
        "satisfaction": {"value": static_select_value("8")},
    }
    reply = bot.requests.view_submission(view, user_id=MANAGER, values=values)
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"email": '"mikkel@" is not an email address'},
    }
    nobody = bot.requests.view_submission(
        view, user_id=MANAGER, values={"satisfaction": {"value": static_select_value("8")}}
    )
    assert nobody.json()["errors"] == {"name": "Pick a known person or type the name of a new one."}
    with bot.runtime.sessions() as session:
        assert len(session.scalars(select(Response)).all()) == 2


def test_someone_off_the_team_cannot_open_or_submit_it(bot: SlackBot) -> None:
    bot.requests.slash_command("interview nordhavn", user_id=OUTSIDER)
    answer = bot.slack.wait_for_response_url(1)[-1]
    assert "Nordhavn Logistics" in answer["text"] and not bot.slack.calls_to("views.open")
    bot.requests.slash_command("interview nordhavn", user_id=MANAGER)
    view = opened_modal(bot)
    values = {
        "name": {"value": plain_text_value("X")},
        "satisfaction": {"value": static_select_value("1")},
    }
    reply = bot.requests.view_submission(view, user_id=OUTSIDER, values=values)
    assert reply.json()["errors"] == {
        "comment": "You can no longer log interviews for this account, so nothing was saved."
    }


def test_the_shortcut_prefills_what_they_said(bot: SlackBot) -> None:
    note = bot.slack.seed_message(
        CHANNEL, text="Called Jonas: wants &lt;faster&gt; support &amp; a roadmap", user=MANAGER
    )
    reply = bot.requests.message_shortcut(
        "log_interview", note, user_id=MANAGER, channel_id=CHANNEL
    )
    assert reply.status == 200
    view = opened_modal(bot)
    comment = next(b for b in view["blocks"] if b.get("block_id") == "comment")
    assert comment["element"]["initial_value"] == "Called Jonas: wants <faster> support & a roadmap"
    elsewhere = bot.slack.seed_message("C0VOCCHAN", text="note", user=MANAGER)
    bot.requests.message_shortcut(
        "log_interview", elsewhere, user_id=MANAGER, channel_id="C0VOCCHAN"
    )
    answer = bot.slack.wait_for_response_url(1)[-1]
    assert answer["text"].startswith("This channel is not an account channel I know")
