"""Who may see and change an account (interface.md, `VOC_ACCESS`).

Customer feedback names people and quotes them; it belongs to the account's team. The cheap
checks (admin, named team member) run before the ones that ask Slack (email, channel members).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.directory import Directory
from bot.settings import Settings
from storage.models import Account


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    ask: list[str] = field(default_factory=list)


def team_entries(account: Account) -> list[str]:
    """The account's named team: account manager, exec sponsor, listed members (IDs or emails)."""
    entries = [account.account_manager, account.exec_sponsor, *(account.team or [])]
    return [entry for entry in entries if entry]


def may_access(
    settings: Settings, account: Account, user_id: str, directory: Directory
) -> AccessDecision:
    if (
        settings.access == "open"
        or settings.is_admin(user_id)
        or is_on_team(account, user_id, directory)
    ):
        return AccessDecision(allowed=True)
    return AccessDecision(allowed=False, ask=whom_to_ask(account, settings))


def is_on_team(account: Account, user_id: str, directory: Directory) -> bool:
    entries = team_entries(account)
    if user_id in entries:
        return True
    emails = {entry.lower() for entry in entries if "@" in entry}
    if emails:
        user = directory.user(user_id)
        if user is not None and user.email in emails:
            return True
    return bool(account.channel) and user_id in directory.channel_members(account.channel)


def whom_to_ask(account: Account, settings: Settings) -> list[str]:
    """Someone who can add the person to the team: the account manager, else an admin."""
    people = [p for p in (account.account_manager, account.exec_sponsor) if p]
    return people or sorted(settings.admins)[:3]
