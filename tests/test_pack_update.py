"""`voc update`: "you said, we did" to every customer, counted by hand on tests/pack_world.py.

2026-Q4: ACME 4 people, Globex 1, Initech 1 → 6 people at 3 customers. Comments: Support in
ACME's two and Globex's one (3), Value for money in ACME's one and Initech's one (2). Completed
since the cycle began (1 October 2026): ACME's invoice layout (account team, 20 Oct) and Globex's
ticket call (support, 2 Nov); "Fix the invoice format" was kept on 28 September, before it. Open:
two of ACME's (account team) and Initech's roadmap (product).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import Runtime
from tests.cli import voc
from tests.pack_world import ACME_NAMES, load_world

EVERY_NAME = (*ACME_NAMES, "Gus", "Fring", "Pete", "Gibbons", "ACME", "Globex", "Initech")


@pytest.fixture
def world(any_runtime: Runtime) -> Runtime:
    """On SQLite and, with VOC_TEST_DATABASE_URL, PostgreSQL: the counts are SQL."""
    load_world(any_runtime)
    return any_runtime


def _update(runtime: Runtime, tmp_path: Path, out: str, *args: str) -> str:
    ran = voc("update", "--out", out, *args, cwd=tmp_path, DATABASE_URL=str(runtime.engine.url))
    assert ran.code == 0, ran.err
    return (tmp_path / out).read_text(encoding="utf-8")


def test_the_markdown_update_counts_themes_and_work_by_function(
    world: Runtime, tmp_path: Path
) -> None:
    text = _update(world, tmp_path, "update.md")
    assert text.startswith("# You said, we did\n")
    assert "6 people at 3 customers answered our survey in 2026-Q4. Thank you." in text
    assert "1. Support — 3 comments\n2. Value for money — 2 comments\n" in text
    assert (
        "### Account team — 1 commitment completed\n\n"
        "- Send the customer's CIO a contact the new invoice layout\n"
    ) in text
    assert (
        "### Support — 1 commitment completed\n\n"
        "- Call a contact about the customer's lost ticket\n"
    ) in text
    assert "Fix the invoice format" not in text  # kept before the cycle began
    assert "### Account team — 2 commitments in progress" in text
    assert "- Named support engineer\n- Quarterly roadmap call\n" in text  # soonest due first
    assert (
        "### Product — 1 commitment in progress\n\n- Publish the customer roadmap for a contact\n"
        in (text)
    )


def test_the_update_names_no_customer_nor_any_of_their_people(
    world: Runtime, tmp_path: Path
) -> None:
    for out in ("update.md", "update.html"):
        text = _update(world, tmp_path, out).split("<body>")[-1]  # the stylesheet has its @page
        assert not [name for name in EVERY_NAME if name.casefold() in text.casefold()], out
        assert "@" not in text and "U0" not in text
        assert "SECRET" not in text and "INTERNAL-NOTE" not in text  # no comment text, no note


def test_the_html_update_is_the_same_content_escaped(world: Runtime, tmp_path: Path) -> None:
    page = _update(world, tmp_path, "update.html")
    assert "6 people at 3 customers answered our survey in 2026-Q4." in page
    assert "<li>Call a contact about the customer&#39;s lost ticket</li>" in page
    assert "<script" not in page.lower()


@pytest.mark.parametrize(
    "args,message",
    [
        (("--out", "update.pdf"), 'voc update: --out "update.pdf" must end in .html or .md'),
        (("--cycle", "1999", "--out", "u.md"), 'voc update: no cycle "1999"; cycles with answers'),
        (("--out", "missing-dir/u.md"), 'voc update: cannot write "missing-dir/u.md"'),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    world: Runtime, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    ran = voc("update", *args, cwd=tmp_path, DATABASE_URL=str(world.engine.url))
    assert ran.code == 2 and len(ran.err_lines) == 1, ran.err
    assert ran.err_lines[0].startswith(message), ran.err
