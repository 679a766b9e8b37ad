"""`voc pack ACCOUNT --out FILE` and `voc update --out FILE`: documents for customers.

The file's ending chooses its format and is checked before the database is opened, so a typo
creates nothing; a path that cannot be written is one line and exit 2, like any other bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import status
from bot.cli.options import subcommand
from bot.core.clock import utc_now
from bot.errors import VocError

if TYPE_CHECKING:  # imported where used: `voc --help` loads none of it
    from bot.runtime import Runtime

PACK_FORMATS = (".html", ".pdf")
UPDATE_FORMATS = (".html", ".md")


def add_commands(sub: Any, pack_handler: Any, update_handler: Any) -> None:
    pack = subcommand(sub, "pack", "the review pack for a customer, as HTML or PDF")
    pack.add_argument("account", metavar="ACCOUNT", help="the account, as for `voc account`")
    pack.add_argument("--cycle", metavar="L", help="the cycle to show (default: the latest)")
    pack.add_argument("--out", required=True, metavar="FILE", help="where to write: .html or .pdf")
    pack.add_argument(
        "--named",
        action="store_true",
        help="name respondents next to their scores and quotes (default: anonymous)",
    )
    pack.set_defaults(handler=pack_handler)
    update = subcommand(sub, "update", '"you said, we did": the update to every customer')
    update.add_argument("--cycle", metavar="L", help="the cycle to cover (default: the latest)")
    update.add_argument("--out", required=True, metavar="FILE", help="where to write: .html or .md")
    update.set_defaults(handler=update_handler)


def bad_out(command: str, out: str, formats: tuple[str, ...]) -> int | None:
    """Exit 2 with one line when `out` does not end in one of `formats`, else None."""
    if Path(out).suffix.lower() in formats:
        return None
    return status.reject(command, f'--out "{out}" must end in {" or ".join(formats)}')


def run_pack(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.cli.reports import people_names
    from bot.pack.render import pack_html, pack_pdf
    from bot.pack.service import review_pack

    try:
        pack = review_pack(
            runtime,
            runtime.settings.workspace,
            args.account,
            reader=None,
            now=utc_now(),
            name_of=people_names(runtime.settings),
            cycle_label=args.cycle,
            named=args.named,
        )
    except VocError as refusal:
        return status.reject("pack", str(refusal))
    pdf = Path(args.out).suffix.lower() == ".pdf"
    return _write("pack", args.out, (lambda: pack_pdf(pack)) if pdf else (lambda: pack_html(pack)))


def run_update(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.pack.render import update_html, update_markdown
    from bot.pack.service import customer_update

    try:
        update = customer_update(
            runtime, runtime.settings.workspace, now=utc_now(), cycle_label=args.cycle
        )
    except VocError as refusal:
        return status.reject("update", str(refusal))
    markdown = Path(args.out).suffix.lower() == ".md"
    render = (lambda: update_markdown(update)) if markdown else (lambda: update_html(update))
    return _write("update", args.out, render)


def _write(command: str, out: str, render: Callable[[], str | bytes]) -> int:
    content = render()
    path = Path(out)
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as error:
        return status.reject(command, f'cannot write "{out}": {error.strerror or error}')
    print(f"Wrote {out}")
    return status.OK
