"""The commitment views on their own: notes split into rows, markup made plain, every view and
message valid Block Kit at its limits, and outside text shown literally."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.commitments.values import AnswerChoice, OpenItem
from bot.core.slack import markup_to_plain
from bot.settings import AREAS
from bot.views.commitments import (
    MAX_ROWS,
    ModalContent,
    ModalContext,
    RowValues,
    area_announcement,
    commitment_message,
    commitments_modal,
    items_from_message,
    open_list_message,
    owner_dm,
    read_rows,
)
from storage.models import Commitment
from tests.slack import assert_valid_blocks, assert_valid_message, assert_valid_view

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (
            "Notes from the review\n• send the roadmap\n• fix the invoice\n\nThanks all",
            [("send the roadmap", None), ("fix the invoice", None)],
        ),
        (
            "- one\n* two\n1. three\n2) four\n– five\n[ ] six\n[x] seven",
            [(w, None) for w in ["one", "two", "three", "four", "five", "six", "seven"]],
        ),
        ("Call their CFO about\nthe renewal", [("Call their CFO about the renewal", None)]),
        ("• <@U0TEAM001|tess>: send the roadmap", [("send the roadmap", "U0TEAM001")]),
        ("• ask <@U0TEAM001> to call", [("ask @U0TEAM001 to call", None)]),
        ("", []),
    ],
)
def test_notes_are_split_one_row_per_bullet(text: str, rows: list[tuple[str, str | None]]) -> None:
    assert [(r.text, r.owner) for r in items_from_message(text)] == rows


def test_slack_markup_becomes_what_a_person_saw() -> None:
    assert (
        markup_to_plain(
            "see <https://x.example/roadmap|the roadmap> &amp; <#C0ACME001|acct-acme>, "
            "<!here>, <mailto:a@b.example|a@b.example> &lt;3"
        )
        == "see the roadmap & #acct-acme, @here, a@b.example <3"
    )


def _commitment(**fields: object) -> Commitment:
    values: dict[str, object] = {
        "id": 7,
        "workspace_id": "local",
        "account_id": 1,
        "text": "Send the roadmap <!channel>\nand the <https://evil.example|pricing>",
        "owner": "U0TEAM001",
        "due_on": date(2026, 12, 30),
        "area": "product",
        "status": "open",
        "customer_told": True,
        "answers": "Cy <Dunn>, 2026-Q4: “slow”",
        "created_by": "U0AM00001",
        "channel": "C0ACME001",
        "message_ts": "1700000000.000100",
        "version": 1,
    }
    values.update(fields)
    return Commitment(**values)


def _all_text(text: str, blocks: list[dict]) -> str:
    return text + json.dumps(blocks)


def test_outside_text_never_pings_or_links() -> None:
    row = _commitment()
    for text, blocks in (
        commitment_message(row, "ACME <Corp> & Co", "white_check_mark", PARIS),
        owner_dm(row, "ACME <Corp> & Co", None, "white_check_mark", PARIS),
        area_announcement(row, "ACME <Corp> & Co", None, PARIS),
    ):
        assert_valid_message({"text": text, "blocks": blocks})
        shown = _all_text(text, blocks)
        assert "<!channel>" not in shown and "<https://evil" not in shown
        assert "&lt;!channel&gt;" in shown and "ACME &lt;Corp&gt; &amp; Co" in shown


def test_a_done_commitment_is_struck_through_line_by_line() -> None:
    row = _commitment(
        status="done", done_by="U0AM00001", done_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    )
    text, blocks = commitment_message(row, "ACME Corp", "heavy_check_mark", PARIS)
    shown = _all_text(text, blocks)
    assert (
        "~Send the roadmap &lt;!channel&gt;~\\n~and the &lt;https://evil.example|pricing&gt;~"
        in shown
    )
    assert "Done by <@U0AM00001> <!date^1796137200^" in shown  # 2026-12-01 15:00 UTC
    assert "Removing the :heavy_check_mark: reaction reopens it." in shown


def _choices() -> list[AnswerChoice]:
    meeting = AnswerChoice(
        "meeting:3", "meeting", meeting_at=datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    )
    feedback = [
        AnswerChoice(
            f"response:{i}",
            "feedback",
            respondent=f"Person {i}",
            cycle="2026-Q4",
            comment="x " * 200,
        )
        for i in range(15)
    ]
    return [meeting, *feedback]


def test_the_fullest_modal_fits_slack_limits() -> None:
    rows = [
        RowValues(
            text="y" * 5000,
            owner="U0TEAM001",
            due=date(2026, 12, 1),
            area=AREAS[i % len(AREAS)],
            told=True,
            answer="meeting:3",
        )
        for i in range(MAX_ROWS)
    ]
    context = ModalContext(account_id=1, rows=tuple(range(MAX_ROWS)), next_row=MAX_ROWS)
    content = ModalContent(account_name="A" * 300, choices=_choices(), tz=PARIS, note="n" * 4000)
    view = commitments_modal(content, context, rows)
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    first_answers = next(b for b in view["blocks"] if b.get("block_id") == "c0_answers")
    assert first_answers["element"]["initial_option"]["text"]["text"] == (
        "Review meeting, Fri 20 Nov 2026 14:00"  # in the reader's zone, Paris
    )


def test_what_was_typed_is_read_back_by_row_key() -> None:
    context = ModalContext(account_id=1, rows=(0, 3), next_row=4)
    values = {
        "c3_text": {"text": {"type": "plain_text_input", "value": "  Call the CFO "}},
        "c3_owner": {"owner": {"type": "users_select", "selected_user": "U0EXEC001"}},
        "c3_due": {"due": {"type": "datepicker", "selected_date": "2026-12-02"}},
        "c3_area": {"area": {"type": "static_select", "selected_option": {"value": "executive"}}},
        "c3_told": {"told": {"type": "checkboxes", "selected_options": [{"value": "told"}]}},
        "c3_answers": {"answers": {"type": "plain_text_input", "value": "QBR"}},
    }
    assert read_rows(values, context) == [
        (0, RowValues()),
        (
            3,
            RowValues(
                text="Call the CFO",
                owner="U0EXEC001",
                due=date(2026, 12, 2),
                area="executive",
                told=True,
                answer="QBR",
            ),
        ),
    ]
    assert ModalContext.from_metadata(context.to_metadata()) == context


def test_a_long_open_list_fits_in_one_message() -> None:
    items = [OpenItem(_commitment(id=i, text="z" * 3000), "ACME Corp") for i in range(120)]
    text, blocks = open_list_message(
        "Open commitments · ACME <Corp>", items, PARIS, date(2027, 1, 5)
    )
    assert_valid_blocks(blocks)
    assert "and 80 more" in json.dumps(blocks)
    assert "overdue" in json.dumps(blocks)  # due Dec 30, seen on Jan 5
    assert "&lt;Corp&gt;" in text
