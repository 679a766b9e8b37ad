"""Configuration problems stop the program at start, one line per variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, main
from bot.settings import SettingsError, load_settings


def _problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ=environ, env_file=None)
    return caught.value.problems


def test_defaults_need_no_configuration() -> None:
    settings = load_settings(environ={}, env_file=None)
    assert settings.database_url == "sqlite:///voc.db"
    assert settings.access == "team" and settings.done_reaction == "white_check_mark"
    assert settings.timezone == "UTC" and not settings.oauth_enabled


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("SLACK_BOT_TOKEN", "xapp-wrong-kind"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind"),
        ("SLACK_API_URL", "https://slack.example/api"),
        ("VOC_ADMINS", "U123ABC, alice"),
        ("VOC_ACCESS", "everyone"),
        ("VOC_DONE_REACTION", "✅ done"),
        ("VOC_TIMEZONE", "Mars/Olympus"),
        ("VOC_DUE_SOON_DAYS", "three"),
        ("VOC_DIGEST_HOUR", "25"),
        ("VOC_AREA_CHANNELS", "legal=#legal"),
        ("SLACK_CLIENT_ID", "123.456"),
    ],
)
def test_each_malformed_variable_is_named_in_one_line(variable: str, value: str) -> None:
    problems = _problems({variable: value})
    assert len(problems) == 1
    assert problems[0].split(":")[0] in (variable, "SLACK_CLIENT_SECRET")
    assert "\n" not in problems[0]


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        {"VOC_ACCESS": "x", "VOC_TIMEZONE": "Nowhere/Land", "VOC_DIGEST_HOUR": "-1"}
    )
    assert [p.split(":")[0] for p in problems] == ["VOC_ACCESS", "VOC_TIMEZONE", "VOC_DIGEST_HOUR"]


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("VOC_TIMEZONE=Europe/Paris\nVOC_ACCESS=open\n# a comment\n")
    settings = load_settings(environ={"VOC_ACCESS": "team"}, env_file=env_file)
    assert settings.timezone == "Europe/Paris" and settings.access == "team"


def test_lists_and_channels_are_parsed() -> None:
    settings = load_settings(
        environ={
            "VOC_ADMINS": "U0AAA1, W0BBB2;U0CCC3",
            "VOC_AREA_CHANNELS": "product=#product-feedback, support=C0SUPPORT",
            "VOC_DONE_REACTION": ":heavy_check_mark:",
        },
        env_file=None,
    )
    assert settings.admins == {"U0AAA1", "W0BBB2", "U0CCC3"}
    assert settings.area_channels == {"product": "#product-feedback", "support": "C0SUPPORT"}
    assert settings.done_reaction == "heavy_check_mark"


def test_serving_without_its_secrets_names_them() -> None:
    settings = load_settings(environ={}, env_file=None)
    with pytest.raises(SettingsError) as caught:
        settings.require_http()
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN",
    ]
    with pytest.raises(SettingsError) as caught:
        settings.require_socket_mode()
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
    ]


def test_the_cli_stops_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOC_ACCESS", "sometimes")
    assert main(["db", "upgrade"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert 'VOC_ACCESS: "sometimes" is not one of team, open' in err
    assert not (tmp_path / "voc.db").exists()
