"""Follow-ups as Slack shows them: the private `/voc followups` list and the App Home section.

Each follow-up is one line (who, why, whose, by when) with buttons to record the first contact
or close the loop. Names and account names come from files, so they go through `escape()`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.slack import Mrkdwn, escape, mention, mrkdwn
from bot.followups.values import FollowupItem
from bot.views.common import (
    DATE_AND_TIME,
    Block,
    actions,
    button,
    context,
    header,
    section,
    slack_date,
)

CONTACTED_ACTION = "followup_contacted"
CLOSED_ACTION = "followup_closed"
ACTION_STEPS = {CONTACTED_ACTION: "contacted", CLOSED_ACTION: "closed"}
ITEMS_IN_LIST = 20  # two blocks each, within a message's fifty
ITEMS_ON_HOME = 10
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
