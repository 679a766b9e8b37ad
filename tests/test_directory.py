"""The directory of Slack people and channels: definite answers are cached, failures are not."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.directory import Directory, DirectoryUnavailable, TtlCache


def _error(method: str, code: str, status: int = 200) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url=f"https://slack.example/api/{method}",
        req_args={},
        data={"ok": False, "error": code},
        headers={},
        status_code=status,
    )
    return SlackApiError(code, response)


class StubSlack:
    """Answers from a script: each call pops the next answer (a dict) or raises it."""

    def __init__(self, **answers: list[Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _next(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        answer = self.answers[method].pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def users_info(self, **params: Any) -> Any:
        return self._next("users_info", params)

    def users_lookupByEmail(self, **params: Any) -> Any:
        return self._next("users_lookupByEmail", params)

    def conversations_members(self, **params: Any) -> Any:
        return self._next("conversations_members", params)

    def conversations_list(self, **params: Any) -> Any:
        return self._next("conversations_list", params)


def _directory(slack: StubSlack) -> Directory:
    return Directory(slack, "T1", TtlCache())  # type: ignore[arg-type]


USER = {"user": {"id": "U0JANE001", "real_name": "Jane", "tz": "Europe/Paris", "profile": {}}}


@pytest.mark.parametrize(
    "failure",
    [
        _error("users.info", "ratelimited", 429),
        _error("users.info", "internal_error", 500),
        ConnectionResetError("reset"),
    ],
)
def test_a_transient_failure_is_raised_and_not_remembered(failure: BaseException) -> None:
    slack = StubSlack(users_info=[failure, USER])
    directory = _directory(slack)
    with pytest.raises(DirectoryUnavailable):
        directory.user("U0JANE001")
    assert directory.timezone_of("U0JANE001") == "Europe/Paris"
    assert directory.timezone_of("U0JANE001") == "Europe/Paris"
    assert len(slack.calls) == 2


def test_no_such_user_is_an_answer_and_is_remembered() -> None:
    slack = StubSlack(users_info=[_error("users.info", "user_not_found")])
    directory = _directory(slack)
    assert directory.user("U0GONE001") is None
    assert directory.user("U0GONE001") is None
    assert len(slack.calls) == 1


def test_a_rate_limited_member_list_is_not_an_empty_channel() -> None:
    page = {"members": ["U0JANE001"], "response_metadata": {"next_cursor": ""}}
    slack = StubSlack(
        conversations_members=[_error("conversations.members", "ratelimited", 429), page]
    )
    directory = _directory(slack)
    with pytest.raises(DirectoryUnavailable):
        directory.channel_members("C0ACME001")
    assert directory.channel_members("C0ACME001") == frozenset({"U0JANE001"})


def test_a_private_channel_name_resolves() -> None:
    page = {
        "channels": [{"id": "G0SECRET1", "name": "acct-acme", "is_private": True}],
        "response_metadata": {"next_cursor": ""},
    }
    slack = StubSlack(conversations_list=[page])
    assert _directory(slack).channel_id("#Acct-Acme") == "G0SECRET1"
    [(_, params)] = slack.calls
    assert params["types"] == "public_channel,private_channel"


def test_an_email_resolves_to_a_slack_user_once() -> None:
    slack = StubSlack(users_lookupByEmail=[USER])
    directory = _directory(slack)
    assert directory.user_id_of("Jane@Acme.example") == "U0JANE001"
    assert directory.user_id_for_email("jane@acme.example") == "U0JANE001"
    assert directory.user_id_of("U0OTHER01") == "U0OTHER01"
    assert len(slack.calls) == 1


def test_entries_expire() -> None:
    now = [0.0]
    cache = TtlCache(ttl=10, clock=lambda: now[0])
    loads: list[int] = []
    assert cache.get_or_load(("k",), lambda: loads.append(1) or "a") == "a"
    now[0] = 5
    assert cache.get_or_load(("k",), lambda: loads.append(1) or "b") == "a"
    now[0] = 11
    assert cache.get_or_load(("k",), lambda: loads.append(1) or "c") == "c"
    assert len(loads) == 2


# --- through the signed Slack path: a hiccup refuses once, never for the cache's lifetime ---


def _account_request(bot: Any, user: str) -> str:
    from tests.test_slack_account import _ask

    return str(_ask(bot, "account acme", user=user).get("text", ""))


BUSY = "Slack did not answer in time"


def test_an_account_manager_named_by_email_is_let_in_once_slack_answers_again(bot: Any) -> None:
    from tests.portfolio import AM, account_row, load, response_row

    roster = account_row("ACME Corp", account_manager="am@acme.example", team="", channel="")
    load(bot.runtime, [roster], [response_row("ACME Corp", "2026-Q4", "Ann Lee", 9, 9, 9)])
    bot.slack.add_user(AM, email="am@acme.example")
    bot.slack.fail_next("users.info", status=500, count=3)  # the client's retries, all failing

    assert BUSY in _account_request(bot, AM)
    # Slack is healthy again: the next request asks again and sees the account manager's email.
    assert _account_request(bot, AM).startswith("ACME Corp (2026-Q4): NPS +100")
    assert [call.status for call in bot.slack.calls_to("users.info")] == [500, 500, 500, 200]


def test_a_channel_member_is_let_in_once_slack_answers_again(bot: Any) -> None:
    from tests.portfolio import MEMBER, account_row, load, response_row

    roster = account_row("ACME Corp", team="", channel="C0ACME001")
    load(bot.runtime, [roster], [response_row("ACME Corp", "2026-Q4", "Ann Lee", 9, 9, 9)])
    bot.slack.add_user(MEMBER)
    bot.slack.add_channel("C0ACME001", members=[MEMBER])
    bot.slack.fail_next("conversations.members", status=500, count=3)

    assert BUSY in _account_request(bot, MEMBER)
    assert _account_request(bot, MEMBER).startswith("ACME Corp (2026-Q4): NPS +100")
    statuses = [call.status for call in bot.slack.calls_to("conversations.members")]
    assert statuses == [500, 500, 500, 200]
