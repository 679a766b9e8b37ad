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
