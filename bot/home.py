"""What a person sees on the bot's Home tab: what they owe, their accounts, what is coming up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.commitments.queries import open_commitments
from bot.views.home import HomeSummary
from storage.models import Account, Meeting

MAX_ACCOUNTS = 30
MAX_COMMITMENTS = 100


def load_home(
    sessions: sessionmaker[Session],
    workspace_id: str,
    user_id: str,
    email: str | None,
    now: datetime,
) -> HomeSummary:
    """Read at each opening, and again after a Done there, so the tab is never stale."""
    with sessions() as session:
        return home_summary(session, workspace_id, user_id, email, now)


def home_summary(
    session: Session, workspace_id: str, user_id: str, email: str | None, now: datetime
) -> HomeSummary:
    """Accounts where the person is account manager or sponsor, by the ID or email on file."""
    names = [user_id] + ([email] if email else [])
    accounts = list(
        session.scalars(
            select(Account)
            .where(
                Account.workspace_id == workspace_id,
                or_(Account.account_manager.in_(names), Account.exec_sponsor.in_(names)),
            )
            .order_by(Account.annual_revenue.desc().nulls_last(), Account.name)
            .limit(MAX_ACCOUNTS)
        )
    )
    meetings = []
    if accounts:
        by_id = {account.id: account.name for account in accounts}
        rows = session.scalars(
            select(Meeting)
            .where(
                Meeting.account_id.in_(by_id),
                Meeting.status == "scheduled",
                Meeting.starts_at >= now,
            )
            .order_by(Meeting.starts_at)
            .limit(10)
        )
        meetings = [(meeting, by_id[meeting.account_id]) for meeting in rows]
    owed = open_commitments(session, workspace_id, owners=names, limit=MAX_COMMITMENTS)
    return HomeSummary(accounts=accounts, upcoming_meetings=meetings, open_commitments=owed)
