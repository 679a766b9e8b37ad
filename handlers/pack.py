"""`/voc pack ACCOUNT`: the review pack as a PDF, to the requester's DM.

A response URL cannot carry a file, and the pack is for the meeting, not the channel: it is
uploaded to the requester's DM (`bot.delivery.files`, as `/voc drivers` sends its picture), and
the answer in the channel
is a private "sent". Access is the report's: the account's team and the admins.
"""

from __future__ import annotations

import re

from bot.core.clock import utc_now
from bot.delivery.files import send_file_to_dm
from bot.pack.render import pack_pdf
from bot.pack.service import review_pack
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account

PACK_SENT = "The review pack is in your DMs."
PACK_NOT_SENT = "Sorry, the review pack could not be sent. Try again in a minute."
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="pack",
            usage="pack ACCOUNT",
            summary="the customer review pack as a PDF, sent to your DMs",
            example="/voc pack halvorsen",
            run=send_pack,
        )
    )


def send_pack(request: CommandRequest) -> None:
    if not request.raw_args:
        request.reply("Which account? For example `/voc pack halvorsen`.")
        return
    pack = review_pack(
        request.runtime,
        request.workspace_id,
        typed_account(request.raw_args),
        reader=request.reader,
        now=utc_now(),
        name_of=request.reader.directory.name_of,
    )
    sent = send_file_to_dm(
        request.client,
        request.user_id,
        pack_pdf(pack),
        filename=filename(pack.account, pack.cycle),
        title=f"Customer review · {pack.account} · {pack.cycle or 'no cycle yet'}",
    )
    if not sent:
        request.reply(PACK_NOT_SENT)
        return
    request.reply(PACK_SENT)


def filename(account: str, cycle: str | None) -> str:
    """`review-pack-Halvorsen-Freight-Group-2026-Q4.pdf`: only characters every system keeps."""
    stem = UNSAFE_IN_FILENAME.sub("-", f"{account} {cycle or ''}").strip("-")[:80] or "account"
    return f"review-pack-{stem}.pdf"
