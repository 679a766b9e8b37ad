"""Steps most listeners share: find the account a person named and check they may use it.

The listeners of this room get the account through `bot.accounts.service` and let refusals
travel as `bot.errors`; these reply-callback helpers serve the listeners that still answer
with their own reply.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.accounts.access import may_access
from bot.accounts.queries import describe_miss, find_account
from bot.core.clock import zone
from bot.core.slack import unescape
from bot.directory import DirectoryUnavailable
from bot.services import Services
from bot.views.report import refusal_text
from handlers.command import CommandRequest
from storage.models import Account


def typed_account(text: str) -> str:
    """The account name as typed in `/voc`: Slack's escaping undone, stray quotes dropped."""
    return unescape(text).strip("\"'")


def account_for(
    session: Session,
    services: Services,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    query: str,
    reply: Callable[[str], None],
) -> Account | None:
    """The account, or None after telling the person why not (miss, ambiguity, no access)."""
    match = find_account(session, workspace_id, query)
    if match.account is None:
        reply(describe_miss(query, match))
        return None
    return account_if_allowed(services, client, workspace_id, user_id, match.account, reply)


def account_named_in(session: Session, request: CommandRequest, query: str) -> Account | None:
    """The account a `/voc` command names, or None after telling the person why not."""
    return account_for(
        session,
        request.services,
        request.client,
        request.workspace_id,
        request.user_id,
        typed_account(query),
        request.reply,
    )


def account_if_allowed(
    services: Services,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    account: Account,
    reply: Callable[[str], None],
) -> Account | None:
    directory = services.directory(client, workspace_id)
    decision = may_access(services.settings, account, user_id, directory)
    if not decision.allowed:
        reply(refusal_text(account.name, decision.ask))
        return None
    return account


def reader_timezone(
    services: Services, client: WebClient, workspace_id: str, user_id: str
) -> ZoneInfo:
    """The reader's Slack timezone, else the configured fallback (also while Slack is busy:
    a time shown in the team's zone beats no answer at all)."""
    try:
        name = services.directory(client, workspace_id).timezone_of(user_id)
    except DirectoryUnavailable:
        name = None
    return zone(name, services.settings.tz)
