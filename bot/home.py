"""What a person sees on the bot's Home tab: what they owe, their accounts, what is coming up.

"Their accounts" and "upcoming" mean what they mean everywhere else: the accounts whose roster
names them (`bot.accounts.queries.accounts_of_person`, the access rule's named team) and the
scheduled meetings still ahead (`bot.meetings.queries.upcoming_meetings`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.queries import accounts_of_person, largest_first
from bot.commitments.queries import open_commitments
from bot.followups.queries import followup_items
from bot.meetings.queries import upcoming_meetings
from bot.views.home import HomeSummary

MAX_ACCOUNTS = 30
MAX_MEETINGS = 10
MAX_COMMITMENTS = 100
MAX_FOLLOWUPS = 50


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
    """The person's accounts (largest first), their meetings ahead, and what the person owes."""
    mine = accounts_of_person(session, workspace_id, user_id, email)
    accounts = largest_first(session, mine, limit=MAX_ACCOUNTS)
    meetings = []
    if accounts:
        ahead = upcoming_meetings(
            session,
            workspace_id,
            now,
            account_ids=[account.id for account in accounts],
            limit=MAX_MEETINGS,
        )
        meetings = [(meeting, account.name) for meeting, account in ahead]
    names = [user_id] + ([email] if email else [])
    owed = open_commitments(session, workspace_id, owners=names, limit=MAX_COMMITMENTS)
    waiting = followup_items(session, workspace_id, owners=names, statuses=["open"])
    return HomeSummary(
        accounts=accounts,
        upcoming_meetings=meetings,
        open_commitments=owed,
        open_followups=waiting[:MAX_FOLLOWUPS],
    )
