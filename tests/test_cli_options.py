"""Options are checked by argparse (usage line, exit 2) and `--help` shows every default."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cli.options import HelpFormatter
from tests.cli import voc

SERVE_USAGE = [
    "usage: voc serve [-h] [--host HOST] [--port PORT] [--workers WORKERS]",
    "                 [--no-scheduler]",
]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (("--workers", "0"), "argument --workers: 0 is too few; it must be at least 1"),
        (("--port", "99999"), "argument --port: 99999 is not a port number (1–65535)"),
        (("--port", "0"), "argument --port: 0 is not a port number (1–65535)"),
        (("--port", "http"), 'argument --port: "http" is not a whole number'),
    ],
    ids=["no-workers", "port-too-high", "port-zero", "port-not-a-number"],
)
def test_serve_refuses_impossible_numbers_before_anything_starts(
    tmp_path: Path, argv: tuple[str, ...], error: str
) -> None:
    ran = voc("serve", *argv, cwd=tmp_path)
    expected = [*SERVE_USAGE, f"voc serve: error: {error}"]
    assert (ran.code, ran.err.splitlines(), ran.out) == (2, expected, "")
    assert not (tmp_path / "voc.db").exists()


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (("serve",), ["(default: 0.0.0.0)", "(default: 3000)", "(default: 2)"]),
        (("commit",), ["(default: account_team)", "(default: the day before the next"]),
        (("tick",), ["(default: now)"]),
        (("account",), ["(default: the latest with results)"]),
        ((), ["(default: VOC_WORKSPACE, else local)"]),
    ],
    ids=["serve", "commit", "tick", "account", "voc"],
)
def test_help_shows_the_defaults(
    tmp_path: Path, command: tuple[str, ...], shown: list[str]
) -> None:
    ran = voc(*command, "--help", cwd=tmp_path)
    assert ran.code == 0
    text = " ".join(ran.out.split())  # argparse wraps long help lines
    assert [default for default in shown if default not in text] == []
    assert "(default: None)" not in text and "(default: False)" not in text


def _parsers(
    parser: argparse.ArgumentParser, name: str = "voc"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_option_of_every_command_has_help() -> None:
    missing = [
        f"{name} {action.dest}"
        for name, parser in _parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert missing == []
    plain = [
        name
        for name, parser in _parsers(build_parser())
        if parser.formatter_class is not HelpFormatter
    ]
    assert plain == []
