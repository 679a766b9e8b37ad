"""Slack listeners: parse the payload, check access, call `bot/`, render, reply."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import (
    account,
    commitments,
    commitments_modal,
    drivers,
    followups,
    home,
    interviews,
    meetings,
    middleware,
    pack,
    portfolio,
    reminders,
    submissions,
    uploads,
)
from handlers.command import CommandRouter


def register_all(app: App, services: Services) -> None:
    middleware.register(app, services)
    submissions.register(app, services)
    router = CommandRouter()
    account.register(app, router)
    commitments_modal.register(app, router)
    commitments.register(app, router)
    meetings.register(app, router)
    followups.register(app, router)
    drivers.register(router)
    pack.register(router)
    portfolio.register(router)
    interviews.register(app, router)
    home.register(app)
    reminders.register(app)
    uploads.register(app)
    router.register(app)
