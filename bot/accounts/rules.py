"""Pure decisions about accounts: who is on a team, and how a lookup's miss is explained."""

from __future__ import annotations

from collections.abc import Iterable

MAX_LISTED = 10


def team_entries(
    account_manager: str | None, exec_sponsor: str | None, team: Iterable[str] | None
) -> list[str]:
    """The account's named team: account manager, exec sponsor, listed members (IDs or emails)."""
    entries = [account_manager, exec_sponsor, *(team or [])]
    return [entry for entry in entries if entry]


def is_named_on_team(entries: Iterable[str], user_id: str, email: str | None) -> bool:
    """Whether the roster names the person, by Slack ID or by email, however it was cased.

    The one rule both the access check and "my accounts" apply, so a person never sees an
    account listed as theirs that they may not open, nor the other way round.
    """
    names = {user_id.casefold()} | ({email.casefold()} if email else set())
    return any(entry.casefold() in names for entry in entries)


def names_an_email(entries: Iterable[str]) -> bool:
    """Only a roster with emails needs the person's email (a Slack call) to be checked."""
    return any("@" in entry for entry in entries)


def trusted_channel(channel: str | None, channel_id: str | None) -> str | None:
    """The account channel the bot trusts, as a Slack channel ID; None while there is none.

    A roster's `#name` is only a name: anyone may create a channel called that. Only the ID it
    was resolved to (`accounts.channel_id`) counts, or a channel the roster gave by ID.
    """
    if channel_id:
        return channel_id
    return channel if channel and not channel.startswith("#") else None


def is_unresolved_name(channel: str | None, channel_id: str | None) -> bool:
    """A `#name` from the roster that has not been resolved to a channel ID yet."""
    return bool(channel and channel.startswith("#") and not channel_id)


def describe_miss(query: str, candidates: list[str], suggestions: list[str]) -> str:
    """One sentence a person can act on, in Slack or in the terminal."""
    if candidates:
        shown = candidates[:MAX_LISTED]
        more = " …" if len(candidates) > MAX_LISTED else ""
        return f'Several accounts match "{query}": {", ".join(shown)}{more}. Which one?'
    if suggestions:
        return f'No account is called "{query}". Did you mean {" or ".join(suggestions)}?'
    return f'No account is called "{query}".'
