"""How `voc` reads its options: values checked by argparse itself, help that shows defaults.

A value argparse refuses ends in its usage line and exit 2, before any setting is read or any
database opened, which is where a mistyped number belongs. `--workers 0` used to start a
server with no workers at all, and `--port 99999` to end in a traceback from the socket.
"""

from __future__ import annotations

import argparse
from typing import Any

MAX_PORT = 65535


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`(default: 3000)` after every option that has a default worth reading.

    Options without one (None) and switches that are off by default say nothing: "(default:
    None)" and "(default: False)" tell a reader nothing the option's own text does not.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def subcommand(
    commands: Any, name: str, summary: str, description: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand whose `--help` uses the same formatter as `voc --help`."""
    return commands.add_parser(
        name,
        help=summary,
        description=description or f"{summary[0].upper()}{summary[1:]}.",
        formatter_class=HelpFormatter,
    )


def whole_number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a whole number') from None


def at_least_one(text: str) -> int:
    """A count of things to start: zero of them is a server that answers nobody."""
    number = whole_number(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is too few; it must be at least 1")
    return number


def port(text: str) -> int:
    """A TCP port, 1–65535; 0 ("any free port") would leave nobody knowing where to send Slack."""
    number = whole_number(text)
    if not 1 <= number <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{number} is not a port number (1–{MAX_PORT})")
    return number
