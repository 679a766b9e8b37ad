"""The App Home tab through the real HTTP path: a signed `app_home_opened` in, `views.publish` out.

"Your accounts" means the accounts whose roster names the person — account manager, sponsor or
listed team member, by Slack ID or email — the same named team the access rule reads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.db import transaction
from storage.models import Account, Meeting
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, AM, MEMBER, OUTSIDER, account_row, load, response_row

GLOBEX_TEAM = {"account_manager": ADMIN, "exec_sponsor": ADMIN, "team": ADMIN}


def _portfolio(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [
            account_row("ACME Corp"),  # MEMBER is a listed team member, not AM nor sponsor
            account_row("Globex", channel="C0GLOBEX1", **GLOBEX_TEAM),
        ],
        [
            response_row("ACME Corp", "2026-Q4", "Ann Lee", 9, 10, 9),
            response_row("Globex", "2026-Q4", "Gus Fring", 7, 10, 9),
        ],
    )
    for user in (AM, MEMBER, OUTSIDER, ADMIN):
        bot.slack.add_user(user)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with transaction(bot.runtime.sessions) as session:
        for account in session.scalars(select(Account)):
            session.add(
                Meeting(
                    workspace_id=account.workspace_id,
                    account_id=account.id,
                    starts_at=tomorrow,
                    channel=account.channel,
                )
            )


def _home_of(bot: SlackBot, user: str) -> str:
    seen = len(bot.slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME01"}
    assert bot.requests.event(event).status == 200
    published = bot.slack.wait_for("views.publish", count=seen + 1)[-1]
    assert published.params["user_id"] == user
    view: dict[str, Any] = published.response["view"]
    return json.dumps(view["blocks"])


def _section(home: str, title: str) -> str:
    blocks = json.loads(home)
    return next(b["text"]["text"] for b in blocks if title in b.get("text", {}).get("text", ""))


def test_a_listed_team_member_sees_the_account_and_its_meeting_on_home(bot: SlackBot) -> None:
    _portfolio(bot)
    home = _home_of(bot, MEMBER)
    accounts = _section(home, "*Your accounts*")
    assert "ACME Corp" in accounts and "Globex" not in accounts
    meetings = _section(home, "*Upcoming review meetings*")
    assert "ACME Corp" in meetings and "Globex" not in meetings


def test_someone_on_no_roster_sees_no_account_on_home(bot: SlackBot) -> None:
    _portfolio(bot)
    home = _home_of(bot, OUTSIDER)
    assert "ACME Corp" not in home and "Globex" not in home
    assert "None scheduled." in _section(home, "*Upcoming review meetings*")
