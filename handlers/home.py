"""The App Home tab, refreshed each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.home import home_summary
from bot.reports import utc_now
from bot.views.home import home_view
from handlers.common import reader_timezone


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    services = context["services"]
    user_id = event["user"]
    workspace_id = context["workspace_id"]
    user = services.directory(client, workspace_id).user(user_id)
    with services.runtime.sessions() as session:
        summary = home_summary(
            session, workspace_id, user_id, user.email if user else None, utc_now()
        )
    tz = reader_timezone(services, client, workspace_id, user_id)
    client.views_publish(user_id=user_id, view=home_view(summary, tz))
