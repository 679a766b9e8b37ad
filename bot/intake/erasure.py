"""Forgetting one person: `voc forget --email EMAIL` / `voc forget --name NAME --account A`.

A customer may ask for everything the company holds about them to be erased. Their responses
(comments, themes and tone with them), the follow-ups opened about them and the person rows
that name them are deleted; commitments and audit entries, which other people wrote, stay but
are cut free of the person's name, email and words (`bot.core.redaction`); the figures built
from their answers (benchmarks, key-driver statistics) are recomputed as `voc forget --cycle`
recomputes them. One `forget_person` audit entry says what went, by counts, accounts and cycle
labels, never by name, email or answer. The caller reclaims the freed pages afterwards
(`storage.db.reclaim_freed_pages`), since deleted bytes otherwise stay in a SQLite file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from bot.accounts.queries import describe_miss, find_account
from bot.commitments.queries import redact_commitments
from bot.core.names import name_key, squeeze
from bot.core.redaction import Redaction
from bot.errors import BadInput, NotFound
from bot.figures.service import refresh_accounts
from bot.intake import queries
from bot.intake.service import one_import_at_a_time, recompute_benchmarks
from storage import audit
from storage.db import overwrite_deleted_content
from storage.models import Account, Respondent

NAME_NEEDS_ACCOUNT = "--name needs --account: people at different accounts share names."


@dataclass(frozen=True)
class Person:
    """Who to forget, as the operator typed it: an email, or a name at one account."""

    email: str | None = None
    name: str | None = None
    account: str | None = None


@dataclass(frozen=True)
class PersonForgetting:
    """What forgetting a person removes (or removed): counts, accounts and cycles only."""

    people: int
    accounts: tuple[str, ...]
    cycles: tuple[str, ...]
    responses: int
    comments: int
    followups: int
    commitments: int = 0
    audit_entries: int = 0
    cycles_removed: tuple[str, ...] = ()


def plan_forget_person(session: Session, workspace_id: str, who: Person) -> PersonForgetting:
    """What `forget_person` would erase; changes nothing."""
    people = _people(session, workspace_id, who)
    return _counted(session, people)


def forget_person(
    session: Session, workspace_id: str, who: Person, *, actor: str
) -> PersonForgetting:
    """Erase the person everywhere, in the caller's transaction."""
    one_import_at_a_time(session, workspace_id)
    overwrite_deleted_content(session)
    people = _people(session, workspace_id, who)
    counted = _counted(session, people)
    ids = [person.id for person in people]
    answers = queries.answers_of(session, ids)
    followups = queries.followups_of(session, ids)
    account_ids = sorted({person.account_id for person in people})
    redaction = Redaction.of(
        [person.name for person in people],
        [person.email for person in people] + [who.email],
        [answer.comment for answer in answers],
    )
    queries.delete_people(session, ids)
    cycles = {answer.cycle_id: answer.label for answer in answers}
    recompute_benchmarks(session, workspace_id, cycles)
    refresh_accounts(session, workspace_id, account_ids)  # their people tables named the person
    removed = tuple(
        label for cycle_id, label in sorted(cycles.items(), key=lambda c: c[1])
        if queries.delete_cycle_if_empty(session, cycle_id)
    )  # fmt: skip
    commitments = redact_commitments(session, account_ids, redaction)
    entries = audit.redact(session, workspace_id, redaction, {"followup": followups})
    done = replace(counted, commitments=commitments, audit_entries=entries, cycles_removed=removed)
    _audit(session, workspace_id, actor, done, account_ids, by="email" if who.email else "name")
    return done


def _people(session: Session, workspace_id: str, who: Person) -> list[Respondent]:
    """The stored people `who` names; refuses an unknown account, an unknown person, and a
    name several people at the account share."""
    account = _account(session, workspace_id, who.account)
    if who.email is not None:
        email = who.email.strip().lower()
        if "@" not in email:
            raise BadInput(f'"{who.email}" is not an email address.')
        found = queries.people_with_email(
            session, workspace_id, email, account.id if account else None
        )
        if not found:
            where = f" at {account.name}" if account else ""
            raise NotFound(f'No one{where} has the email "{email}".')
        return found
    if account is None or who.name is None:
        raise BadInput(NAME_NEEDS_ACCOUNT)
    found = queries.people_named(session, account.id, name_key(who.name))
    if not found:
        raise NotFound(f'No one at {account.name} is called "{squeeze(who.name)}".')
    if len(found) > 1:
        raise BadInput(
            f'{len(found)} people at {account.name} are called "{squeeze(who.name)}": '
            "say which with --email."
        )
    return found


def _account(session: Session, workspace_id: str, query: str | None) -> Account | None:
    if query is None:
        return None
    match = find_account(session, workspace_id, query)
    if match.account is None:
        raise NotFound(describe_miss(query, match))
    return match.account


def _counted(session: Session, people: list[Respondent]) -> PersonForgetting:
    ids = [person.id for person in people]
    answers = queries.answers_of(session, ids)
    return PersonForgetting(
        people=len(people),
        accounts=tuple(sorted({person.account.name for person in people})),
        cycles=tuple(sorted({answer.label for answer in answers})),
        responses=len(answers),
        comments=sum(1 for answer in answers if (answer.comment or "").strip()),
        followups=len(queries.followups_of(session, ids)),
    )


def _audit(
    session: Session,
    workspace_id: str,
    actor: str,
    done: PersonForgetting,
    account_ids: list[int],
    *,
    by: str,
) -> None:
    """The one trace of the erasure: what kind of thing went, and how much, never whose."""
    audit.record(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action="forget_person",
        entity="person",
        entity_id=None,
        details={
            "by": by,
            "account_ids": account_ids,
            "cycles": list(done.cycles),
            "people": done.people,
            "responses": done.responses,
            "comments": done.comments,
            "followups": done.followups,
            "commitments_redacted": done.commitments,
            "audit_entries_redacted": done.audit_entries,
            "cycles_removed": list(done.cycles_removed),
        },
    )
    session.flush()
