"""`voc doctor` against the fake Web API: one line per problem an operator can fix, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import voc, write_csv
from tests.slack import FakeSlack
from tests.slack.fake_slack import manifest_scopes

KNOWN = "priya@vendor.example"
UNKNOWN = "nobody@vendor.example"


@pytest.fixture
def database(tmp_path: Path) -> str:
    """Three accounts: one fine, one in a channel without the bot, one whose channel is gone."""
    url = f"sqlite:///{tmp_path / 'voc.db'}"
    roster = write_csv(
        tmp_path / "roster.csv",
        "account,segment,tier,account_manager,exec_sponsor,team,channel",
        f"Acme,Enterprise,strategic,{KNOWN},,,C0ACME001",
        f"Beta,Enterprise,key,{KNOWN},{UNKNOWN},,C0BETA001",
        f"Gamma,Enterprise,key,U0AM00001,,{UNKNOWN.upper()},C0GONE001",
    )
    imported = voc("import", "accounts", str(roster), cwd=tmp_path, DATABASE_URL=url)
    assert imported.code == 0, imported.err
    return url


def _doctor(tmp_path: Path, database: str, slack: FakeSlack, **variables: str):  # type: ignore[no-untyped-def]
    return voc(
        "doctor",
        cwd=tmp_path,
        DATABASE_URL=database,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.api_url,
        **variables,
    )


def _healthy_slack(slack: FakeSlack) -> None:
    slack.add_user("U0AM00001", email=KNOWN)
    slack.add_user("U0NOBODY1", email=UNKNOWN)
    slack.add_channel("C0ACME001", name="acct-acme")
    slack.add_channel("C0BETA001", name="acct-beta")
    slack.add_channel("C0GONE001", name="acct-gamma")


def test_a_healthy_deployment_is_all_good(tmp_path: Path, database: str, slack: FakeSlack) -> None:
    _healthy_slack(slack)
    ran = _doctor(tmp_path, database, slack)
    assert (ran.code, ran.out.splitlines()) == (0, ["voc doctor: all good"])


def test_each_problem_is_one_line_and_the_exit_status_is_1(
    tmp_path: Path, database: str, slack: FakeSlack
) -> None:
    slack.add_user("U0AM00001", email=KNOWN)
    slack.add_channel("C0ACME001", name="acct-acme")
    slack.add_channel("C0BETA001", name="acct-beta", is_member=False)
    slack.granted_scopes = [s for s in manifest_scopes() if s not in ("reactions:read", "im:write")]

    ran = _doctor(tmp_path, database, slack)

    assert ran.code == 1
    assert ran.out.splitlines() == [
        "scope im:write is not granted (manifest.yml asks for it): add it and reinstall the app",
        "scope reactions:read is not granted (manifest.yml asks for it): add it and reinstall "
        "the app",
        "account Beta: the bot is not a member of #acct-beta (invite it there)",
        "account Gamma: channel C0GONE001 does not exist in Slack",
        f"roster email {UNKNOWN}: no Slack person has it; named by Beta (executive sponsor), "
        "Gamma (team)",
    ]
    assert ran.err == ""


def test_a_token_slack_refuses_is_the_problem_and_nothing_else_is_asked(
    tmp_path: Path, database: str, slack: FakeSlack
) -> None:
    slack.fail_next("auth.test", error="invalid_auth")
    ran = _doctor(tmp_path, database, slack)
    assert (ran.code, ran.out.splitlines()) == (
        1,
        ["SLACK_BOT_TOKEN: Slack rejected it (invalid_auth)"],
    )
    assert [call.method for call in slack.calls] == ["auth.test"]


def test_without_a_token_the_slack_checks_are_skipped_and_said_to_be(
    tmp_path: Path, database: str
) -> None:
    ran = voc("doctor", cwd=tmp_path, DATABASE_URL=database)
    assert (ran.code, ran.out.splitlines()) == (
        0,
        ["Slack checks skipped: SLACK_BOT_TOKEN is not set", "voc doctor: all good"],
    )


def test_a_database_behind_this_code_names_the_upgrade(tmp_path: Path, database: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    engine.dispose()
    ran = voc("doctor", cwd=tmp_path, DATABASE_URL=database)
    assert ran.code == 1
    assert ran.out.splitlines()[-1] == (
        "DATABASE_URL: schema at revision 0003, this code needs 0009 (run `voc db upgrade`)"
    )


def test_a_database_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    ran = voc("doctor", cwd=tmp_path, DATABASE_URL=f"sqlite:///{path}")
    assert ran.code == 1
    assert f"DATABASE_URL: {path} does not exist yet (run `voc db upgrade`)" in ran.out
    assert not path.exists()
