"""Who may see and change an account (docs/interface.md, `VOC_ACCESS`).

Customer feedback names people and quotes them; it belongs to the account's team. The cheap
checks (admin, named team member) run before the ones that ask Slack (email, channel members).
The account channel counts only by the ID it was resolved to (`account_channel`): a channel
someone created under the roster's `#name` is not the team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.accounts import rules
from bot.errors import AccessRefused
from bot.settings import Settings
from storage.models import Account

if TYPE_CHECKING:  # the terminal reads accounts without Slack: no Slack client loaded for it
    from bot.directory import Directory


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    ask: list[str] = field(default_factory=list)  # as Slack shows them: IDs where Slack knows


@dataclass(frozen=True)
class Reader:
    """A person in Slack asking to see or change an account, and how to learn about them."""

    user_id: str
    directory: Directory

    def email(self) -> str | None:
        user = self.directory.user(self.user_id)
        return user.email if user else None


def team_entries(account: Account) -> list[str]:
    """The account's named team: account manager, exec sponsor, listed members (IDs or emails)."""
    return rules.team_entries(account.account_manager, account.exec_sponsor, account.team)


def may_access(
    settings: Settings, account: Account, user_id: str, directory: Directory
) -> AccessDecision:
    if (
        settings.access == "open"
        or settings.is_admin(user_id)
        or is_on_team(account, user_id, directory)
    ):
        return AccessDecision(allowed=True)
    ask = [directory.shown(person) or person for person in whom_to_ask(account, settings)]
    return AccessDecision(allowed=False, ask=ask)


def account_channel(account: Account) -> str | None:
    """The channel ID the bot trusts for the account: for access, and to post in."""
    return rules.trusted_channel(account.channel, account.channel_id)


def is_on_team(account: Account, user_id: str, directory: Directory) -> bool:
    """Named on the roster (by ID, or by the email Slack has for them), or in its channel."""
    if is_named(account, user_id, directory):
        return True
    channel = account_channel(account)
    return channel is not None and user_id in directory.channel_members(channel)


def is_named(account: Account, user_id: str, directory: Directory) -> bool:
    """Named on the roster, by Slack ID or by the email Slack has for them."""
    entries = team_entries(account)
    if rules.is_named_on_team(entries, user_id, None):
        return True
    if rules.names_an_email(entries):
        user = directory.user(user_id)
        return user is not None and rules.is_named_on_team(entries, user_id, user.email)
    return False


def may_resolve_channel(settings: Settings, reader: Reader) -> bool:
    """Who may bind the roster's `#name` to a Slack channel in Slack: an admin only.

    Whoever binds it vouches for the channel of that name; anyone may create one, and the
    named team using the account does not look at which channel it is. (The operator binds
    them at import.)
    """
    return settings.is_admin(reader.user_id)


def can_see(settings: Settings, account: Account, reader: Reader) -> bool:
    """Whether an account may be named to the reader in a list or a suggestion."""
    return may_access(settings, account, reader.user_id, reader.directory).allowed


def whom_to_ask(account: Account, settings: Settings) -> list[str]:
    """Someone who can add the person to the team: the account manager, else an admin."""
    people = [p for p in (account.account_manager, account.exec_sponsor) if p]
    return people or sorted(settings.admins)[:3]


def require_access(
    settings: Settings, account: Account, reader: Reader, *, named_by_reader: bool = True
) -> Account:
    """The account when the reader may use it; else `AccessRefused`.

    A refusal names the account and whom to ask only when the reader named the account
    themselves (`named_by_reader`); an ID from a button tells them nothing about it.
    """
    decision = may_access(settings, account, reader.user_id, reader.directory)
    if decision.allowed:
        return account
    if named_by_reader:
        raise AccessRefused(account.name, decision.ask)
    raise AccessRefused()
