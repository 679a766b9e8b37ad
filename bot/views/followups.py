"""Follow-ups as Slack shows them: the private `/voc followups` list and the App Home section.

Each follow-up is one line (who, why, whose, by when) with buttons to record the first contact
or close the loop. Names and account names come from files, so they go through `escape()`.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from bot import formatting
from bot.core.slack import Mrkdwn, escape, mention, mrkdwn
from bot.core.text import plural
from bot.followups.announcement import Announced
from bot.followups.values import AnsweredItem, FollowupItem
from bot.views.common import (
    DATE_AND_TIME,
    Block,
    actions,
    button,
    context,
    header,
    pack_lines,
    section,
    slack_date,
    truncate,
)

CONTACTED_ACTION = "followup_contacted"
CLOSED_ACTION = "followup_closed"
ACTION_STEPS = {CONTACTED_ACTION: "contacted", CLOSED_ACTION: "closed"}
ITEMS_IN_LIST = 20  # two blocks each, within a message's fifty
ITEMS_ON_HOME = 10
TAKE_ACTION = "followup_take"
CONTACT_ACTION = "followup_contact"
LOG_ACTION = "followup_log_commitment"
NOT_NEEDED_ACTION = "followup_not_needed"
CONTACT_MODAL = "followup_contact_modal"
NOT_NEEDED_MODAL = "followup_not_needed_modal"
METHOD_BLOCK, METHOD_INPUT = "followup_method", "method"
NOTE_BLOCK, NOTE_INPUT = "followup_note", "note"
REASON_BLOCK, REASON_INPUT = "followup_reason", "reason"
METHOD_WORDS = {"call": "a call", "meeting": "a meeting", "email": "an email"}
PEOPLE_IN_ANNOUNCEMENT = 10  # two blocks each, within a message's fifty
COMMENT_LIMIT = 300
REASON_WORDS = {
    "dissatisfied": "dissatisfied",
    "detractor": "detractor",
    "high_risk": "high risk",
    "dropped": "satisfaction dropped",
    "asked": "asked to be contacted",
    "silent": "decision maker gone silent",
}


def followup_line(item: FollowupItem, tz: tzinfo, now: datetime) -> str:
    """One follow-up as a person scans it: who, why, which account, whose, by when."""
    role = f" ({item.role.replace('_', ' ')})" if item.role else ""
    reasons = ", ".join(REASON_WORDS.get(r, r) for r in item.reasons)
    late = " · :warning: past the SLA" if item.past_sla(now) else ""
    return (
        f"*{escape(item.respondent)}*{role} · {escape(item.account)} · {reasons}\n"
        f"Owner {mention(item.owner) if item.owner else 'no owner'} · first contact due "
        f"{slack_date(item.due_at, DATE_AND_TIME, tz)}{late}"
    )


def _controls(item: FollowupItem) -> Block:
    value = str(item.id)
    return actions(
        button("Contacted", CONTACTED_ACTION, value, style="primary"),
        button("Closed", CLOSED_ACTION, value),
        block_id=f"followup_{item.id}",
    )


def _item_blocks(items: list[FollowupItem], tz: tzinfo, now: datetime, limit: int) -> list[Block]:
    blocks: list[Block] = []
    for item in items[:limit]:
        blocks += [section(followup_line(item, tz, now)), _controls(item)]
    if len(items) > limit:
        blocks.append(context(f"{len(items) - limit} more: `voc followups` lists them all."))
    return blocks


def followup_list_message(
    title: str, items: list[FollowupItem], tz: tzinfo, now: datetime
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of `/voc followups`, soonest due first."""
    blocks: list[Block] = [header(title)]
    if not items:
        blocks.append(section("Nobody is waiting for a call back."))
        return mrkdwn("{}: none", title), blocks
    blocks += _item_blocks(items, tz, now, ITEMS_IN_LIST)
    late = sum(1 for item in items if item.past_sla(now))
    summary = f"{len(items)} open" + (f", {late} past the SLA" if late else "")
    blocks.append(context(f"{summary}. Not needed? `voc followup ID not-needed --note WHY`."))
    return mrkdwn("{}: {}", title, summary), blocks


def home_followup_blocks(items: list[FollowupItem], tz: tzinfo, now: datetime) -> list[Block]:
    """The Home tab's section: the people the reader is to get back to."""
    if not items:
        return []
    return [
        section("*Follow-ups waiting for you*"),
        *_item_blocks(items, tz, now, ITEMS_ON_HOME),
    ]


def moved_text(item: FollowupItem, previous: str, changed: bool) -> Mrkdwn:
    """The presser's private confirmation."""
    who = mrkdwn("{} ({})", item.respondent, item.account)
    if not changed:
        return mrkdwn("The follow-up with {} is already {}.", who, item.status.replace("_", " "))
    return mrkdwn(
        "Follow-up with {}: {} → {}.",
        who,
        previous.replace("_", " "),
        item.status.replace("_", " "),
    )


# --- the channel announcement after an import ----------------------------------------------


def announcement_message(
    announced: Announced, tz: tzinfo, now: datetime
) -> tuple[Mrkdwn, list[Block]]:
    """(fallback text, blocks): the cycle's headline, then each person with their controls.

    Past `PEOPLE_IN_ANNOUNCEMENT` the rest are listed one line each, and `/voc followups`
    has them all with their buttons.
    """
    report = announced.report
    name = escape(announced.account)
    cycle = escape(report.cycle or "")
    blocks: list[Block] = [section(f":mega: *{name}* · new feedback, cycle {cycle}")]
    blocks.append(context(headline_text(announced)))
    people = announced.people
    if not people:
        return Mrkdwn(f"{name}: new feedback, cycle {cycle}. {headline_text(announced)}"), blocks
    waiting = plural(len(people), "person", "people")
    blocks.append(section(f"*{waiting} to get back to*"))
    for answered in people[:PEOPLE_IN_ANNOUNCEMENT]:
        blocks += _person_blocks(answered, announced, tz, now)
    rest = people[PEOPLE_IN_ANNOUNCEMENT:]
    if rest:
        blocks += [section(text) for text in pack_lines([_short_line(a.item) for a in rest])]
        blocks.append(
            context(f"{len(rest)} more: `/voc followups {name}` lists everyone, with buttons.")
        )
    return Mrkdwn(f"{name}: {waiting} to get back to after cycle {cycle}"), blocks


def headline_text(announced: Announced) -> str:
    """The report's headline figures in one line: respondents, satisfaction, NPS and its move."""
    current, previous = announced.report.current, announced.report.previous
    if current is None:
        return "No results in this cycle yet."
    parts = [
        plural(current.respondents, "respondent"),
        f"satisfaction {formatting.mean(current.satisfaction_mean)}/10",
        f"NPS {formatting.nps(current.nps)}",
    ]
    if previous is not None:
        moved = formatting.change(current.nps, previous.nps, points=True)
        if moved:
            parts[-1] += f" ({moved} vs {escape(previous.cycle)})"
    return " · ".join(parts)


def _person_blocks(
    answered: AnsweredItem, announced: Announced, tz: tzinfo, now: datetime
) -> list[Block]:
    item = answered.item
    text = _person_text(answered, tz, now)
    state = state_line(item, announced.actors)
    if state:
        text += f"\n{state}"
    controls = _announcement_controls(item)
    section_block = section(text)
    return [section_block, controls] if controls else [section_block]


def _person_text(answered: AnsweredItem, tz: tzinfo, now: datetime) -> str:
    item = answered.item
    role = f" ({formatting.role(item.role)})" if item.role else ""
    reasons = ", ".join(REASON_WORDS.get(r, r) for r in item.reasons)
    lines = [f"*{escape(item.respondent)}*{role} · {reasons}"]
    if answered.satisfaction is not None:
        lines.append(
            f"Satisfaction {formatting.score(answered.satisfaction)}/10 · "
            f"recommend {formatting.score(answered.recommend)}/10"
        )
    late = " · :warning: past the SLA" if item.past_sla(now) else ""
    lines.append(
        f"Owner {mention(item.owner)} · first contact due "
        f"{slack_date(item.due_at, DATE_AND_TIME, tz)}{late}"
    )
    if answered.comment:
        lines.append(f">{escape(truncate(answered.comment, COMMENT_LIMIT))}")
    return "\n".join(lines)


def state_line(item: FollowupItem, actors: dict[tuple[int, str], str]) -> str:
    """Where the person stands now, and who moved them there (so nobody presses twice)."""
    taken = actors.get((item.id, "followup_taken"))
    took = f":raising_hand: {mention(taken)} took it" if taken else ""
    if item.status == "open":
        return took
    by = actors.get((item.id, f"followup_{item.status}")) or actors.get(
        (item.id, "followup_reopened")
    )
    who = f" by {mention(by)}" if by else ""
    note = f": {escape(truncate(item.note, COMMENT_LIMIT))}" if item.note else ""
    if item.status == "contacted":
        how = f" by {METHOD_WORDS.get(item.contact_method or '', 'some means')}"
        how = how if item.contact_method else ""
        return f":white_check_mark: Contacted{who}{how}{note}"
    if item.status == "closed":
        return f":white_check_mark: Closed{who}"
    return f":no_entry_sign: Not needed{who}{note}"


def _announcement_controls(item: FollowupItem) -> Block | None:
    value = str(item.id)
    block_id = f"announced_{item.id}"
    if item.status == "open":
        return actions(
            button("I'll take it", TAKE_ACTION, value, style="primary"),
            button("Contacted…", CONTACT_ACTION, value),
            button("Log commitment", LOG_ACTION, value),
            button("Not needed…", NOT_NEEDED_ACTION, value),
            block_id=block_id,
        )
    if item.status == "contacted":
        return actions(button("Log commitment", LOG_ACTION, value), block_id=block_id)
    return None


def _short_line(item: FollowupItem) -> str:
    reasons = ", ".join(REASON_WORDS.get(r, r) for r in item.reasons)
    return f"• *{escape(item.respondent)}* · {reasons} · owner {mention(item.owner)}"


# --- the modals behind Contacted… and Not needed… ------------------------------------------


def _modal(callback_id: str, title: str, submit: str, followup_id: int, blocks: list[Block]) -> Any:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"followup_id": followup_id}),
        "blocks": blocks,
    }


def _text_input(block_id: str, action_id: str, label: str, *, optional: bool) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": action_id,
            "multiline": True,
            "max_length": 2000,
        },
    }


def contact_modal(item: FollowupItem) -> Any:
    """How the first contact was made (call, meeting, email), and a note."""
    options = [
        {"text": {"type": "plain_text", "text": word.split(" ", 1)[1].capitalize()}, "value": key}
        for key, word in METHOD_WORDS.items()
    ]
    method: Block = {
        "type": "input",
        "block_id": METHOD_BLOCK,
        "label": {"type": "plain_text", "text": "How"},
        "element": {"type": "radio_buttons", "action_id": METHOD_INPUT, "options": options},
    }
    intro = section(f"First contact with *{escape(item.respondent)}*.")
    note = _text_input(NOTE_BLOCK, NOTE_INPUT, "Note", optional=True)
    return _modal(CONTACT_MODAL, "Contacted", "Save", item.id, [intro, method, note])


def not_needed_modal(item: FollowupItem) -> Any:
    """Not calling back someone unhappy is a decision: the reason is required."""
    intro = section(f"No contact needed with *{escape(item.respondent)}*? Say why.")
    reason = _text_input(REASON_BLOCK, REASON_INPUT, "Reason", optional=False)
    return _modal(NOT_NEEDED_MODAL, "Not needed", "Save", item.id, [intro, reason])


def modal_followup_id(view: dict[str, Any]) -> object:
    """The follow-up a modal was opened for, as it came back (untrusted: parse it)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    return data.get("followup_id") if isinstance(data, dict) else None
