"""An account's figures are stored when its responses arrive, and every change to them shows.

The report reads figures computed at import (bot.figures), so these tests change responses the
ways a person does — the upgrade that introduced the stored figures on a database that already
held responses, an import, the same cycle imported again with changed answers, a later cycle,
`voc forget --cycle` — and read `voc account --json` (a child process, as the person runs it)
after each. Expected figures are worked out by hand in the comments. SQLite and, with
VOC_TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.runtime import Runtime
from storage.db import upgrade
from tests.cli import voc, write_csv
from tests.schema import move_schema_to

NOW = datetime(2026, 11, 1, tzinfo=UTC)
HEADER = "account,cycle,respondent,email,title,role,satisfaction,recommend,continue,comment"


def _report(url: str, tmp_path: Path, *argv: str) -> dict[str, Any]:
    ran = voc("account", "ACME", "--json", *argv, cwd=tmp_path, DATABASE_URL=url)
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def _url(runtime: Runtime) -> str:
    return runtime.engine.url.render_as_string(hide_password=False)


def _import(url: str, tmp_path: Path, name: str, *rows: str) -> None:
    path = write_csv(tmp_path / name, HEADER, *rows)
    ran = voc("import", "responses", str(path), cwd=tmp_path, DATABASE_URL=url)
    assert ran.code == 0, ran.err


def _store_as_0004(runtime: Runtime) -> None:
    """ACME's two cycles written as revision 0004 stored them, before figures were kept.

    2026-Q3: Ann Lee (CIO, decision maker) 9/10/9, Cy Dunn (user) 5/4/8.
    2026-Q4: Ann Lee, now CTO, 6/6/5.
    """
    people = {"Ann Lee": "ann@acme.example", "Cy Dunn": "cy@acme.example"}
    answers = [
        ("2026-Q3", "Ann Lee", "CIO", "decision_maker", 9.0, 10.0, 9.0, None),
        ("2026-Q3", "Cy Dunn", "Analyst", "user", 5.0, 4.0, 8.0, "Support never called us back."),
        ("2026-Q4", "Ann Lee", "CTO", "decision_maker", 6.0, 6.0, 5.0, None),
    ]
    with runtime.engine.begin() as connection:
        account = connection.execute(
            sa.text(
                "INSERT INTO accounts (workspace_id, name, name_key, segment, tier, team, cadence,"
                " created_at, updated_at) VALUES ('local', 'ACME', 'acme', 'Enterprise',"
                " 'standard', '[]', 'quarterly', :now, :now) RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        cycles = {
            label: connection.execute(
                sa.text(
                    "INSERT INTO cycles (workspace_id, label, starts_on, created_at)"
                    " VALUES ('local', :label, :starts, :now) RETURNING id"
                ),
                {"label": label, "starts": starts, "now": NOW},
            ).scalar_one()
            for label, starts in (("2026-Q3", "2026-07-01"), ("2026-Q4", "2026-10-01"))
        }
        ids = {
            name: connection.execute(
                sa.text(
                    "INSERT INTO respondents (account_id, person_key, name, email)"
                    " VALUES (:account, :key, :name, :key) RETURNING id"
                ),
                {"account": account, "key": email, "name": name},
            ).scalar_one()
            for name, email in people.items()
        }
        for cycle, name, title, role, satisfaction, recommend, continue_, comment in answers:
            connection.execute(
                sa.text(
                    "INSERT INTO responses (account_id, cycle_id, respondent_id, title, role,"
                    " satisfaction, recommend, continue_score, ratings, comment, source)"
                    " VALUES (:account, :cycle, :person, :title, :role, :satisfaction,"
                    " :recommend, :continue, '{}', :comment, 'survey')"
                ),
                {
                    "account": account,
                    "cycle": cycles[cycle],
                    "person": ids[name],
                    "title": title,
                    "role": role,
                    "satisfaction": satisfaction,
                    "recommend": recommend,
                    "continue": continue_,
                    "comment": comment,
                },
            )


def test_the_upgrade_computes_the_figures_of_stored_responses(
    any_runtime: Runtime, tmp_path: Path
) -> None:
    move_schema_to(any_runtime, "0004")
    _store_as_0004(any_runtime)
    upgrade(any_runtime.engine)

    report = _report(_url(any_runtime), tmp_path)
    # Q4: Ann alone, recommend 6 → one detractor of one: NPS −100; satisfaction 6.0.
    assert (report["cycle"], report["respondents"], report["nps"]) == ("2026-Q4", 1, -100.0)
    assert report["satisfaction_mean"] == 6.0
    # Q3: a promoter (10) and a detractor (4) of two: NPS 0; satisfaction (9 + 5) / 2 = 7.0.
    assert report["previous"] == {"cycle": "2026-Q3", "nps": 0.0, "satisfaction_mean": 7.0}
    [ann] = report["people"]
    # Satisfaction 6 is below 7 (dissatisfied); attitude and behaviour (continue 5) negative.
    assert (ann["respondent"], ann["band"], ann["loyalty"]) == (
        "Ann Lee",
        "dissatisfied",
        "high_risk",
    )
    assert report["not_answered"] == ["Cy Dunn"]
    assert [
        (c["respondent"], c["change"], c["previous_title"], c["title"])
        for c in report["champion_changes"]
    ] == [("Ann Lee", "title_changed", "CIO", "CTO")]
    assert [(p["cycle"], p["nps"], p["satisfaction_mean"]) for p in report["trend"]] == [
        ("2026-Q3", 0.0, 7.0),
        ("2026-Q4", -100.0, 6.0),
    ]
    # The comment stored before tagging existed is tagged in the figures like a new one.
    earlier = _report(_url(any_runtime), tmp_path, "--cycle", "2026-Q3")
    cy = next(p for p in earlier["people"] if p["respondent"] == "Cy Dunn")
    assert (cy["themes"], cy["tone"]) == (["Support"], "negative")


def test_the_upgrade_to_people_by_column_recomputes_what_0008_stored(
    any_runtime: Runtime, tmp_path: Path
) -> None:
    """0009 stores the people table by column; figures of 0008 (rows) are recomputed."""
    move_schema_to(any_runtime, "0004")
    _store_as_0004(any_runtime)
    move_schema_to(any_runtime, "0008")
    with any_runtime.engine.begin() as connection:  # the shape 0008's code wrote
        connection.execute(sa.text("UPDATE account_figures SET people = '[]'"))
    upgrade(any_runtime.engine)

    report = _report(_url(any_runtime), tmp_path, "--cycle", "2026-Q3")
    # Q3 lists Cy (5, dissatisfied) before Ann (9): the lowest satisfaction first.
    assert [(p["respondent"], p["band"]) for p in report["people"]] == [
        ("Cy Dunn", "dissatisfied"),
        ("Ann Lee", "totally_satisfied"),
    ]


def test_every_change_to_the_responses_changes_the_report(
    any_runtime: Runtime, tmp_path: Path
) -> None:
    url = _url(any_runtime)
    write_csv(
        tmp_path / "accounts.csv",
        "account,segment,tier,account_manager",
        "ACME,Enterprise,strategic,U0AM00001",
        "Beta,Enterprise,key,U0AM00001",
    )
    ran = voc("import", "accounts", str(tmp_path / "accounts.csv"), cwd=tmp_path, DATABASE_URL=url)
    assert ran.code == 0, ran.err
    ann = "ACME,2026-Q3,Ann Lee,ann@acme.example,CIO,decision_maker,9,10,9,"
    # Beta answers in both cycles, so forgetting ACME's answers leaves the cycles in place.
    _import(
        url,
        tmp_path,
        "beta.csv",
        *(f"Beta,{c},Bo Ek,bo@beta.example,CFO,user,8,8,8," for c in ("2026-Q3", "2026-Q4")),
    )
    _import(
        url, tmp_path, "q3.csv", ann, "ACME,2026-Q3,Cy Dunn,cy@acme.example,Analyst,user,5,4,8,"
    )
    report = _report(url, tmp_path)
    # A promoter and a detractor: NPS 0; satisfaction (9 + 5) / 2 = 7.0; Cy first (dissatisfied).
    assert (report["cycle"], report["nps"], report["satisfaction_mean"]) == ("2026-Q3", 0.0, 7.0)
    assert [p["respondent"] for p in report["people"]] == ["Cy Dunn", "Ann Lee"]

    # The same cycle again with Cy's answers changed: two promoters, NPS 100, (9 + 8) / 2 = 8.5.
    _import(
        url,
        tmp_path,
        "q3-fixed.csv",
        ann,
        "ACME,2026-Q3,Cy Dunn,cy@acme.example,Analyst,user,8,9,8,",
    )
    report = _report(url, tmp_path)
    assert (report["nps"], report["satisfaction_mean"]) == (100.0, 8.5)
    assert [p["respondent"] for p in report["people"]] == ["Cy Dunn", "Ann Lee"]
    assert report["people"][0]["band"] == "satisfied"

    # A later cycle: only Ann, recommend 7 (passive): NPS 0; Cy did not answer again.
    _import(
        url, tmp_path, "q4.csv", "ACME,2026-Q4,Ann Lee,ann@acme.example,CIO,decision_maker,7,7,7,"
    )
    report = _report(url, tmp_path)
    assert (report["cycle"], report["respondents"], report["nps"]) == ("2026-Q4", 1, 0.0)
    assert report["previous"] == {"cycle": "2026-Q3", "nps": 100.0, "satisfaction_mean": 8.5}
    assert report["not_answered"] == ["Cy Dunn"]
    assert [p["cycle"] for p in report["trend"]] == ["2026-Q3", "2026-Q4"]

    # Forgetting ACME's later cycle brings its report back to Q3, with nothing before it.
    ran = voc(
        "forget", "--cycle", "2026-Q4", "--account", "ACME", "--yes", cwd=tmp_path, DATABASE_URL=url
    )
    assert ran.code == 0, ran.err
    report = _report(url, tmp_path)
    assert (report["cycle"], report["nps"], report["previous"]) == ("2026-Q3", 100.0, None)
    assert report["not_answered"] == [] and [p["cycle"] for p in report["trend"]] == ["2026-Q3"]

    # Forgetting its answers in the cycle left leaves it no results at all.
    ran = voc(
        "forget", "--cycle", "2026-Q3", "--account", "ACME", "--yes", cwd=tmp_path, DATABASE_URL=url
    )
    assert ran.code == 0, ran.err
    report = _report(url, tmp_path)
    assert (report["cycle"], report["respondents"], report["people"]) == (None, 0, [])


def test_figures_an_import_keeps_from_memory_are_those_its_stored_rows_give(
    any_runtime: Runtime, tmp_path: Path
) -> None:
    """Cycles nobody had answered take their figures from the rows the import holds, not read
    back (`bot.figures.fresh`); every report must be what its stored responses give."""
    url = _url(any_runtime)
    header = f"{HEADER},rating:Support,rating:Price"
    q3 = [
        "ACME,2026-Q3,Ann Lee,ann@acme.example,  CIO ,decision_maker,9,10,9,  Great support  ,9,",
        "ACME,2026-Q3,Cy Dunn,cy@acme.example,,user,5,,8,Support never called us back.,3,4",
        "ACME,2026-Q3,Éa Ñúñez,ea@acme.example,Ops,influencer,7,7,,,,",
    ]
    write_csv(tmp_path / "q3.csv", header, *q3)
    ran = voc(
        "import",
        "responses",
        str(tmp_path / "q3.csv"),
        "--create-accounts",
        cwd=tmp_path,
        DATABASE_URL=url,
    )
    assert ran.code == 0, ran.err
    # Q4 is fresh; Q3 changes too (Cy's answer), and Ann, renamed, shows renamed everywhere.
    write_csv(
        tmp_path / "q4.csv",
        header,
        "ACME,2026-Q4,Ann Lee-Park,ann@acme.example,CTO,decision_maker,6,6,5,Pricing is high,,2",
        "ACME,2026-Q4,Éa Ñúñez,ea@acme.example,Ops,influencer,7,7,7,   ,8,8",
        "ACME,2026-Q3,Cy Dunn,cy@acme.example,,user,6,5,8,Support never called us back.,3,4",
    )
    ran = voc("import", "responses", str(tmp_path / "q4.csv"), cwd=tmp_path, DATABASE_URL=url)
    assert ran.code == 0, ran.err
    # A quarter after (only it and the one before are recomputed: bot.figures.service), then
    # one before all of them, which becomes the cycle Q3 compares with.
    write_csv(
        tmp_path / "later.csv",
        header,
        "ACME,2027-Q1,Cy Dunn,cy@acme.example,Lead,user,9,9,9,Much better support,9,9",
    )
    write_csv(
        tmp_path / "earlier.csv",
        header,
        "ACME,2026-Q2,Cy Dunn,cy@acme.example,,user,9,9,9,,,",
        "ACME,2026-Q2,Di Fox,di@acme.example,CFO,decision_maker,8,8,8,,,",
    )
    for name in ("later.csv", "earlier.csv"):
        ran = voc("import", "responses", str(tmp_path / name), cwd=tmp_path, DATABASE_URL=url)
        assert ran.code == 0, ran.err
    cycles = ("2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1")
    as_imported = [_report(url, tmp_path, "--cycle", c) for c in cycles]

    from bot.figures.service import refresh_everything
    from storage.db import transaction

    with transaction(any_runtime.sessions) as session:
        refresh_everything(session)
    recomputed = [_report(url, tmp_path, "--cycle", c) for c in cycles]

    assert as_imported == recomputed
    _, q3, q4, q1 = as_imported
    # Q3 now compares with Q2: Di Fox (a decision maker) did not answer again.
    assert q3["previous"]["cycle"] == "2026-Q2" and q3["not_answered"] == ["Di Fox"]
    # 2027-Q1 compares with Q4, where Cy did not answer: Ann and Éa did not answer again.
    assert q1["previous"]["cycle"] == "2026-Q4"
    assert q1["not_answered"] == ["Ann Lee-Park", "Éa Ñúñez"]
    # By hand: Ann (6, recommend 6: detractor) first, then Éa (7, passive): NPS −50.
    assert [(p["respondent"], p["title"]) for p in q4["people"]] == [
        ("Ann Lee-Park", "CTO"),
        ("Éa Ñúñez", "Ops"),
    ]
    assert (q4["nps"], q4["satisfaction_mean"]) == (-50.0, 6.5)
