"""`/voc pack ACCOUNT` through the real Bolt path: the PDF in the requester's DM, a private
"sent" in the channel, and nothing for someone outside the account's team."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf

from tests.conftest import SlackBot
from tests.pack_world import ACME_NAMES, load_world
from tests.portfolio import ADMIN, AM, MEMBER, OUTSIDER, SPONSOR


def _ask(bot: SlackBot, text: str, user: str = AM) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1  # every answer so far, and this one
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _pdf_text(content: bytes | None) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content or b""))
    return len(reader.pages), " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_pack_arrives_as_a_pdf_in_the_requesters_dm(bot: SlackBot) -> None:
    load_world(bot.runtime)
    bot.slack.add_user(AM, name="Alex Morgan")
    bot.slack.add_user(SPONSOR, name="Sam Sponsor")
    answer = _ask(bot, "pack acme")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "The review pack is in your DMs."
    assert bot.slack.calls_to("files.completeUploadExternal", ok=True)
    upload = bot.slack.uploads[-1]
    assert upload.channel_id == bot.slack.dm_channel(AM)
    assert upload.filename == "review-pack-ACME-Corp-2026-Q4.pdf"
    pages, text = _pdf_text(upload.content)
    assert 2 <= pages <= 4
    assert "ACME Corp" in text and "+25" in text
    # Owners by their Slack names, never their IDs; respondents not at all.
    assert "Quarterly roadmap call Sam Sponsor" in text
    assert "U0EXEC001" not in text and "U0AM00001" not in text
    assert not [name for name in ACME_NAMES if name in text]
    assert "GLOBEX-SECRET" not in text


def test_an_admin_may_have_the_pack_too(make_bot: Any) -> None:
    bot = make_bot(admins=frozenset({ADMIN}))
    load_world(bot.runtime)
    bot.slack.add_user(ADMIN)
    assert _ask(bot, "pack acme", user=ADMIN)["text"] == "The review pack is in your DMs."
    assert bot.slack.uploads[-1].channel_id == bot.slack.dm_channel(ADMIN)


def test_someone_outside_the_team_gets_no_pack(bot: SlackBot) -> None:
    load_world(bot.runtime)
    bot.slack.add_user(OUTSIDER, email="out@vendor.example")
    bot.slack.add_channel("C0ACME001", members=[MEMBER])
    answer = _ask(bot, "pack acme", user=OUTSIDER)
    assert "not on the account team" in json.dumps(answer)
    assert not bot.slack.calls_to("files.getUploadURLExternal")


def test_an_unknown_account_or_none_is_answered_without_a_file(bot: SlackBot) -> None:
    load_world(bot.runtime)
    assert _ask(bot, "pack nowhere")["text"] == 'No account is called "nowhere".'
    assert _ask(bot, "pack")["text"].startswith("Which account?")
    assert not bot.slack.calls_to("files.getUploadURLExternal")


def test_a_failed_upload_says_so(bot: SlackBot) -> None:
    load_world(bot.runtime)
    bot.slack.fail_next("files.getUploadURLExternal", error="internal_error")
    answer = _ask(bot, "pack acme")
    assert answer["text"] == "Sorry, the review pack could not be sent. Try again in a minute."
