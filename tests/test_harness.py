"""The Slack test harness must behave like Slack wherever the bot relies on it."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.slack import (
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    FakeSlack,
    SlackRequests,
    assert_valid_blocks,
    assert_valid_message,
    assert_valid_view,
    compute_signature,
    plain_text_value,
    serve_wsgi,
    signed_headers,
)

SECRET = "test-signing-secret"
TS_PATTERN = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A running fake; every test must leave only valid payloads behind."""
    with FakeSlack() as fake:
        yield fake
        fake.assert_all_payloads_valid()


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, value: str, label: str = "Go") -> dict[str, Any]:
    text = {"type": "plain_text", "text": label}
    return {"type": "button", "action_id": action_id, "value": value, "text": text}


# -- Web API basics -------------------------------------------------------------------------
def test_post_message_returns_unique_increasing_ts(slack: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="hello")
    second = client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="again")

    assert TS_PATTERN.match(first["ts"]) and first["channel"] == DEFAULT_CHANNEL_ID
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "hello"
    calls = slack.wait_for("chat.postMessage", count=2)
    assert [c.params["text"] for c in calls] == ["hello", "again"]
    assert calls[0].headers["Authorization"] == "Bearer xoxb-test"
    assert calls[0].token == "xoxb-test"


def test_blocks_are_recorded_as_python_objects(slack: FakeSlack, client: WebClient) -> None:
    blocks = [section("*Q3 review*")]
    client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="Q3 review", blocks=blocks)
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "t", "blocks": "[]"})

    json_call, form_call = slack.calls_to("chat.postMessage")
    assert json_call.params["blocks"] == blocks
    assert form_call.params["blocks"] == []


def test_posting_to_a_user_id_lands_in_their_dm(slack: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=DEFAULT_USER_ID, text="your weekly digest")
    dm = slack.dm_channel(DEFAULT_USER_ID)

    assert posted["channel"] == dm and dm.startswith("D")
    assert client.conversations_open(users=DEFAULT_USER_ID)["channel"]["id"] == dm
    # Slack refuses chat.update with the user id: it needs the DM channel id.
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel=DEFAULT_USER_ID, ts=posted["ts"], text="edit")
    assert exc.value.response["error"] == "channel_not_found"
    client.chat_update(channel=dm, ts=posted["ts"], text="edited")
    assert slack.message(dm, posted["ts"])["text"] == "edited"


def test_ephemeral_messages_cannot_be_updated(client: WebClient) -> None:
    sent = client.chat_postEphemeral(channel=DEFAULT_CHANNEL_ID, user=DEFAULT_USER_ID, text="hi")
    assert TS_PATTERN.match(sent["message_ts"])
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel=DEFAULT_CHANNEL_ID, ts=sent["message_ts"], text="x")
    assert exc.value.response["error"] == "message_not_found"


def test_missing_token_is_not_authed(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")
    assert exc.value.response["error"] == "not_authed"


def test_unknown_methods_are_recorded_and_succeed(slack: FakeSlack, client: WebClient) -> None:
    assert client.api_call("bookmarks.add", params={"channel_id": "C1"})["ok"] is True
    assert slack.calls_to("bookmarks.add")[0].params == {"channel_id": "C1"}


def test_users_info_returns_configured_timezone(slack: FakeSlack, client: WebClient) -> None:
    slack.add_user("U0NYC", tz="America/New_York", email="ann@acme.test", name="Ann Lee")

    user = client.users_info(user="U0NYC")["user"]

    expected = datetime.now(ZoneInfo("America/New_York")).utcoffset()
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] == int(expected.total_seconds())
    assert user["tz_label"].startswith("Eastern")
    assert user["real_name"] == "Ann Lee" and user["profile"]["email"] == "ann@acme.test"
    assert client.users_lookupByEmail(email="ANN@acme.test")["user"]["id"] == "U0NYC"


def test_unknown_users_fail_like_slack(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info_error:
        client.users_info(user="U0NOBODY")
    with pytest.raises(SlackApiError) as lookup_error:
        client.users_lookupByEmail(email="nobody@acme.test")
    assert info_error.value.response["error"] == "user_not_found"
    assert lookup_error.value.response["error"] == "users_not_found"


def test_conversations_members_paginates_with_limit(slack: FakeSlack, client: WebClient) -> None:
    members = [f"U0MEMBER{n}" for n in range(5)]
    slack.add_channel("C0ACME", name="acme-account", members=members)

    # SlackResponse iteration mutates and re-yields one object: read each page in the loop.
    pages = []
    for page in client.conversations_members(channel="C0ACME", limit=2):
        pages.append(page["members"])
        last_cursor = page["response_metadata"]["next_cursor"]

    assert pages == [members[:2], members[2:4], [members[4], BOT_USER_ID]]
    assert last_cursor == ""
    calls = slack.calls_to("conversations.members")
    assert [c.params["limit"] for c in calls] == ["2", "2", "2"]
    assert "cursor" not in calls[0].params and calls[1].params["cursor"]


def test_conversations_members_of_unknown_channel_fails(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.conversations_members(channel="C0UNKNOWN")
    assert exc.value.response["error"] == "channel_not_found"


# -- failure injection ----------------------------------------------------------------------
def test_rate_limit_is_retried_and_the_message_posted_once(slack: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-test",
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=0)

    response = client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="digest")

    failed, succeeded = slack.calls_to("chat.postMessage")
    assert failed.injected_failure and failed.status == 429 and not failed.ok
    assert failed.response == {"ok": False, "error": "ratelimited"}
    assert succeeded.ok and succeeded.response["ts"] == response["ts"]
    assert len(slack.calls_to("chat.postMessage", ok=True)) == 1
    assert [m["text"] for m in slack.messages_in(DEFAULT_CHANNEL_ID)] == ["digest"]


def test_rate_limit_sends_retry_after_header(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("users.info", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user=DEFAULT_USER_ID)
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"


def test_server_error_raises_without_retry_handler(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=500)

    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="x")

    assert exc.value.response.status_code == 500
    assert exc.value.response["error"] == "internal_error"
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="x")["ok"]  # only `count` fail


def test_injected_error_is_http_200_ok_false(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found", count=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="x")
        assert exc.value.response.status_code == 200
        assert exc.value.response["error"] == "channel_not_found"
    assert all(c.injected_failure for c in slack.calls_to("chat.postMessage"))


def test_clear_forgets_calls_and_pending_failures(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("auth.test", error="invalid_auth")
    slack.clear()
    assert client.auth_test()["user_id"] == BOT_USER_ID
    assert [c.method for c in slack.calls] == ["auth.test"]


# -- waiting --------------------------------------------------------------------------------
def test_wait_for_blocks_until_another_thread_calls(slack: FakeSlack, client: WebClient) -> None:
    worker = threading.Thread(
        target=lambda: client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="from a job")
    )
    worker.start()
    calls = slack.wait_for("chat.postMessage", timeout=5.0)
    worker.join()
    assert calls[0].params["text"] == "from a job"


def test_wait_for_timeout_lists_recorded_methods(slack: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*\['auth\.test'\]"):
        slack.wait_for("chat.postMessage", timeout=0.05)
    with pytest.raises(AssertionError, match="response_url"):
        slack.wait_for_response_url(timeout=0.05)


# -- views, reactions, files ----------------------------------------------------------------
def modal(title: str = "Log feedback") -> dict[str, Any]:
    note = {"type": "plain_text_input", "action_id": "note"}
    return {
        "type": "modal",
        "callback_id": "feedback",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "note_block",
                "label": {"type": "plain_text", "text": "Note"},
                "element": note,
            }
        ],
    }


def test_views_open_update_and_single_use_trigger(slack: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id="1.2.abc", view=modal())["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "feedback"

    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id="1.2.abc", view=modal())
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash="stale", view=modal())
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Thanks"))

    assert reused.value.response["error"] == "exchanged_trigger_id"
    assert stale.value.response["error"] == "hash_conflict"
    assert updated["view"]["id"] == opened["id"]
    assert slack.view(opened["id"])["title"]["text"] == "Thanks"


def test_views_publish_keeps_one_home_per_user(slack: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [section("Your accounts")]}
    first = client.views_publish(user_id=DEFAULT_USER_ID, view=home)["view"]
    second = client.views_publish(user_id=DEFAULT_USER_ID, view=home)["view"]
    assert first["id"] == second["id"] == slack.home_view(DEFAULT_USER_ID)["id"]


def test_reactions_add_rejects_duplicates(client: WebClient) -> None:
    client.reactions_add(channel=DEFAULT_CHANNEL_ID, timestamp="1.000100", name="eyes")
    with pytest.raises(SlackApiError) as exc:
        client.reactions_add(channel=DEFAULT_CHANNEL_ID, timestamp="1.000100", name="eyes")
    assert exc.value.response["error"] == "already_reacted"


def test_files_upload_v2_records_bytes(slack: FakeSlack, client: WebClient) -> None:
    content = b"account,score\nacme,9\n"

    result = client.files_upload_v2(
        content=content, filename="scores.csv", title="Scores", channel=DEFAULT_CHANNEL_ID
    )

    (upload,) = slack.uploads
    assert upload.content == content and upload.filename == "scores.csv"
    assert upload.completed and upload.title == "Scores"
    assert upload.channel_id == DEFAULT_CHANNEL_ID
    assert result["file"]["id"] == upload.file_id
    assert upload.upload_url.startswith(slack.base_url)


def test_permalink_and_team_info(client: WebClient) -> None:
    link = client.chat_getPermalink(channel="C0ACME", message_ts="1700000000.000100")
    assert link["permalink"].endswith("/archives/C0ACME/p1700000000000100")
    assert client.team_info()["team"]["id"] == client.auth_test()["team_id"]


# -- Block Kit validation -------------------------------------------------------------------
def test_invalid_blocks_end_up_in_invalid_payloads(slack: FakeSlack, client: WebClient) -> None:
    too_long = section("x" * 3001)
    no_label = {"type": "actions", "elements": [{"type": "button", "action_id": "go"}]}

    client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t", blocks=[too_long, no_label])

    errors = [error for method, error in slack.invalid_payloads if method == "chat.postMessage"]
    assert any("blocks[0] (section)" in e and "3000" in e for e in errors), errors
    assert any("blocks[1] (actions)" in e and "text" in e for e in errors), errors
    with pytest.raises(AssertionError, match="3000"):
        slack.assert_all_payloads_valid()
    slack.clear()


def test_missing_fallback_text_and_invalid_views_are_flagged(
    slack: FakeSlack, client: WebClient
) -> None:
    with pytest.warns(UserWarning, match="`text` argument is missing"):  # slack_sdk warns too
        client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, blocks=[section("no fallback")])
    client.views_open(trigger_id="t-1", view=modal(title="x" * 25))

    methods = {method for method, _ in slack.invalid_payloads}
    assert methods == {"chat.postMessage", "views.open"}
    slack.clear()


def test_blockkit_assertions_name_the_problem() -> None:
    assert_valid_blocks([section("ok"), {"type": "divider"}])
    assert_valid_view(modal())
    assert_valid_message({"text": "fallback", "blocks": [section("ok")]})

    cases: list[tuple[Any, str]] = [
        ([{"type": "sparkles"}], r"blocks\[0\].*unknown"),
        ([{"type": "divider"}] * 51, "51 blocks"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150"),
        ([{"type": "section", "text": "plain string"}], "text object"),
        ([section("ok", colour="red")], "unknown property"),
        ([section("")], "must not be empty"),
        ([section("a", block_id="b"), section("c", block_id="b")], "duplicate block_id"),
    ]
    for blocks, message in cases:
        with pytest.raises(AssertionError, match=message):
            assert_valid_blocks(blocks)
    with pytest.raises(AssertionError, match="101 blocks"):
        assert_valid_view({**modal(), "blocks": [section("x")] * 101})
    with pytest.raises(AssertionError, match="fallback"):
        assert_valid_message({"blocks": [section("ok")]})


# -- response_url ---------------------------------------------------------------------------
def test_response_url_posts_are_recorded_and_limited(slack: FakeSlack) -> None:
    url = slack.response_url()
    webhook = WebhookClient(url)

    assert webhook.send(text="working on it", response_type="ephemeral").status_code == 200
    assert slack.wait_for_response_url()[0]["text"] == "working on it"
    for n in range(4):
        webhook.send(text=f"update {n}")
    assert webhook.send(text="sixth").status_code == 404
    assert len(slack.responses_to(url)) == 5
    assert any("five times" in error for _, error in slack.invalid_payloads)
    slack.clear()


# -- signing --------------------------------------------------------------------------------
def test_signature_is_accepted_by_slack_sdk_verifier() -> None:
    body = "token=x&command=%2Fvoc&text=hello"
    headers = signed_headers(SECRET, body)
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace("hello", "hacked"), headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_compute_signature_matches_slack_documentation_example() -> None:
    # The worked example from Slack's "Verifying requests from Slack" guide.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        "-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        "00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10"
        "d2c447fce8b6703c"
    )
    signature = compute_signature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)
    assert signature == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A tiny WSGI app that echoes what Slack would have sent."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size).decode()
    headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k[:5] == "HTTP_"}
    headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
    echoed = {"path": environ["PATH_INFO"], "headers": headers, "body": body}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(echoed).encode()]


def test_serve_wsgi_round_trip_with_signed_requests(slack: FakeSlack) -> None:
    with serve_wsgi(echo_app) as base_url:
        requests = SlackRequests(base_url, SECRET, slack=slack)
        command = requests.slash_command("report acme", trigger_id="t-1").json()
        event = requests.event({"type": "app_mention", "text": "hi"}, event_id="Ev1", retry_num=1)
        forged = requests.slash_command("x", signature="v0=forged").json()

    verifier = SignatureVerifier(SECRET)
    assert command["path"] == "/slack/events"
    assert command["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid_request(command["body"], command["headers"])
    assert "text=report+acme" in command["body"] and "trigger_id=t-1" in command["body"]
    assert "response_url=http%3A%2F%2F127.0.0.1" in command["body"]
    echoed_event = event.json()
    assert echoed_event["headers"]["X-Slack-Retry-Num"] == "1"
    assert echoed_event["headers"]["X-Slack-Retry-Reason"] == "http_timeout"
    envelope = json.loads(echoed_event["body"])
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"
    assert not verifier.is_valid_request(forged["body"], forged["headers"])


def test_block_action_refuses_actions_missing_from_the_message() -> None:
    requests = SlackRequests("http://127.0.0.1:9", SECRET)
    message = {"ts": "1.000100", "blocks": [{"type": "actions", "elements": [button("a", "1")]}]}
    with pytest.raises(ValueError, match="not in the given"):
        requests.block_action("other", message=message)


# -- end to end with Bolt -------------------------------------------------------------------
def bolt_app(slack: FakeSlack) -> App:
    """A minimal Bolt app using the harness the way the real bot will."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=slack.api_url),
    )

    @app.command("/voc")
    def report(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"Working on {command['text']}")

    @app.action("resolve")
    def resolve(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        channel, ts = body["channel"]["id"], body["message"]["ts"]
        text = f"Resolved {body['actions'][0]['value']}"
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])

    @app.view("feedback")
    def save(ack: Any, view: dict[str, Any]) -> None:
        note = view["state"]["values"]["note_block"]["note"]["value"]
        ack(response_action="errors", errors={"note_block": f"got {note}"})

    return app


def test_bolt_app_round_trip(slack: FakeSlack, client: WebClient) -> None:
    app = bolt_app(slack)
    posted = client.chat_postMessage(
        channel=DEFAULT_CHANNEL_ID,
        text="Acme escalation",
        blocks=[{"type": "actions", "block_id": "a1", "elements": [button("resolve", "acme")]}],
    )
    message = slack.message(DEFAULT_CHANNEL_ID, posted["ts"])

    with serve_wsgi(SlackRequestHandler(app)) as base_url:
        requests = SlackRequests(base_url, SECRET, slack=slack)
        assert requests.slash_command("acme", signature="v0=forged").status == 401
        assert requests.slash_command("acme").status == 200
        assert slack.wait_for_response_url()[0]["text"] == "Working on acme"

        assert requests.block_action("resolve", message=message).status == 200
        slack.wait_for("chat.update")

        submitted = requests.view_submission(
            modal(), values={"note_block": {"note": plain_text_value("great call")}}
        )

    assert submitted.json() == {
        "response_action": "errors",
        "errors": {"note_block": "got great call"},
    }
    assert slack.message(DEFAULT_CHANNEL_ID, posted["ts"])["text"] == "Resolved acme"
