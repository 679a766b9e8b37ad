"""`voc …`: each command is a thin call into the same use cases the Slack handlers call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bot.runtime import Runtime, open_runtime
from bot.settings import Settings, SettingsError, load_settings

EXIT_REJECTED = 2
EXIT_CONFIG = 78

Command = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voc", description="Voice-of-the-Customer account loop, in Slack and here."
    )
    parser.add_argument(
        "--workspace", help="Slack team ID whose data to use (multi-workspace installs only)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="the bot over Socket Mode, with its scheduler").set_defaults(
        handler=_cmd_run
    )

    serve = sub.add_parser("serve", help="the bot over HTTP (/slack/events, /healthz)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--no-scheduler", action="store_true")
    serve.set_defaults(handler=_cmd_serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply schema migrations").set_defaults(handler=_cmd_db)

    imp = sub.add_parser("import", help="load a roster or feedback responses (CSV or XLSX)")
    imp_sub = imp.add_subparsers(dest="kind", required=True, metavar="KIND")
    accounts = imp_sub.add_parser("accounts", help="the accounts roster")
    accounts.add_argument("file")
    accounts.set_defaults(handler=_cmd_import)
    responses = imp_sub.add_parser("responses", help="feedback responses")
    responses.add_argument("file")
    responses.add_argument("--cycle", help="cycle label when the file has no cycle column")
    responses.add_argument("--create-accounts", action="store_true")
    responses.set_defaults(handler=_cmd_import)

    demo = sub.add_parser("demo", help="fill the database with a sample portfolio")
    demo.add_argument("--reset", action="store_true", help="remove the existing demo data first")
    demo.set_defaults(handler=_cmd_demo)

    account = sub.add_parser("account", help="an account's report")
    account.add_argument("name")
    account.add_argument("--cycle")
    account.add_argument("--json", action="store_true")
    account.set_defaults(handler=_cmd_account)

    commit = sub.add_parser("commit", help="log a commitment")
    commit.add_argument("account")
    commit.add_argument("text")
    commit.add_argument("--owner", required=True, help="Slack user ID or email")
    commit.add_argument("--due", help="YYYY-MM-DD (default: before the next cycle)")
    commit.add_argument("--area", default="account_team")
    commit.set_defaults(handler=_cmd_commit)

    open_ = sub.add_parser("open", help="open commitments")
    open_.add_argument("account", nargs="?")
    open_.add_argument("--owner")
    open_.add_argument("--json", action="store_true")
    open_.set_defaults(handler=_cmd_open)

    from bot.cli.followups import add_commands as add_followup_commands

    add_followup_commands(sub, _cmd_followups)

    tick = sub.add_parser("tick", help="run the scheduled work once")
    tick.add_argument("--now", help="ISO-8601 moment to run as (default: now)")
    tick.add_argument("--dry-run", action="store_true")
    tick.set_defaults(handler=_cmd_tick)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"voc: configuration problem\n{error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.workspace:
        from dataclasses import replace

        settings = replace(settings, workspace=args.workspace)
    try:
        return args.handler(args, settings)
    except SettingsError as error:
        print(f"voc: configuration problem\n{error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _runtime(settings: Settings) -> Runtime:
    return open_runtime(settings)


def _cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    _runtime(settings)
    print("database schema is up to date")
    return 0


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.imports import run_import

    return run_import(args, _runtime(settings))


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.demo import run_demo

    return run_demo(args, _runtime(settings))


def _cmd_account(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.reports import run_account

    return run_account(args, _runtime(settings))


def _cmd_commit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.commitments import run_commit

    return run_commit(args, _runtime(settings))


def _cmd_open(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.commitments import run_open

    return run_open(args, _runtime(settings))


def _cmd_followups(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.followups import run

    return run(args, _runtime(settings))


def _cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.scheduling import run_tick

    return run_tick(args, _runtime(settings))


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_socket_mode()
    from bot.cli.slack import run_socket_mode

    return run_socket_mode(args, _runtime(settings))


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_http()
    from bot.cli.slack import run_http

    return run_http(args, _runtime(settings))
