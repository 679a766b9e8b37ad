"""The world the security tests attack, and how they watch what an attempt did.

The portfolio: ACME Corp (named team AM and SPONSOR, channel C0ACME001 whose members MEMBER and
AM are the rest of the team), Halvorsen Freight (another manager, its own channel) and Initech,
whose roster names `#initech-team`, a channel that does not exist until an outsider creates it.

`watch` then `refused`: the database is as it was, nothing the bot sent (messages, DMs, modals,
response URLs, the HTTP answer) names an account or a respondent the attacker did not type
themselves, and the attacker was told one clear thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.commitments.announce import announce_commitment
from bot.commitments.queries import record_commitments
from bot.commitments.values import CommitmentDraft
from bot.commitments.workspace import SlackWorkspace
from bot.directory import Directory, TtlCache
from storage.db import transaction
from storage.models import Account, AuditEntry, Commitment, Meeting
from tests.conftest import SlackBot
from tests.portfolio import AM, account_row, response_row
from tests.slack import BOT_USER_ID, DEFAULT_CHANNEL_ID, datepicker_value

YEAR = date.today().year + 1
ACME_CHANNEL, HALVORSEN_CHANNEL, EVIL_CHANNEL = "C0ACME001", "C0HALV001", "C0EVIL001"
HAL_AM, BILL = "U0HALAM01", "U0BILLAM1"
OTHER_TEAM = "T0ELSEWHR"
PROMISE = "Fix the invoice run"
SECRETS = (
    "ACME Corp",
    "Dana Whitfield",
    "Priya Natarajan",
    "Invoices arrive late",
    "Halvorsen Freight",
    "Ola Nordmann",
    "Initech",
    "Milton Waddams",
    "Bill Lumbergh",
    "stapler",
    PROMISE,
)
# Slack methods that only read; anything else the bot calls is something it sent.
READS = {"auth.test", "users.info", "users.lookupByEmail", "conversations.members"}
READS |= {"conversations.list", "conversations.info", "chat.getPermalink", "reactions.get"}


def accounts(initech_channel: str = "#initech-team") -> list[dict[str, Any]]:
    return [
        account_row("ACME Corp", team=None),
        account_row(
            "Halvorsen Freight",
            account_manager=HAL_AM,
            exec_sponsor=None,
            team=None,
            channel=HALVORSEN_CHANNEL,
        ),
        account_row(
            "Initech",
            account_manager=BILL,
            exec_sponsor=None,
            team=None,
            tier="standard",
            channel=initech_channel,
        ),
    ]


RESPONSES = [
    response_row("ACME Corp", "2026-Q4", "Dana Whitfield", 4, 3, 3, comment="Invoices arrive late"),
    response_row("ACME Corp", "2026-Q4", "Priya Natarajan", 9, 10, 9),
    response_row("Halvorsen Freight", "2026-Q4", "Ola Nordmann", 7, 8, 7),
    response_row("Initech", "2026-Q4", "Milton Waddams", 2, 0, 2, comment="They took my stapler"),
    response_row("Initech", "2026-Q4", "Bill Lumbergh", 6, 6, 6),
]


# --- watching what an attempt did ------------------------------------------------------------


def state(bot: SlackBot) -> tuple[Any, ...]:
    with bot.runtime.sessions() as session:
        return (
            session.execute(select(Meeting.id, Meeting.starts_at, Meeting.status)).all(),
            session.execute(
                select(Commitment.id, Commitment.status, Commitment.snoozed_until)
            ).all(),
            session.execute(select(Account.id, Account.channel_id)).all(),
            session.scalar(select(func.count()).select_from(AuditEntry)),
        )


@dataclass
class Probe:
    bot: SlackBot
    before: tuple[Any, ...]
    calls: int
    responses: int

    def sent(self) -> str:
        """Everything the bot sent since the probe: API calls that post, and response URLs."""
        calls = [c.params for c in self.bot.slack.calls[self.calls :] if c.method not in READS]
        return texts([calls, self.bot.slack.responses[self.responses :]])


def texts(payload: Any) -> str:
    """Every string in a payload, one a line: what a person could read in it."""
    if isinstance(payload, dict):
        return "\n".join(texts(value) for value in payload.values())
    if isinstance(payload, list):
        return "\n".join(texts(value) for value in payload)
    return payload if isinstance(payload, str) else ""


def watch(bot: SlackBot) -> Probe:
    return Probe(bot, state(bot), len(bot.slack.calls), len(bot.slack.responses))


def refused(probe: Probe, *, says: str, answer: str = "", typed: str = "") -> None:
    """Nothing changed, nothing shown but what the attacker typed, and one clear answer."""
    assert state(probe.bot) == probe.before, "the attempt changed the database"
    seen = probe.sent() + answer
    shown = [s for s in SECRETS if s in seen and s.lower() not in typed.lower()]
    assert shown == [], f"the attempt was shown {shown}"
    assert says in seen


def ask(bot: SlackBot, text: str, user: str, channel: str = DEFAULT_CHANNEL_ID) -> str:
    """A slash command; what came back on its response URL."""
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, channel_id=channel, response_url=url)
    bot.slack.wait_for_response_url(count=expected)
    return texts(bot.slack.responses_to(url)[-1])


def press(bot: SlackBot, action: str, value: str, user: str, **kw: Any) -> str:
    """A button in a message; what came back on its response URL."""
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    bot.requests.block_action(action, value, user_id=user, response_url=url, **kw)
    bot.slack.wait_for_response_url(count=expected)
    return texts(bot.slack.responses_to(url)[-1])


def scheduled_meeting(bot: SlackBot) -> Meeting:
    ask(bot, f"meeting acme {YEAR}-03-04 10:00", AM)
    with bot.runtime.sessions() as session:
        return session.scalars(select(Meeting)).one()


def move_dialog(bot: SlackBot, meeting: Meeting, user: str = AM) -> dict[str, Any]:
    ask(bot, "meetings acme", user)
    listing = bot.slack.responses[-1]
    opened = len(bot.slack.calls_to("views.open"))
    bot.requests.block_action("meeting_move", str(meeting.id), user_id=user, message=listing)
    return bot.slack.wait_for("views.open", count=opened + 1)[-1].response["view"]


MOVE_VALUES = {
    "meeting_date": {"date": datepicker_value(f"{YEAR}-03-05")},
    "meeting_time": {"time": {"type": "timepicker", "selected_time": "16:00"}},
}


def untouched(view: dict[str, Any], **typed: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` as Slack sends a modal nobody changed, plus `typed` by block id."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value: dict[str, Any] = {"type": element["type"]}
        if element["type"] == "plain_text_input":
            value["value"] = element.get("initial_value")
        elif element["type"] == "users_select":
            value["selected_user"] = element.get("initial_user")
        elif element["type"] == "datepicker":
            value["selected_date"] = element.get("initial_date")
        elif element["type"] == "static_select":
            value["selected_option"] = element.get("initial_option")
        elif element["type"] == "checkboxes":
            value["selected_options"] = element.get("initial_options", [])
        values[block["block_id"]] = {element["action_id"]: typed.get(block["block_id"], value)}
    return values


def commit_modal(bot: SlackBot, account: str, user: str, channel: str) -> dict[str, Any]:
    opened = len(bot.slack.calls_to("views.open"))
    bot.requests.slash_command(f"commit {account}", user_id=user, channel_id=channel)
    return bot.slack.wait_for("views.open", count=opened + 1)[-1].response["view"]


def posted_promise(bot: SlackBot, owner: str) -> Commitment:
    """A commitment of ACME Corp, saved and posted in its channel as `/voc commit` does."""
    now = datetime.now(UTC)
    with transaction(bot.runtime.sessions) as session:
        account = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        draft = CommitmentDraft(text=PROMISE, owner=owner, due_on=date(YEAR, 1, 15))
        [row] = record_commitments(
            session, account, [draft], actor=AM, channel=ACME_CHANNEL, today=now.date(), now=now
        )
        commitment_id = row.id
    client = WebClient(token="xoxb-test", base_url=bot.slack.api_url)
    directory = Directory(client, "local", TtlCache())
    slack = SlackWorkspace(client, directory, bot.runtime.settings, "local", BOT_USER_ID)
    announce_commitment(bot.runtime.sessions, slack, commitment_id, now=now)
    with bot.runtime.sessions() as session:
        return session.get_one(Commitment, commitment_id)
