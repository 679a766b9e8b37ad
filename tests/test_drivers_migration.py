"""Upgrading to 0004 on a database that already holds responses: drivers and themes at once.

The responses are written as revision 0003 stored them (before the drivers' statistics existed),
then the schema is upgraded, then `voc drivers --json` is compared with Johnson's construction on
the same rows. On SQLite and, with VOC_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from bot.cli import main as voc
from bot.runtime import Runtime
from storage.db import upgrade
from tests.drivers_world import ATTRIBUTES, johnson, survey
from tests.schema import move_schema_to

NOW = datetime(2026, 11, 1, tzinfo=UTC)
OLD_COMMENT = "Support never called us back."


def _store_as_0003(runtime: Runtime, frame: pd.DataFrame) -> None:
    with runtime.engine.begin() as connection:
        account = connection.execute(
            sa.text(
                "INSERT INTO accounts (workspace_id, name, name_key, segment, tier, team, cadence,"
                " created_at, updated_at) VALUES ('local', 'ACME', 'acme', 'Enterprise',"
                " 'standard', '[]', 'quarterly', :now, :now) RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        cycle = connection.execute(
            sa.text(
                "INSERT INTO cycles (workspace_id, label, created_at)"
                " VALUES ('local', '2026-Q4', :now) RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        for i, row in enumerate(frame.to_dict("records")):
            person = connection.execute(
                sa.text(
                    "INSERT INTO respondents (account_id, person_key, name)"
                    " VALUES (:account, :key, :name) RETURNING id"
                ),
                {"account": account, "key": f"p{i}", "name": row["respondent"]},
            ).scalar_one()
            ratings = {a: row[f"rating:{a}"] for a in ATTRIBUTES if not pd.isna(row[f"rating:{a}"])}
            connection.execute(
                sa.text(
                    "INSERT INTO responses (account_id, cycle_id, respondent_id, satisfaction,"
                    " ratings, comment, source) VALUES (:account, :cycle, :person,"
                    " :satisfaction, :ratings, :comment, 'survey')"
                ),
                {
                    "account": account,
                    "cycle": cycle,
                    "person": person,
                    "satisfaction": float(row["satisfaction"]),
                    "ratings": json.dumps(ratings),
                    "comment": OLD_COMMENT if i == 0 else None,
                },
            )


def test_the_upgrade_computes_the_statistics_of_stored_responses(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = survey(120, (1, 5, 2, 1), seed=41)
    frame.loc[:20, "rating:Reporting"] = float("nan")
    move_schema_to(any_runtime, "0003")
    _store_as_0003(any_runtime, frame)
    upgrade(any_runtime.engine)

    monkeypatch.setenv("DATABASE_URL", any_runtime.engine.url.render_as_string(hide_password=False))
    capsys.readouterr()
    assert voc(["drivers", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    complete = frame.dropna()
    importance, r_squared = johnson(complete, list(ATTRIBUTES))
    assert (result["cycle"], result["n"]) == ("2026-Q4", len(complete))
    assert result["r_squared"] == pytest.approx(r_squared, abs=1e-9)
    got = {d["attribute"]: d["importance"] for d in result["drivers"]}
    assert got == pytest.approx(importance, abs=1e-7)
    assert voc(["drivers", "--segment", "Enterprise", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == len(complete)
    # A comment stored before tagging existed reads like a new one.
    assert voc(["account", "ACME", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)["people"]
    [old] = [p for p in people if p["comment"] == OLD_COMMENT]
    assert (old["themes"], old["tone"]) == (["Support"], "negative")
