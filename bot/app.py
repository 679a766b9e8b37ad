"""`create_app(settings)`: the configured Bolt app, ready for Socket Mode or HTTP."""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.runtime import Runtime, open_runtime
from bot.services import Services
from bot.settings import Settings
from bot.slack_client import make_client

BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "users:read.email",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "im:history",
    "reactions:read",
    "files:write",
    "files:read",
]
OAUTH_STATE_SECONDS = 600
LISTENER_THREADS = 5  # Bolt's own default

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, socket_mode: bool = False
) -> App:
    """One app for both transports; only how it authenticates differs.

    In Socket Mode Slack does not sign requests, so verification is off there and only there.
    """
    runtime = runtime or open_runtime(settings)
    services = Services(runtime=runtime)
    if settings.oauth_enabled:
        app = App(
            signing_secret=settings.slack_signing_secret,
            client=make_client(settings, token=""),
            oauth_flow=_oauth_flow(settings, runtime),
            process_before_response=False,
            listener_executor=_ContextExecutor(max_workers=LISTENER_THREADS),
        )
    else:
        app = App(
            signing_secret=settings.slack_signing_secret or "",
            client=make_client(settings),
            request_verification_enabled=not socket_mode,
            process_before_response=False,
            listener_executor=_ContextExecutor(max_workers=LISTENER_THREADS),
        )
    from handlers import register_all

    register_all(app, services)
    return app


def _oauth_flow(settings: Settings, runtime: Runtime) -> OAuthFlow:
    """Multi-workspace installs keep their tokens in the bot's own database."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    installations = SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id or "", engine=runtime.engine
    )
    states = SQLAlchemyOAuthStateStore(
        expiration_seconds=OAUTH_STATE_SECONDS, engine=runtime.engine
    )
    installations.create_tables()
    states.create_tables()
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=installations,
        state_store=states,
    )
    return OAuthFlow(client=make_client(settings, token=""), settings=oauth_settings)


class _ContextExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, running each listener in the context of the request it answers,
    so its log lines carry that request's key (`bot.core.log_keys`)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
