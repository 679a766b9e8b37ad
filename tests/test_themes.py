"""What customers talk about: theme and tone of each comment, as `voc account --json` shows them.

Comments go in through `voc import responses` and come out per person; the table is what B2B
customers write, with negations and sarcasm. The expected tone is what a reader would say. The
rows marked `wrong` are ones the lexicon still reads wrongly: they are strict xfails, so they show
up in every run, and if a change fixes one the run says so.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as voc
from bot.runtime import Runtime
from tests.conftest import SlackBot
from tests.portfolio import AM, account_row, load, response_row
from tests.reviews import DIGEST_DUE, digests_in, schedule, scheduler_settings, tick
from tests.slack import FakeSlack, assert_valid_message
from tests.slack.blockkit import assert_valid_blocks

Cli = Callable[..., tuple[int, str, str]]

# comment, expected tone, expected themes
COMMENTS: list[tuple[str, str, list[str]]] = [
    ("Support never called us back.", "negative", ["Support"]),
    ("We opened three tickets in May and nobody got back to us.", "negative", ["Support"]),
    (
        "No complaints, the support team is quick and knows our setup.",
        "positive",
        ["Support", "Onboarding"],
    ),
    ("Can't fault the support team.", "positive", ["Support"]),
    ("Oh great, another outage during month-end close.", "negative", ["Product quality"]),
    ("Yeah, wonderful, the invoice was wrong again.", "negative", ["Value for money"]),
    ("Not bad at all, the new dashboard is useful.", "positive", ["Reporting"]),
    ("The dashboards are not great.", "negative", ["Reporting"]),
    ("The price keeps going up and nothing improves.", "negative", ["Value for money"]),
    (
        "Everyone on my shift has a workaround for something. We put up with it.",
        "negative",
        ["Product quality"],
    ),
    (
        "Honestly, if the switching cost weren't so high we'd have gone to tender already.",
        "negative",
        ["Value for money"],
    ),
    ("I use it because I have to. Given the choice, I'd switch tomorrow.", "negative", ["other"]),
    ("Implementation took four months longer than planned.", "negative", ["Onboarding"]),
    ("Great onboarding, the trainers were fantastic.", "positive", ["Onboarding"]),
    ("Our account manager is brilliant and always responsive.", "positive", ["Relationship"]),
    (
        "Still waiting for the export we were promised in March.",
        "negative",
        ["Reporting", "Relationship"],
    ),
    ("Nobody at your company listens.", "negative", ["Relationship"]),
    ("Invoices arrive on time.", "neutral", ["Value for money"]),
    ("Best vendor we have, period.", "positive", ["other"]),
]
WRONG: list[tuple[str, str, list[str], str]] = [
    (
        "Love the product, hate the billing.",
        "negative",
        ["Product quality", "Value for money"],
        "mixed praise and complaint get one tone, here VADER's positive sum",
    ),
    (
        "Fantastic, a third billing error this quarter.",
        "negative",
        ["Value for money"],
        "sarcasm without a cue word (oh, yeah, just) reads as praise",
    ),
    (
        "Not the worst support we've had.",
        "neutral",
        ["Support"],
        "faint praise: a negated negative word reads as plainly positive",
    ),
]


@pytest.fixture
def cli(
    any_runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Cli:
    monkeypatch.setenv("DATABASE_URL", any_runtime.engine.url.render_as_string(hide_password=False))
    (tmp_path / "roster.csv").write_text("account,segment\nACME Corp,Enterprise\n")

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    assert run("import", "accounts", str(tmp_path / "roster.csv"))[0] == 0
    return run


def _import_comments(cli: Cli, tmp_path: Path, comments: list[str]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "cycle", "respondent", "email", "satisfaction", "comment"])
        for i, comment in enumerate(comments):
            writer.writerow(
                ["ACME Corp", "2026-Q4", f"Person {i}", f"p{i}@acme.example", 7, comment]
            )
    status, _, err = cli("import", "responses", str(path))
    assert status == 0, err
    status, out, _ = cli("account", "ACME Corp", "--json")
    assert status == 0
    return {p["comment"]: p for p in json.loads(out)["people"]}


def test_each_comment_gets_themes_and_a_tone(cli: Cli, tmp_path: Path) -> None:
    people = _import_comments(cli, tmp_path, [c for c, _, _ in COMMENTS])
    got = {c: (people[c]["tone"], people[c]["themes"]) for c, _, _ in COMMENTS}
    assert got == {c: (tone, themes) for c, tone, themes in COMMENTS}


@pytest.mark.parametrize(
    ("comment", "tone", "themes"),
    [
        pytest.param(c, t, th, marks=pytest.mark.xfail(strict=True, reason=why))
        for c, t, th, why in WRONG
    ],
)
def test_what_the_lexicon_still_reads_wrong(
    cli: Cli, tmp_path: Path, comment: str, tone: str, themes: list[str]
) -> None:
    person = _import_comments(cli, tmp_path, [comment])[comment]
    assert (person["tone"], person["themes"]) == (tone, themes)


def test_a_response_without_a_comment_has_no_themes(cli: Cli, tmp_path: Path) -> None:
    people = _import_comments(cli, tmp_path, ["", "Support never called us back."])
    silent = next(p for p in people.values() if p["comment"] is None)
    assert (silent["themes"], silent["tone"]) == ([], None)


def test_the_operator_extends_the_themes_with_a_yaml_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    themes = tmp_path / "themes.yaml"
    themes.write_text("themes:\n  Delivery: [courier, shipment]\n  Support: [hotline]\n")
    monkeypatch.setenv("VOC_THEMES_FILE", str(themes))
    people = _import_comments(
        cli, tmp_path, ["The courier lost two shipments.", "The hotline is always busy."]
    )
    assert people["The courier lost two shipments."]["themes"] == ["Delivery"]
    assert people["The hotline is always busy."]["themes"] == ["Support"]


def test_a_broken_themes_file_is_one_configuration_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    themes = tmp_path / "themes.yaml"
    themes.write_text("themes:\n  Delivery: [courier\n")
    monkeypatch.setenv("VOC_THEMES_FILE", str(themes))
    status, out, err = cli("account", "ACME Corp")
    assert (status, out) == (78, "")
    assert err.splitlines() == [
        "voc: configuration problem",
        f"VOC_THEMES_FILE: {themes}: not valid YAML at line 3",
    ]


def test_the_report_groups_comments_by_theme_with_their_tone(cli: Cli, tmp_path: Path) -> None:
    _import_comments(
        cli,
        tmp_path,
        [
            "Support never called us back.",
            "Can't fault the support team.",
            "Oh great, another outage during month-end close.",
        ],
    )
    _, text, _ = cli("account", "ACME Corp")
    assert (
        "What they talk about\n"
        "  Support: 2 comments (1 negative, 1 positive)\n"
        "  Product quality: 1 comment (1 negative)\n"
    ) in text


def test_slack_shows_the_themes_escaped(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [account_row("ACME Corp")],
        [
            response_row(
                "ACME Corp",
                "2026-Q4",
                "Ann Lee",
                4,
                3,
                3,
                comment="Support never called back & we waited <again>",
            ),
            response_row("ACME Corp", "2026-Q4", "Bo Chen", 9, 9, 9, comment="Support is great"),
        ],
    )
    bot.slack.add_user(AM)
    url = bot.slack.response_url()
    bot.requests.slash_command("account acme", user_id=AM, response_url=url)
    [payload] = bot.slack.wait_for_response_url()
    assert_valid_blocks(payload["blocks"])
    section = next(
        b["text"]["text"]
        for b in payload["blocks"]
        if b["type"] == "section" and "*What they talk about*" in b["text"]["text"]
    )
    assert section == (
        "*What they talk about*\n"
        "• *Support* — 2 comments (1 negative, 1 positive): "
        "“Support never called back &amp; we waited &lt;again&gt;”"
    )


def test_the_digest_groups_comments_by_theme(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    rt = make_runtime(**scheduler_settings(slack))
    comments = ["Support never called us back.", "Oh great, another outage during month-end close."]
    load(
        rt,
        [account_row("ACME Corp")],
        [
            response_row("ACME Corp", "2026-Q4", f"Person {i}", 5, 5, 5, comment=comment)
            for i, comment in enumerate(comments)
        ],
    )
    schedule(rt)
    tick(rt, DIGEST_DUE)
    [digest] = digests_in(slack)
    assert_valid_message(digest)
    sections = [b["text"]["text"] for b in digest["blocks"] if b["type"] == "section"]
    assert (
        "*What they talk about*\n"
        "• *Product quality* — 1 comment (1 negative): "
        "“Oh great, another outage during month-end close.”\n"
        "• *Support* — 1 comment (1 negative): “Support never called us back.”"
    ) in sections
