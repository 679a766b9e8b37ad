"""Multi-workspace installs: OAuth through the bot's own database, data kept apart per team."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import text

from tests.conftest import SlackBot
from tests.portfolio import AM, account_row, load, response_row


def _oauth_access(team_id: str, token: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def answer(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "U0BOTUSER",
            "app_id": "A0APP",
            "team": {"id": team_id, "name": f"Team {team_id}"},
            "authed_user": {"id": AM},
        }

    return answer


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, response.read().decode()


def _install(bot: SlackBot, team_id: str, token: str) -> str:
    """Walk the browser's path: install page (state cookie), then Slack's redirect back."""
    status, headers, page = _get(f"{bot.base_url}/slack/install")
    assert status == 200
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
    assert authorize is not None
    query = parse_qs(urlparse(authorize.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"]
    state = query["state"][0]
    cookie = headers["set-cookie"].split(";")[0]
    bot.slack.set_handler("oauth.v2.access", _oauth_access(team_id, token))
    status, _, page = _get(
        f"{bot.base_url}/slack/oauth_redirect?code=c0de&state={state}", {"Cookie": cookie}
    )
    assert status == 200
    return page


def test_each_workspace_installs_and_sees_only_its_own_accounts(
    make_bot: Callable[..., SlackBot],
) -> None:
    bot = make_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="s3cret")
    _install(bot, "T0TEAMA", "xoxb-team-a")
    _install(bot, "T0TEAMB", "xoxb-team-b")
    with bot.runtime.engine.connect() as connection:
        teams = connection.execute(text("SELECT team_id FROM slack_installations")).scalars()
        assert sorted(teams) == ["T0TEAMA", "T0TEAMB"]

    load(
        bot.runtime,
        [account_row("ACME Corp")],
        [response_row("ACME Corp", "2026-Q4", "Ann", 9, 10, 9)],
        workspace_id="T0TEAMA",
    )
    load(
        bot.runtime,
        [account_row("ACME Corp")],
        [response_row("ACME Corp", "2026-Q4", "Bob", 2, 0, 2)],
        workspace_id="T0TEAMB",
    )

    for team, token, figure in (
        ("T0TEAMA", "xoxb-team-a", "NPS +100"),
        ("T0TEAMB", "xoxb-team-b", "NPS -100"),
    ):
        url = bot.slack.response_url()
        expected = len(bot.slack.responses) + 1
        bot.requests.slash_command("account acme", user_id=AM, team_id=team, response_url=url)
        bot.slack.wait_for_response_url(count=expected)
        answer = bot.slack.responses_to(url)[-1]
        assert figure in str(answer["blocks"])
        users_info = [c for c in bot.slack.calls_to("users.info") if c.token == token]
        assert users_info, f"calls for {team} should use its own installation's token"


def test_a_workspace_without_an_installation_is_asked_to_install(
    make_bot: Callable[..., SlackBot],
) -> None:
    bot = make_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="s3cret")
    url = bot.slack.response_url()
    reply = bot.requests.slash_command(
        "account acme", user_id=AM, team_id="T0NOBODY", response_url=url
    )
    assert reply.status == 200
    answer = bot.slack.responses_to(url) or [{"text": reply.text}]
    assert "reinstall this app" in answer[-1]["text"]
    assert bot.slack.calls_to("users.info") == []
