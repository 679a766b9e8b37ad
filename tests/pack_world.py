"""The review-pack world: ACME Corp with its September review and what was promised there
(tests/reviews.py), comments that say who wrote them, and two neighbours whose distinctive
comments must never reach ACME's pack.

2026-Q4 at ACME (tests/reviews.py): recommend 10, 7, 3, 9 → two promoters, one detractor of
four → NPS +25; in 2026-Q3 10, 9, 4 → +33.3, so the change is −8.3: "down 8 points".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.meetings.service import schedule_meeting
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account, Commitment
from tests.portfolio import AM, account_row, load, response_row
from tests.reviews import ACME_Q3, ACME_Q4, add_last_review

ACME_NAMES = ["Ann Lee", "Bob Ray", "Cy Dunn", "Di Moss", "Ed Wu"]
HOSTILE_COMMENT = "Support was quick & helpful <script>alert(1)</script>"
PING_COMMENT = "<!channel> the invoice is wrong again"
ACME_COMMENTS = {
    "Ann Lee": HOSTILE_COMMENT,  # Support
    "Bob Ray": "ACME-ONLY the support ticket sat for days",  # Support
    "Cy Dunn": PING_COMMENT,  # Value for money
}
GLOBEX_TEXT = "GLOBEX-SECRET purple elephant, support ticket lost"  # Support
INITECH_TEXT = "INITECH-SECRET the invoice price is too high"  # Value for money
NEXT_REVIEW = datetime(2030, 3, 14, 10, 0, tzinfo=UTC)
KEPT_BEFORE_LAST_REVIEW = "Old promise kept in August"
INTERNAL_NOTE = "INTERNAL-NOTE Cy is furious, handle with care"


def load_world(runtime: Runtime) -> None:
    rows = [response_row("ACME Corp", "2026-Q3", n, s, r, c) for n, s, r, c in ACME_Q3]
    rows += [
        response_row("ACME Corp", "2026-Q4", n, s, r, c, comment=ACME_COMMENTS.get(n))
        for n, s, r, c in ACME_Q4
    ]
    rows += [response_row("Globex", "2026-Q4", "Gus Fring", 7, 10, 9, comment=GLOBEX_TEXT)]
    rows += [response_row("Initech", "2026-Q4", "Pete Gibbons", 2, 0, 2, comment=INITECH_TEXT)]
    load(
        runtime,
        [
            account_row("ACME Corp"),
            account_row("Globex", channel="C0GLOBEX1"),
            account_row("Initech", segment="Mid-Market", channel="C0INITEC1"),
        ],
        rows,
    )
    add_last_review(runtime)  # 3 Sep 2026: "Fix the invoice format" done 28 Sep; two open
    acme, globex, initech = (_id(runtime, name) for name in ("ACME Corp", "Globex", "Initech"))
    with transaction(runtime.sessions) as session:
        session.add_all(
            [
                _done(acme, KEPT_BEFORE_LAST_REVIEW, datetime(2026, 8, 10, 12, 0, tzinfo=UTC)),
                _done(
                    acme,
                    "Send ACME Corp's CIO Ann Lee the new invoice layout",
                    datetime(2026, 10, 20, 9, 0, tzinfo=UTC),
                    answers=INTERNAL_NOTE,
                ),
                _done(
                    globex,
                    "Call Gus Fring about Globex's lost ticket",
                    datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                    area="support",
                ),
                Commitment(
                    workspace_id="local",
                    account_id=initech,
                    text="Publish the Initech roadmap for Pete Gibbons",
                    owner="pm@vendor.example",
                    due_on=date(2030, 1, 31),
                    area="product",
                    status="open",
                    created_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
                ),
            ]
        )
        account = session.get(Account, acme)
        assert account is not None
        schedule_meeting(
            session,
            account,
            NEXT_REVIEW,
            channel=None,
            actor=AM,
            now=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
            settings=runtime.settings,
        )


def _id(runtime: Runtime, name: str) -> int:
    with runtime.sessions() as session:
        return session.scalars(select(Account.id).where(Account.name == name)).one()


def _done(account: int, text: str, at: datetime, **fields: Any) -> Commitment:
    return Commitment(
        workspace_id="local",
        account_id=account,
        text=text,
        owner=AM,
        due_on=at.date(),
        status="done",
        created_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        done_at=at,
        **{"area": "account_team", **fields},
    )
