"""What the interview modal shows and what it sends back: plain data for views and the service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str | None


@dataclass(frozen=True)
class InterviewForm:
    """What the interview modal offers for an account."""

    account_id: int
    account_name: str
    cycle: str
    people: list[Person]
    attributes: list[str]


@dataclass
class InterviewAnswers:
    """What was typed in the modal, as text (the importer reads and checks it)."""

    person_id: int | None = None
    name: str = ""
    title: str = ""
    role: str = ""
    email: str = ""
    responded_on: date | None = None
    satisfaction: str = ""
    recommend: str = ""
    continue_score: str = ""
    ratings: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    contact_me: bool = False
