"""What people submit (modals, slash commands), checked once before any listener runs.

- **NUL characters.** Slack lets a person paste U+0000 into a text field or a command;
  PostgreSQL can neither store nor even compare it, so the request would fail with nothing
  saved and no word to the person. Every field of `view.state.values` is read here first, and a
  field holding one gets its own error in the modal instead; a command gets a private answer.
- **Replays and double submissions.** A signed `view_submission` replayed within Slack's
  five-minute signature window would record the commitments again. A submission is keyed by the
  view (its id and hash), who submits it and what was typed, and claimed in the inbound-event
  ledger before its listener runs; the same submission again is acknowledged as the first was
  (an empty ack: the modal closes) and records nothing. A submission the listener answers with
  anything but that (field errors, a notice in place of the modal) recorded nothing, so its key
  is let go again: the person may correct it, or submit it again as it is, and be answered anew.
  (A listener that fails before answering at all keeps its key: Bolt offers no hook after a
  listener short of replacing the app-wide error handler.) The commitments modal saves in one
  transaction, so its key is recorded in that transaction instead (`context["submission_key"]`
  for the listener): a process killed before the commit leaves no key, and the person's second
  click on Submit saves what the first never stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse

from bot.services import Services
from bot.views.commitments import COMMIT_MODAL_CALLBACK
from storage.events import first_time, forget, seen

log = logging.getLogger(__name__)

NUL_IN_FIELD = (
    "This field contains a NUL character, which cannot be saved. Remove it and submit again."
)
NUL_IN_COMMAND = "That command contains a NUL character; type it again without it."
RECORDED_ACTIONS = frozenset({None, "clear"})  # the answers of a submission that was recorded
KEYED_IN_THEIR_TRANSACTION = frozenset({COMMIT_MODAL_CALLBACK})


def register(app: App, services: Services) -> None:
    def refuse_nul_characters(
        body: dict[str, Any], context: BoltContext, next: Callable[[], Any]
    ) -> Any:
        if body.get("command") and "\x00" in str(body.get("text") or ""):
            log.info("command refused: a NUL in its text")
            return _answer({"response_type": "ephemeral", "text": NUL_IN_COMMAND})
        if body.get("type") != "view_submission":
            return next()
        fields = fields_with_nul(body["view"].get("state", {}).get("values", {}))
        if not fields:
            return next()
        log.info("view submission refused: a NUL in %s", ", ".join(fields))
        return _answer({"response_action": "errors", "errors": dict.fromkeys(fields, NUL_IN_FIELD)})

    def record_each_submission_once(
        body: dict[str, Any], context: BoltContext, next: Callable[[], Any]
    ) -> Any:
        if body.get("type") != "view_submission":
            return next()
        sessions, workspace_id = services.runtime.sessions, context["workspace_id"]
        key = submission_key(body)
        if body["view"].get("callback_id") in KEYED_IN_THEIR_TRANSACTION:
            if seen(sessions, workspace_id, key):
                log.info("dropping a repeated submission of view %s", body["view"].get("id"))
                return BoltResponse(status=200, body="")
            context["submission_key"] = key
            return next()
        if not first_time(sessions, workspace_id, key):
            log.info("dropping a repeated submission of view %s", body["view"].get("id"))
            return BoltResponse(status=200, body="")
        context["ack"] = ForgettingAck(lambda: forget(sessions, workspace_id, key))
        return next()

    app.use(refuse_nul_characters)
    app.use(record_each_submission_once)


def fields_with_nul(values: dict[str, Any]) -> list[str]:
    """The block ids of `view.state.values` whose value holds a NUL anywhere."""
    return [block_id for block_id, actions in values.items() if "\\u0000" in json.dumps(actions)]


def submission_key(body: dict[str, Any]) -> str:
    """The view (id and hash), the person and every value typed: identical only for a replay
    or a second click on an unchanged modal."""
    view = body["view"]
    what = [view.get("id"), view.get("hash"), body["user"]["id"], view.get("state", {})]
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()
    return f"view_submission:{digest}"


class ForgettingAck(Ack):  # type: ignore[misc]
    """Bolt's `ack`, which lets the submission's key go when the answer records nothing."""

    def __init__(self, forget_key: Callable[[], None]) -> None:
        super().__init__()
        self._forget_key = forget_key

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        if kwargs.get("response_action") not in RECORDED_ACTIONS:
            self._forget_key()
        return response


def _answer(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )
