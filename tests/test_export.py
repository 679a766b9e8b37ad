"""`voc export [ACCOUNT] --out DIR`: the stored data as CSV files a spreadsheet opens safely.

Acme: José Núñez (9/10, a comment that is a spreadsheet formula, title "+1 CIO") and Zed Ray
(2/10, so a follow-up), a commitment that starts with "@", a review meeting at 14:00 Paris
time. Globex: Gus Fring, whose data must not appear in Acme's export.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.commitments.queries import record_commitments
from bot.commitments.values import CommitmentDraft
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account
from tests.cli import voc
from tests.portfolio import AM, account_row, load, response_row

FORMULA = '=HYPERLINK("http://evil.example","Click")'
FILES = ("responses", "people", "commitments", "followups", "meetings", "audit")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def world(any_runtime: Runtime, tmp_path: Path) -> str:
    load(
        any_runtime,
        [account_row("Acme"), account_row("Globex", channel="C0GLOBEX1")],
        [
            response_row(
                "Acme", "2026-Q3", "José Núñez", 9, 10, 9, email="jose@acme.example",
                title="+1 CIO", comment=FORMULA, **{"rating:support": 8},
            ),
            response_row(
                "Acme", "2026-Q3", "Zed Ray", 2, 1, 2, comment="Slow support",
                **{"rating:support": 3},
            ),
            response_row("Globex", "2026-Q3", "Gus Fring", 8, 8, 8, comment="Globex secret"),
        ],
    )  # fmt: skip
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with transaction(any_runtime.sessions) as session:
        acme = session.scalars(select(Account).where(Account.name == "Acme")).one()
        draft = CommitmentDraft(
            text="@channel fix the invoices", owner=AM, due_on=date(2026, 12, 1)
        )
        record_commitments(
            session, acme, [draft], actor=AM, channel=None, today=now.date(), now=now
        )
    any_runtime.engine.dispose()
    url = any_runtime.engine.url.render_as_string(hide_password=False)
    met = voc(
        "meeting", "Acme", "2026-12-10", "14:00",
        cwd=tmp_path, DATABASE_URL=url, VOC_TIMEZONE="Europe/Paris",
    )  # fmt: skip
    assert met.code == 0, met.err
    return url


def _read(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with it
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_export_of_one_account_writes_its_files_and_only_its_data(
    world: str, tmp_path: Path
) -> None:
    ran = voc("export", "acme", "--out", "out/acme", cwd=tmp_path, DATABASE_URL=world)

    assert (ran.code, ran.out.splitlines()) == (
        0,
        [
            "Wrote 2 rows to out/acme/responses.csv",
            "Wrote 2 rows to out/acme/people.csv",
            "Wrote 1 row to out/acme/commitments.csv",
            "Wrote 1 row to out/acme/followups.csv",
            "Wrote 1 row to out/acme/meetings.csv",
            "Wrote 2 rows to out/acme/audit.csv",  # the commitment's and the meeting's
        ],
    ), ran.err
    out = tmp_path / "out" / "acme"
    files = {name: _read(out / f"{name}.csv") for name in FILES}
    everything = "".join((out / f"{name}.csv").read_text(encoding="utf-8-sig") for name in FILES)
    assert "Globex" not in everything and "Gus Fring" not in everything

    jose, zed = files["responses"]
    assert list(jose) == [
        "response_id", "account", "cycle", "person_id", "respondent", "email", "title", "role",
        "satisfaction", "recommend", "continue", "rating:Support", "comment", "themes", "tone",
        "source", "responded_on",
    ]  # fmt: skip
    shown = ("account", "cycle", "respondent", "email", "title", "satisfaction", "recommend")
    assert [[row[key] for key in shown] for row in (jose, zed)] == [
        ["Acme", "2026-Q3", "José Núñez", "jose@acme.example", "'+1 CIO", "9", "10"],
        ["Acme", "2026-Q3", "Zed Ray", "zed.ray@acme.example", "CIO", "2", "1"],
    ]
    assert (jose["comment"], jose["rating:Support"], zed["comment"]) == (
        "'" + FORMULA, "8", "Slow support",
    )  # fmt: skip
    assert jose["person_id"].isdigit() and jose["responded_on"] == ""

    assert [(p["name"], p["email"]) for p in files["people"]] == [
        ("José Núñez", "jose@acme.example"),
        ("Zed Ray", "zed.ray@acme.example"),
    ]
    [commitment] = files["commitments"]
    assert (commitment["text"], commitment["due_on"], commitment["created_at"]) == (
        "'@channel fix the invoices", "2026-12-01", "2026-11-02T09:00:00Z",
    )  # fmt: skip
    assert (commitment["status"], commitment["customer_told"], commitment["done_at"]) == (
        "open", "false", "",
    )  # fmt: skip
    [followup] = files["followups"]
    assert (followup["respondent"], followup["status"]) == ("Zed Ray", "open")
    assert "dissatisfied" in followup["reasons"] and ISO_UTC.match(followup["opened_at"])
    [meeting] = files["meetings"]
    assert meeting["starts_at"] == "2026-12-10T13:00:00Z"  # 14:00 in Paris
    assert sorted(entry["entity"] for entry in files["audit"]) == ["commitment", "meeting"]
    assert all(ISO_UTC.match(entry["at"]) for entry in files["audit"])


def test_export_of_every_account_includes_the_imports_audit(world: str, tmp_path: Path) -> None:
    ran = voc("export", "--out", "all", cwd=tmp_path, DATABASE_URL=world)
    assert ran.code == 0, ran.err
    responses = _read(tmp_path / "all" / "responses.csv")
    assert sorted(row["respondent"] for row in responses) == ["Gus Fring", "José Núñez", "Zed Ray"]
    actions = [entry["action"] for entry in _read(tmp_path / "all" / "audit.csv")]
    assert actions.count("import_accounts") == 1 and actions.count("import_responses") == 1


def test_export_refuses_a_file_an_earlier_export_and_an_unknown_account(
    world: str, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "audit.csv").write_text("keep me", encoding="utf-8")

    as_file = voc("export", "--out", "notes.txt", cwd=tmp_path, DATABASE_URL=world)
    again = voc("export", "--out", "earlier", cwd=tmp_path, DATABASE_URL=world)
    unknown = voc("export", "zzz", "--out", "fresh", cwd=tmp_path, DATABASE_URL=world)

    assert [(r.code, r.err_lines, r.out) for r in (as_file, again, unknown)] == [
        (2, ['voc export: --out "notes.txt" is a file, not a directory'], ""),
        (
            2,
            [
                'voc export: "earlier/audit.csv" already exists: choose an empty directory or '
                "move the earlier export away (nothing is overwritten)"
            ],
            "",
        ),
        (2, ['voc export: No account is called "zzz".'], ""),
    ]
    assert (earlier / "audit.csv").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in earlier.iterdir()) == ["audit.csv"]
    assert not (tmp_path / "fresh").exists()


def test_export_refuses_a_directory_name_the_file_system_cannot_take(tmp_path: Path) -> None:
    ran = voc("export", "--out", "a" * 5000, cwd=tmp_path)
    assert ran.code == 2 and len(ran.err_lines) == 1
    assert ran.err_lines[0].startswith('voc export: cannot use "aaa')
    assert ran.err_lines[0].endswith(": File name too long")
    assert list(tmp_path.iterdir()) == []  # no voc.db either: checked before the database
