"""Reading and writing accounts: the account a person typed, by ID or by its channel, and a
person's accounts.

People type `acme`, `Acme corp` or `ACME Corp.`; the bot should find "ACME Corp" without making
them remember the exact spelling, and when it cannot be sure it should say what it found.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from bot.accounts import rules
from bot.accounts.rules import MAX_LISTED
from bot.core.names import loose_key, name_key
from storage import audit
from storage.models import Account

Visible = Callable[[Account], bool]
"""Whether the person asking may see an account; lists and suggestions name only those."""

PARTIAL_READ = 3 * MAX_LISTED  # partial matches read to find the reader's own among them


@dataclass(frozen=True)
class AccountMatch:
    """The outcome of a lookup: one account, several candidates, or suggestions for a miss."""

    account: Account | None = None
    candidates: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.account is not None


_EXACT = select(Account).where(
    Account.workspace_id == bindparam("workspace_id"), Account.name_key == bindparam("key")
)
"""Built once at import: every `/voc account` starts with it."""


def find_account(
    session: Session, workspace_id: str, query: str, visible: Visible | None = None
) -> AccountMatch:
    """Exact name first, then a unique partial match, else the closest names.

    With `visible`, several partial matches narrow to the ones the reader may see, and only
    those are listed or suggested: a list of names is not a way to learn who the customers are.
    """
    key = name_key(query)
    if not key:
        return AccountMatch()
    exact = session.scalars(_EXACT, {"workspace_id": workspace_id, "key": key}).first()
    if exact is not None:
        return AccountMatch(account=exact)
    partial = list(
        session.scalars(
            select(Account)
            .where(
                Account.workspace_id == workspace_id,
                Account.name_key.contains(key, autoescape=True),
            )
            .order_by(func.length(Account.name_key), Account.name_key)
            .limit(PARTIAL_READ if visible else MAX_LISTED + 1)
        )
    )
    if len(partial) == 1:
        return AccountMatch(account=partial[0])
    shown = [account for account in partial if visible(account)] if visible else partial
    if len(shown) == 1 and visible:
        return AccountMatch(account=shown[0])
    if shown:
        return AccountMatch(candidates=[account.name for account in shown[: MAX_LISTED + 1]])
    if partial:
        return AccountMatch()
    return AccountMatch(suggestions=_closest_names(session, workspace_id, query, visible))


def _closest_names(
    session: Session, workspace_id: str, query: str, visible: Visible | None
) -> list[str]:
    """Only reached on a miss, so scanning the names (not the responses) is affordable."""
    rows = session.execute(
        select(Account.id, Account.name).where(Account.workspace_id == workspace_id)
    ).all()
    by_loose = {loose_key(row.name): row.id for row in rows}
    loose = loose_key(query)
    close = [loose] if loose in by_loose else []
    close = close or difflib.get_close_matches(loose, list(by_loose), n=MAX_LISTED, cutoff=0.5)
    found = [account for key in close if (account := session.get(Account, by_loose[key]))]
    if visible is not None:
        found = [account for account in found if visible(account)]
    return [account.name for account in found[: 1 if loose in by_loose else 3]]


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


def account_for_channel(session: Session, workspace_id: str, channel_id: str) -> Account | None:
    """The account whose team channel this is: by the ID a roster gave or a `#name` resolved
    to, never by the channel's name (anyone may create a channel with that name)."""
    if not channel_id:
        return None
    return session.scalars(
        select(Account)
        .where(
            Account.workspace_id == workspace_id,
            or_(
                Account.channel_id == channel_id,
                and_(Account.channel_id.is_(None), Account.channel == channel_id),
            ),
        )
        .order_by(Account.id)
    ).first()


def trusted_channel_column() -> ColumnElement[str | None]:
    """`rules.trusted_channel` in SQL, for queries that read the channel to post in."""
    return func.coalesce(
        Account.channel_id, case((Account.channel.not_like("#%"), Account.channel))
    )


def unresolved_channels(session: Session, workspace_id: str) -> list[Account]:
    """The accounts whose roster names a channel as `#name` not yet resolved to an ID."""
    return list(
        session.scalars(
            select(Account)
            .where(
                Account.workspace_id == workspace_id,
                Account.channel.like("#%"),
                Account.channel_id.is_(None),
            )
            .order_by(Account.name_key)
        )
    )


def set_channel_id(session: Session, account_id: int, channel: str, channel_id: str) -> bool:
    """Store what the roster's `#name` resolved to, unless the roster changed meanwhile."""
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.channel == channel, Account.channel_id.is_(None))
        .values(channel_id=channel_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


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


def sponsored_elsewhere(session: Session, account: Account, sponsor: str) -> int:
    """How many other accounts of the workspace `sponsor` (an ID or an email) already sponsors."""
    return int(
        session.scalar(
            select(func.count()).where(
                Account.workspace_id == account.workspace_id,
                Account.id != account.id,
                func.lower(Account.exec_sponsor) == sponsor.lower(),
            )
        )
        or 0
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


def workspace_accounts(session: Session, workspace_id: str) -> list[Account]:
    """Every account of the workspace, by name: what `voc doctor` checks against Slack."""
    return list(
        session.scalars(
            select(Account).where(Account.workspace_id == workspace_id).order_by(Account.name_key)
        )
    )
