"""`voc pack`: the customer's review pack through the real command, as HTML and PDF.

Figures are worked out by hand in tests/pack_world.py; the confidentiality rules are checked on
the file a customer would receive: no respondent's name unless `--named`, nothing of another
account, no internal note, no follow-up state or loyalty segment, customer text escaped.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pypdf
import pytest

from bot.runtime import Runtime
from tests.cli import voc
from tests.pack_world import (
    ACME_NAMES,
    GLOBEX_TEXT,
    INITECH_TEXT,
    INTERNAL_NOTE,
    KEPT_BEFORE_LAST_REVIEW,
    load_world,
)
from tests.portfolio import account_row, load, response_row

LOYALTY_WORDS = ("truly loyal", "trapped", "high risk", "accessible")  # segments, per person
FOLLOWUP_WORDS = ("follow-up", "followup", "contacted", "not_needed")


@pytest.fixture
def world(runtime: Runtime) -> Runtime:
    load_world(runtime)
    return runtime


@pytest.fixture
def any_world(any_runtime: Runtime) -> Runtime:
    """The same world on SQLite and, with VOC_TEST_DATABASE_URL, on PostgreSQL."""
    load_world(any_runtime)
    return any_runtime


def _pack(runtime: Runtime, tmp_path: Path, *args: str, out: str = "pack.html") -> str:
    ran = voc(
        "pack", "acme", "--out", out, *args, cwd=tmp_path, DATABASE_URL=str(runtime.engine.url)
    )
    assert ran.code == 0, ran.err
    assert ran.out.strip() == f"Wrote {out}"
    return (tmp_path / out).read_text(encoding="utf-8")


def _visible(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities read, spaces collapsed."""
    body = page.split("<body>", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_pack_shows_the_accounts_results_and_what_was_done_since_the_last_review(
    any_world: Runtime, tmp_path: Path
) -> None:
    page = _pack(any_world, tmp_path)
    text = _visible(page)
    assert "Customer review ACME Corp Feedback cycle 2026-Q4" in text
    assert "People who answered Net Promoter Score Mean satisfaction (0–10) 4 +25" in text
    assert "down 8 points since 2026-Q3" in text  # +25 against +33.3
    assert "Support — 2 comments" in text and "Value for money — 1 comment" in text
    # Since the review of 3 September: the two kept after it, each with its date; not the one
    # kept in August, before it.
    assert "What we did since our last review on 3 September 2026" in text
    assert "Fix the invoice format Account team 28 September 2026" in text
    assert "Send ACME Corp's CIO a contact the new invoice layout Account team 20 October 2026" in (
        text
    )
    assert KEPT_BEFORE_LAST_REVIEW not in text
    # In progress: due dates, and the owners' function where no name is known (IDs never).
    assert "Named support engineer your account team 1 July 2026" in text
    assert "Quarterly roadmap call your account team 15 November 2026" in text
    assert "U0EXEC001" not in page and "U0AM00001" not in page
    assert "1. What can I do to improve your satisfaction and loyalty?" not in text  # an <ol>
    assert "What can the company do to improve?" in text
    assert "Our next review 14 March 2030 at 10:00 UTC." in text


def test_by_default_no_respondent_is_named_and_nothing_internal_or_foreign_is_shown(
    any_world: Runtime, tmp_path: Path
) -> None:
    page = _pack(any_world, tmp_path)
    text = _visible(page)
    for name in ACME_NAMES:
        assert name not in text
    for foreign in (
        GLOBEX_TEXT,
        INITECH_TEXT,
        "GLOBEX-SECRET",
        "INITECH-SECRET",
        "Globex",
        "Initech",
    ):
        assert foreign not in page
    assert "Gus Fring" not in page and "Pete Gibbons" not in page
    assert INTERNAL_NOTE not in text and "furious" not in text
    lowered = text.lower()
    assert not [word for word in (*LOYALTY_WORDS, *FOLLOWUP_WORDS) if word in lowered]
    assert "ACME-ONLY the support ticket sat for days" in text  # its own comments, unattributed


def test_named_puts_each_persons_name_next_to_their_scores_and_quotes(
    world: Runtime, tmp_path: Path
) -> None:
    text = _visible(_pack(world, tmp_path, "--named"))
    # ACME 2026-Q4 (tests/reviews.py): name, title, satisfaction, recommend.
    for row in ("Ann Lee CIO 10 10", "Bob Ray CIO 6 7", "Cy Dunn CIO 4 3", "Di Moss CIO 9 9"):
        assert row in text
    assert "— Ann Lee, CIO" in text
    assert "Ed Wu" not in text  # answered in 2026-Q3 only
    assert "GLOBEX-SECRET" not in text


def test_customer_text_is_escaped_and_the_page_is_self_contained(
    world: Runtime, tmp_path: Path
) -> None:
    page = _pack(world, tmp_path)
    assert "<script" not in page.lower()
    assert "Support was quick &amp; helpful &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;!channel&gt; the invoice is wrong again" in page
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "@page { size: a4 portrait;" in page


def test_hostile_account_and_respondent_names_are_text(runtime: Runtime, tmp_path: Path) -> None:
    load(
        runtime,
        [account_row("Hostile <Inc> & Sons")],
        [
            response_row(
                "Hostile <Inc> & Sons",
                "2026-Q4",
                "Zed <b>Bold</b> & Co",
                3,
                2,
                2,
                comment="<script>steal()</script> support &amp; more",
            )
        ],
    )
    ran = voc(
        "pack",
        "hostile",
        "--out",
        "h.html",
        "--named",
        cwd=tmp_path,
        DATABASE_URL=str(runtime.engine.url),
    )
    assert ran.code == 0, ran.err
    page = (tmp_path / "h.html").read_text(encoding="utf-8")
    assert "Hostile &lt;Inc&gt; &amp; Sons" in page and "<Inc>" not in page
    assert "Zed &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in page and "<b>Bold" not in page
    assert "&lt;script&gt;steal()&lt;/script&gt; support &amp;amp; more" in page
    assert "<script" not in page.lower()


def test_the_pdf_carries_the_same_text_on_two_to_four_pages(world: Runtime, tmp_path: Path) -> None:
    ran = voc(
        "pack", "ACME Corp", "--out", "pack.pdf", cwd=tmp_path, DATABASE_URL=str(world.engine.url)
    )
    assert ran.code == 0, ran.err
    reader = pypdf.PdfReader(io.BytesIO((tmp_path / "pack.pdf").read_bytes()))
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "ACME Corp" in text and "+25" in text
    assert "What we did since our last review on 3 September 2026" in text
    assert "Fix the invoice format" in text and "28 September 2026" in text
    assert "14 March 2030" in text
    for absent in (*ACME_NAMES, "GLOBEX-SECRET", "INITECH-SECRET", KEPT_BEFORE_LAST_REVIEW):
        assert absent not in text


def test_branding_names_the_company_and_embeds_the_logo(world: Runtime, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(_tiny_png())
    ran = voc(
        "pack",
        "acme",
        "--out",
        "pack.html",
        cwd=tmp_path,
        DATABASE_URL=str(world.engine.url),
        VOC_COMPANY_NAME="Vendor & <Co>",
        VOC_LOGO_FILE=str(logo),
    )
    assert ran.code == 0, ran.err
    page = (tmp_path / "pack.html").read_text(encoding="utf-8")
    assert '<div class="company">Vendor &amp; &lt;Co&gt;</div>' in page
    assert f'src="data:image/png;base64,{base64.b64encode(_tiny_png()).decode()}"' in page


@pytest.mark.parametrize(
    "content,reason",
    [(None, "does not exist"), (b"GIF89a not a png", "is not a PNG or JPEG file")],
)
def test_a_logo_that_cannot_be_used_is_one_configuration_line(
    world: Runtime, tmp_path: Path, content: bytes | None, reason: str
) -> None:
    logo = tmp_path / "logo.png"
    if content is not None:
        logo.write_bytes(content)
    ran = voc(
        "pack",
        "acme",
        "--out",
        "pack.html",
        cwd=tmp_path,
        DATABASE_URL=str(world.engine.url),
        VOC_LOGO_FILE=str(logo),
    )
    assert ran.code == 78
    assert ran.err_lines == ["voc: configuration problem", f'VOC_LOGO_FILE: "{logo}" {reason}']
    assert not (tmp_path / "pack.html").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (("nowhere inc", "--out", "x.html"), 'voc pack: No account is called "nowhere inc".'),
        (("acme", "--out", "x.txt"), 'voc pack: --out "x.txt" must end in .html or .pdf'),
        (("acme", "--out", "missing-dir/x.html"), 'voc pack: cannot write "missing-dir/x.html"'),
        (("acme", "--cycle", "1999", "--out", "x.html"), 'voc pack: ACME Corp has no cycle "1999"'),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    world: Runtime, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    ran = voc("pack", *args, cwd=tmp_path, DATABASE_URL=str(world.engine.url))
    assert ran.code == 2
    assert len(ran.err_lines) == 1 and ran.err_lines[0].startswith(message), ran.err
    assert "Traceback" not in ran.err
    assert not list(tmp_path.glob("x.*"))


def test_every_notable_demo_account_gets_a_pack_of_two_to_four_pages(tmp_path: Path) -> None:
    assert voc("demo", cwd=tmp_path).code == 0
    for account in (
        "Halvorsen Freight Group",
        "Pinecrest Mutual Insurance",
        "Northwind Medical Group",
        "Brightwater Utilities Authority",
    ):
        ran = voc("pack", account, "--out", "demo.pdf", cwd=tmp_path)
        assert ran.code == 0, ran.err
        reader = pypdf.PdfReader(io.BytesIO((tmp_path / "demo.pdf").read_bytes()))
        assert 2 <= len(reader.pages) <= 4, (account, len(reader.pages))
        assert account in reader.pages[0].extract_text()


def _tiny_png() -> bytes:
    """A 1×1 PNG, written out byte by byte so the test needs no image library."""
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )


def test_the_pdf_prints_names_beyond_latin_1(runtime: Runtime, tmp_path: Path) -> None:
    """The PDF embeds DejaVu from matplotlib: without it reportlab's Helvetica prints boxes."""
    load(
        runtime,
        [account_row("Zażółć Gęślą ΩΣ")],
        [response_row("Zażółć Gęślą ΩΣ", "2026-Q4", "Łukasz Żółw", 9, 9, 9, comment="Szybko → ✓")],
    )
    ran = voc(
        "pack",
        "Zażółć",
        "--out",
        "z.pdf",
        "--named",
        cwd=tmp_path,
        DATABASE_URL=str(runtime.engine.url),
    )
    assert ran.code == 0, ran.err
    reader = pypdf.PdfReader(io.BytesIO((tmp_path / "z.pdf").read_bytes()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Zażółć Gęślą ΩΣ" in text and "Łukasz Żółw" in text and "Szybko → ✓" in text
