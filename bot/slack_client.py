"""The Web API client the bot uses everywhere: pointed where settings say, retrying politely."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.runtime import Runtime
from bot.settings import Settings

DEFAULT_API_URL = WebClient.BASE_URL


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
