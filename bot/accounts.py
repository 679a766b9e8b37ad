"""Finding an account from what a person typed.

People type `acme`, `Acme corp` or `ACME Corp.`; the bot should find "ACME Corp" without making
them remember the exact spelling, and when it cannot be sure it should say what it found.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.names import loose_key, name_key
from storage.models import Account

MAX_LISTED = 10


@dataclass(frozen=True)
class AccountMatch:
    """The outcome of a lookup: one account, several candidates, or suggestions for a miss."""

    account: Account | None = None
    candidates: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.account is not None


def find_account(session: Session, workspace_id: str, query: str) -> AccountMatch:
    """Exact name first, then a unique partial match, else the closest names."""
    key = name_key(query)
    if not key:
        return AccountMatch()
    in_workspace = Account.workspace_id == workspace_id
    exact = session.scalars(select(Account).where(in_workspace, Account.name_key == key)).first()
    if exact is not None:
        return AccountMatch(account=exact)
    partial = session.scalars(
        select(Account)
        .where(in_workspace, Account.name_key.contains(key, autoescape=True))
        .order_by(func.length(Account.name_key), Account.name_key)
        .limit(MAX_LISTED + 1)
    ).all()
    if len(partial) == 1:
        return AccountMatch(account=partial[0])
    if partial:
        return AccountMatch(candidates=[account.name for account in partial])
    return AccountMatch(suggestions=_closest_names(session, workspace_id, query))


def _closest_names(session: Session, workspace_id: str, query: str) -> list[str]:
    """Only reached on a miss, so scanning the names (not the responses) is affordable."""
    names = session.scalars(select(Account.name).where(Account.workspace_id == workspace_id)).all()
    by_loose = {loose_key(name): name for name in names}
    loose = loose_key(query)
    if loose in by_loose:
        return [by_loose[loose]]
    close = difflib.get_close_matches(loose, list(by_loose), n=3, cutoff=0.5)
    return [by_loose[key] for key in close]


def describe_miss(query: str, match: AccountMatch) -> str:
    """One sentence a person can act on, in Slack or in the terminal."""
    if match.candidates:
        shown = match.candidates[:MAX_LISTED]
        more = " …" if len(match.candidates) > MAX_LISTED else ""
        return f'Several accounts match "{query}": {", ".join(shown)}{more}. Which one?'
    if match.suggestions:
        return f'No account is called "{query}". Did you mean {" or ".join(match.suggestions)}?'
    return f'No account is called "{query}".'
