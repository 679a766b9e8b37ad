"""Commitments as Slack sees them: the capture modal, the channel message people react to, the
owner's DM, the function channel's announcement, thread replies and the open lists.

The modal keeps one stable `block_id` per field per row (`c3_text`, `c3_owner`…) where the row
key never changes once given, so Slack keeps what someone typed when a row is added or removed
(`views.update` preserves input state by block_id and action_id) and validation errors land on
the right field. Everything that came from a person or a customer goes through `escape()`.
It stays one module past 600 lines because every surface shares the same facts line
(`_facts`), so a commitment reads the same wherever it appears.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot import formatting
from bot.commitments.values import AnswerChoice, OpenItem
from bot.core.ids import parse_id
from bot.core.slack import (
    USER_MENTION,
    Mrkdwn,
    channel_link,
    escape,
    markup_to_plain,
    mention,
    mrkdwn,
)
from bot.core.text import plural
from bot.settings import AREAS, Settings
from bot.views.common import (
    DATE_AND_TIME,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    section,
    slack_date,
    slack_day,
    truncate,
)
from storage.models import Commitment

COMMIT_MODAL_CALLBACK = "commitments_modal"
LOG_SHORTCUT = "log_commitment"
ADD_ROW_ACTION = "commitments_add_row"
REMOVE_ROW_ACTION = "commitments_remove_row"
OPEN_MODAL_ACTION = "commitments_open_modal"
DONE_ACTION = "commitment_done"
ACCOUNT_BLOCK = "account"
ROWS_BLOCK = "commitments_rows"
MAX_ROWS = 10
MAX_TEXT_INPUT = 1000
OPTION_TEXT_LIMIT = 75
TOLD_VALUE = "told"
ITEMS_IN_LIST = 40
ITEMS_ON_HOME = 20

FIELD_ACTIONS = {
    "text": "text",
    "owner": "owner",
    "due": "due",
    "area": "area",
    "told": "told",
    "answers": "answers",
}


# --- the modal's memory ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModalContext:
    """What the modal carries in `private_metadata` between opening, updates and submission."""

    account_id: int | None
    meeting_id: int | None = None
    channel: str | None = None
    rows: tuple[int, ...] = (0,)
    next_row: int = 1
    followup_id: int | None = None  # opened from a follow-up: what is saved answers it

    def to_metadata(self) -> str:
        return json.dumps(
            {
                "account_id": self.account_id,
                "meeting_id": self.meeting_id,
                "channel": self.channel,
                "rows": list(self.rows),
                "next_row": self.next_row,
                "followup_id": self.followup_id,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_metadata(cls, metadata: str | None) -> ModalContext:
        data = json.loads(metadata or "{}")
        rows = tuple(int(key) for key in data.get("rows") or [0])
        return cls(
            account_id=data.get("account_id"),
            meeting_id=data.get("meeting_id"),
            channel=data.get("channel"),
            rows=rows,
            next_row=int(data.get("next_row") or max(rows) + 1),
            followup_id=parse_id(data.get("followup_id")),
        )

    def with_rows(self, rows: tuple[int, ...], next_row: int | None = None) -> ModalContext:
        return ModalContext(
            account_id=self.account_id,
            meeting_id=self.meeting_id,
            channel=self.channel,
            rows=rows,
            next_row=self.next_row if next_row is None else next_row,
            followup_id=self.followup_id,
        )


@dataclass(frozen=True)
class RowValues:
    """One row as shown (prefilled) or as typed (read back from the view's state)."""

    text: str = ""
    owner: str | None = None
    due: date | None = None
    area: str = "account_team"
    told: bool = False
    answer: str | None = None


@dataclass(frozen=True)
class ModalContent:
    """Everything the modal shows besides the rows themselves."""

    account_name: str | None
    choices: list[AnswerChoice] = field(default_factory=list)
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    note: str | None = None
    account_query: str | None = None


def row_block_id(row_key: int, name: str) -> str:
    return f"c{row_key}_{name}"


# --- building the modal ------------------------------------------------------------------------


def commitments_modal(
    content: ModalContent, context_: ModalContext, rows: list[RowValues]
) -> dict[str, Any]:
    """The capture modal; at most 10 rows of 7 blocks keeps it well under Slack's 100."""
    blocks: list[Block] = []
    if content.account_name is None:
        blocks.append(_account_input(content.account_query))
    else:
        blocks.append(context(f"Commitments to *{escape(content.account_name)}*"))
    if content.note:
        blocks.append(context(escape(content.note)))
    removable = len(context_.rows) > 1
    for position, (key, values) in enumerate(zip(context_.rows, rows, strict=True)):
        blocks += _row_blocks(key, position, values, content, removable)
    blocks.append(divider())
    if len(context_.rows) < MAX_ROWS:
        blocks.append(actions(button("Add another", ADD_ROW_ACTION, "add"), block_id=ROWS_BLOCK))
    else:
        blocks.append(context(f"{MAX_ROWS} is the most in one go; save these, then log more."))
    return {
        "type": "modal",
        "callback_id": COMMIT_MODAL_CALLBACK,
        "title": {"type": "plain_text", "text": "Log commitments"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": context_.to_metadata(),
        "blocks": blocks,
    }


def _account_input(query: str | None) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "account",
        "placeholder": {"type": "plain_text", "text": "e.g. Halvorsen Freight Group"},
    }
    if query:
        element["initial_value"] = query
    return {
        "type": "input",
        "block_id": ACCOUNT_BLOCK,
        "label": {"type": "plain_text", "text": "Account"},
        "element": element,
    }


def _row_blocks(
    key: int, position: int, values: RowValues, content: ModalContent, removable: bool
) -> list[Block]:
    title = section(
        f"*Commitment {position + 1}*",
        accessory=button("Remove", REMOVE_ROW_ACTION, str(key)) if removable else None,
    )
    title["block_id"] = row_block_id(key, "head")
    return [
        title,
        _input(key, "text", "What was promised", _text_element(values.text)),
        _input(key, "owner", "Owner", _owner_element(values.owner)),
        _input(key, "due", "Due", _due_element(values.due)),
        _input(key, "area", "Who must act", _area_element(values.area)),
        _input(key, "told", "Customer", _told_element(values.told), optional=True),
        _input(
            key,
            "answers",
            "Answers",
            _answers_element(values.answer, content.choices, content.tz),
            optional=True,
        ),
    ]


def _input(key: int, name: str, label: str, element: Block, *, optional: bool = False) -> Block:
    block: Block = {
        "type": "input",
        "block_id": row_block_id(key, name),
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": FIELD_ACTIONS[name]},
    }
    if optional:
        block["optional"] = True
    return block


def _text_element(text: str) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": MAX_TEXT_INPUT,
        "placeholder": {"type": "plain_text", "text": "e.g. Send the 2027 roadmap to their CIO"},
    }
    if text:
        element["initial_value"] = text[:MAX_TEXT_INPUT]
    return element


def _owner_element(owner: str | None) -> Block:
    element: Block = {
        "type": "users_select",
        "placeholder": {"type": "plain_text", "text": "Who will do it"},
    }
    if owner:
        element["initial_user"] = owner
    return element


def _due_element(due: date | None) -> Block:
    element: Block = {"type": "datepicker"}
    if due:
        element["initial_date"] = due.isoformat()
    return element


def _area_options() -> list[Block]:
    return [_option(formatting.area(area), area) for area in AREAS]


def _area_element(area: str) -> Block:
    options = _area_options()
    element: Block = {"type": "static_select", "options": options}
    chosen = next((o for o in options if o["value"] == area), options[0])
    element["initial_option"] = chosen
    return element


def _told_option() -> Block:
    return _option("The customer was told", TOLD_VALUE)


def _told_element(told: bool) -> Block:
    element: Block = {"type": "checkboxes", "options": [_told_option()]}
    if told:
        element["initial_options"] = [_told_option()]
    return element


def _answers_element(answer: str | None, choices: list[AnswerChoice], tz: tzinfo) -> Block:
    """A meeting or a piece of feedback to pick; free text when there is nothing to pick."""
    if not choices:
        element: Block = {
            "type": "plain_text_input",
            "max_length": 300,
            "placeholder": {"type": "plain_text", "text": "Which meeting or feedback it answers"},
        }
        if answer:
            element["initial_value"] = answer[:300]
        return element
    options = [_option(choice_label(choice, tz), choice.value) for choice in choices]
    element = {
        "type": "static_select",
        "placeholder": {"type": "plain_text", "text": "A meeting or customer feedback"},
        "options": options,
    }
    chosen = next((o for o in options if o["value"] == answer), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _option(text: str, value: str) -> Block:
    return {
        "text": {"type": "plain_text", "text": truncate(text, OPTION_TEXT_LIMIT), "emoji": True},
        "value": value,
    }


def choice_label(choice: AnswerChoice, tz: tzinfo) -> str:
    """Plain text (no `<!date>` here): option labels are not mrkdwn, so the reader's zone."""
    if choice.kind == "meeting" and choice.meeting_at is not None:
        local = choice.meeting_at.astimezone(tz)
        return f"Review meeting, {local:%a %d %b %Y %H:%M}"
    comment = " ".join((choice.comment or "").split())
    return f"{choice.respondent} ({choice.cycle}): {comment}"


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """Replaces the modal when there is nothing left to fill in (account gone, no access)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


# --- reading the modal back --------------------------------------------------------------------


def read_rows(values: dict[str, Any], context_: ModalContext) -> list[tuple[int, RowValues]]:
    """The rows as typed, by row key, from `view.state.values`."""
    return [(key, _read_row(values, key)) for key in context_.rows]


def _read_row(values: dict[str, Any], key: int) -> RowValues:
    def state(name: str) -> dict[str, Any]:
        block = values.get(row_block_id(key, name)) or {}
        return block.get(FIELD_ACTIONS[name]) or {}

    due = state("due").get("selected_date")
    area = (state("area").get("selected_option") or {}).get("value")
    told = any(o.get("value") == TOLD_VALUE for o in state("told").get("selected_options") or [])
    answers = state("answers")
    answer = (answers.get("selected_option") or {}).get("value") or answers.get("value")
    return RowValues(
        text=(state("text").get("value") or "").strip(),
        owner=state("owner").get("selected_user"),
        due=_parse_date(due),
        area=area or "account_team",
        told=told,
        answer=answer or None,
    )


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def read_account_query(values: dict[str, Any]) -> str | None:
    value = ((values.get(ACCOUNT_BLOCK) or {}).get("account") or {}).get("value")
    return value.strip() if value and value.strip() else None


# --- turning meeting notes into rows -----------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[•◦▪‣*\-–—+]|\d{1,2}[.)]|\[\s?[xX]?\s?\])\s+(?P<item>.+)$")


def items_from_message(text: str) -> list[RowValues]:
    """One row per bullet line of meeting notes; the whole message when it has no bullets.

    A line that starts with a mention (`• @dana send the roadmap`) makes that person the owner.
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    bullets = [m.group("item") for line in lines if (m := _BULLET.match(line))]
    items = bullets or ([" ".join(line.strip() for line in lines)] if lines else [])
    return [_row_from_item(item) for item in items]


def _row_from_item(item: str) -> RowValues:
    owner = None
    item = item.strip()
    lead = USER_MENTION.match(item)
    if lead:
        owner = lead.group("user")
        item = item[lead.end() :].lstrip(" \t:,-")
    return RowValues(text=markup_to_plain(item).strip(), owner=owner)


def shorten(text: str, limit: int) -> str:
    return truncate(" ".join(text.split()), limit)


# --- messages about one commitment -------------------------------------------------------------


def _quote(text: str) -> str:
    return "\n".join(f">{escape(line)}" if line.strip() else ">" for line in text.splitlines())


def _struck(text: str) -> str:
    """Strike-through needs its markers on every line, and none around blank ones."""
    return "\n".join(
        f"~{escape(line.strip())}~" if line.strip() else "" for line in text.splitlines()
    )


def _due(day: date | None, tz: tzinfo) -> str:
    return f"due {slack_day(day, tz)}" if day else "no due date"


def _facts(row: Commitment, tz: tzinfo, owner: str | None = None) -> str:
    parts = [
        f"Owner {mention(owner or row.owner)}",
        _due(row.due_on, tz).capitalize(),
        formatting.area(row.area),
        "customer told" if row.customer_told else "customer not told yet",
    ]
    return " · ".join(parts)


def _reaction(done_reaction: str) -> str:
    return f":{done_reaction.strip(':')}:"


def commitment_message(
    row: Commitment, account_name: str, done_reaction: str, tz: tzinfo, *, owner: str | None = None
) -> tuple[str, list[Block]]:
    """The message in the account channel: open, or struck through once done."""
    name = escape(account_name)
    if row.status == "done":
        done = slack_date(row.done_at, DATE_AND_TIME, tz) if row.done_at is not None else "earlier"
        blocks = [
            section(
                f"{_reaction(done_reaction)} *Commitment to {name}* — done\n{_struck(row.text)}"
            ),
            context(f"Done by {mention(row.done_by)} {done}", _facts(row, tz, owner)),
        ]
        if row.answers:
            blocks.append(context(f"Answers: {escape(shorten(row.answers, 500))}"))
        blocks.append(context(f"Removing the {_reaction(done_reaction)} reaction reopens it."))
        fallback = Mrkdwn(
            f"Done by {mention(row.done_by)}: {escape(shorten(row.text, 300))} ({name})"
        )
        return fallback, blocks
    blocks = [
        section(f":handshake: *Commitment to {name}*\n{_quote(row.text)}"),
        context(_facts(row, tz, owner)),
    ]
    if row.answers:
        blocks.append(context(f"Answers: {escape(shorten(row.answers, 500))}"))
    blocks.append(context(f"React with {_reaction(done_reaction)} when done."))
    fallback = Mrkdwn(
        f"Commitment to {name}: {escape(shorten(row.text, 300))} — {mention(owner or row.owner)}, "
        f"{_due(row.due_on, tz)}"
    )
    return fallback, blocks


def owner_dm(
    row: Commitment,
    account_name: str,
    link: str | None,
    done_reaction: str,
    tz: tzinfo,
    *,
    owner: str | None = None,
) -> tuple[str, list[Block]]:
    """Tells the owner what they now own, where it lives, and how to close it."""
    name = escape(account_name)
    where = f"<{link}|the commitment message>" if link else channel_link(row.channel)
    blocks = [
        section(
            f"{mention(row.created_by) if row.created_by else 'Someone'} logged a commitment to "
            f"*{name}* for you:\n{_quote(row.text)}"
        ),
        context(_facts(row, tz, owner)),
        section(
            f"When it is done, react with {_reaction(done_reaction)} on {where} or press Done here."
        ),
        actions(button("Done", DONE_ACTION, str(row.id), style="primary")),
    ]
    fallback = Mrkdwn(f"You own a commitment to {name}: {escape(shorten(row.text, 300))}")
    return fallback, blocks


def area_announcement(
    row: Commitment, account_name: str, link: str | None, tz: tzinfo, *, owner: str | None = None
) -> tuple[str, list[Block]]:
    """For the function's channel: what the organisation promised this customer, and who owns it."""
    name = escape(account_name)
    area = formatting.area(row.area)
    follow = f"<{link}|Follow it in the account channel>" if link else ""
    blocks = [
        section(f":mega: *{area}* has a commitment to *{name}*:\n{_quote(row.text)}"),
        context(_facts(row, tz, owner), *([follow] if follow else [])),
    ]
    fallback = Mrkdwn(f"{area} has a commitment to {name}: {escape(shorten(row.text, 300))}")
    return fallback, blocks


def transition_reply(done: bool, actor: str, settings: Settings) -> Mrkdwn:
    if done:
        return Mrkdwn(f"{_reaction(settings.done_reaction)} Marked done by {mention(actor)}.")
    return Mrkdwn(f":leftwards_arrow_with_hook: Reopened by {mention(actor)}.")


def refusal_reply(user: str, account_name: str, settings: Settings) -> Mrkdwn:
    return Mrkdwn(
        f"{mention(user)}, only the owner, the account team of *{escape(account_name)}* or a VoC "
        f"admin can mark this done, so your {_reaction(settings.done_reaction)} changes nothing."
    )


_POST_ERRORS = {
    "not_in_channel": "I am not a member of that channel; invite me with `/invite @VoC`",
    "channel_not_found": "that channel does not exist, or it is private and I am not in it",
    "is_archived": "that channel is archived",
    "no_channel": "the account has no channel on file",
}


def post_failure_text(account_name: str, channel: str | None, count: int, error: str) -> Mrkdwn:
    """To the person who logged them: saved, but not where the team will see them."""
    why = _POST_ERRORS.get(error, f"Slack said `{escape(error)}`")
    where = channel_link(channel) if channel else "the account channel"
    plural = "commitments" if count != 1 else "commitment"
    return Mrkdwn(
        f"I saved your {count} {plural} to *{escape(account_name)}*, but could not post "
        f"{'them' if count != 1 else 'it'} in {where}: {why}. "
        f"{'They are' if count != 1 else 'It is'} tracked all the same: "
        f"`/voc open {escape(account_name)}` lists {'them' if count != 1 else 'it'}."
    )


def owner_missing_text(owner: str) -> Mrkdwn:
    return mrkdwn("I could not find {} in Slack, so they were not told by DM.", owner)


# --- lists of open commitments -----------------------------------------------------------------


def _item_line(item: OpenItem, tz: tzinfo, today: date, *, with_owner: bool) -> str:
    row = item.commitment
    overdue = " :warning: overdue" if row.due_on and row.due_on < today else ""
    owner = f"{mention(item.owner_shown or row.owner)}, " if with_owner else ""
    return (
        f"*{escape(item.account_name)}* · {escape(shorten(row.text, 400))}\n"
        f"{owner}{_due(row.due_on, tz)}{overdue} · {formatting.area(row.area)}"
    )


def commitment_item_blocks(
    items: list[OpenItem], tz: tzinfo, today: date, *, limit: int, with_owner: bool = True
) -> list[Block]:
    """One section per commitment with its Done button."""
    blocks = [
        section(
            _item_line(item, tz, today, with_owner=with_owner),
            accessory=button("Done", DONE_ACTION, str(item.commitment.id)),
        )
        for item in items[:limit]
    ]
    if len(items) > limit:
        blocks.append(context(f"…and {len(items) - limit} more: `voc open --json` lists them all."))
    return blocks


def open_list_message(
    title: str, items: list[OpenItem], tz: tzinfo, today: date, *, hidden: int = 0
) -> tuple[str, list[Block]]:
    """`/voc open`: visible only to the person who asked."""
    blocks: list[Block] = [header(title)]
    if items:
        blocks += commitment_item_blocks(items, tz, today, limit=ITEMS_IN_LIST)
    else:
        blocks.append(section("No open commitments."))
    if hidden:
        blocks.append(context(f"Not shown: {hidden} more on accounts whose team you are not on."))
    count = len(items)
    return mrkdwn("{}: {}", title, plural(count, "open commitment")), blocks


def home_commitment_blocks(items: list[OpenItem], tz: tzinfo, today: date) -> list[Block]:
    """The App Home section: the person's own open commitments, each with Done."""
    if not items:
        return [section("*Your open commitments*\nNone. Nice.")]
    return [
        section(f"*Your open commitments* ({len(items)})"),
        *commitment_item_blocks(items, tz, today, limit=ITEMS_ON_HOME, with_owner=False),
    ]


def done_confirmation(row: Commitment, account_name: str) -> Mrkdwn:
    return mrkdwn("Marked done: {} ({}).", shorten(row.text, 200), account_name)


def already_done_text(row: Commitment, account_name: str) -> Mrkdwn:
    who = mention(row.done_by) if row.done_by else "someone"
    return mrkdwn("Already done (by {}): {} ({}).", who, shorten(row.text, 200), account_name)


def today_in(tz: tzinfo, now: datetime) -> date:
    return now.astimezone(tz).date()
