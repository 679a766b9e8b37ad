"""`/voc drivers [SEGMENT]`: the key drivers privately, and the priority matrix in the DM.

The answer is an ephemeral message; a response URL cannot carry a file, so the picture goes to
the requester's DM, like the account report's trend chart.
"""

from __future__ import annotations

from bot.charts import priority_matrix_png
from bot.delivery.files import send_file_to_dm
from bot.drivers.service import key_drivers
from bot.views.drivers import MATRIX_SENT, drivers_message, scope_name
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="drivers",
            usage="drivers [SEGMENT]",
            summary="what moves overall satisfaction, and where to act first; only to you",
            example="/voc drivers Enterprise",
            run=show_drivers,
            answer_owed=True,
        )
    )


def show_drivers(request: CommandRequest) -> None:
    segment = typed_account(request.raw_args) or None
    analysis = key_drivers(request.runtime, request.workspace_id, segment=segment)
    text, blocks = drivers_message(analysis)
    request.reply(text, blocks)
    if not analysis.enough_data:
        return
    sent = send_file_to_dm(
        request.client,
        request.user_id,
        priority_matrix_png(analysis),
        filename=f"drivers-{analysis.cycle}.png",
        title=f"Priority matrix · {scope_name(analysis)} · {analysis.cycle}",
    )
    if not sent:
        request.reply("Sorry, the priority matrix could not be sent. Try again in a minute.")
        return
    request.reply(MATRIX_SENT)
