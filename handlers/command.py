"""`/voc SUBCOMMAND …`: one slash command, routed to small per-domain functions."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.accounts.access import Reader
from bot.core.clock import utc_now
from bot.core.slack import Mrkdwn, as_mrkdwn, mrkdwn, unescape
from bot.delivery import replies
from bot.runtime import Runtime
from bot.services import Services
from handlers.errors import ANSWERED, reason_for

log = logging.getLogger(__name__)

REPLY_ATTEMPTS = 3  # a response URL's 5xx is passing trouble; an ephemeral twice is harmless


def typed_account(text: str) -> str:
    """The account name as typed in `/voc`: Slack's escaping undone, stray quotes dropped."""
    return unescape(text).strip("\"'")


@dataclass(frozen=True)
class CommandRequest:
    """A parsed `/voc` invocation with what a subcommand needs to answer it."""

    subcommand: str
    args: list[str]
    raw_args: str
    user_id: str
    channel_id: str | None
    workspace_id: str
    trigger_id: str | None
    respond: Respond
    client: WebClient
    services: Services
    reader: Reader
    tz: tzinfo  # the requester's timezone, looked up when first used (handlers.middleware)

    @property
    def runtime(self) -> Runtime:
        return self.services.runtime

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Only the requester sees it: feedback names people and quotes them.

        `text` is data unless a view built it as `Mrkdwn`: an echoed query cannot ping anyone.
        """
        for _ in range(REPLY_ATTEMPTS):
            response = self.respond(
                text=as_mrkdwn(text),
                blocks=blocks,
                response_type="ephemeral",
                replace_original=False,
            )
            if response is None or response.status_code < 500:
                return
        raise ReplyNotDelivered(f"response URL answered {response.status_code}")


class ReplyNotDelivered(Exception):
    """Slack kept refusing the response URL: the answer is left owed (`bot.delivery.replies`),
    for the scheduler to tell the person, rather than taken as given."""


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    example: str
    run: Callable[[CommandRequest], None]
    hidden: bool = False
    # Its answer takes a while (a report, a list): owed in the ledger from the ack until it was
    # sent, so a process dying in between still leaves the person told (`bot.delivery.replies`).
    answer_owed: bool = False
    # Sub-actions reached through this subcommand (`meeting move ID …`): help lists them too,
    # since a newcomer only learns what the list shows.
    also: tuple[str, ...] = ()


class CommandRouter:
    def __init__(self) -> None:
        self.subcommands: dict[str, Subcommand] = {}
        self.add(
            Subcommand(
                name="ping",
                usage="ping",
                summary="check that the bot answers",
                example="/voc ping",
                run=lambda request: request.reply("pong"),
                hidden=True,
            )
        )

    def add(self, subcommand: Subcommand) -> None:
        self.subcommands[subcommand.name] = subcommand

    def register(self, app: App) -> None:
        app.command("/voc")(self.handle)

    def handle(
        self,
        ack: Ack,
        body: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        request = self._parse(body, respond, client, context)
        subcommand = self.subcommands.get(request.subcommand) if request else None
        # Owed before the ack: a process dying right after acknowledging still leaves it owed.
        owed = (
            _owe_answer(request, body)
            if request and subcommand and subcommand.answer_owed
            else None
        )
        ack()
        if owed == KNOWN:  # the same command again: its first delivery answers it
            return
        if request is None:
            respond(
                text="That command text could not be read: check the quotes.",
                response_type="ephemeral",
            )
            return
        if subcommand is None:
            request.reply(self.help_text(unknown=request.subcommand))
            return
        try:
            subcommand.run(request)
        except ANSWERED as error:
            request.reply(reason_for(error))
        except Exception as error:
            if owed is not None:
                replies.give_up_reply(
                    request.runtime,
                    workspace_id=request.workspace_id,
                    key=owed,
                    error=repr(error),
                )
            raise
        if owed is not None:
            replies.settle_reply(
                request.runtime, workspace_id=request.workspace_id, key=owed, now=utc_now()
            )

    def _parse(
        self, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> CommandRequest | None:
        text = (body.get("text") or "").strip()
        try:
            words = shlex.split(text)
        except ValueError:
            return None
        name = words[0].lower() if words else "help"
        raw_args = text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
        return CommandRequest(
            subcommand=name,
            args=words[1:],
            raw_args=raw_args.strip(),
            user_id=body.get("user_id", ""),
            channel_id=body.get("channel_id"),
            workspace_id=context["workspace_id"],
            trigger_id=body.get("trigger_id"),
            respond=respond,
            client=client,
            services=context["services"],
            reader=context["reader"],
            tz=context["tz"],
        )

    def help_text(self, unknown: str | None = None) -> Mrkdwn:
        lines = []
        if unknown and unknown != "help":
            lines.append(mrkdwn("`/voc {}` is not a command I know.\n", unknown))
        lines.append("*What `/voc` can do*")
        for sub in self.subcommands.values():
            if sub.hidden:
                continue
            lines.append(f"• `/voc {sub.usage}` — {sub.summary}\n    e.g. `{sub.example}`")
            if sub.also:
                lines.append("    also " + ", ".join(f"`/voc {usage}`" for usage in sub.also))
        lines.append("• `/voc help` — this list")
        return Mrkdwn("\n".join(lines))


KNOWN = "known"
"""What `_owe_answer` says of a command delivered again (Slack's trigger id seen already)."""


def _owe_answer(request: CommandRequest, body: dict[str, Any]) -> str | None:
    """Record the answer as owed before the slow work; its key, None when there is nothing to
    key it by (no trigger id), or KNOWN when it is owed, or was answered, already."""
    if not request.trigger_id:
        return None
    key = replies.reply_key(request.trigger_id)
    owed = replies.owe_reply(
        request.runtime,
        workspace_id=request.workspace_id,
        key=key,
        user_id=request.user_id,
        command=f"{body.get('command') or '/voc'} {body.get('text') or ''}".strip(),
        response_url=body.get("response_url"),
        now=utc_now(),
    )
    return key if owed else KNOWN
