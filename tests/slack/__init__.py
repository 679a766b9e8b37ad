"""Test harness that stands in for Slack: a fake Web API server and signed-request helpers.

- `FakeSlack`: the Web API (`WebClient(base_url=slack.api_url)`), response URLs, uploads.
- `SlackRequests` / `serve_wsgi`: drive the bot's HTTP endpoint with Slack-signed requests.
- `assert_valid_*`: Block Kit checks Slack enforces but slack_sdk's models don't.
"""

from .blockkit import (
    assert_valid_blocks,
    assert_valid_message,
    assert_valid_view,
    block_errors,
    message_errors,
    view_errors,
)
from .fake_slack import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    TEAM_ID,
    Call,
    FakeSlack,
    SlackError,
    Upload,
)
from .signing import (
    HttpReply,
    SlackRequests,
    compute_signature,
    datepicker_value,
    plain_text_value,
    serve_wsgi,
    signed_headers,
    static_select_value,
    users_select_value,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_USER_ID",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "HttpReply",
    "SlackError",
    "SlackRequests",
    "Upload",
    "assert_valid_blocks",
    "assert_valid_message",
    "assert_valid_view",
    "block_errors",
    "compute_signature",
    "datepicker_value",
    "message_errors",
    "plain_text_value",
    "serve_wsgi",
    "signed_headers",
    "static_select_value",
    "users_select_value",
    "view_errors",
]
