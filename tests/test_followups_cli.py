"""Follow-ups from the terminal: who gets one after an import, moving them on, the loop figures.

On SQLite and, when VOC_TEST_DATABASE_URL is set, on PostgreSQL too.

Every figure below is worked out by hand from the small files written in the test. The clock is
the bot's one clock (`bot.core.clock.utc_now`), set to the moment each step happens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main as voc
from bot.core import clock
from bot.runtime import Runtime
from storage.models import AuditEntry

ACME_AM = "U0AM00001"
GLOBEX_AM = "am@globex-vendor.example"
ROSTER = (
    f"account,segment,account_manager\nAcme Corp,Enterprise,{ACME_AM}\nGlobex,SMB,{GLOBEX_AM}\n"
)
HEADER = "account,cycle,respondent,email,role,satisfaction,recommend,continue"
Q3 = f"""{HEADER}
Acme Corp,2026-Q3,Ann Lee,ann@acme.example,decision_maker,9,9,9
Acme Corp,2026-Q3,Bo Chen,bo@acme.example,decision_maker,9,9,9
Acme Corp,2026-Q3,Cy Dunn,cy@acme.example,user,8,8,8
Acme Corp,2026-Q3,Ed Fox,ed@acme.example,influencer,8,8,8
Globex,2026-Q3,Gil Ho,gil@globex.example,user,9,9,9
"""
# Ann: 9 → 7 is a drop of 2. Cy: 5/4/3, and 8 → 5. Di asks. Fay: recommend 6, no continue
# answer (loyalty unknown). Hal: 8/9/5 is "accessible", no reason. Gil: 9 → 8 is no drop.
# Ida: satisfaction 6. Bo (decision maker) answered Q3 and not Q4: silent; Ed is no decision
# maker, so his silence opens nothing.
Q4 = f"""{HEADER},Contact me
Acme Corp,2026-Q4,Ann Lee,ann@acme.example,decision_maker,7,8,8,no
Acme Corp,2026-Q4,Cy Dunn,cy@acme.example,user,5,4,3,
Acme Corp,2026-Q4,Di Eve,di@acme.example,user,9,10,9,yes
Acme Corp,2026-Q4,Fay Gray,fay@acme.example,user,7,6,,
Acme Corp,2026-Q4,Hal Ivy,hal@acme.example,user,8,9,5,0
Globex,2026-Q4,Gil Ho,gil@globex.example,user,8,8,8,
Globex,2026-Q4,Ida Jo,ida@globex.example,user,6,9,9,
"""
EXPECTED_REASONS = {
    "Ann Lee": ["dropped"],
    "Bo Chen": ["silent"],
    "Cy Dunn": ["dissatisfied", "detractor", "high_risk", "dropped"],
    "Di Eve": ["asked"],
    "Fay Gray": ["detractor"],
    "Ida Jo": ["dissatisfied"],
}
FRIDAY_3PM = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def cli(
    any_runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Callable[..., tuple[int, str, str]]:
    """`voc …` against the test database at a given moment: (exit status, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", any_runtime.engine.url.render_as_string(hide_password=False))

    def run(*argv: str, at: datetime = FRIDAY_3PM) -> tuple[int, str, str]:
        monkeypatch.setattr(clock, "utc_now", lambda: at)
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _followups(cli: Callable[..., Any], *argv: str) -> list[dict[str, Any]]:
    status, out, _ = cli("followups", *argv, "--json")
    assert status == 0
    return json.loads(out)


def _imported(cli: Callable[..., Any], tmp_path: Path) -> dict[str, int]:
    """The roster, Q3 and then Q4 imported (Q4 on Friday at 15:00); ids by respondent."""
    assert cli("import", "accounts", _file(tmp_path, "roster.csv", ROSTER))[0] == 0
    _, q3_out, _ = cli("import", "responses", _file(tmp_path, "q3.csv", Q3))
    assert "Follow-ups opened" not in q3_out  # nobody in Q3 has a reason
    status, out, _ = cli("import", "responses", _file(tmp_path, "q4.csv", Q4))
    assert status == 0 and "Follow-ups opened: 6" in out
    return {item["respondent"]: item["id"] for item in _followups(cli, "--status", "all")}


def test_an_import_opens_one_follow_up_per_unhappy_person_with_all_their_reasons(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    _imported(cli, tmp_path)
    items = _followups(cli)
    assert {item["respondent"]: item["reasons"] for item in items} == EXPECTED_REASONS
    cy = next(item for item in items if item["respondent"] == "Cy Dunn")
    assert cy.keys() >= {
        "id",
        "account",
        "cycle",
        "respondent",
        "email",
        "role",
        "reasons",
        "status",
        "owner",
        "opened_at",
        "due_at",
        "contacted_at",
        "closed_at",
    }
    assert (cy["account"], cy["cycle"], cy["email"], cy["role"]) == (
        "Acme Corp",
        "2026-Q4",
        "cy@acme.example",
        "user",
    )
    assert (cy["status"], cy["owner"], cy["contacted_at"], cy["closed_at"]) == (
        "open",
        ACME_AM,
        None,
        None,
    )
    # Friday 15:00 + 2 working days: 9 h on Friday, the weekend skipped, 24 h Monday, 15 h Tuesday.
    assert cy["opened_at"] == "2026-12-04T15:00:00+00:00"
    assert cy["due_at"] == "2026-12-08T15:00:00+00:00"
    bo = next(item for item in items if item["respondent"] == "Bo Chen")
    assert bo["role"] == "decision_maker" and bo["cycle"] == "2026-Q4"
    globex = _followups(cli, "globex")
    assert [(i["respondent"], i["owner"]) for i in globex] == [("Ida Jo", GLOBEX_AM)]


def test_re_importing_never_duplicates_nor_reopens_and_history_opens_none(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    ids = _imported(cli, tmp_path)
    note = ("--note", "Talked at the user group")
    assert cli("followup", str(ids["Cy Dunn"]), "closed", "--by", ACME_AM, *note)[0] == 0
    status, out, _ = cli("import", "responses", _file(tmp_path, "again.csv", Q4))
    assert status == 0 and "Follow-ups opened" not in out
    everything = _followups(cli, "--status", "all")
    assert sorted(i["respondent"] for i in everything) == sorted(EXPECTED_REASONS)
    assert [i["status"] for i in everything if i["respondent"] == "Cy Dunn"] == ["closed"]
    # An older cycle is history: Zed's poor scores of 2026-Q2 open nothing.
    q2 = f"{HEADER}\nAcme Corp,2026-Q2,Zed Alm,zed@acme.example,decision_maker,2,1,2\n"
    status, out, _ = cli("import", "responses", _file(tmp_path, "q2.csv", q2))
    assert status == 0 and "Follow-ups opened" not in out
    assert len(_followups(cli, "--status", "all")) == len(EXPECTED_REASONS)


def test_the_sla_setting_moves_the_due_time(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOC_FOLLOWUP_SLA_DAYS", "1")
    _imported(cli, tmp_path)
    # 24 working hours from Friday 15:00: 9 on Friday, 15 on Monday.
    assert {i["due_at"] for i in _followups(cli)} == {"2026-12-07T15:00:00+00:00"}


def test_moving_a_follow_up_on_is_recorded_and_can_be_reopened(
    cli: Callable[..., Any], tmp_path: Path, any_runtime: Runtime
) -> None:
    ids = _imported(cli, tmp_path)
    cy = str(ids["Cy Dunn"])
    monday = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    wednesday = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    status, out, _ = cli("followup", cy, "contacted", "--by", ACME_AM, at=monday)
    assert status == 0 and "open → contacted" in out
    assert cli("followup", cy, "closed", "--by", ACME_AM, at=wednesday)[0] == 0
    [closed] = _followups(cli, "--status", "closed")
    assert (closed["respondent"], closed["contacted_at"], closed["closed_at"]) == (
        "Cy Dunn",
        "2026-12-07T10:00:00+00:00",
        "2026-12-09T09:00:00+00:00",
    )
    # Reopened: back to contacted, no longer closed, the first contact unchanged.
    assert cli("followup", cy, "contacted", "--by", "kim@vendor.example", at=wednesday)[0] == 0
    [again] = _followups(cli, "--status", "contacted")
    assert (again["contacted_at"], again["closed_at"]) == ("2026-12-07T10:00:00+00:00", None)
    with any_runtime.sessions() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == "followup", AuditEntry.entity_id == cy)
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("followup_contacted", ACME_AM),
        ("followup_closed", ACME_AM),
        ("followup_reopened", "kim@vendor.example"),
    ]


def test_refusals_exit_2_and_change_nothing(cli: Callable[..., Any], tmp_path: Path) -> None:
    ids = _imported(cli, tmp_path)
    bo = str(ids["Bo Chen"])
    status, _, err = cli("followup", bo, "not-needed", "--by", ACME_AM)
    assert status == 2 and "--note" in err
    assert cli("followup", "9999", "closed", "--by", ACME_AM)[0] == 2
    assert cli("followup", bo, "forgotten", "--by", ACME_AM)[0] == 2
    assert cli("followup", bo, "closed", "--by", "somebody")[0] == 2
    assert cli("followups", "Nope Industries")[0] == 2
    status, _, err = cli("followups", "--status", "done")
    assert status == 2 and "open, contacted, closed, all" in err
    assert [i["status"] for i in _followups(cli, "--status", "all")] == ["open"] * 6
    assert cli("followup", bo, "not-needed", "--by", ACME_AM, "--note", "Left the company")[0] == 0
    [settled] = [i for i in _followups(cli, "--status", "all") if i["status"] == "not_needed"]
    assert settled["respondent"] == "Bo Chen" and settled["note"] == "Left the company"


def test_loop_figures(cli: Callable[..., Any], tmp_path: Path) -> None:
    ids = _imported(cli, tmp_path)
    by = ("--by", ACME_AM)
    # Cy on Monday 10:00: 9 h Friday + 10 h Monday = 19 working hours, before Tuesday 15:00.
    cli("followup", str(ids["Cy Dunn"]), "contacted", *by, at=datetime(2026, 12, 7, 10, tzinfo=UTC))
    # Ida on Tuesday 15:00, exactly at the due time: 9 + 24 + 15 = 48 h, within the SLA.
    ida = str(ids["Ida Jo"])
    cli("followup", ida, "contacted", *by, at=datetime(2026, 12, 8, 15, tzinfo=UTC))
    # Ann on Wednesday 09:00: 9 + 24 + 24 + 9 = 66 h, late; then closed.
    wednesday = datetime(2026, 12, 9, 9, tzinfo=UTC)
    cli("followup", str(ids["Ann Lee"]), "contacted", *by, at=wednesday)
    cli("followup", str(ids["Ann Lee"]), "closed", *by, at=wednesday)
    # Bo needs no contact; Di and Fay are still open, past Tuesday 15:00 by Wednesday noon.
    cli("followup", str(ids["Bo Chen"]), "not-needed", *by, "--note", "Left", at=wednesday)
    status, out, _ = cli("loop", "--json", at=datetime(2026, 12, 9, 12, tzinfo=UTC))
    assert status == 0
    loop = json.loads(out)
    # 3 contacted of 6; 2 within the SLA (Cy, Ida) of the 5 that asked for a contact (not Bo).
    assert {k: v for k, v in loop.items() if k != "accounts"} == {
        "followups": 6,
        "contacted": 3,
        "contacted_within_sla": 2,
        "share_within_sla": 0.4,
        "median_working_hours_to_contact": 48.0,
        "open_past_sla": 2,
    }
    per_account = [
        {k: a[k] for k in ("account", "followups", "contacted_within_sla", "open_past_sla")}
        for a in loop["accounts"]
    ]
    assert per_account == [
        {"account": "Acme Corp", "followups": 5, "contacted_within_sla": 1, "open_past_sla": 2},
        {"account": "Globex", "followups": 1, "contacted_within_sla": 1, "open_past_sla": 0},
    ]


def test_the_account_report_lists_its_open_follow_ups(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    ids = _imported(cli, tmp_path)
    cli("followup", str(ids["Cy Dunn"]), "closed", "--by", ACME_AM)
    status, out, _ = cli("account", "acme", "--json")
    assert status == 0
    listed = json.loads(out)["followups"]
    # Acme's five minus Cy, closed; Globex's Ida is not Acme's.
    assert sorted(i["respondent"] for i in listed) == ["Ann Lee", "Bo Chen", "Di Eve", "Fay Gray"]
    assert {i["status"] for i in listed} == {"open"}
    assert {i["due_at"] for i in listed} == {"2026-12-08T15:00:00+00:00"}
    status, out, _ = cli("account", "acme")
    assert status == 0
    assert "Follow-ups waiting for a first contact" in out
    assert f"  #{ids['Ann Lee']} Ann Lee (dropped) — {ACME_AM}, due 2026-12-08 15:00 UTC" in out
    assert f"  #{ids['Bo Chen']} Bo Chen (silent) — {ACME_AM}, due 2026-12-08 15:00 UTC" in out
    assert "Cy Dunn" not in out.split("Follow-ups waiting")[1].split("Open commitments")[0]


def test_the_demo_has_follow_ups_and_a_few_already_closed(cli: Callable[..., Any]) -> None:
    counts = []
    for _ in range(2):  # loading twice closes no more and opens no more
        assert cli("demo")[0] == 0
        closed = _followups(cli, "--status", "closed")
        assert len(closed) == 3
        assert all(i["contacted_at"] and i["closed_at"] for i in closed)
        everything = _followups(cli, "--status", "all")
        assert len(everything) > len(closed)
        assert all(i["reasons"] for i in everything)
        counts.append(len(everything))
    assert counts[0] == counts[1]


def test_a_drop_counts_from_the_last_answer_even_across_a_skipped_cycle(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    assert cli("import", "accounts", _file(tmp_path, "roster.csv", ROSTER))[0] == 0
    q2 = f"{HEADER}\nAcme Corp,2026-Q2,Jo Kay,jo@acme.example,user,9,9,9\n"
    q3 = f"{HEADER}\nAcme Corp,2026-Q3,Ann Lee,ann@acme.example,user,9,9,9\n"
    # Jo skipped Q3: her 7 is measured against her 9 of Q2. Ann writes "follow up: TRUE".
    q4 = (
        f"{HEADER},Follow up\n"
        "Acme Corp,2026-Q4,Jo Kay,jo@acme.example,user,7,8,8,\n"
        "Acme Corp,2026-Q4,Ann Lee,ann@acme.example,user,9,9,9,TRUE\n"
    )
    for name, text in (("q2.csv", q2), ("q3.csv", q3)):
        assert cli("import", "responses", _file(tmp_path, name, text))[0] == 0
    status, out, _ = cli("import", "responses", _file(tmp_path, "q4.csv", q4))
    assert status == 0 and "Follow-ups opened: 2" in out and "Ignored columns" not in out
    reasons = {i["respondent"]: i["reasons"] for i in _followups(cli)}
    assert reasons == {"Jo Kay": ["dropped"], "Ann Lee": ["asked"]}
