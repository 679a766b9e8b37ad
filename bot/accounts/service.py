"""Account use cases: the account a person named, a button carries or a channel belongs to, and
its sponsor.

Each function owns its session, so Slack listeners and the terminal call them the same way.
`reader=None` is the operator at the terminal, who has the database anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.accounts import rules
from bot.accounts.access import Reader, can_see, may_resolve_channel, require_access
from bot.accounts.queries import (
    account_for_channel,
    account_in_workspace,
    any_account,
    describe_miss,
    find_account,
    set_channel_id,
    set_exec_sponsor,
    sponsored_elsewhere,
    unresolved_channels,
)
from bot.errors import NotFound, SponsorOverCapacity
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account

if TYPE_CHECKING:  # `voc account` reads without Slack; only the Slack paths load the directory
    from bot.directory import Directory

log = logging.getLogger(__name__)

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
    Several matches and suggestions name only accounts the reader may see.
    """
    sees = partial(can_see, runtime.settings, reader=reader) if reader is not None else None
    match = find_account(session, workspace_id, query, sees)
    if match.account is None:
        raise NotFound(describe_miss(query, match))
    if reader is not None:
        claim_channel(runtime, match.account, reader)
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
    claim_channel(runtime, account, reader)
    return require_access(runtime.settings, account, reader, named_by_reader=False)


def account_with_id(
    runtime: Runtime, workspace_id: str, account_id: int, reader: Reader
) -> Account:
    """`account_by_id` in a session of its own, for listeners that only need the account."""
    with runtime.sessions() as session:
        return account_by_id(session, runtime, workspace_id, account_id, reader)


def account_of_channel(
    runtime: Runtime, workspace_id: str, channel_id: str, reader: Reader
) -> Account | None:
    """The account whose channel (by ID) the reader acts in, if any, and if they may use it.

    A refusal names the account: the reader is in its channel, so the name is no secret.
    """
    with runtime.sessions() as session:
        account = account_for_channel(session, workspace_id, channel_id)
    if account is None:
        return None
    return require_access(runtime.settings, account, reader)


def claim_channel(runtime: Runtime, account: Account, reader: Reader) -> None:
    """The first time an admin uses an account whose roster gives its channel as a `#name` not
    resolved at import, the name is resolved to its channel ID and kept; until then the name
    grants nothing. Slack being busy leaves it for next time."""
    if not rules.is_unresolved_name(account.channel, account.channel_id):
        return
    from bot.directory import DirectoryUnavailable

    try:
        if may_resolve_channel(runtime.settings, reader):
            resolve_channel(runtime, account, reader.directory)
    except DirectoryUnavailable as error:
        log.info(
            "channel %s of account %s not resolved now: %s", account.channel, account.id, error
        )


def resolve_channel(runtime: Runtime, account: Account, directory: Directory) -> str | None:
    """Look the account's `#name` up in Slack and keep the ID; None when no channel has it.

    `DirectoryUnavailable` travels: a busy Slack is not "no such channel".
    """
    if not account.channel or not rules.is_unresolved_name(account.channel, account.channel_id):
        return account.channel_id
    found = directory.channel_id(account.channel)
    if found is None:
        return None
    with transaction(runtime.sessions) as session:
        set_channel_id(session, account.id, account.channel, found)
    account.channel_id = found
    return found


def name_sponsor(
    runtime: Runtime,
    workspace_id: str,
    query: str,
    sponsor: str,
    *,
    reader: Reader,
    now: datetime,
    confirmed: bool = False,
) -> SponsorChange:
    """`/voc sponsor ACCOUNT @person`: the team names who opens doors at the customer.

    A sponsor who already has `VOC_SPONSOR_MAX_ACCOUNTS` accounts is refused unless the team
    confirms: senior executives can look after two or three accounts, not ten.
    """
    with transaction(runtime.sessions) as session:
        account = named_account(session, runtime, workspace_id, query, reader)
        if not confirmed:
            _check_capacity(session, runtime, account, sponsor)
        previous = set_exec_sponsor(session, account, sponsor, actor=reader.user_id, now=now)
    shown = reader.directory.shown
    return SponsorChange(account, previous, shown(account.exec_sponsor), shown(previous))


def _check_capacity(session: Session, runtime: Runtime, account: Account, sponsor: str) -> None:
    if account.exec_sponsor and account.exec_sponsor.lower() == sponsor.lower():
        return
    most = runtime.settings.sponsor_max_accounts
    held = sponsored_elsewhere(session, account, sponsor)
    if held >= most:
        raise SponsorOverCapacity(
            f"That person already sponsors {held} accounts, the most VOC_SPONSOR_MAX_ACCOUNTS "
            f"allows ({most}). To name them anyway: `/voc sponsor {account.name} @person confirm`."
        )


@dataclass(frozen=True)
class ChannelCheck:
    """What resolving a roster's `#name` channels found: how many, and the names that did not."""

    resolved: int
    missing: list[str]
    unanswered: bool = False  # Slack did not answer; the rest wait for the next chance


def resolve_channels(runtime: Runtime, workspace_id: str, directory: Directory) -> ChannelCheck:
    """After a roster import: every `#name` not yet resolved is looked up once, in Slack.

    The operator importing the roster has the rights to bind its names; a name no channel has
    is reported, and grants nothing until it is resolved (a later import, or an admin or the
    named team using the account in Slack).
    """
    from bot.directory import DirectoryUnavailable

    with runtime.sessions() as session:
        waiting = unresolved_channels(session, workspace_id)
    resolved, missing = 0, []
    for account in waiting:
        try:
            found = resolve_channel(runtime, account, directory)
        except DirectoryUnavailable:
            pending = [a.channel or "" for a in waiting if not a.channel_id]
            return ChannelCheck(resolved, sorted(set(pending)), unanswered=True)
        if found is None:
            missing.append(account.channel or "")
        else:
            resolved += 1
    return ChannelCheck(resolved, sorted(set(missing)))
