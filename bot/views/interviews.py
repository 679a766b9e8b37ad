"""The interview modal (`/voc interview ACCOUNT`, "Log as interview note"), and reading it back.

Every field is optional in Slack but satisfaction and the person: what is wrong is said by the
importer, on the field it concerns. People's names and account names come from files: they
appear in plain_text (labels, options), which Slack shows literally.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from bot.core.slack import Mrkdwn, mrkdwn
from bot.intake.interview_values import InterviewAnswers, InterviewForm
from bot.views.common import Block, context, truncate

INTERVIEW_CALLBACK = "interview_modal"
INTERVIEW_SHORTCUT = "log_interview"
FIELD = "value"
ROLES = (("decision_maker", "Decision maker"), ("influencer", "Influencer"), ("user", "User"))
SCORE_BLOCKS = ("satisfaction", "recommend", "continue")
_ROW_PROBLEM = re.compile(r"^row \d+, (?P<column>[^:]+):")


def interview_modal(form: InterviewForm, today: date, comment: str = "") -> Block:
    blocks: list[Block] = [
        context(mrkdwn("*{}* · cycle {} · source: interview", form.account_name, form.cycle)),
    ]
    if form.people:
        options = [
            _option(p.name if not p.email else f"{p.name} ({p.email})", str(p.id))
            for p in form.people
        ]
        blocks.append(
            _input("person", "Person (known respondents)", _select(options), optional=True)
        )
    blocks += [
        _input("name", "Or a new person: name", _text(), optional=True),
        _input("title", "Job title", _text(), optional=True),
        _input(
            "role",
            "Role",
            _select([_option(label, value) for value, label in ROLES]),
            optional=True,
        ),
        _input("email", "Email", _text(), optional=True),
        _input(
            "date",
            "Date of the conversation",
            {"type": "datepicker", "action_id": FIELD, "initial_date": today.isoformat()},
        ),
        _input("satisfaction", "Overall satisfaction (0–10)", _scores()),
        _input("recommend", "Likely to recommend (0–10)", _scores(), optional=True),
        _input("continue", "Likely to continue (0–10)", _scores(), optional=True),
    ]
    for index, attribute in enumerate(form.attributes):
        blocks.append(_input(f"rating_{index}", f"Rating: {attribute}", _scores(), optional=True))
    blocks += [
        _input("comment", "What they said", _text(multiline=True, initial=comment), optional=True),
        _input(
            "contact",
            "Follow-up",
            {
                "type": "checkboxes",
                "action_id": FIELD,
                "options": [_option("They asked to be contacted", "yes")],
            },
            optional=True,
        ),
    ]
    metadata = json.dumps({"account_id": form.account_id, "attributes": form.attributes})
    return {
        "type": "modal",
        "callback_id": INTERVIEW_CALLBACK,
        "title": {"type": "plain_text", "text": "Log an interview"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks,
    }


def read_answers(values: dict[str, Any], attributes: list[str]) -> InterviewAnswers:
    """The modal's state as text; a person ID that is not a number names nobody."""
    person = _selected(values, "person")
    answers = InterviewAnswers(
        person_id=int(person) if person.isdigit() and len(person) < 19 else None,
        name=_typed(values, "name"),
        title=_typed(values, "title"),
        role=_selected(values, "role"),
        email=_typed(values, "email"),
        satisfaction=_selected(values, "satisfaction"),
        recommend=_selected(values, "recommend"),
        continue_score=_selected(values, "continue"),
        ratings={a: _selected(values, f"rating_{i}") for i, a in enumerate(attributes[:20])},
        comment=_typed(values, "comment"),
        contact_me=bool((values.get("contact", {}).get(FIELD) or {}).get("selected_options")),
    )
    picked = (values.get("date", {}).get(FIELD) or {}).get("selected_date")
    try:
        answers.responded_on = date.fromisoformat(picked) if picked else None
    except ValueError:
        answers.responded_on = None
    return answers


def field_errors(problems: list[str], attributes: list[str]) -> dict[str, str]:
    """The importer's problems on the fields they concern (`row 2, email: …` → email)."""
    blocks = {"respondent": "name", "title": "title", "email": "email", "role": "role"}
    blocks.update({name: name for name in SCORE_BLOCKS})
    blocks.update({"responded_on": "date", "comment": "comment"})
    blocks.update({f"rating:{a}": f"rating_{i}" for i, a in enumerate(attributes)})
    errors: dict[str, str] = {}
    for problem in problems:
        match = _ROW_PROBLEM.match(problem)
        column = match.group("column").strip() if match else ""
        block = blocks.get(column) or blocks.get(column.lower()) or "comment"
        text = problem[match.end() :].strip() if match else problem
        errors.setdefault(block, truncate(text, 150))
    return errors


def recorded_text(person: str, account: str, cycle: str, followups: int) -> Mrkdwn:
    opened = " A follow-up was opened." if followups else ""
    return mrkdwn("Interview with *{}* at *{}* recorded in {}.{}", person, account, cycle, opened)


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": truncate(label, 2000)},
        "element": element,
        "optional": optional,
    }


def _text(*, multiline: bool = False, initial: str = "") -> Block:
    element: Block = {"type": "plain_text_input", "action_id": FIELD, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:3000]
        element["max_length"] = 3000
    return element


def _option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": truncate(text, 75)}, "value": value}


def _select(options: list[Block]) -> Block:
    return {"type": "static_select", "action_id": FIELD, "options": options[:100]}


def _scores() -> Block:
    return _select([_option(str(n), str(n)) for n in range(10, -1, -1)])


def _typed(values: dict[str, Any], block: str) -> str:
    return str((values.get(block, {}).get(FIELD) or {}).get("value") or "")


def _selected(values: dict[str, Any], block: str) -> str:
    option = (values.get(block, {}).get(FIELD) or {}).get("selected_option") or {}
    return str(option.get("value") or "")
