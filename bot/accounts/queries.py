"""Reading and writing accounts: the account a person typed, by ID or by its channel, and a
person's accounts.

People type `acme`, `Acme corp` or `ACME Corp.`; the bot should find "ACME Corp" without making
them remember the exact spelling, and when it cannot be sure it should say what it found.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.accounts import rules
from bot.accounts.rules import MAX_LISTED
from bot.core.names import loose_key, name_key
from storage import audit
from storage.models import Account


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
    """Why `find_account` found no single account, in one sentence a person can act on."""
    return rules.describe_miss(query, match.candidates, match.suggestions)


def account_by_id(session: Session, account_id: int) -> Account | None:
    """The account a stored row points at (a commitment's, a meeting's)."""
    return session.get(Account, account_id)


def any_account(session: Session) -> bool:
    """Whether the database holds any account at all, in any workspace: one indexed probe."""
    return session.scalar(select(Account.id).limit(1)) is not None


def account_in_workspace(session: Session, workspace_id: str, account_id: int) -> Account | None:
    """The account an ID names, unless it belongs to another workspace."""
    account = account_by_id(session, account_id)
    return account if account is not None and account.workspace_id == workspace_id else None


def account_for_channel(
    session: Session, workspace_id: str, channel_id: str, channel_name: str | None
) -> Account | None:
    """The account whose team channel this is (rosters name channels by ID or `#name`)."""
    names = [channel_id] + ([f"#{channel_name.lower()}"] if channel_name else [])
    return session.scalars(
        select(Account)
        .where(Account.workspace_id == workspace_id, Account.channel.in_(names))
        .order_by(Account.id)
    ).first()


def accounts_of_person(
    session: Session, workspace_id: str, user_id: str, email: str | None
) -> list[int]:
    """The accounts whose roster names the person (Slack ID or email): "my accounts".

    The named-team half of the access rule (`rules.is_named_on_team`), without Slack calls:
    channel membership is not enumerated, since that would ask Slack about every account's
    channel. Reads four short columns of the workspace's accounts, not whole rows.
    """
    rows = session.execute(
        select(Account.id, Account.account_manager, Account.exec_sponsor, Account.team).where(
            Account.workspace_id == workspace_id
        )
    ).all()
    return [
        row.id
        for row in rows
        if rules.is_named_on_team(
            rules.team_entries(row.account_manager, row.exec_sponsor, row.team), user_id, email
        )
    ]


def largest_first(session: Session, account_ids: list[int], *, limit: int) -> list[Account]:
    """The accounts with those IDs, largest annual revenue first: what a short list leads with."""
    if not account_ids:
        return []
    return list(
        session.scalars(
            select(Account)
            .where(Account.id.in_(account_ids))
            .order_by(Account.annual_revenue.desc().nulls_last(), Account.name)
            .limit(limit)
        )
    )


def set_exec_sponsor(
    session: Session, account: Account, sponsor: str, *, actor: str, now: datetime
) -> str | None:
    """Name the executive sponsor; returns the previous one. Audited: sponsors open doors."""
    previous = account.exec_sponsor
    account.exec_sponsor = sponsor
    account.updated_at = now
    audit.record(
        session,
        workspace_id=account.workspace_id,
        at=now,
        actor=actor,
        action="sponsor_set",
        entity="account",
        entity_id=account.id,
        details={"from": previous, "to": sponsor},
    )
    return previous
