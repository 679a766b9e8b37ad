"""A responses file sent to the bot in its DM: preview, Import, Cancel, refusals, bad files.

Everything goes through signed requests to the real Bolt app, with the file served by the fake
Slack Web API (files.info and the private download URL, which answers only a bot token).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.intake.service import import_accounts
from bot.views.uploads import button_value
from storage.db import transaction
from storage.models import AuditEntry, Response
from tests.conftest import SlackBot

MANAGER = "U0AMNORD"  # Nordhavn and Ashgrove
OTHER_MANAGER = "U0AMCALD"  # Calder & Finch
ADMIN = "U0ADMIN1"

CHANNEL = "C0NORDHAV"
ROSTER = (
    "account,segment,account_manager,channel\n"
    f"Nordhavn Logistics,Enterprise,{MANAGER},{CHANNEL}\n"
    f"Ashgrove Health Trust,Healthcare,{MANAGER},\n"
    f"Calder & Finch Engineering,Enterprise,{OTHER_MANAGER},\n"
)
WAVE = (
    b"account,cycle,respondent,email,satisfaction,recommend,comment\n"
    b"Nordhavn Logistics,2026-Q4,Ingrid Solberg,ingrid@nordhavn.example,9,10,<!channel> great\n"
    b"Nordhavn Logistics,2026-Q4,Jonas Berg,jonas@nordhavn.example,5,4,Slow & late\n"
    b"Ashgrove Health Trust,2026-Q4,Amy Chen,amy@ashgrove.example,8,9,\n"
)


@pytest.fixture
def bot(make_bot: Callable[..., SlackBot]) -> SlackBot:
    made = make_bot(admins=frozenset({ADMIN}))
    with transaction(made.runtime.sessions) as session:
        import_accounts(
            session, ROSTER.encode(), workspace_id=made.runtime.settings.workspace, actor="test"
        )
    for user in (MANAGER, OTHER_MANAGER, ADMIN):
        made.slack.add_user(user)
    made.slack.add_channel(CHANNEL, name="acct-nordhavn", members=[MANAGER])
    return made


def send(
    bot: SlackBot, user: str, name: str, content: bytes, text: str = "", **file: Any
) -> tuple[str, str]:
    """`user` drops a file into the bot's DM; returns (DM channel, ts of the bot's message)."""
    shared = bot.slack.add_file(user, name, content, **file)
    dm = bot.slack.dm_channel(user)
    before = len(bot.slack.calls_to("chat.postMessage"))
    reply = bot.requests.event(
        {
            "type": "message",
            "subtype": "file_share",
            "channel": dm,
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": "1700000100.000100",
            "files": [{"id": shared["id"], "name": name}],
        }
    )
    assert reply.status == 200
    posted = bot.slack.wait_for("chat.postMessage", before + 1)[-1]
    return dm, posted.response["ts"]


def settled(bot: SlackBot, dm: str, ts: str, words: str) -> dict:
    """The bot's message once its text says `words` (the preview, the outcome)."""
    bot.slack.wait_until(lambda: words in (bot.slack.message(dm, ts) or {}).get("text", ""))
    message = bot.slack.message(dm, ts)
    assert message is not None
    return message


def click(bot: SlackBot, action: str, user: str, dm: str, message: dict) -> None:
    reply = bot.requests.block_action(action, user_id=user, message=message, channel_id=dm)
    assert reply.status == 200


def stored(bot: SlackBot) -> tuple[int, int]:
    """(responses, response imports audited)."""
    with bot.runtime.sessions() as session:
        responses = session.scalar(select(func.count()).select_from(Response))
        imports = session.scalar(
            select(func.count()).where(AuditEntry.action == "import_responses")
        )
    return int(responses or 0), int(imports or 0)


def section_texts(message: dict) -> str:
    return "\n".join(
        block["text"]["text"] for block in message.get("blocks", []) if block.get("text")
    )


def test_upload_preview_then_import_once(bot: SlackBot) -> None:
    dm, ts = send(bot, MANAGER, "Q4 <wave> & more.csv", WAVE)
    preview = settled(bot, dm, ts, "Preview of")
    text = section_texts(preview)
    assert "*Preview of Q4 &lt;wave&gt; &amp; more.csv*" in text
    assert "• 3 rows — 3 new, 0 updated, 0 unchanged" in text
    assert "• Accounts: Ashgrove Health Trust, Nordhavn Logistics" in text
    assert "• Cycles: 2026-Q4" in text and "• New people: 3" in text
    # Jonas Berg: satisfaction 5, recommend 4 → dissatisfied detractor; nobody else.
    assert "• Follow-ups it would open: 1" in text
    # The progress line came first, in the same message.
    updates = [c.params["text"] for c in bot.slack.calls_to("chat.update")]
    assert updates[0].startswith("Reading *Q4 &lt;wave&gt; &amp; more.csv*… 3 rows")
    assert stored(bot) == (0, 0)  # nothing written before Import
    assert bot.slack.messages_in(CHANNEL) == []  # and nothing announced
    download = bot.slack.downloads()[-1]
    assert download.headers["Authorization"] == "Bearer xoxb-test" and download.status == 200

    click(bot, "upload_import", MANAGER, dm, preview)
    done = settled(bot, dm, ts, "imported by")
    assert f"imported by <@{MANAGER}>" in done["text"]
    assert "Imported Q4 &lt;wave&gt; &amp; more.csv: 3 rows — 3 responses added" in (
        section_texts(done)
    )
    assert "upload_import" not in str(done["blocks"])
    assert stored(bot) == (3, 1)
    # Nordhavn's channel hears once that Jonas Berg needs a follow-up.
    bot.slack.wait_until(lambda: len(bot.slack.messages_in(CHANNEL)) == 1)
    assert "Jonas Berg" in str(bot.slack.messages_in(CHANNEL)[0])

    click(bot, "upload_import", MANAGER, dm, preview)  # a double click on the old preview
    answer = bot.slack.wait_for_response_url(1)[-1]
    assert answer["text"] == "That file was imported or cancelled already; nothing more was done."
    assert stored(bot) == (3, 1)
    assert len(bot.slack.messages_in(CHANNEL)) == 1


def test_a_retried_delivery_previews_once(bot: SlackBot) -> None:
    shared = bot.slack.add_file(MANAGER, "wave.csv", WAVE)
    dm = bot.slack.dm_channel(MANAGER)
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel": dm,
        "channel_type": "im",
        "user": MANAGER,
        "ts": "1700000200.000100",
        "files": [{"id": shared["id"], "name": "wave.csv"}],
    }
    assert bot.requests.event(event, event_id="Ev0UPLOAD01").status == 200
    assert bot.requests.event(event, event_id="Ev0UPLOAD01", retry_num=1).status == 200
    ts = bot.slack.wait_for("chat.postMessage")[0].response["ts"]
    settled(bot, dm, ts, "Preview of")
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(bot.slack.downloads()) == 1


def test_cancel_writes_nothing_and_a_later_import_does_nothing(bot: SlackBot) -> None:
    dm, ts = send(bot, MANAGER, "wave.csv", WAVE)
    preview = settled(bot, dm, ts, "Preview of")
    click(bot, "upload_cancel", MANAGER, dm, preview)
    cancelled = settled(bot, dm, ts, "cancelled by")
    assert "nothing was imported" in cancelled["text"]
    click(bot, "upload_import", MANAGER, dm, preview)
    answer = bot.slack.wait_for_response_url(1)[-1]
    assert "imported or cancelled already" in answer["text"]
    assert stored(bot) == (0, 0)


def test_an_uploader_who_manages_not_every_account_may_not_import(bot: SlackBot) -> None:
    mixed = WAVE + b"Calder & Finch Engineering,2026-Q4,Ravi Patel,ravi@calder.example,7,7,\n"
    dm, ts = send(bot, MANAGER, "mixed.csv", mixed)
    refused = settled(bot, dm, ts, "mixed.csv")
    bot.slack.wait_until(lambda: "account manager" in str(bot.slack.message(dm, ts)))
    refused = bot.slack.message(dm, ts) or {}
    assert "you are not the account manager of Calder &amp; Finch Engineering" in refused["text"]
    assert "upload_import" not in str(refused["blocks"])
    # A forged Import for that file is refused at the click too, and writes nothing.
    forged = {
        "ts": ts,
        "blocks": [
            {
                "type": "actions",
                "block_id": "upload_controls",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "upload_import",
                        "text": {"type": "plain_text", "text": "Import"},
                        "value": button_value(
                            bot.slack.downloads()[-1].params["file"], _sha(mixed)
                        ),
                    }
                ],
            }
        ],
    }
    click(bot, "upload_import", MANAGER, dm, forged)
    answer = bot.slack.wait_for_response_url(1)[-1]
    assert "you are not the account manager of Calder &amp; Finch Engineering" in answer["text"]
    assert stored(bot) == (0, 0)


def test_an_admin_may_import_any_accounts(bot: SlackBot) -> None:
    mixed = WAVE + b"Calder & Finch Engineering,2026-Q4,Ravi Patel,ravi@calder.example,7,7,\n"
    dm, ts = send(bot, ADMIN, "mixed.csv", mixed)
    preview = settled(bot, dm, ts, "Preview of")
    assert "Calder &amp; Finch Engineering" in section_texts(preview)
    click(bot, "upload_import", ADMIN, dm, preview)
    settled(bot, dm, ts, "imported by")
    assert stored(bot) == (4, 1)


def _zip_named_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "extra", "expected"),
    [
        ("empty.csv", b"", {}, "empty.csv is empty: there is no header row and no data"),
        ("report.xlsx", _zip_named_xlsx(), {}, "report.xlsx is a zip archive, not a readable"),
        ("slides.pdf", b"%PDF-1.7\n...", {}, "slides.pdf is a PDF document, not a CSV or XLSX"),
        ("huge.csv", b"account\n", {"size": 50 * 2**20}, "huge.csv is 50.0 MB; a file sent"),
        (
            "bad.csv",
            WAVE.replace(b",9,10,", b",11,10,"),
            {},
            'row 2, satisfaction: "11" is outside 0–10',
        ),
        (
            "wide.csv",
            (",".join(f"rating:a{i}" for i in range(10_000)) + "\n").encode(),
            {},
            "missing required column: account",
        ),
        (
            "mixed.csv",
            b"account\nNordhavn Logistics\n" + "Café".encode("cp1252"),
            {},
            "mixes two encodings",
        ),
    ],
)
def test_a_bad_file_gets_one_clear_message_and_nothing_is_written(
    bot: SlackBot, name: str, content: bytes, extra: dict, expected: str
) -> None:
    dm, ts = send(bot, MANAGER, name, content, **extra)
    bot.slack.wait_until(
        lambda: (
            "cannot be imported" in str(bot.slack.message(dm, ts))
            or "may be at most" in str(bot.slack.message(dm, ts))
        )
    )
    message = bot.slack.message(dm, ts) or {}
    assert expected.replace("&", "&amp;") in section_texts(message)
    assert "upload_import" not in str(message["blocks"])
    assert stored(bot) == (0, 0)


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_a_qualtrics_export_is_recognised_in_slack_too(bot: SlackBot) -> None:
    export = (
        "ResponseId,Account,Wave,Q7,Q1,Q6\n"
        "Response ID,Company,Wave,Name,Overall satisfaction,Anything else?\n"
        + ",".join(f'"{{""ImportId"":""QID{i}""}}"' for i in range(6))
        + "\nR_1,Nordhavn Logistics,2026-Q4,Ingrid Solberg,8,"
        + "\nR_2,Nordhavn Logistics,2026-Q4,Jonas Berg,11,\n"
    ).encode()
    dm, ts = send(bot, MANAGER, "qualtrics.csv", export)
    message = settled(bot, dm, ts, "cannot be imported")
    # Rows 1–3 are the header; Jonas is on the sheet's row 5.
    assert 'row 5, satisfaction: "11" is outside 0–10' in section_texts(message)
    fixed = export.replace(b",11,", b",6,")
    dm, ts = send(bot, MANAGER, "qualtrics.csv", fixed)
    preview = settled(bot, dm, ts, "Preview of")
    text = section_texts(preview)
    assert "• 2 rows — 2 new, 0 updated, 0 unchanged" in text
    assert 'Unmapped questions (not imported; map them with --mapping): Q6 "Anything else?"' in (
        text.replace("&quot;", '"')
    )


def test_the_message_with_the_file_may_give_its_cycle(bot: SlackBot) -> None:
    undated = b"account,respondent,satisfaction\nNordhavn Logistics,Ingrid Solberg,8\n"
    dm, ts = send(bot, MANAGER, "notes.csv", undated, text="Interviews for cycle 2026-Q4")
    preview = settled(bot, dm, ts, "Preview of")
    assert "• Cycles: 2026-Q4" in section_texts(preview)
    click(bot, "upload_import", MANAGER, dm, preview)
    settled(bot, dm, ts, "imported by")
    assert stored(bot) == (1, 1)
