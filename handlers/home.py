"""The App Home tab, refreshed each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.core.clock import utc_now
from bot.home import load_home
from bot.services import Services
from bot.views.home import home_view
from handlers.common import reader_timezone


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    refresh_home(context["services"], client, context["workspace_id"], event["user"])


def refresh_home(services: Services, client: WebClient, workspace_id: str, user_id: str) -> None:
    """Also called after a Done button on the Home tab, so the list drops what was just done."""
    user = services.directory(client, workspace_id).user(user_id)
    now = utc_now()
    email = user.email if user else None
    summary = load_home(services.runtime.sessions, workspace_id, user_id, email, now)
    tz = reader_timezone(services, client, workspace_id, user_id)
    client.views_publish(user_id=user_id, view=home_view(summary, tz, now.astimezone(tz).date()))
