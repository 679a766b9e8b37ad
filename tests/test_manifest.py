"""The Slack app manifest must ask for what the bot uses, no more, and name what it listens to."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.app import BOT_SCOPES

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_the_manifest_asks_for_exactly_the_scopes_oauth_installs_request() -> None:
    assert sorted(_manifest()["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_the_manifest_declares_the_command_shortcut_events_and_home() -> None:
    manifest = _manifest()
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/voc"]
    assert features["slash_commands"][0]["should_escape"] is True
    assert {s["callback_id"] for s in features["shortcuts"]} == {"log_commitment", "log_interview"}
    assert features["app_home"]["home_tab_enabled"] is True
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_home_opened", "reaction_added", "reaction_removed", "message.im"}
    assert features["app_home"]["messages_tab_read_only_enabled"] is False  # files are sent there
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
