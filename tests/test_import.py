"""Importing rosters and responses: what a person sees in the summary, the rejection message and
the database. Every rejection test also checks that the database is exactly as it was before.

Storage-level behaviour (upserts, all-or-nothing, benchmarks) runs on `any_runtime`, so on
PostgreSQL too when VOC_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

import bot.intake.reading as reading
from bot.cli import main as voc
from bot.cli.imports import summary_lines
from bot.intake.service import ImportRejected, ImportSummary, import_accounts, import_responses
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import (
    Account,
    AuditEntry,
    Benchmark,
    Cycle,
    Respondent,
    Response,
)

WORKSPACE = "local"

ROSTER = (
    "account,segment,tier,annual_revenue,account_manager,exec_sponsor,team,channel,cadence\n"
    'Acme Corp,Enterprise,strategic,"1,200,000",U01AM,CEO@Vendor.com,'
    '"U02AA, U03BB; kim@vendor.com",#acme,monthly\n'
    "Globex,Mid-market,key,$1.2M,am@vendor.com,,,C0123ABC,\n"
    "Initech,,,,,,,,\n"
)

RESPONSES_HEADER = (
    "account,cycle,respondent,title,email,role,responded_on,source,"
    "satisfaction,recommend,continue,rating:support,rating:product quality,comment\n"
)
JANE = (
    "Acme Corp,2026-Q3,Jane Doe,CTO,jane@acme.com,decision_maker,2026-07-03,survey,"
    "9,10,8,9,7,Great support\n"
)
BOB = (
    "Acme Corp,2026-Q3,Bob Stone,Engineer,bob@acme.com,user,2026-07-05,interview,"
    "6,5,4,4,,Slow onboarding\n"
)
ANN = "Globex,2026-Q3,Ann Lee,CFO,ann@globex.com,influencer,2026-07-10,survey,8,,7,,8,\n"
RAJ = "Initech,2026-Q3,Raj Patel,IT Manager,,user,2026-07-11,survey,7,9,9,6,6,\n"
RESPONSES = RESPONSES_HEADER + JANE + BOB + ANN + RAJ

TABLES = (Account, Cycle, Respondent, Response, Benchmark, AuditEntry)


# --------------------------------------------------------------------------------------------
# Helpers


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def roster(runtime: Runtime, source: Any, **kwargs: Any) -> ImportSummary:
    with transaction(runtime.sessions) as session:
        return import_accounts(session, source, workspace_id=WORKSPACE, actor="test", **kwargs)


def responses(runtime: Runtime, source: Any, **kwargs: Any) -> ImportSummary:
    with transaction(runtime.sessions) as session:
        return import_responses(session, source, workspace_id=WORKSPACE, actor="test", **kwargs)


def snapshot(
    runtime: Runtime, tables: tuple[Any, ...] = TABLES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the import's tables, to prove a rejected file changed nothing."""
    with runtime.sessions() as session:
        return {
            model.__tablename__: [
                tuple(row) for row in session.execute(sa.select(model.__table__).order_by("id"))
            ]
            for model in tables
        }


def rejected(runtime: Runtime, source: Any, **kwargs: Any) -> str:
    """Import `source` expecting a rejection; return the message and check nothing changed."""
    before = snapshot(runtime)
    with pytest.raises(ImportRejected) as caught:
        responses(runtime, source, **kwargs)
    assert snapshot(runtime) == before
    return str(caught.value)


def stored_responses(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Responses by respondent name, with the columns a report reads."""
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(Respondent.name, Respondent.email, Response, Cycle.label)
            .join(Response, Response.respondent_id == Respondent.id)
            .join(Cycle, Cycle.id == Response.cycle_id)
        ).all()
    return {
        name: {
            "email": email,
            "cycle": label,
            "title": response.title,
            "role": response.role,
            "satisfaction": response.satisfaction,
            "recommend": response.recommend,
            "continue": response.continue_score,
            "ratings": response.ratings,
            "comment": response.comment,
            "source": response.source,
            "responded_on": response.responded_on,
        }
        for name, email, response, label in rows
    }


def benchmarks(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Benchmark rows keyed by segment ("" is all customers)."""
    with runtime.sessions() as session:
        rows = session.scalars(sa.select(Benchmark)).all()
    return {
        row.segment: {
            "respondents": row.respondents,
            "promoters": row.promoters,
            "detractors": row.detractors,
            "recommend_answered": row.recommend_answered,
            "satisfaction_sum": row.satisfaction_sum,
            "satisfaction_mean": row.satisfaction_mean,
            "nps": row.nps,
            "attribute_means": row.attribute_means,
            "scope": row.scope,
        }
        for row in rows
    }


@pytest.fixture
def loaded(any_runtime: Runtime) -> Runtime:
    """The three-account roster and four responses, imported once."""
    roster(any_runtime, ROSTER.encode(), filename="roster.csv")
    responses(any_runtime, RESPONSES.encode(), filename="responses.csv")
    return any_runtime


@pytest.fixture
def with_roster(runtime: Runtime) -> Runtime:
    roster(runtime, ROSTER.encode(), filename="roster.csv")
    return runtime


# --------------------------------------------------------------------------------------------
# Roster


def test_roster_fields_are_read_and_normalised(any_runtime: Runtime) -> None:
    summary = roster(any_runtime, ROSTER.encode(), filename="roster.csv")

    assert (summary.added, summary.updated, summary.unchanged) == (3, 0, 0)
    with any_runtime.sessions() as session:
        accounts = {a.name: a for a in session.scalars(sa.select(Account))}
    acme, globex, initech = accounts["Acme Corp"], accounts["Globex"], accounts["Initech"]
    assert acme.name_key == "acme corp"
    assert (acme.segment, acme.tier, acme.cadence) == ("Enterprise", "strategic", "monthly")
    assert acme.annual_revenue == 1_200_000
    assert (acme.account_manager, acme.exec_sponsor) == ("U01AM", "ceo@vendor.com")
    assert acme.team == ["U02AA", "U03BB", "kim@vendor.com"]
    assert acme.channel == "#acme"
    assert globex.annual_revenue == 1_200_000  # "$1.2M"
    assert (globex.account_manager, globex.channel) == ("am@vendor.com", "C0123ABC")
    assert (globex.tier, globex.cadence) == ("key", "quarterly")
    assert (initech.segment, initech.tier, initech.cadence) == (
        "Unsegmented",
        "standard",
        "quarterly",
    )
    assert (initech.annual_revenue, initech.exec_sponsor, initech.team) == (None, None, [])


def test_roster_reimport_updates_in_place_and_keeps_absent_columns(any_runtime: Runtime) -> None:
    roster(any_runtime, ROSTER.encode(), filename="roster.csv")
    update = "Company,Segment\nACME  CORP,Strategic accounts\nGlobex,Mid-market\nInitech,\n"

    summary = roster(any_runtime, update.encode(), filename="roster-v2.csv")

    # Acme is renamed and moved; Globex and Initech (blank segment = Unsegmented) stay as they are.
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 2)
    with any_runtime.sessions() as session:
        accounts = session.scalars(sa.select(Account).order_by(Account.id)).all()
    assert [a.name for a in accounts] == ["ACME CORP", "Globex", "Initech"]
    acme = accounts[0]
    assert acme.segment == "Strategic accounts"
    # Columns the second file does not have are left alone.
    assert (acme.tier, acme.exec_sponsor, acme.channel) == ("strategic", "ceo@vendor.com", "#acme")


def test_roster_problems_are_named_by_row_column_and_value(runtime: Runtime) -> None:
    bad = (
        "account,tier,annual_revenue,account_manager,team,channel,cadence\n"
        "Acme,gold,1000,U01AM,,,\n"
        "Globex,,lots,bob,,,\n"
        "Initech,,,,U01 bob,acme,weekly\n"
        "acme ,,,,,,\n"
    )
    before = snapshot(runtime)
    with pytest.raises(ImportRejected) as caught:
        roster(runtime, bad.encode(), filename="roster.csv")
    message = str(caught.value)
    assert snapshot(runtime) == before
    assert 'row 2, tier: "gold" is not one of strategic, key, standard' in message
    assert 'row 3, annual_revenue: "lots" is not an amount' in message
    assert 'row 3, account_manager: "bob" is not a Slack user ID (U…/W…) or an email' in message
    assert 'row 4, team: "bob" is not a Slack user ID' in message
    assert 'row 4, channel: "acme" is not a channel ID (C…/G…) or #name' in message
    assert 'row 4, cadence: "weekly" is not one of monthly, quarterly' in message
    assert 'rows 2 and 5 both name the account "acme"' in message


# --------------------------------------------------------------------------------------------
# Responses: what gets stored


def test_responses_are_stored_with_normalised_values(loaded: Runtime) -> None:
    people = stored_responses(loaded)

    assert set(people) == {"Jane Doe", "Bob Stone", "Ann Lee", "Raj Patel"}
    bob = people["Bob Stone"]
    assert bob["email"] == "bob@acme.com"
    assert (bob["role"], bob["source"], bob["title"]) == ("user", "interview", "Engineer")
    assert (bob["satisfaction"], bob["recommend"], bob["continue"]) == (6, 5, 4)
    assert bob["ratings"] == {"Support": 4.0}
    assert bob["responded_on"] == date(2026, 7, 5)
    ann = people["Ann Lee"]
    assert ann["recommend"] is None and ann["comment"] is None
    assert ann["ratings"] == {"Product quality": 8.0}
    assert people["Raj Patel"]["email"] is None
    with loaded.sessions() as session:
        cycle = session.scalars(sa.select(Cycle)).one()
        keys = set(session.scalars(sa.select(Respondent.person_key)))
    assert (cycle.label, cycle.starts_on) == ("2026-Q3", date(2026, 7, 1))
    assert keys == {"jane@acme.com", "bob@acme.com", "ann@globex.com", "raj patel"}


def test_summary_counts_cycles_and_ignored_columns(with_roster: Runtime) -> None:
    text = RESPONSES.replace("comment\n", "comment,Region,NPS bucket\n", 1)
    text = text.replace("Great support\n", "Great support,EMEA,promoter\n")

    summary = responses(with_roster, text.encode(), filename="wave3.csv")

    assert (summary.kind, summary.rows, summary.added, summary.updated) == ("responses", 4, 4, 0)
    assert summary.cycles == ["2026-Q3"]
    assert summary.ignored_columns == ["Region", "NPS bucket"]
    lines = "\n".join(summary_lines(summary))
    assert "4 responses added, 0 updated, 0 unchanged" in lines
    assert 'Ignored columns (not part of the format): "Region", "NPS bucket"' in lines


def test_one_audit_entry_per_import(loaded: Runtime) -> None:
    with loaded.sessions() as session:
        entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["import_accounts", "import_responses"]
    last = entries[-1]
    assert (last.actor, last.entity_id) == ("test", "responses.csv")
    assert (last.details["rows"], last.details["added"], last.details["cycles"]) == (
        4,
        4,
        ["2026-Q3"],
    )


def test_reimporting_the_same_file_changes_nothing(loaded: Runtime) -> None:
    before = snapshot(loaded, (Account, Cycle, Respondent, Response, Benchmark))

    summary = responses(loaded, RESPONSES.encode(), filename="responses.csv")

    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 4)
    assert snapshot(loaded, (Account, Cycle, Respondent, Response, Benchmark)) == before


def test_a_corrected_file_updates_only_the_rows_it_names(loaded: Runtime) -> None:
    corrected = RESPONSES_HEADER + BOB.replace(",6,5,4,4,,", ",7,9,4,4,,")

    summary = responses(loaded, corrected.encode(), filename="fix.csv")

    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 0)
    people = stored_responses(loaded)
    assert (people["Bob Stone"]["satisfaction"], people["Bob Stone"]["recommend"]) == (7, 9)
    assert people["Jane Doe"]["satisfaction"] == 9
    with loaded.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 4


def test_adding_an_email_later_keeps_the_same_person(loaded: Runtime) -> None:
    corrected = RESPONSES_HEADER + RAJ.replace("IT Manager,,", "IT Manager,raj@initech.com,")

    summary = responses(loaded, corrected.encode(), filename="fix.csv")

    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 1)
    with loaded.sessions() as session:
        people = session.execute(sa.select(Respondent.name, Respondent.person_key)).all()
    assert ("Raj Patel", "raj@initech.com") in people
    assert len(people) == 4


# --------------------------------------------------------------------------------------------
# Benchmarks


def test_benchmarks_match_the_hand_computed_figures(loaded: Runtime) -> None:
    rows = benchmarks(loaded)

    # Enterprise (Acme): Jane recommend 10 (promoter), Bob 5 (detractor) -> NPS (1-1)/2 = 0.
    # Satisfaction (9+6)/2 = 7.5; Support (9+4)/2 = 6.5; Product quality only Jane: 7.
    assert rows["Enterprise"] == {
        "respondents": 2,
        "promoters": 1,
        "detractors": 1,
        "recommend_answered": 2,
        "satisfaction_sum": 15.0,
        "satisfaction_mean": 7.5,
        "nps": 0.0,
        "attribute_means": {"Product quality": 7.0, "Support": 6.5},
        "scope": "segment",
    }
    # Mid-market (Globex): Ann did not answer recommend, so there is no NPS at all.
    assert rows["Mid-market"]["nps"] is None
    assert rows["Mid-market"]["recommend_answered"] == 0
    assert rows["Mid-market"]["attribute_means"] == {"Product quality": 8.0}
    # Unsegmented (Initech): Raj recommend 9 -> one promoter of one answer = 100.
    assert rows["Unsegmented"]["nps"] == 100.0
    # All customers: promoters 10 and 9, detractor 5, three answers -> 100*(2-1)/3 = 33.3.
    # Satisfaction 9+6+8+7 = 30 over 4 people = 7.5; Support (9+4+6)/3 = 6.33;
    # Product quality (7+8+6)/3 = 7.
    everyone = rows[""]
    assert everyone["scope"] == "all"
    assert (everyone["respondents"], everyone["promoters"], everyone["detractors"]) == (4, 2, 1)
    assert everyone["nps"] == pytest.approx(100 / 3)
    assert (everyone["satisfaction_sum"], everyone["satisfaction_mean"]) == (30.0, 7.5)
    assert everyone["attribute_means"] == {
        "Product quality": pytest.approx(7.0),
        "Support": pytest.approx(19 / 3),
    }


def test_benchmarks_follow_a_correction_to_a_cycle_that_had_data(loaded: Runtime) -> None:
    responses(loaded, (RESPONSES_HEADER + BOB.replace(",6,5,4,4,,", ",6,9,4,2,,")).encode())

    rows = benchmarks(loaded)

    # Bob's recommend 5 -> 9: Enterprise now two promoters, no detractor -> NPS 100.
    # Support (9+2)/2 = 5.5. All customers: promoters 10, 9, 9 of three answers -> 100.
    assert (rows["Enterprise"]["promoters"], rows["Enterprise"]["detractors"]) == (2, 0)
    assert rows["Enterprise"]["nps"] == 100.0
    assert rows["Enterprise"]["attribute_means"]["Support"] == pytest.approx(5.5)
    assert rows[""]["nps"] == 100.0
    assert rows[""]["attribute_means"]["Support"] == pytest.approx((9 + 2 + 6) / 3)


def test_a_roster_segment_change_moves_benchmark_rows(loaded: Runtime) -> None:
    roster(loaded, b"account,segment\nGlobex,Enterprise\n", filename="move.csv")

    rows = benchmarks(loaded)

    # Globex joins Enterprise: 3 people, satisfaction 9+6+8 = 23; Mid-market has nobody left.
    assert "Mid-market" not in rows
    assert rows["Enterprise"]["respondents"] == 3
    assert rows["Enterprise"]["satisfaction_sum"] == 23.0
    assert rows[""]["respondents"] == 4


# --------------------------------------------------------------------------------------------
# All or nothing


def test_a_file_with_one_bad_row_writes_nothing(loaded: Runtime) -> None:
    more = RESPONSES_HEADER + JANE.replace("2026-Q3", "2026-Q4") + BOB.replace(",6,5,", ",11,5,")

    message = rejected(loaded, more.encode(), filename="q4.csv")

    assert 'row 3, satisfaction: "11" is outside 0–10' in message
    assert message.startswith("q4.csv was rejected; nothing was imported.")


def test_a_bad_row_in_a_later_chunk_undoes_the_chunks_already_written(
    loaded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    rows = [JANE, BOB, ANN, RAJ]
    late_error = RESPONSES_HEADER + "".join(r.replace("2026-Q3", "2026-Q4") for r in rows)
    late_error = late_error.replace(",7,9,9,6,6,", ",7,9,9,6,sixty,")

    message = rejected(loaded, late_error.encode(), filename="q4.csv")

    assert 'row 5, rating:product quality: "sixty" is not a number 0–10' in message


def test_duplicates_across_chunks_are_found(
    with_roster: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    twice = RESPONSES + JANE.replace("Jane Doe", "Jane D.")

    message = rejected(with_roster, twice.encode())

    assert "rows 2 and 6 are the same response" in message


# --------------------------------------------------------------------------------------------
# Bad input, each with its own message (and nothing written)


def test_an_empty_file_is_named_as_empty(with_roster: Runtime) -> None:
    assert "is empty" in rejected(with_roster, b"", filename="empty.csv")
    assert "is empty" in rejected(with_roster, b"\xef\xbb\xbf\r\n\r\n", filename="blank.csv")


def test_a_header_without_rows_is_named(with_roster: Runtime) -> None:
    message = rejected(with_roster, RESPONSES_HEADER.encode(), filename="header.csv")
    assert "header.csv has a header but no data rows" in message


def test_missing_required_columns_are_listed_with_their_aliases(with_roster: Runtime) -> None:
    text = "account,cycle,name,recommend\nAcme Corp,2026-Q3,Jane,9\n"

    message = rejected(with_roster, text.encode(), filename="wave.csv")

    assert (
        "missing required column: satisfaction (also accepted: overall satisfaction, osat)"
        in message
    )
    assert (
        'the header row (row 1 of the data) has: "account", "cycle", "name", "recommend"' in message
    )


def test_missing_cycle_suggests_the_option(with_roster: Runtime) -> None:
    text = "account,respondent,satisfaction\nAcme Corp,Jane,9\n"
    message = rejected(with_roster, text.encode())
    assert "missing required column: cycle" in message and "--cycle" in message


def test_duplicate_keys_inside_one_file_name_both_rows(with_roster: Runtime) -> None:
    twice = RESPONSES + JANE.replace("Jane Doe", "JANE DOE").replace("jane@acme.com", "")
    twice += BOB.replace("Bob Stone", "Robert Stone")

    message = rejected(with_roster, twice.encode())

    # Same email = same person, whatever the name says.
    assert 'rows 3 and 7 are the same response: account "Acme Corp", cycle "2026-Q3", ' in message
    assert 'person "bob@acme.com"' in message


def test_unknown_accounts_are_listed_with_a_way_forward(with_roster: Runtime) -> None:
    text = (
        RESPONSES
        + JANE.replace("Acme Corp", "Acme Corporation")
        + ANN.replace("Globex", "Umbrella")
    )

    message = rejected(with_roster, text.encode())

    assert 'unknown account "Acme Corporation" (row 6); did you mean "Acme Corp"?' in message
    assert 'unknown account "Umbrella" (row 7)' in message
    assert "2 accounts are not in the roster" in message
    assert "--create-accounts" in message


def test_every_bad_cell_is_named_with_row_column_and_value(with_roster: Runtime) -> None:
    text = (
        RESPONSES_HEADER
        + JANE.replace(",9,10,8,", ",great,10,8,")
        + BOB.replace(",user,", ",boss,")
        + ANN.replace("ann@globex.com", "ann-at-globex")
        + RAJ.replace("2026-07-11", "31/31/2026").replace(",7,9,9,", ",,9,-1,")
    )

    message = rejected(with_roster, text.encode(), filename="bad.csv")

    assert 'row 2, satisfaction: "great" is not a number 0–10' in message
    assert 'row 3, role: "boss" is not one of decision_maker, influencer, user' in message
    assert 'row 4, email: "ann-at-globex" is not an email address' in message
    assert 'row 5, responded_on: "31/31/2026" is not a date (write YYYY-MM-DD)' in message
    assert "row 5, satisfaction: is empty (required, 0–10)" in message
    assert 'row 5, continue: "-1" is outside 0–10' in message
    # Problems are listed top to bottom.
    assert message.index("row 2,") < message.index("row 3,") < message.index("row 5,")


def test_more_than_fifty_problems_are_counted_not_listed(with_roster: Runtime) -> None:
    rows = "".join(
        f"Acme Corp,2026-Q3,Person {i},,p{i}@acme.com,,,,{11 + i},,,,,\n" for i in range(70)
    )

    message = rejected(with_roster, (RESPONSES_HEADER + rows).encode())

    assert message.count("is outside 0–10") == 50
    assert message.splitlines()[-1] == "and 20 more problems"


def test_binary_data_is_not_read_as_text(with_roster: Runtime) -> None:
    message = rejected(with_roster, b"account,cycle\x00\x01\x02\xff", filename="data.csv")
    assert "data.csv contains binary data" in message


def test_a_file_mixing_two_encodings_says_where(with_roster: Runtime) -> None:
    text = RESPONSES.replace("Great support", "Très bien").encode("utf-8")
    text += RAJ.replace("Raj Patel", "José").encode("latin-1")

    message = rejected(with_roster, text, filename="mixed.csv")

    assert "mixed.csv could not be read" in message
    assert "line 6" in message and "mixes two encodings" in message


def test_files_that_are_not_csv_or_xlsx_are_named_for_what_they_are(with_roster: Runtime) -> None:
    pdf = rejected(with_roster, b"%PDF-1.7\n...", filename="survey.pdf")
    xls = rejected(with_roster, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), filename="s.xls")
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("notes.txt", "hello")
    other = rejected(with_roster, zipped.getvalue(), filename="s.xlsx")

    assert "survey.pdf is a PDF document, not a CSV or XLSX file" in pdf
    assert "s.xls is an Excel 97-2003 workbook (.xls), not CSV or XLSX" in xls
    assert "s.xlsx is a zip archive, not a readable XLSX workbook" in other


# --------------------------------------------------------------------------------------------
# Reading: encodings, XLSX, headers, dates


def test_a_utf8_file_with_bom_reads_its_first_header(with_roster: Runtime) -> None:
    summary = responses(with_roster, b"\xef\xbb\xbf" + RESPONSES.encode(), filename="bom.csv")
    assert summary.added == 4 and not summary.warnings


def test_a_latin1_file_is_read_and_said_so(with_roster: Runtime, tmp_path: Path) -> None:
    text = RESPONSES.replace("Raj Patel", "Zoë Müller").replace("Great support", "Très bien")
    path = write(tmp_path, "latin.csv", text, encoding="latin-1")

    summary = responses(with_roster, path)

    people = stored_responses(with_roster)
    assert "Zoë Müller" in people
    assert people["Jane Doe"]["comment"] == "Très bien"
    assert any("not UTF-8" in warning for warning in summary.warnings)


def test_header_aliases_odd_spacing_and_case_are_matched(with_roster: Runtime) -> None:
    text = (
        " Customer ,WAVE,  Contact Name,Job-Title,E-Mail,ROLE,Date,OSAT,"
        "Likelihood to Recommend,renew,Rating : Product_Quality,RATING:Support,Verbatim\n"
        "acme corp,Q3 2026,Jane Doe,CTO,Jane@Acme.com,Decision maker,2026-07-03,9,10,8,7,9,Fine\n"
    )

    summary = responses(with_roster, text.encode())

    assert summary.added == 1 and summary.ignored_columns == []
    jane = stored_responses(with_roster)["Jane Doe"]
    assert (jane["email"], jane["role"], jane["cycle"]) == (
        "jane@acme.com",
        "decision_maker",
        "2026-Q3",
    )
    assert (jane["satisfaction"], jane["recommend"], jane["continue"]) == (9, 10, 8)
    assert jane["ratings"] == {"Product quality": 7.0, "Support": 9.0}
    assert jane["comment"] == "Fine"


def test_an_xlsx_workbook_is_read_with_typed_cells(with_roster: Runtime, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["Account", "Cycle", "Name", "Email", "Responded on", "OSAT", "NPS", "Rating: SLA"]
    )
    sheet.append(
        ["Acme Corp", "2026-Q3", "Jane Doe", "jane@acme.com", datetime(2026, 7, 3), 9, 10.0, 8]
    )
    sheet.append(["Globex", "2026-Q3", "Ann Lee", None, 46204, 7.5, None, None])
    sheet.append([None] * 8)
    sheet.append(["Initech", "2026-Q3", "Raj Patel", "raj@initech.com", "2026-07-11", "12", 3, 4])
    path = tmp_path / "wave.xlsx"
    workbook.save(path)

    message = rejected(with_roster, path)
    # The fourth sheet row is blank and skipped; numbering still follows the sheet.
    assert 'row 5, satisfaction: "12" is outside 0–10' in message

    sheet.delete_rows(5)
    workbook.save(path)
    summary = responses(with_roster, path)

    assert summary.added == 2
    people = stored_responses(with_roster)
    assert people["Jane Doe"]["responded_on"] == date(2026, 7, 3)
    assert people["Jane Doe"]["ratings"] == {"SLA": 8.0}
    # 46204 is an Excel serial date: day 0 is 1899-12-30.
    assert people["Ann Lee"]["responded_on"] == date(1899, 12, 30) + timedelta(days=46204)
    assert people["Ann Lee"]["satisfaction"] == 7.5


def test_slash_dates_are_day_first_unless_the_file_shows_month_first(
    with_roster: Runtime,
) -> None:
    day_first = RESPONSES.replace("2026-07-03", "05/07/2026")
    summary = responses(with_roster, day_first.encode(), filename="eu.csv")
    assert stored_responses(with_roster)["Jane Doe"]["responded_on"] == date(2026, 7, 5)
    assert any("05/07/2026" in w and "DD/MM/YYYY" in w for w in summary.warnings)

    month_first = RESPONSES.replace("2026-07-03", "07/04/2026").replace("2026-07-05", "07/25/2026")
    responses(with_roster, month_first.encode(), filename="us.csv")
    people = stored_responses(with_roster)
    # 07/25/2026 can only be month first, so the file's 07/04/2026 is the 4th of July.
    assert people["Jane Doe"]["responded_on"] == date(2026, 7, 4)
    assert people["Bob Stone"]["responded_on"] == date(2026, 7, 25)


def test_cycle_option_labels_rows_and_dates_start_unnamed_cycles(with_roster: Runtime) -> None:
    text = (
        "account,respondent,satisfaction,date\n"
        "Acme Corp,Jane,9,2026-03-09\n"
        "Globex,Ann,8,2026-03-02\n"
    )

    summary = responses(with_roster, text.encode(), cycle="Q1 2026")
    responses(with_roster, text.encode(), cycle="Spring pulse")

    assert summary.cycles == ["2026-Q1"]
    with with_roster.sessions() as session:
        cycles = {
            label: day for label, day in session.execute(sa.select(Cycle.label, Cycle.starts_on))
        }
    assert cycles == {"2026-Q1": date(2026, 1, 1), "Spring pulse": date(2026, 3, 2)}


def test_create_accounts_adds_unknown_accounts_unsegmented(runtime: Runtime) -> None:
    summary = responses(runtime, RESPONSES.encode(), create_accounts=True)

    assert summary.accounts_created == 3
    assert summary.new_accounts == ["Acme Corp", "Globex", "Initech"]
    with runtime.sessions() as session:
        segments = set(session.scalars(sa.select(Account.segment)))
    assert segments == {"Unsegmented"}
    assert benchmarks(runtime)["Unsegmented"]["respondents"] == 4


def test_a_dataframe_source_is_imported_like_a_sheet(with_roster: Runtime) -> None:
    frame = pd.DataFrame(
        {
            "account": ["Acme Corp", "Globex"],
            "cycle": ["2026-Q3", "2026-Q3"],
            "respondent": ["Jane Doe", "Ann Lee"],
            "email": ["jane@acme.com", None],
            "responded_on": pd.to_datetime(["2026-07-03", None]),
            "satisfaction": [9.0, 6.5],
            "recommend": [10.0, float("nan")],
            "ratings": [{"Support": 8.0}, {}],
        }
    )

    summary = responses(with_roster, frame)

    assert summary.added == 2
    people = stored_responses(with_roster)
    assert people["Jane Doe"]["ratings"] == {"Support": 8.0}
    assert people["Ann Lee"]["recommend"] is None and people["Ann Lee"]["satisfaction"] == 6.5


def test_progress_is_reported_per_chunk(
    with_roster: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    seen: list[tuple[int, int | None]] = []

    responses(
        with_roster, RESPONSES.encode(), progress=lambda done, total: seen.append((done, total))
    )

    done = [count for count, _ in seen]
    assert len(done) > 1 and done == sorted(done) and done[-1] == 4


# --------------------------------------------------------------------------------------------
# Command line


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def test_cli_imports_and_prints_the_summary(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(cli_env, "roster.csv", ROSTER)
    write(cli_env, "wave.csv", RESPONSES)

    assert voc(["import", "accounts", str(cli_env / "roster.csv")]) == 0
    assert voc(["import", "responses", str(cli_env / "wave.csv")]) == 0

    out = capsys.readouterr().out
    assert "Imported roster.csv: 3 rows — 3 accounts added" in out
    assert "Imported wave.csv: 4 rows — 4 responses added, 0 updated, 0 unchanged." in out


def test_cli_exits_2_with_the_message_on_rejected_input(
    cli_env: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    write(cli_env, "roster.csv", ROSTER)
    voc(["import", "accounts", str(cli_env / "roster.csv")])
    write(cli_env, "wave.csv", RESPONSES.replace(",6,5,4,", ",11,5,4,"))
    capsys.readouterr()
    before = snapshot(runtime)

    status = voc(["import", "responses", str(cli_env / "wave.csv"), "--cycle", "2026-Q3"])

    captured = capsys.readouterr()
    assert status == 2
    assert 'row 3, satisfaction: "11" is outside 0–10' in captured.err
    assert captured.out == ""
    assert snapshot(runtime) == before


def test_cli_exits_2_for_a_missing_file(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert voc(["import", "responses", str(cli_env / "nope.csv")]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err


def test_cli_create_accounts_flag(cli_env: Path, runtime: Runtime) -> None:
    write(cli_env, "wave.csv", RESPONSES)

    assert voc(["import", "responses", str(cli_env / "wave.csv"), "--create-accounts"]) == 0

    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 3


def test_stored_ratings_are_json_text_equal_for_equal_ratings(loaded: Runtime) -> None:
    """Ratings written in bulk read back like ORM-written ones (the report code uses the ORM)."""
    with loaded.sessions() as session:
        texts = session.scalars(sa.select(sa.cast(Response.ratings, sa.Text))).all()
    expected = [
        {"Product quality": 7.0, "Support": 9.0},
        {"Support": 4.0},
        {"Product quality": 8.0},
        {"Product quality": 6.0, "Support": 6.0},
    ]
    assert sorted(map(json.loads, texts), key=json.dumps) == sorted(expected, key=json.dumps)


def test_a_semicolon_separated_export_with_decimal_commas_is_read(with_roster: Runtime) -> None:
    text = "account;cycle;respondent;satisfaction;recommend\nAcme Corp;2026-Q3;Jane Doe;7,5;9\n"

    summary = responses(with_roster, text.encode(), filename="excel-fr.csv")

    assert summary.added == 1
    assert stored_responses(with_roster)["Jane Doe"]["satisfaction"] == 7.5
    assert any("semicolons" in warning for warning in summary.warnings)


def test_a_broken_line_after_written_chunks_leaves_nothing_even_if_the_caller_goes_on(
    loaded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The use case rolls back itself, so a caller that catches the error cannot commit half."""
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    rows = "".join(r.replace("2026-Q3", "2026-Q4") for r in (JANE, BOB, ANN))
    broken = RESPONSES_HEADER + rows + RAJ.replace("\n", ",one cell too many\n")
    before = snapshot(loaded)

    with loaded.sessions() as session:
        with pytest.raises(ImportRejected) as caught:
            import_responses(
                session, broken.encode(), workspace_id=WORKSPACE, actor="test", filename="q4.csv"
            )
        session.commit()

    # Raj has 14 cells (the comment is empty); one more makes 15.
    assert "line 5 has 15 cells but the header has 14" in str(caught.value)
    assert snapshot(loaded) == before


def test_both_imports_can_share_one_transaction_with_other_writes(any_runtime: Runtime) -> None:
    """A caller (the demo, a Slack handler) may write before importing, in the same transaction."""
    with transaction(any_runtime.sessions) as session:
        session.add(AuditEntry(workspace_id=WORKSPACE, actor="test", action="x", entity="y"))
        session.flush()
        import_accounts(session, ROSTER.encode(), workspace_id=WORKSPACE, actor="test")
        summary = import_responses(session, RESPONSES.encode(), workspace_id=WORKSPACE, actor="t")

    assert summary.added == 4
    assert benchmarks(any_runtime)[""]["respondents"] == 4
