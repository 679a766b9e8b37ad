"""`/voc portfolio`: the executive view, privately, decided at the moment it is asked.

An admin sees every strategic and key account, a sponsor their own; anyone else is refused
without an account being named (`bot.portfolio.service.portfolio_for_reader`).
"""

from __future__ import annotations

from bot.core import clock
from bot.portfolio.service import portfolio_for_reader
from bot.views.portfolio import portfolio_message
from handlers.command import CommandRequest, CommandRouter, Subcommand


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="portfolio",
            usage="portfolio",
            summary="your sponsored accounts (admins: all strategic and key), at risk first; "
            "only to you",
            example="/voc portfolio",
            run=show_portfolio,
            answer_owed=True,
        )
    )


def show_portfolio(request: CommandRequest) -> None:
    view = portfolio_for_reader(
        request.runtime, request.workspace_id, request.reader, now=clock.utc_now(), tz=request.tz
    )
    text, blocks = portfolio_message(view, request.tz)
    request.reply(text, blocks)
