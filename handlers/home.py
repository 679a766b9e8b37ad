"""The App Home tab, refreshed each time someone opens it."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.accounts.access import Reader
from bot.core.clock import utc_now
from bot.home import load_home
from bot.services import Services
from bot.views.home import home_view


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    refresh_home(context, client)


def refresh_home(context: BoltContext, client: WebClient) -> None:
    """Also called after a Done button on the Home tab, so the list drops what was just done.

    The tab is the reader's own: the request's reader and timezone say whose and when.
    """
    services: Services = context["services"]
    reader: Reader = context["reader"]
    tz: tzinfo = context["tz"]
    now = utc_now()
    summary = load_home(
        services.runtime.sessions, context["workspace_id"], reader.user_id, reader.email(), now
    )
    today = now.astimezone(tz).date()
    client.views_publish(user_id=reader.user_id, view=home_view(summary, tz, today))
