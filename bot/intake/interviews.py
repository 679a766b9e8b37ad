"""What a customer said in a conversation, stored as an `interview` response.

An interview is one row of a responses file: it is built as a one-row frame with the file's own
column names and handed to `service.import_responses`, the importer `voc import responses`
runs, so the same validation applies and the same follow-ups, benchmarks and key-driver
statistics follow. It goes into the workspace's current cycle (the latest in cycle order; the
current quarter when there is none yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from bot.core.cycles import cycle_sort_key
from bot.followups.service import policy_of
from bot.intake.interview_values import InterviewAnswers, InterviewForm, Person
from bot.intake.queries import (
    benchmarked_attributes,
    respondent_of,
    respondents_of,
    workspace_cycles,
)
from bot.intake.service import ImportSummary, import_responses
from bot.runtime import Runtime
from bot.themes.lexicon import load_lexicon
from storage.db import transaction
from storage.models import Account

MAX_RATED = 20  # attribute selects in the modal, within its hundred blocks


@dataclass(frozen=True)
class Recorded:
    """What was stored: the import's summary and whom the interview was with."""

    summary: ImportSummary
    person: str


class UnknownPerson(ValueError):
    """The picked person is not one of the account's (gone, or a forged ID)."""


def current_cycle(runtime: Runtime, workspace_id: str, today: date) -> tuple[int | None, str]:
    """The latest cycle in cycle order, or the current quarter's label when there is none."""
    with runtime.sessions() as session:
        cycles = workspace_cycles(session, workspace_id)
    if not cycles:
        return None, f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    cycle_id, label, _ = max(cycles, key=lambda c: cycle_sort_key(c[2], c[1]))
    return cycle_id, label


def interview_form(
    runtime: Runtime, workspace_id: str, account: Account, today: date
) -> InterviewForm:
    """The account's known people and the attributes its current cycle rates."""
    cycle_id, label = current_cycle(runtime, workspace_id, today)
    with runtime.sessions() as session:
        people = [Person(p.id, p.name, p.email) for p in respondents_of(session, account.id)]
        rated = benchmarked_attributes(session, workspace_id, [cycle_id]) if cycle_id else set()
    return InterviewForm(account.id, account.name, label, people, sorted(rated)[:MAX_RATED])


def record_interview(
    runtime: Runtime,
    workspace_id: str,
    account: Account,
    answers: InterviewAnswers,
    *,
    actor: str,
    today: date,
) -> Recorded:
    """Store the interview; ImportRejected names the fields that are wrong (row 2 of a file)."""
    _, cycle = current_cycle(runtime, workspace_id, today)
    settings = runtime.settings
    with transaction(runtime.sessions) as session:
        name, email = answers.name.strip(), answers.email.strip()
        if answers.person_id is not None:
            person = respondent_of(session, account.id, answers.person_id)
            if person is None:
                raise UnknownPerson(answers.person_id)
            name, email = person.name, person.email or email
        row = {
            "account": account.name,
            "cycle": cycle,
            "respondent": name,
            "title": answers.title,
            "email": email,
            "role": answers.role,
            "responded_on": answers.responded_on.isoformat() if answers.responded_on else "",
            "source": "interview",
            "satisfaction": answers.satisfaction,
            "recommend": answers.recommend,
            "continue": answers.continue_score,
            **{f"rating:{name}": value for name, value in answers.ratings.items()},
            "comment": answers.comment,
            "contact_me": "yes" if answers.contact_me else "",
        }
        summary = import_responses(
            session,
            pd.DataFrame([row], dtype=object),
            workspace_id=workspace_id,
            actor=actor,
            filename="interview",
            followups=policy_of(settings),
            themes=load_lexicon(settings.themes_file),
        )
    return Recorded(summary, name)
