"""The container files: read as Docker would, since Docker itself is not at hand in tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_runs_voc_serve_as_a_user_that_is_not_root_with_a_health_check() -> None:
    steps = _instructions()
    kinds = [kind for kind, _ in steps]
    assert steps[0][0] == "FROM" and "slim" in steps[0][1]
    users = [value for kind, value in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    (healthcheck,) = [value for kind, value in steps if kind == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    assert steps[-1] == ("CMD", '["voc", "serve", "--host", "0.0.0.0", "--port", "3000"]')


def test_compose_runs_two_instances_on_postgresql_after_one_migration() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "bot-1", "bot-2"}
    assert services["migrate"]["command"] == ["voc", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("bot-1", "bot-2"):
        bot = services[name]
        assert bot["build"] == "."
        assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert any("/healthz" in part for part in bot["healthcheck"]["test"])
    ports = {services[name]["ports"][0] for name in ("bot-1", "bot-2")}
    assert len(ports) == 2


def test_the_image_leaves_local_secrets_and_databases_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "*.db", ".venv", ".git"} <= set(ignored)
