"""Cross-cutting listener concerns: services in the context, one workspace, no replays."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from storage.db import transaction
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def inject_services(context: BoltContext, next: Callable[[], Any]) -> Any:
        context["services"] = services
        context["workspace_id"] = services.workspace_for(context.team_id)
        return next()

    def drop_redelivered_events(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], Any],
    ) -> Any:
        """Slack re-sends an event it thinks was lost; its `event_id` stays the same.

        The ledger row is written before any listener runs, so a retry that arrives while the
        first delivery is still being handled is dropped too.
        """
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not record_event(services, context["workspace_id"], event_id):
            log.info("dropping redelivered event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()

    app.use(inject_services)
    app.use(drop_redelivered_events)


def record_event(services: Services, workspace_id: str, event_key: str) -> bool:
    """True the first time a key is seen, False ever after, across processes."""
    try:
        with transaction(services.runtime.sessions) as session:
            session.add(ProcessedEvent(workspace_id=workspace_id, event_key=event_key))
    except IntegrityError:
        return False
    return True
