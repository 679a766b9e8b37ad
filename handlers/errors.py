"""The one place a use case's reason for refusing becomes the person's private reply.

Services raise `bot.errors` exceptions (and the directory `DirectoryUnavailable`); listeners
let them travel. `/voc` subcommands are answered by the router, buttons and dialogs by
`answering`, applied where they are registered.

Not a Bolt `@app.error` handler on purpose: with `process_before_response=False`, a listener
that raises right after `ack()` can make Bolt forget the ack and answer Slack 404, so the
exception is caught inside the listener instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient

from bot.core.slack import Mrkdwn, as_mrkdwn, markup_to_plain
from bot.delivery.tagged import SEND_ERRORS, describe_error
from bot.directory import DirectoryUnavailable
from bot.errors import AccessRefused, DialogNotOpened, VocError
from bot.views.report import anonymous_refusal_text, refusal_text

log = logging.getLogger(__name__)

SLACK_BUSY = "Slack did not answer in time, so I could not check that. Try again in a minute."
ANSWERED = (VocError, DirectoryUnavailable)

Listener = TypeVar("Listener", bound=Callable[..., Any])


def reason_for(error: Exception) -> Mrkdwn:
    """What to tell the person about a use case that could not be done.

    A reason is plain text shared with the terminal and may quote what was typed, so it is
    escaped here, once, for every refusal; only the refusals built by a view are markup.
    """
    if isinstance(error, AccessRefused):
        if error.account_name is None:
            return anonymous_refusal_text()
        return refusal_text(error.account_name, error.ask)
    if isinstance(error, DirectoryUnavailable):
        return as_mrkdwn(SLACK_BUSY)
    return as_mrkdwn(str(error))


def field_reason(error: Exception) -> str:
    """The reason shown under a dialog's field: Slack prints those errors as plain text, so
    the markup `reason_for` builds would reach the person as `&amp;` and `<@U…>`."""
    return markup_to_plain(reason_for(error))


def answering(listener: Listener) -> Listener:
    """Wrap a button listener so a refusal is told to the clicker, privately.

    Bolt reads the arguments a listener wants through `__wrapped__`, so the wrapper receives
    exactly the wrapped listener's; it answers through `respond`, or the context's.
    """

    @functools.wraps(listener)
    def run(**kwargs: Any) -> Any:
        try:
            return listener(**kwargs)
        except ANSWERED as error:
            respond = kwargs.get("respond") or getattr(kwargs.get("context"), "respond", None)
            if respond is None:  # a view's button has no response URL: nothing to answer on
                log.info("%s not answered (no response URL): %s", listener.__name__, error)
                return None
            respond(text=reason_for(error), response_type="ephemeral", replace_original=False)
            return None

    return run  # type: ignore[return-value]


def open_dialog(client: WebClient, trigger_id: str | None, view: dict[str, Any]) -> None:
    """`views.open`, or `DialogNotOpened` for the person when Slack answers with an error: a
    click or a command whose dialog never appears must not be met with silence."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SEND_ERRORS as error:
        log.warning("views.open failed: %s", describe_error(error))
        raise DialogNotOpened from error
