"""Reminders and escalations as people read them.

- The owner's daily DM: one section per commitment saying why it is there today (overdue, due
  soon, customers asked again soon), with Done, Snooze 1 day, Snooze 1 week and, for a commitment
  whose message was posted (channel and ts known), Open in channel.
  Each item's section carries a `block_id` naming the commitment and its reasons, so a button
  press can re-render that item from the database without any other state.
- The weekly escalation DM to an account manager or executive sponsor: promises more than N days
  overdue, grouped by account.
- The weekly "open promises" summary in an account channel, posted only when one is overdue.
- Follow-ups in the daily DM: the reader's due today or overdue, and others' past the
  first-contact target on the accounts they answer for, each with the command to act on it.

Everything that came from a person or a customer goes through `escape()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from bot.core.ids import parse_id
from bot.core.slack import Mrkdwn, as_mrkdwn, escape, mention, mrkdwn
from bot.core.text import plural
from bot.followups.values import FollowupItem
from bot.views.common import (
    DATE_AND_TIME,
    MAX_MESSAGE_BLOCKS,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    pack_lines,
    section,
    slack_date,
    slack_day,
    truncate,
)
from bot.views.followups import followup_line

DONE_ACTION = "reminder_done"
SNOOZE_DAY_ACTION = "reminder_snooze_day"
SNOOZE_WEEK_ACTION = "reminder_snooze_week"
OPEN_ACTION = "reminder_open"
ITEM_BLOCK = "reminder_item"
ITEM_ACTIONS_BLOCK = "reminder_actions"

OVERDUE = "overdue"
DUE_SOON = "due_soon"
BEFORE_CYCLE = "before_cycle"
KIND_ORDER = (OVERDUE, DUE_SOON, BEFORE_CYCLE)
KIND_NAMES = {OVERDUE: "overdue", DUE_SOON: "due soon", BEFORE_CYCLE: "before the next cycle"}
TEXT_SHOWN = 280
SUMMARY_ITEMS_SHOWN = 60


@dataclass(frozen=True)
class ReminderLine:
    """One commitment in a reminder, with why it is there and its state now."""

    commitment_id: int
    account_name: str
    text: str
    due_on: date | None
    kinds: tuple[str, ...]
    cycle_start: date | None = None
    status: str = "open"
    done_by: str | None = None
    snoozed_until: datetime | None = None
    link: str | None = None


@dataclass(frozen=True)
class ItemRef:
    """What an item's `block_id` remembers: which commitment, and why it was in the DM."""

    commitment_id: int
    kinds: tuple[str, ...]
    cycle_start: date | None


@dataclass(frozen=True)
class EscalatedItem:
    """A promise overdue long enough for the account manager or sponsor to hear about it."""

    account_name: str
    tier: str
    text: str
    owner: str
    due_on: date
    days_overdue: int
    link: str | None = None


@dataclass(frozen=True)
class PromiseLine:
    """An open promise in the account channel's weekly summary."""

    text: str
    owner: str
    due_on: date | None
    overdue: bool
    link: str | None = None


# --- the owner's daily DM ------------------------------------------------------------------------


def reminder_message(
    lines: list[ReminderLine], tz: ZoneInfo, *, held_back: int = 0
) -> tuple[str, list[Block]]:
    """The day's bundle: what needs the owner, most urgent first, each with its controls."""
    blocks: list[Block] = [header("Promises to customers that need you")]
    for line in lines:
        blocks += item_blocks(line, tz)
    if held_back:
        blocks.append(
            context(
                f"…and {held_back} more. They come in the next reminder; "
                "`/voc open` lists them all now."
            )
        )
    blocks.append(
        context(
            f"{_done_here(lines)} "
            "You get at most one reminder a day, at the start of your working day."
        )
    )
    return reminder_fallback(lines, held_back), blocks[:MAX_MESSAGE_BLOCKS]


def _done_here(lines: list[ReminderLine]) -> str:
    """A commitment recorded without Slack, or whose announcement failed, has no message to
    react on or open: the DM promises only what its items have."""
    with_message = sum(line.link is not None for line in lines)
    if with_message == 0:
        return "Done here marks the commitment done."
    if with_message < len(lines):
        return "Done here works like reacting on the commitment's message, where it has one."
    return "Done here works like reacting on the commitment's message."


def reminder_fallback(lines: list[ReminderLine], held_back: int = 0) -> Mrkdwn:
    """The notification line: how many, and how many of them are late."""
    count = len(lines) + held_back
    late = sum(OVERDUE in line.kinds for line in lines)
    suffix = f", {late} overdue" if late else ""
    if count == 1:
        return Mrkdwn(f"1 promise to a customer needs you today{suffix}")
    return Mrkdwn(f"{count} promises to customers need you today{suffix}")


def item_blocks(line: ReminderLine, tz: ZoneInfo) -> list[Block]:
    """The item's section and, while it is open, its buttons."""
    body = section(_item_text(line, tz))
    body["block_id"] = item_block_id(line)
    if line.status != "open":
        return [body]
    controls = [button("Done", DONE_ACTION, str(line.commitment_id), style="primary")]
    if line.snoozed_until is None:
        controls += [
            button("Snooze 1 day", SNOOZE_DAY_ACTION, str(line.commitment_id)),
            button("Snooze 1 week", SNOOZE_WEEK_ACTION, str(line.commitment_id)),
        ]
    if line.link:
        controls.append(
            button("Open in channel", OPEN_ACTION, str(line.commitment_id), url=line.link)
        )
    return [body, actions(*controls, block_id=f"{ITEM_ACTIONS_BLOCK}:{line.commitment_id}")]


def _item_text(line: ReminderLine, tz: ZoneInfo) -> str:
    what = escape(truncate(" ".join(line.text.split()), TEXT_SHOWN))
    title = f"*{escape(line.account_name)}* · "
    if line.status == "done":
        who = f" by {mention(line.done_by)}" if line.done_by else ""
        return f"{title}~{what}~\n:white_check_mark: Done{who}."
    if line.status != "open":
        return f"{title}{what}\nThis commitment no longer exists."
    reasons = " · ".join(_reason(kind, line, tz) for kind in line.kinds)
    text = f"{title}{what}\n{reasons}"
    if line.snoozed_until is not None:
        text += f"\n:zzz: Snoozed until {slack_date(line.snoozed_until, DATE_AND_TIME, tz)}."
    return text


def _reason(kind: str, line: ReminderLine, tz: ZoneInfo) -> str:
    if kind == OVERDUE and line.due_on is not None:
        return f":warning: *Overdue*, was due {slack_day(line.due_on, tz)}"
    if kind == DUE_SOON and line.due_on is not None:
        return f":hourglass_flowing_sand: *Due {slack_day(line.due_on, tz)}*"
    if kind == BEFORE_CYCLE and line.cycle_start is not None:
        return (
            f":speech_balloon: Customers are asked for feedback again from "
            f"{slack_day(line.cycle_start, tz)}, and will remember this"
        )
    return KIND_NAMES.get(kind, kind)


def item_block_id(line: ReminderLine) -> str:
    """`reminder_item:<id>:<kinds>:<cycle start>`, read back by `parse_item_block_id`."""
    cycle = line.cycle_start.isoformat() if line.cycle_start else "-"
    return f"{ITEM_BLOCK}:{line.commitment_id}:{','.join(line.kinds) or '-'}:{cycle}"


def parse_item_block_id(block_id: str | None) -> ItemRef | None:
    parts = (block_id or "").split(":")
    number = parse_id(parts[1]) if len(parts) == 4 and parts[0] == ITEM_BLOCK else None
    if number is None:
        return None
    kinds = tuple(kind for kind in parts[2].split(",") if kind in KIND_ORDER)
    try:
        cycle = date.fromisoformat(parts[3]) if parts[3] != "-" else None
    except ValueError:
        cycle = None
    return ItemRef(number, kinds, cycle)


def item_refs(blocks: list[Block]) -> list[ItemRef]:
    """The items a posted reminder shows, in order."""
    refs = [parse_item_block_id(block.get("block_id")) for block in blocks]
    return [ref for ref in refs if ref is not None]


def rerender_items(blocks: list[Block], lines: dict[int, ReminderLine], tz: tzinfo) -> list[Block]:
    """The posted reminder with each item shown as it is now; other blocks kept as they were."""
    result: list[Block] = []
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        if block_id.startswith(f"{ITEM_ACTIONS_BLOCK}:"):
            continue  # re-emitted with its item, or dropped once the item is done
        ref = parse_item_block_id(block_id)
        if ref is not None and ref.commitment_id in lines:
            result += item_blocks(lines[ref.commitment_id], tz)
        else:
            result.append(block)
    return result


# --- the weekly escalation ----------------------------------------------------------------------


def _days(count: int) -> str:
    """`VOC_ESCALATE_AFTER_DAYS` may be 1, and "more than 1 days" reads wrong."""
    return f"{count} day{'s' if count != 1 else ''}"


def escalation_message(
    items: list[EscalatedItem],
    tz: ZoneInfo,
    *,
    after_days: int,
    week: str,
    max_blocks: int = MAX_MESSAGE_BLOCKS,
) -> tuple[str, list[Block]]:
    """One summary per person per week: each account, its promises late by more than N days.

    `max_blocks` is the room it has: all of a message, or what the day's reminders leave.
    """
    accounts = sorted({item.account_name for item in items})
    blocks: list[Block] = [header("Promises to customers running late")]
    blocks.append(
        section(
            f"{len(items)} {'promise is' if len(items) == 1 else 'promises are'} more than "
            f"{_days(after_days)} overdue on {len(accounts)} "
            f"{'account' if len(accounts) == 1 else 'accounts'} you look after. "
            "A word with the owners now costs less than the customer noticing."
        )
    )
    for account in accounts:
        mine = sorted(
            (item for item in items if item.account_name == account),
            key=lambda item: (item.due_on, item.text),
        )
        strategic = " (strategic)" if mine[0].tier == "strategic" else ""
        lines = [f"*{escape(account)}*{strategic}"] + [_escalated_line(item, tz) for item in mine]
        blocks += [section(chunk) for chunk in pack_lines(lines)]
        if len(blocks) >= max_blocks - 2:
            break
    blocks = blocks[: max_blocks - 1]
    blocks.append(context(f"Sent once a week ({week}) while promises stay this late."))
    names = ", ".join(escape(account) for account in accounts[:5])
    more = f" and {len(accounts) - 5} more" if len(accounts) > 5 else ""
    count = (
        "1 promise to a customer is"
        if len(items) == 1
        else f"{len(items)} promises to customers are"
    )
    fallback = Mrkdwn(f"{count} over {_days(after_days)} late: {names}{more}")
    return fallback, blocks


def _escalated_line(item: EscalatedItem, tz: ZoneInfo) -> str:
    what = escape(truncate(" ".join(item.text.split()), 200))
    if item.link:
        what = f"<{item.link}|{what}>"
    return (
        f"• {what} — {mention(item.owner)}, due {slack_day(item.due_on, tz)}, "
        f"*{_days(item.days_overdue)} late*"
    )


@dataclass(frozen=True)
class EscalationSection:
    """The week's escalation riding in a person's DM of the day."""

    items: list[EscalatedItem]
    after_days: int
    week: str


def daily_message(
    lines: list[ReminderLine],
    tz: ZoneInfo,
    *,
    held_back: int = 0,
    escalation: EscalationSection | None = None,
    followups: FollowupSection | None = None,
    parts: Sequence[tuple[str, list[Block]]] = (),
) -> tuple[str, list[Block]]:
    """The one DM a person gets today, whatever it carries: the people waiting to hear from
    them first (a person outranks a task), then their reminders, then the week's escalation
    when it is owed the same day (an owner who also manages the account), then what other
    rooms owe them today (`parts`: (notification line, blocks), already built by their views)."""
    texts: list[str] = []
    blocks: list[Block] = []
    if followups is not None:
        texts.append(followup_fallback(followups))
        blocks += followup_blocks(followups, tz, MAX_MESSAGE_BLOCKS - (6 if lines else 2))
    if lines:
        text, mine = reminder_message(lines, tz, held_back=held_back)
        room = MAX_MESSAGE_BLOCKS - len(blocks) - (1 if blocks else 0)
        blocks += [divider()] * bool(blocks) + _fitted(mine, room)
        texts.append(text)
    if escalation is not None:
        room = MAX_MESSAGE_BLOCKS - len(blocks) - (1 if blocks else 0)
        if room >= 3:
            late_text, late_blocks = _escalation(escalation, tz, room)
            blocks += [divider()] * bool(blocks) + late_blocks
            texts.append(late_text)
    for part_text, part_blocks in parts:
        room = MAX_MESSAGE_BLOCKS - len(blocks) - (1 if blocks else 0)
        blocks += [divider()] * bool(blocks) + part_blocks[:room]
        texts.append(as_mrkdwn(part_text))
    return Mrkdwn("; ".join(texts)), blocks[:MAX_MESSAGE_BLOCKS]


def _fitted(blocks: list[Block], room: int) -> list[Block]:
    """The reminder's blocks within `room`, keeping its closing context line."""
    if len(blocks) <= room:
        return blocks
    return [*blocks[: room - 1], blocks[-1]]


# --- follow-ups in the day's DM -----------------------------------------------------------------

FOLLOWUPS_SHOWN = 15


@dataclass(frozen=True)
class FollowupSection:
    """The follow-ups riding in a person's DM of the day: theirs due today or overdue, and
    others' past the first-contact target on accounts they answer for."""

    owned: list[FollowupItem]
    waiting: list[FollowupItem]
    now: datetime

    @property
    def items(self) -> list[FollowupItem]:
        return [*self.owned, *self.waiting]


def followup_fallback(part: FollowupSection) -> str:
    """The notification line: people, not tasks, so it says who is waiting."""
    texts = []
    if part.owned:
        late = sum(item.past_sla(part.now) for item in part.owned)
        suffix = f", {late} overdue" if late else ""
        texts.append(f"{plural(len(part.owned), 'customer')} to contact today{suffix}")
    if part.waiting:
        texts.append(f"{len(part.waiting)} waiting past the first-contact target")
    return "; ".join(texts)


def followup_blocks(part: FollowupSection, tz: ZoneInfo, room: int) -> list[Block]:
    """Who is waiting to hear back, each with how to act on it, within `room` blocks."""
    blocks: list[Block] = []
    for title, items in (
        ("Customers waiting to hear from you", part.owned),
        ("Waiting past the first-contact target", part.waiting),
    ):
        if not items:
            continue
        shown = items[:FOLLOWUPS_SHOWN]
        lines = [f"{followup_line(item, tz, part.now)}\n{_act(item)}" for item in shown]
        blocks += [header(title), *(section(chunk) for chunk in pack_lines(lines))]
        if len(items) > len(shown):
            blocks.append(context(f"…and {len(items) - len(shown)} more: `/voc followups`."))
    blocks = blocks[: max(room - 1, 1)]
    blocks.append(
        context(
            "Record the first contact with `/voc followups ACCOUNT` (Contacted). The "
            "first-contact target is counted in working days in the owner's timezone."
        )
    )
    return blocks


def _act(item: FollowupItem) -> str:
    return f"→ `/voc followups {escape(item.account)}`"


def _escalation(section: EscalationSection, tz: ZoneInfo, room: int) -> tuple[str, list[Block]]:
    return escalation_message(
        section.items, tz, after_days=section.after_days, week=section.week, max_blocks=room
    )


# --- the account channel's weekly summary --------------------------------------------------------


def open_promises_message(
    account_name: str, lines: list[PromiseLine], tz: ZoneInfo, *, week: str
) -> tuple[str, list[Block]]:
    """Everything still open for the account, overdue first, so the team sees it together."""
    late = [line for line in lines if line.overdue]
    rest = [line for line in lines if not line.overdue]
    name = escape(account_name)
    blocks: list[Block] = [header(f"Open promises to {account_name}")]
    blocks.append(
        section(
            f"{len(lines)} open, *{len(late)} overdue*. React on a commitment's message when "
            "it is done, or reply in its thread to say what is in the way."
        )
    )
    shown = [*late, *rest][:SUMMARY_ITEMS_SHOWN]
    text_lines = [_promise_line(line, tz) for line in shown]
    blocks += [section(chunk) for chunk in pack_lines(text_lines)]
    if len(lines) > len(shown):
        blocks.append(context(f"…and {len(lines) - len(shown)} more: `/voc open {name}`."))
    blocks = blocks[: MAX_MESSAGE_BLOCKS - 1]
    blocks.append(context(f"Weekly summary ({week}), posted only while something is overdue."))
    fallback = Mrkdwn(f"Open promises to {name}: {len(lines)} open, {len(late)} overdue")
    return fallback, blocks


def _promise_line(line: PromiseLine, tz: ZoneInfo) -> str:
    what = escape(truncate(" ".join(line.text.split()), 200))
    if line.link:
        what = f"<{line.link}|{what}>"
    due = f"due {slack_day(line.due_on, tz)}" if line.due_on else "no due date"
    mark = ":warning:" if line.overdue else "•"
    late = " — *overdue*" if line.overdue else ""
    return f"{mark} {what} — {mention(line.owner)}, {due}{late}"


def late_followup_message(
    item: FollowupItem, tz: ZoneInfo, *, now: datetime, late_since: datetime
) -> tuple[Mrkdwn, list[Block]]:
    """The account channel's one flag for a person still waiting at twice the first-contact
    target: the team sees it together, and anyone may pick it up."""
    who = escape(item.respondent)
    blocks: list[Block] = [
        section(
            f":rotating_light: *{who} is still waiting for a first contact*, twice the "
            f"first-contact target (since {slack_date(late_since, DATE_AND_TIME, tz)})."
        ),
        section(followup_line(item, tz, now)),
        context(
            f"Record the first contact, or take it over: `/voc followups {escape(item.account)}`. "
            "This is said once."
        ),
    ]
    fallback = mrkdwn(
        "{} ({}) is still waiting for a first contact, twice the first-contact target",
        item.respondent,
        item.account,
    )
    return fallback, blocks
