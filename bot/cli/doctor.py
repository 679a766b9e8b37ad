"""`voc doctor`: what stands between this deployment and a bot that works, one line each.

It checks what an operator can fix and the bot cannot report about itself while running: the
database and its schema, the token (`auth.test`), the scopes Slack granted against the ones
the manifest asks for (Slack names the granted ones in the `X-OAuth-Scopes` header of every
answer), account channels that do not exist or that the bot is not in, and roster emails no
Slack person has. Settings are read before anything runs, so a bad one has already ended the
command with exit 78.

Without a token the Slack checks are skipped and said to be, which is not a problem: the CLI
and `make demo` work without Slack, and `voc serve` / `voc run` refuse to start without one.
Multi-workspace installs hold a token per workspace and are not checked against Slack here.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url

from bot.accounts.queries import workspace_accounts
from bot.cli import status
from bot.core.slack import is_user_id
from bot.settings import Settings
from bot.slack_client import CHECK_TIMEOUT_SECONDS, DEFAULT_API_URL
from storage import failures
from storage.db import make_engine, normalize_url, schema_problem, session_factory
from storage.failures import sqlite_path
from storage.models import Account

ALL_GOOD = "voc doctor: all good"
SCOPES_HEADER = "x-oauth-scopes"
ROLES = ("account manager", "executive sponsor")


@dataclass(frozen=True)
class Findings:
    problems: list[str]
    notes: list[str]


def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    findings = examine(settings)
    for line in findings.notes:
        print(line)
    for line in findings.problems:
        print(line)
    if findings.problems:
        return status.PROBLEMS
    print(ALL_GOOD)
    return status.OK


def examine(settings: Settings) -> Findings:
    """Every check in order; a failed database skips what needs it, a refused token Slack's."""
    problems: list[str] = []
    notes: list[str] = []
    accounts = _database(settings, problems)
    client = _slack(settings, problems, notes)
    if client is not None and accounts is not None:
        problems += list(_channel_problems(client, accounts))
        problems += list(_email_problems(client, accounts))
    return Findings(problems, notes)


def _database(settings: Settings, problems: list[str]) -> list[Account] | None:
    """The accounts to check, when the database answers at this code's schema."""
    path = sqlite_path(make_url(normalize_url(settings.database_url)))
    if settings.database_url.startswith("sqlite") and path is not None and not path.exists():
        problems.append(f"DATABASE_URL: {path} does not exist yet (run `voc db upgrade`)")
        return None  # asking would create an empty file
    try:
        engine = make_engine(settings.database_url)
    except failures.FAILURES as error:  # the driver is not installed
        problems.append(f"DATABASE_URL: {failures.describe(settings.database_url, error)}")
        return None
    try:
        problem = schema_problem(engine)
        if problem is not None:
            problems.append(f"DATABASE_URL: {problem}")
            return None
        with session_factory(engine)() as session:
            return workspace_accounts(session, settings.workspace)
    finally:
        engine.dispose()


def _slack(settings: Settings, problems: list[str], notes: list[str]) -> WebClient | None:
    """The token and its scopes; the client when the token works, for the checks after."""
    if settings.oauth_enabled:
        notes.append("Slack checks skipped: multi-workspace install (a token per workspace)")
        return None
    if not settings.slack_bot_token:
        notes.append("Slack checks skipped: SLACK_BOT_TOKEN is not set")
        return None
    base_url = settings.slack_api_url or DEFAULT_API_URL
    client = WebClient(
        token=settings.slack_bot_token, base_url=base_url, timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        problems.append(f"SLACK_BOT_TOKEN: Slack rejected it ({_code(error)})")
        return None
    except (URLError, OSError) as error:
        problems.append(f"SLACK_API_URL: Slack could not be reached at {base_url} ({error})")
        return None
    problems += _scope_problems(answer.headers)
    return client


def _scope_problems(headers: dict[str, Any]) -> list[str]:
    from bot.app import BOT_SCOPES  # the manifest's scopes (tests keep the two equal)

    granted_header = next((v for k, v in headers.items() if k.lower() == SCOPES_HEADER), None)
    if granted_header is None:
        return ["SLACK_BOT_TOKEN: Slack did not say which scopes it granted (no X-OAuth-Scopes)"]
    granted = {scope.strip() for scope in str(granted_header).split(",") if scope.strip()}
    return [
        f"scope {scope} is not granted (manifest.yml asks for it): add it and reinstall the app"
        for scope in BOT_SCOPES
        if scope not in granted
    ]


def _channel_problems(client: WebClient, accounts: list[Account]) -> Iterator[str]:
    for account in accounts:
        if not account.channel:
            continue
        if account.channel_id is None and account.channel.startswith("#"):
            yield f"account {account.name}: channel {account.channel} does not exist in Slack"
            continue
        channel_id = account.channel_id or account.channel
        try:
            channel = client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as error:
            code = _code(error)
            if code == "channel_not_found":
                yield f"account {account.name}: channel {account.channel} does not exist in Slack"
            else:
                yield f"account {account.name}: channel {account.channel} not checked ({code})"
            continue
        if not channel.get("is_member"):
            name = f"#{channel.get('name')}" if channel.get("name") else account.channel
            yield f"account {account.name}: the bot is not a member of {name} (invite it there)"


def _email_problems(client: WebClient, accounts: list[Account]) -> Iterator[str]:
    """Each roster email once, with every account and role that names it."""
    named: dict[str, list[str]] = {}
    for account in accounts:
        roles = [*ROLES, *("team" for _ in account.team or [])]
        entries = [account.account_manager, account.exec_sponsor, *(account.team or [])]
        for role, entry in zip(roles, entries, strict=True):
            if entry and "@" in entry and not is_user_id(entry):
                named.setdefault(entry.strip().casefold(), []).append(f"{account.name} ({role})")
    for email, where in sorted(named.items()):
        try:
            client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            code = _code(error)
            reason = (
                "no Slack person has it" if code == "users_not_found" else f"not checked ({code})"
            )
            yield f"roster email {email}: {reason}; named by {', '.join(where)}"


def _code(error: SlackApiError) -> str:
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"HTTP {error.response.status_code}")
