"""The pre-meeting digest lists who is still waiting for a first contact, as posted.

The review world of `tests.reviews`: ACME Corp meets on Thursday 3 December 2026; its digest is
due Tuesday 1 December 09:00 Paris. The feedback is imported on Wednesday 25 November at 16:00
Paris (15:00 UTC), so with the default two working days the first contact was due on Friday
27 November at 16:00 Paris: by the digest, every open follow-up is past the target.

Who gets one, by the rules in data-formats.md: Bob Ray (8 → 6: dissatisfied, high risk, a drop
of 2), Cy Dunn (4, 3, 3: dissatisfied, detractor, high risk) and Ed Wu (a decision maker who
answered Q3 and not Q4: silent). Ann Lee (10) and Di Moss (9) do not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.core import clock
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Followup, Respondent
from tests.portfolio import AM, account_row, load, response_row
from tests.reviews import (
    DIGEST_DUE,
    block_texts,
    digests_in,
    load_acme,
    schedule,
    scheduler_settings,
    tick,
)
from tests.slack import FakeSlack

IMPORTED = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def rt(
    make_runtime: Callable[..., Runtime], slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    monkeypatch.setattr(clock, "utc_now", lambda: IMPORTED)
    return make_runtime(**scheduler_settings(slack))


def _digest(rt: Runtime, slack: FakeSlack) -> dict[str, Any]:
    schedule(rt)
    tick(rt, DIGEST_DUE)
    [digest] = digests_in(slack)
    return digest


def _waiting_section(digest: dict[str, Any]) -> str:
    return "\n".join(
        block["text"]["text"]
        for block in digest["blocks"]
        if block["type"] == "section" and "first contact" in block["text"]["text"]
    )


def test_the_digest_lists_open_follow_ups_with_reasons_owner_and_due(
    rt: Runtime, slack: FakeSlack
) -> None:
    load_acme(rt)
    with transaction(rt.sessions) as session:  # Ed Wu was called back: no longer waiting
        session.execute(
            update(Followup)
            .where(Followup.id == _id_of(rt, "Ed Wu"))
            .values(status="contacted", contacted_at=DUE)
        )
    text = _waiting_section(_digest(rt, slack))
    assert "*Waiting for a first contact* — 2 people, 2 past the first-contact target" in text
    due = f"<!date^{int(DUE.timestamp())}^{{date_short_pretty}} at {{time}}|2026-11-27 16:00 CET>"
    assert (
        "*Bob Ray* (decision maker) · ACME Corp · dissatisfied, high risk, satisfaction dropped\n"
        f"Owner <@{AM}> · first contact due {due} · :warning: past the SLA"
    ) in text
    assert "*Cy Dunn* (decision maker) · ACME Corp · dissatisfied, detractor, high risk" in text
    assert "Ed Wu" not in text


def _id_of(rt: Runtime, name: str) -> int:
    with rt.sessions() as session:
        return session.scalars(
            select(Followup.id)
            .join(Respondent, Respondent.id == Followup.respondent_id)
            .where(Respondent.name == name)
        ).one()


def test_names_are_escaped_and_a_long_list_fits_slack_limits(rt: Runtime, slack: FakeSlack) -> None:
    rows = [
        response_row("ACME Corp", "2026-Q4", f"<!here> Person {i:02d} & co", 3, 2, 2)
        for i in range(30)
    ]
    load(rt, [account_row("ACME Corp")], rows)
    digest = _digest(rt, slack)
    assert len(digest["blocks"]) <= 50
    text = _waiting_section(digest)
    assert "*Waiting for a first contact* — 30 people, 30 past the first-contact target" in text
    assert "*&lt;!here&gt; Person 00 &amp; co*" in text
    assert "<!here>" not in block_texts(digest) and "<!here>" not in digest["text"]
    assert "…and 22 more: `/voc followups ACME Corp`" in text
