"""The done reaction, reconciled with what the message shows.

Slack may deliver reaction events twice or out of order, so an event's meaning is not trusted on
its own: the message's current reactions (`reactions.get`) decide, and the check is repeated
after the write until the two agree. When Slack cannot be asked, the event's meaning is used.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.commitments import rules
from bot.commitments.announce import reply_in_thread
from bot.commitments.queries import complete_commitment, reopen_commitment
from bot.commitments.values import ReactionEvent
from bot.commitments.workspace import SlackWorkspace
from bot.views import commitments as views
from storage.models import Account, Commitment

RECONCILE_ROUNDS = 3


def reconcile(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account: Account,
    event: ReactionEvent,
    now: datetime,
) -> str:
    """Move the commitment to what the message shows now, and check again after the write.

    A late or repeated event therefore cannot undo a newer reaction: whichever handler finishes
    last reads the final reactions and leaves the commitment matching them. Returns `done`,
    `reopened` or `unchanged`.
    """
    outcome = "unchanged"
    for round_ in range(RECONCILE_ROUNDS):
        shown = done_reaction_present(slack, row, account)
        wanted = rules.wanted_done(shown, event.added, first_round=round_ == 0)
        if wanted is None:
            break
        change = complete_commitment if wanted else reopen_commitment
        if change(sessions, row.id, actor=event.user, now=now, via="reaction"):
            outcome = "done" if wanted else "reopened"
            reply_in_thread(slack, row, views.transition_reply(wanted, event.user, slack.settings))
        if shown is None or done_reaction_present(slack, row, account) == wanted:
            break
    return outcome


def done_reaction_present(slack: SlackWorkspace, row: Commitment, account: Account) -> bool | None:
    """Whether someone allowed to has the done reaction on the message; None if Slack won't say."""
    if not row.channel or not row.message_ts:
        return None
    try:
        reply = slack.client.reactions_get(channel=row.channel, timestamp=row.message_ts, full=True)
    except SlackApiError:
        return None
    message = reply.get("message")
    if not isinstance(message, dict):
        return None
    for reaction in message.get("reactions") or []:
        if not rules.is_done_reaction(str(reaction.get("name", "")), slack.settings):
            continue
        for user in reaction.get("users") or []:
            if user != slack.bot_user_id and rules.may_change(
                slack.settings, account, row, user, slack.directory
            ):
                return True
    return False
