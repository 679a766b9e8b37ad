"""What every Slack listener needs besides the payload: the runtime and shared caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.directory import Directory, TtlCache
from bot.runtime import Runtime
from bot.settings import Settings


@dataclass
class Services:
    runtime: Runtime
    directory_cache: TtlCache = field(default_factory=TtlCache)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def directory(self, client: WebClient, workspace_id: str) -> Directory:
        return Directory(client, workspace_id, self.directory_cache)

    def workspace_for(self, team_id: str | None) -> str:
        """OAuth installs keep each team's data apart; a single install uses the configured one."""
        if self.settings.oauth_enabled and team_id:
            return team_id
        return self.settings.workspace
