"""Configuration: the environment (or `.env`) read once into one frozen object.

Every problem is reported at start, one line per variable, so a misconfigured deployment fails
before it accepts its first Slack request rather than in the middle of one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.core.identity import channel_ref
from bot.core.slack import is_user_id

DEFAULT_DATABASE_URL = "sqlite:///voc.db"
LOCAL_WORKSPACE = "local"
DEFAULT_COMPANY_NAME = "Our company"
AREAS = ("account_team", "product", "support", "marketing", "services", "executive")


class SettingsError(Exception):
    """Raised with every configuration problem, one per line, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class UnusableSetting(Exception):
    """A setting that reads well but does not work where it points (a database that cannot be
    opened, a token Slack refuses): `str()` is one line that starts with the variable's name."""


@dataclass(frozen=True)
class Settings:
    """What the bot needs to know about its deployment; built only by `load_settings`."""

    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str | None = None
    admins: frozenset[str] = frozenset()
    access: str = "team"
    done_reaction: str = "white_check_mark"
    timezone: str = "UTC"
    workspace: str = LOCAL_WORKSPACE
    area_channels: Mapping[str, str] = field(default_factory=dict)
    due_soon_days: int = 3
    overdue_escalation_days: int = 7
    cycle_window_days: int = 14
    digest_lead_days: int = 2
    digest_hour: int = 9
    workday_start_hour: int = 9
    followup_sla_days: int = 2
    themes_file: str | None = None  # VOC_THEMES_FILE: the operator's extra theme keywords
    announce_headlines: bool = False
    company_name: str = DEFAULT_COMPANY_NAME  # VOC_COMPANY_NAME: who speaks in the review pack
    logo_file: str | None = None  # VOC_LOGO_FILE: a PNG or JPEG on the pack's cover
    sponsor_max_accounts: int = 3  # VOC_SPONSOR_MAX_ACCOUNTS: more is a coverage gap
    leadership_channel: str | None = None  # VOC_LEADERSHIP_CHANNEL: where the portfolio pack goes
    leadership_cadence: str = "quarterly"  # VOC_LEADERSHIP_CADENCE
    retention_days: int = 90  # VOC_RETENTION_DAYS: delivery and event bookkeeping kept this long
    log_format: str = "text"  # VOC_LOG_FORMAT: text, or json (one object per line)

    @property
    def oauth_enabled(self) -> bool:
        """Multi-workspace mode: tokens come from the installation store, not the environment."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def require_socket_mode(self) -> None:
        """`voc run` cannot start without both tokens; say which one is missing."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN: required by `voc run` (xoxb-…)")
        if not self.slack_app_token:
            problems.append("SLACK_APP_TOKEN: required by `voc run` (xapp-…, Socket Mode)")
        if problems:
            raise SettingsError(problems)

    def require_http(self) -> None:
        """`voc serve` verifies every request, so the signing secret is not optional."""
        problems = []
        if not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET: required by `voc serve`")
        if not self.slack_bot_token and not self.oauth_enabled:
            problems.append(
                "SLACK_BOT_TOKEN: required by `voc serve` unless "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set"
            )
        if problems:
            raise SettingsError(problems)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> Settings:
    """Merge `.env` under the real environment (the environment wins) and validate everything."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    problems: list[str] = []
    reader = _Reader(values, problems)
    settings = Settings(
        database_url=reader.text("DATABASE_URL", DEFAULT_DATABASE_URL, _check_database_url),
        slack_bot_token=reader.optional("SLACK_BOT_TOKEN", _prefix("xoxb-")),
        slack_app_token=reader.optional("SLACK_APP_TOKEN", _prefix("xapp-")),
        slack_signing_secret=reader.optional("SLACK_SIGNING_SECRET"),
        slack_client_id=reader.optional("SLACK_CLIENT_ID"),
        slack_client_secret=reader.optional("SLACK_CLIENT_SECRET"),
        slack_api_url=reader.optional("SLACK_API_URL", _check_api_url),
        admins=frozenset(reader.user_ids("VOC_ADMINS")),
        access=reader.text("VOC_ACCESS", "team", _one_of("team", "open")),
        done_reaction=reader.text("VOC_DONE_REACTION", "white_check_mark", _check_reaction).strip(
            ":"
        ),
        timezone=reader.text("VOC_TIMEZONE", "UTC", _check_timezone),
        workspace=reader.text("VOC_WORKSPACE", LOCAL_WORKSPACE),
        area_channels=reader.area_channels("VOC_AREA_CHANNELS"),
        due_soon_days=reader.integer("VOC_DUE_SOON_DAYS", 3, 0, 60),
        overdue_escalation_days=reader.integer("VOC_ESCALATE_AFTER_DAYS", 7, 1, 365),
        cycle_window_days=reader.integer("VOC_CYCLE_WINDOW_DAYS", 14, 0, 180),
        digest_lead_days=reader.integer("VOC_DIGEST_LEAD_DAYS", 2, 0, 30),
        digest_hour=reader.integer("VOC_DIGEST_HOUR", 9, 0, 23),
        workday_start_hour=reader.integer("VOC_WORKDAY_START_HOUR", 9, 0, 23),
        followup_sla_days=reader.integer("VOC_FOLLOWUP_SLA_DAYS", 2, 1, 30),
        themes_file=reader.optional("VOC_THEMES_FILE", _check_themes_file),
        announce_headlines=reader.text("VOC_ANNOUNCE_HEADLINES", "false", _one_of("true", "false"))
        == "true",
        company_name=reader.text("VOC_COMPANY_NAME", DEFAULT_COMPANY_NAME),
        logo_file=reader.optional("VOC_LOGO_FILE", _check_logo_file),
        sponsor_max_accounts=reader.integer("VOC_SPONSOR_MAX_ACCOUNTS", 3, 1, 100),
        leadership_channel=reader.optional("VOC_LEADERSHIP_CHANNEL", _check_channel_id),
        leadership_cadence=reader.text(
            "VOC_LEADERSHIP_CADENCE",
            "quarterly",
            _one_of("monthly", "quarterly", "semiannual", "annual"),
        ),
        # At least 30 days: a scheduled message's ledger row must outlive every job's window.
        retention_days=reader.integer("VOC_RETENTION_DAYS", 90, 30, 3650),
        log_format=reader.text("VOC_LOG_FORMAT", "text", _one_of("text", "json")),
    )
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        problems.append("SLACK_CLIENT_SECRET: set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if problems:
        raise SettingsError(problems)
    return settings


class _Reader:
    """Reads one variable at a time, collecting problems instead of stopping at the first."""

    def __init__(self, values: Mapping[str, str], problems: list[str]) -> None:
        self.values = values
        self.problems = problems

    def _raw(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def optional(self, name: str, check=None) -> str | None:
        value = self._raw(name)
        if value is not None and check is not None and (problem := check(value)):
            self.problems.append(f"{name}: {problem}")
            return None
        return value

    def text(self, name: str, default: str, check=None) -> str:
        value = self.optional(name, check)
        return default if value is None else value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f'{name}: "{value}" is not a whole number')
            return default
        if not low <= number <= high:
            self.problems.append(f"{name}: {number} is outside {low}–{high}")
            return default
        return number

    def user_ids(self, name: str) -> list[str]:
        value = self._raw(name)
        if value is None:
            return []
        ids = [part for part in re.split(r"[\s,;]+", value) if part]
        bad = [part for part in ids if not is_user_id(part)]
        if bad:
            self.problems.append(f"{name}: not Slack user IDs (U…/W…): {', '.join(bad)}")
        return [part for part in ids if part not in bad]

    def area_channels(self, name: str) -> dict[str, str]:
        """`product=#product-feedback,support=C0123` — where each function hears its promises."""
        value = self._raw(name)
        if value is None:
            return {}
        result: dict[str, str] = {}
        for pair in (p for p in re.split(r"[\s,;]+", value) if p):
            area, _, channel = pair.partition("=")
            if area not in AREAS or channel_ref(channel) != channel:
                self.problems.append(
                    f'{name}: "{pair}" is not area=channel with an area among {", ".join(AREAS)}'
                )
                continue
            result[area] = channel
        return result


def _prefix(prefix: str):
    def check(value: str) -> str | None:
        return None if value.startswith(prefix) else f"must start with {prefix}"

    return check


def _one_of(*choices: str):
    def check(value: str) -> str | None:
        return None if value in choices else f'"{value}" is not one of {", ".join(choices)}'

    return check


def _check_channel_id(value: str) -> str | None:
    if channel_ref(value) == value.strip() and not value.strip().startswith("#"):
        return None
    return f'"{value}" is not a channel ID (C… or G…)'


def _check_themes_file(value: str) -> str | None:
    """Read now, so a broken file stops the bot at start instead of at the next import."""
    from bot.themes.lexicon import ThemesFileError, read_themes_file

    try:
        read_themes_file(value)
    except ThemesFileError as error:
        return str(error)
    return None


def _check_logo_file(value: str) -> str | None:
    """Read now: a pack asked for in a meeting's last minutes must not fail on its logo."""
    from bot.pack.branding import LogoError, read_logo

    try:
        read_logo(value)
    except LogoError as error:
        return str(error)
    return None


def _check_database_url(value: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except ArgumentError:
        return f'"{value}" is not a SQLAlchemy database URL'
    return None


def _check_api_url(value: str) -> str | None:
    if not re.match(r"^https?://", value):
        return f'"{value}" must be an http(s) URL'
    if not value.endswith("/"):
        return f'"{value}" must end with "/"'
    return None


def _check_reaction(value: str) -> str | None:
    if re.fullmatch(r"[a-z0-9_+'-]+", value.strip(":")):
        return None
    return f'"{value}" is not a reaction name such as white_check_mark'


def _check_timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f'"{value}" is not an IANA timezone such as Europe/Paris'
    return None
