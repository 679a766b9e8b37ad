"""The Web API client the bot uses everywhere: pointed where settings say, retrying politely."""

from __future__ import annotations

import logging
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.runtime import Runtime
from bot.settings import Settings, UnusableSetting

DEFAULT_API_URL = WebClient.BASE_URL
CHECK_TIMEOUT_SECONDS = 10

# The start-up check reports its failure as one line; the client's own error log would say the
# same again, with a traceback's worth of detail, before it.
_check_log = logging.getLogger(f"{__name__}.token_check")
_check_log.addHandler(logging.NullHandler())
_check_log.propagate = False


def retry_handlers() -> list[RetryHandler]:
    """429s wait for Retry-After; dropped connections and 5xx are tried again a few times."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    return WebClient(
        token=token if token is not None else settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=15,
        retry_handlers=retry_handlers(),
    )


def delivery_client(settings: Settings, token: str) -> WebClient:
    """A client for messages the ledger delivers (digests, reminders): no automatic retries.

    A retried `chat.postMessage` after a 500 or a dropped connection may post twice, because the
    first attempt can have reached Slack. Scheduled deliveries are retried by the next tick
    instead, which first looks for the message it may already have posted.
    """
    return WebClient(
        token=token,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=15,
        retry_handlers=[],
    )


def check_bot_token(settings: Settings) -> None:
    """Ask Slack once (`auth.test`) whether it takes the token, before any worker starts.

    Bolt asks the same at app creation, inside each gunicorn worker or the Socket Mode client,
    where a refusal reads "Worker failed to boot" with a traceback per worker. Asked here, it is
    one line naming the setting to fix. Raises `UnusableSetting`; multi-workspace installs have
    no single token and are not checked.
    """
    token = settings.slack_bot_token
    if not token:
        return
    base_url = settings.slack_api_url or DEFAULT_API_URL
    client = WebClient(
        token=token, base_url=base_url, timeout=CHECK_TIMEOUT_SECONDS, logger=_check_log
    )
    try:
        client.auth_test()
    except SlackApiError as error:
        raise UnusableSetting(_refusal(error)) from error
    except (URLError, OSError) as error:
        raise UnusableSetting(
            f"SLACK_API_URL: Slack could not be reached ({base_url}: {_network_reason(error)})"
        ) from error


def _refusal(error: SlackApiError) -> str:
    """Slack's own error code names the token; a server error or a non-Slack answer the URL."""
    response = error.response
    code = response.get("error") if isinstance(response.data, dict) else None
    if code and response.status_code < 500:
        return f"SLACK_BOT_TOKEN: Slack rejected it ({code})"
    return f"SLACK_API_URL: Slack could not be reached (HTTP {response.status_code})"


def _network_reason(error: OSError) -> str:
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)


def client_for_workspace(runtime: Runtime, workspace_id: str) -> WebClient | None:
    """The scheduler's client for one workspace, or None when the bot has no token there.

    Single-workspace installs use `SLACK_BOT_TOKEN`; OAuth installs read the workspace's bot
    token from the installation store (`workspace_id` is the Slack team ID in that mode).
    """
    settings = runtime.settings
    if settings.oauth_enabled:
        token = _installed_bot_token(runtime, workspace_id)
    else:
        token = settings.slack_bot_token
    return delivery_client(settings, token) if token else None


def _installed_bot_token(runtime: Runtime, workspace_id: str) -> str | None:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from sqlalchemy.exc import SQLAlchemyError

    store = SQLAlchemyInstallationStore(
        client_id=runtime.settings.slack_client_id or "", engine=runtime.engine
    )
    try:
        bot = store.find_bot(enterprise_id=None, team_id=workspace_id)
    except SQLAlchemyError:  # no installation tables yet: nothing was ever installed
        return None
    return bot.bot_token if bot is not None else None
