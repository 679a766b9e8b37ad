"""Account use cases: the account a person named, a button carries or a channel belongs to, and
its sponsor.

Each function owns its session, so Slack listeners and the terminal call them the same way.
`reader=None` is the operator at the terminal, who has the database anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.access import Reader, require_access
from bot.accounts.queries import (
    account_for_channel,
    account_in_workspace,
    any_account,
    describe_miss,
    find_account,
    set_exec_sponsor,
)
from bot.errors import NotFound
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account

GONE = "That account no longer exists."


def database_is_empty(runtime: Runtime) -> bool:
    """No account anywhere: nothing was imported into this database (or it is the wrong one)."""
    with runtime.sessions() as session:
        return not any_account(session)


@dataclass(frozen=True)
class SponsorChange:
    account: Account
    previous: str | None
    shown: str | None = None  # the new sponsor as Slack shows them (a Slack ID where known)
    previous_shown: str | None = None


def named_account(
    session: Session, runtime: Runtime, workspace_id: str, query: str, reader: Reader | None
) -> Account:
    """The one account `query` names, if the reader may use it; else `NotFound`/`AccessRefused`.

    Takes the caller's session so a use case can read and change the account in one go.
    """
    match = find_account(session, workspace_id, query)
    if match.account is None:
        raise NotFound(describe_miss(query, match))
    if reader is not None:
        require_access(runtime.settings, match.account, reader)
    return match.account


def account_named(
    runtime: Runtime, workspace_id: str, query: str, reader: Reader | None
) -> Account:
    """`named_account` in a session of its own, for callers that only need the account."""
    with runtime.sessions() as session:
        return named_account(session, runtime, workspace_id, query, reader)


def account_by_id(
    session: Session, runtime: Runtime, workspace_id: str, account_id: int, reader: Reader
) -> Account:
    """The account a button or dialog carries, checked again: the clicker may not be the asker."""
    account = account_in_workspace(session, workspace_id, account_id)
    if account is None:
        raise NotFound(GONE)
    return require_access(runtime.settings, account, reader, named_by_reader=False)


def account_with_id(
    runtime: Runtime, workspace_id: str, account_id: int, reader: Reader
) -> Account:
    """`account_by_id` in a session of its own, for listeners that only need the account."""
    with runtime.sessions() as session:
        return account_by_id(session, runtime, workspace_id, account_id, reader)


def account_of_channel(
    runtime: Runtime, workspace_id: str, channel_id: str, channel_name: str | None, reader: Reader
) -> Account | None:
    """The account whose channel the reader acts in, if any, and if they may use it.

    A refusal names the account: the reader is in its channel, so the name is no secret.
    """
    with runtime.sessions() as session:
        account = account_for_channel(session, workspace_id, channel_id, channel_name)
    if account is None:
        return None
    return require_access(runtime.settings, account, reader)


def name_sponsor(
    runtime: Runtime,
    workspace_id: str,
    query: str,
    sponsor: str,
    *,
    reader: Reader,
    now: datetime,
) -> SponsorChange:
    """`/voc sponsor ACCOUNT @person`: the team names who opens doors at the customer."""
    with transaction(runtime.sessions) as session:
        account = named_account(session, runtime, workspace_id, query, reader)
        previous = set_exec_sponsor(session, account, sponsor, actor=reader.user_id, now=now)
    shown = reader.directory.shown
    return SponsorChange(account, previous, shown(account.exec_sponsor), shown(previous))
