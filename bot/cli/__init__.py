"""`voc …`: each command is a thin call into the same use cases the Slack handlers call."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.cli import startup, status
from bot.cli.logs import LogSetup, cli_logging, level_for
from bot.cli.options import HelpFormatter, at_least_one, port, subcommand
from bot.cli.terminal import terminal_output
from bot.settings import Settings, SettingsError, UnusableSetting, load_settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

EXIT_REJECTED = status.REJECTED
EXIT_CONFIG = status.CONFIG

Command = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voc",
        description="Voice-of-the-Customer account loop, in Slack and here.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--workspace",
        metavar="TEAM_ID",
        help="Slack team ID whose data to use, for this command only "
        "(default: VOC_WORKSPACE, else local)",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="one of these; `voc COMMAND -h`"
    )
    _slack_commands(sub)
    _data_commands(sub)
    _commitment_commands(sub)
    _tick_command(sub)
    _add_without_slack_commands(sub)
    _followup_commands(sub)
    _forget_command(sub)
    _export_command(sub)
    _drivers_command(sub)
    _pack_commands(sub)
    _portfolio_command(sub)
    return parser


def _slack_commands(sub: Any) -> None:
    """`run` and `serve`: the bot itself."""
    subcommand(sub, "run", "the bot over Socket Mode, with its scheduler").set_defaults(
        handler=_cmd_run
    )

    serve = subcommand(sub, "serve", "the bot over HTTP (/slack/events, /healthz)")
    serve.add_argument("--host", default="0.0.0.0", help="the address to listen on")
    serve.add_argument("--port", type=port, default=3000, help="the port to listen on (1–65535)")
    serve.add_argument(
        "--workers",
        type=at_least_one,
        default=2,
        help="gunicorn worker processes, each with 32 threads (at least 1)",
    )
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run the scheduler in this process (when cron runs `voc tick`)",
    )
    serve.set_defaults(handler=_cmd_serve)

    subcommand(
        sub, "doctor", "check the database, the Slack token, its scopes, channels and emails"
    ).set_defaults(handler=_cmd_doctor)


def _data_commands(sub: Any) -> None:
    """`db`, `import`, `demo` and `account`: what is in the database."""
    db = subcommand(sub, "db", "the database schema")
    db_sub = db.add_subparsers(
        dest="db_command", required=True, metavar="ACTION", help="what to do with it"
    )
    subcommand(db_sub, "upgrade", "apply the schema migrations").set_defaults(handler=_cmd_db)

    imp = subcommand(sub, "import", "load a roster or feedback responses (CSV or XLSX)")
    imp_sub = imp.add_subparsers(
        dest="kind", required=True, metavar="KIND", help="what the file holds"
    )
    accounts = subcommand(imp_sub, "accounts", "load or refresh the accounts roster")
    accounts.add_argument("file", metavar="FILE", help="the roster, as CSV or XLSX")
    accounts.set_defaults(handler=_cmd_import)
    responses = subcommand(imp_sub, "responses", "load feedback responses")
    responses.add_argument("file", metavar="FILE", help="the responses, as CSV or XLSX")
    responses.add_argument(
        "--cycle",
        metavar="L",
        help="cycle label (e.g. 2026-Q3) for rows whose cycle is blank or when the file has "
        "no cycle column",
    )
    responses.add_argument(
        "--create-accounts",
        action="store_true",
        help="create accounts missing from the roster, in segment Unsegmented",
    )
    responses.add_argument(
        "--format",
        choices=("auto", "plain", "qualtrics", "surveymonkey"),
        default="auto",
        help="the file's layout: our columns (plain) or a survey tool's export; auto detects it",
    )
    responses.add_argument(
        "--mapping",
        metavar="FILE",
        help="YAML file naming which export column holds which field (fields: {…})",
    )
    responses.set_defaults(handler=_cmd_import)

    demo = subcommand(sub, "demo", "fill the workspace with a sample portfolio")
    demo.add_argument("--reset", action="store_true", help="remove the earlier demo data first")
    demo.add_argument(
        "--team", nargs="+", metavar="WHO", help="Slack IDs or emails to add to every demo team"
    )
    demo.set_defaults(handler=_cmd_demo)

    account = subcommand(sub, "account", "an account's report")
    account.add_argument("name", metavar="NAME", help="the account's name, or part of it")
    account.add_argument(
        "--cycle",
        metavar="L",
        help="the cycle to report, e.g. 2026-Q3 (default: the latest with results)",
    )
    account.add_argument("--json", action="store_true", help="print the report as JSON")
    account.set_defaults(handler=_cmd_account)


def _commitment_commands(sub: Any) -> None:
    """`commit` and `open`: promises to customers."""
    commit = subcommand(sub, "commit", "log a commitment")
    commit.add_argument("account", metavar="ACCOUNT", help="the account the promise was made to")
    commit.add_argument("text", metavar="TEXT", help="what was promised (at most 1000 characters)")
    commit.add_argument("--owner", required=True, metavar="WHO", help="Slack user ID or email")
    commit.add_argument(
        "--due",
        metavar="DATE",
        help="YYYY-MM-DD, today or later (default: the day before the next cycle, "
        "else 30 days from today)",
    )
    commit.add_argument(
        "--area",
        default="account_team",
        help="who must act: account_team, product, support, marketing, services or executive",
    )
    commit.set_defaults(handler=_cmd_commit)

    open_ = subcommand(sub, "open", "list open commitments, soonest due first")
    open_.add_argument(
        "account", nargs="?", metavar="ACCOUNT", help="only this account's (default: all)"
    )
    open_.add_argument(
        "--owner", metavar="WHO", help="only this owner's, as recorded (Slack user ID or email)"
    )
    open_.add_argument("--json", action="store_true", help="print the list as JSON")
    open_.set_defaults(handler=_cmd_open)


def _tick_command(sub: Any) -> None:
    """`tick`: the scheduled work, once, for cron and for replays."""
    tick = subcommand(sub, "tick", "run the scheduled work that is due, once")
    tick.add_argument(
        "--now",
        metavar="ISO-8601",
        help="the moment to run as, with Z or an offset, e.g. 2026-12-01T09:00:00Z (default: now)",
    )
    tick.add_argument("--dry-run", action="store_true", help="list what is due and send nothing")
    tick.set_defaults(handler=_cmd_tick)


# --- without Slack: closing commitments, scheduling meetings (voc done/reopen/meeting/meetings) ---


def _followup_commands(sub: Any) -> None:
    """`followups`, `followup`, `loop`: their arguments live beside the commands themselves."""
    from bot.cli.followups import add_commands

    add_commands(sub, _cmd_followups)


def _forget_command(sub: Any) -> None:
    """`voc forget`: a cycle's responses (`--cycle`) or one person everywhere (`--email`,
    `--name` with `--account`); exactly one of the three says what."""
    forget = subcommand(
        sub, "forget", "delete a cycle's responses or erase one person (figures recomputed)"
    )
    what = forget.add_mutually_exclusive_group(required=True)
    what.add_argument("--cycle", metavar="L", help="the cycle whose responses to delete")
    what.add_argument("--email", metavar="EMAIL", help="the person to erase, by email")
    what.add_argument("--name", metavar="NAME", help="the person to erase (with --account)")
    forget.add_argument("--account", metavar="NAME", help="only at this account")
    forget.add_argument(
        "--yes", action="store_true", help="delete; without it, only say what would be deleted"
    )
    forget.set_defaults(handler=_cmd_forget)


def _export_command(sub: Any) -> None:
    from bot.cli.export import add_command

    add_command(sub, _cmd_export)


def _drivers_command(sub: Any) -> None:
    from bot.cli.drivers import add_command

    add_command(sub, _cmd_drivers)


def _pack_commands(sub: Any) -> None:
    """`pack` and `update`: documents for customers, their `--out` checked before the database."""
    from bot.cli.pack import add_commands

    add_commands(sub, _cmd_pack, _cmd_update)


def _cmd_pack(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.pack import PACK_FORMATS, bad_out, run_pack

    if (refused := bad_out("pack", args.out, PACK_FORMATS)) is not None:
        return refused
    return run_pack(args, _reading_runtime(settings))


def _cmd_update(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.pack import UPDATE_FORMATS, bad_out, run_update

    if (refused := bad_out("update", args.out, UPDATE_FORMATS)) is not None:
        return refused
    return run_update(args, _reading_runtime(settings))


def _portfolio_command(sub: Any) -> None:
    from bot.cli.portfolio import add_command

    add_command(sub, _cmd_portfolio)


def _add_without_slack_commands(sub: Any) -> None:
    """What the done reaction and `/voc meeting(s)` do, for a team not (yet) on Slack."""
    for name, verb in (("done", "mark a commitment done"), ("reopen", "reopen a commitment")):
        change = subcommand(sub, name, verb)
        change.add_argument("id", help="the commitment's number, as `voc open` shows it")
        change.add_argument("--by", help="who did it: Slack user ID or email (default: you)")
        change.set_defaults(handler=_cmd_done if name == "done" else _cmd_reopen)
    meeting = subcommand(sub, "meeting", "schedule a customer review meeting")
    meeting.add_argument("account", help="the account, as for `voc account`")
    meeting.add_argument(
        "when", nargs="+", metavar="DATE [TIME]", help="e.g. 2026-12-03 14:00, or thursday 10am"
    )
    meeting.add_argument("--channel", help="where its digest goes (default: the account's)")
    meeting.add_argument(
        "--attendees",
        metavar="PEOPLE",
        help="who will be there: Slack user IDs or emails, comma-separated",
    )
    meeting.set_defaults(handler=_cmd_meeting)
    meetings = subcommand(sub, "meetings", "upcoming review meetings")
    meetings.add_argument("account", nargs="?", help="only this account's (default: all)")
    meetings.add_argument("--json", action="store_true", help="print the list as JSON")
    meetings.set_defaults(handler=_cmd_meetings)


def _cmd_done(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.commitments import run_done

    return run_done(args, _runtime(settings))


def _cmd_reopen(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.commitments import run_reopen

    return run_reopen(args, _runtime(settings))


def _cmd_meeting(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.meetings import run_meeting

    return run_meeting(args, _runtime(settings))


def _cmd_meetings(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.meetings import run_meetings

    return run_meetings(args, _runtime(settings))


# --- end of the commands without Slack -----------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # this process is the command (`voc`, `python -m bot.cli`), not a caller's
        startup.loading()
    try:
        with terminal_output():
            args = build_parser().parse_args(argv)
            with cli_logging(level_for(args.command)) as logs:
                return _main(args, logs)
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """`voc portfolio | head`: the reader stopped listening, which is no error of ours.

    What is left to print goes nowhere (so the interpreter's own flush at exit cannot fail
    again), and the status is the one a shell gives a command SIGPIPE stopped.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return status.BROKEN_PIPE


def _main(args: argparse.Namespace, logs: LogSetup) -> int:
    """The command, its failures as one line each. The database's modules load here, once the
    arguments are known: `voc --help` and a mistyped command need none of them."""
    from sqlalchemy.exc import OperationalError

    from bot.runtime import database_problem

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"voc: configuration problem\n{error}", file=sys.stderr)
        return status.CONFIG
    logs.use_format(settings.log_format)
    if args.workspace:
        from dataclasses import replace

        settings = replace(settings, workspace=args.workspace)
    try:
        return args.handler(args, settings)
    except SettingsError as error:
        print(f"voc: configuration problem\n{error}", file=sys.stderr)
        return status.CONFIG
    except OperationalError as error:
        # The database went away or refused a write after the start-up check passed (a
        # read-only file at head opens fine and fails at the first write): same one line.
        print(database_problem(settings, error), file=sys.stderr)
        return status.CONFIG
    except UnusableSetting as problem:  # one line naming the variable: DATABASE_URL, SLACK_…
        print(problem, file=sys.stderr)
        return status.CONFIG
    except KeyboardInterrupt:
        return status.INTERRUPTED


def _runtime(settings: Settings) -> Runtime:
    from bot.runtime import open_runtime

    runtime = open_runtime(settings)
    startup.loaded()
    return runtime


def _reading_runtime(settings: Settings, *, serving: bool = False) -> Runtime:
    """For commands that read data: an empty database is said out loud, with where it is.

    The bot itself (`serving`) logs it instead, so its stderr stays one log line per event
    (one JSON object each with `VOC_LOG_FORMAT=json`).
    """
    from bot.cli.database import empty_database_note

    runtime = _runtime(settings)
    note = empty_database_note(runtime)
    if note and serving:
        logging.getLogger("bot.cli").warning(note)
    elif note:
        print(note, file=sys.stderr)
    return runtime


def _cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.database import schema_message

    print(schema_message(_runtime(settings).schema))
    return status.OK


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.imports import run_import

    return run_import(args, _runtime(settings))


def _cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.forget import run_forget
    from bot.intake.erasure import NAME_NEEDS_ACCOUNT

    if args.name is not None and args.account is None:
        return status.reject("forget", NAME_NEEDS_ACCOUNT)
    return run_forget(args, _runtime(settings))


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.export import bad_directory, run_export

    if (refused := bad_directory(args.out)) is not None:
        return refused
    return run_export(args, _reading_runtime(settings))


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.demo import run_demo

    return run_demo(args, _runtime(settings))


def _cmd_account(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.reports import run_account

    return run_account(args, _reading_runtime(settings))


def _cmd_commit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.commitments import run_commit

    return run_commit(args, _reading_runtime(settings))


def _cmd_open(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.commitments import run_open

    return run_open(args, _reading_runtime(settings))


def _cmd_followups(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.followups import run

    return run(args, _runtime(settings))


def _cmd_drivers(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.drivers import run

    return run(args, _reading_runtime(settings))


def _cmd_portfolio(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.portfolio import run

    return run(args, _reading_runtime(settings))


def _cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.scheduling import BadMoment, parse_now, run_tick

    try:
        now = parse_now(args.now)  # before the database: a typo must not create a voc.db
    except BadMoment as error:
        return status.reject("tick", str(error))
    return run_tick(args, _reading_runtime(settings), now)


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_socket_mode()
    from bot.cli.slack import run_socket_mode
    from bot.slack_client import check_bot_token

    check_bot_token(settings)

    return run_socket_mode(args, _reading_runtime(settings, serving=True))


def _cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.doctor import run_doctor

    return run_doctor(args, settings)


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_http()
    from bot.cli.slack import run_http
    from bot.slack_client import check_bot_token

    check_bot_token(settings)

    return run_http(args, _reading_runtime(settings, serving=True))
