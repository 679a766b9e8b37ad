"""The done reaction, reconciled with what the message shows.

Slack may deliver reaction events twice or out of order, so an event's meaning is not trusted on
its own: the message's current reactions (`reactions.get`) decide, and the check is repeated
after the write until the two agree.

When Slack cannot be asked, the event is all there is. It is followed only if it is the latest
reaction seen on that commitment (by when the person reacted, Slack's `event_ts`): a late
"added" arriving after the person removed ✅ is known to be late and changes nothing. Either
way the commitment is put down for a re-read, and the scheduler's `reaction_recheck` job asks
Slack again on every tick until Slack answers, then leaves the commitment as the message shows.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.commitments import rules
from bot.commitments.announce import refresh_commitment_message, reply_in_thread
from bot.commitments.queries import commitment_and_account, complete_commitment, reopen_commitment
from bot.commitments.values import ReactionEvent
from bot.commitments.workspace import SlackWorkspace
from bot.delivery.jobs import Delivered, DueItem
from bot.directory import Directory, TtlCache
from bot.runtime import Runtime
from bot.views import commitments as views
from storage.events import first_time, forget, keys_starting, newest
from storage.models import Account, Commitment

log = logging.getLogger(__name__)

RECONCILE_ROUNDS = 3
RECHECK_JOB = "reaction_recheck"
RECHECK_PREFIX = "reaction-recheck:"
LATEST_PREFIX = "reaction-latest:"
RECHECK_ACTOR = "reaction-recheck"  # the audit's actor when a re-read, not a person, decided


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
    latest = _is_latest(sessions, slack.workspace_id, row, event)
    outcome = "unchanged"
    for round_ in range(RECONCILE_ROUNDS):
        shown = done_reaction_present(slack, row, account)
        if shown is None:
            first_time(sessions, slack.workspace_id, RECHECK_PREFIX + str(row.id))
        wanted = rules.wanted_done(shown, event.added, first_round=round_ == 0 and latest)
        if wanted is None:
            break
        change = complete_commitment if wanted else reopen_commitment
        if change(sessions, row.id, actor=event.user, now=now, via="reaction"):
            outcome = "done" if wanted else "reopened"
            text = views.transition_reply(wanted, event.user, slack.settings)
            reply_in_thread(sessions, slack, row, text, now)
        if shown is None or done_reaction_present(slack, row, account) == wanted:
            break
    return outcome


def _is_latest(
    sessions: sessionmaker[Session], workspace_id: str, row: Commitment, event: ReactionEvent
) -> bool:
    """Whether no reaction made after this one has been seen on the commitment."""
    if event.at is None:
        return True
    return newest(sessions, workspace_id, LATEST_PREFIX + str(row.id), event.at)


def done_reaction_present(slack: SlackWorkspace, row: Commitment, account: Account) -> bool | None:
    """Whether someone allowed to has the done reaction on the message; None if Slack won't say."""
    reactors = _done_reactors(slack, row, account)
    return None if reactors is None else bool(reactors)


def _done_reactors(slack: SlackWorkspace, row: Commitment, account: Account) -> list[str] | None:
    """Who, among those allowed to, has the done reaction on the message; None if Slack won't
    say."""
    if not row.channel or not row.message_ts:
        return None
    try:
        reply = slack.client.reactions_get(channel=row.channel, timestamp=row.message_ts, full=True)
    except SlackApiError:
        return None
    message = reply.get("message")
    if not isinstance(message, dict):
        return None
    return [
        user
        for reaction in message.get("reactions") or []
        if rules.is_done_reaction(str(reaction.get("name", "")), slack.settings)
        for user in reaction.get("users") or []
        if user != slack.bot_user_id
        and rules.may_change(slack.settings, account, row, user, slack.directory)
    ]


# -- the re-read, as a scheduled job -------------------------------------------------------------


def find_due_rechecks(runtime: Runtime, now: datetime) -> list[DueItem]:
    """Commitments whose done reaction was decided without Slack saying what the message shows."""
    return [
        DueItem(
            job=RECHECK_JOB,
            key=key,
            workspace_id=workspace_id,
            description=f"re-read the done reaction of commitment {key[len(RECHECK_PREFIX) :]}",
            payload=int(key[len(RECHECK_PREFIX) :]),
        )
        for workspace_id, key in keys_starting(runtime.sessions, RECHECK_PREFIX)
    ]


def recheck(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """Ask Slack again; once it answers, the commitment follows the message and is let go."""
    sessions = runtime.sessions
    row, account = commitment_and_account(sessions, item.payload)
    if row is None or account is None:
        forget(sessions, item.workspace_id, item.key)
        return Delivered("skipped", "the commitment is gone")
    directory = Directory(client, item.workspace_id, TtlCache())
    slack = SlackWorkspace(client, directory, runtime.settings, item.workspace_id)
    reactors = _done_reactors(slack, row, account)
    if reactors is None:
        return Delivered("failed", "Slack still does not say what the message shows")
    forget(sessions, item.workspace_id, item.key)
    change = complete_commitment if reactors else reopen_commitment
    actor = reactors[0] if reactors else RECHECK_ACTOR
    if not change(sessions, row.id, actor=actor, now=now, via="reaction"):
        return Delivered("skipped", "it already matched the message")
    refresh_commitment_message(sessions, slack, row.id)
    return Delivered("sent", "done" if reactors else "reopened")
