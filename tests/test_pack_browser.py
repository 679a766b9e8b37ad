"""The review pack in a real browser: headless Chromium (Debian's `chromium`) reads the file a
customer gets, at the width of an A4 page (794 CSS pixels), and reports what it laid out.

The page carries no script of its own; the test appends one to its copy that writes the page's
scroll width into the DOM, and reads it back with `--dump-dom`. Without Chromium it skips and
says why; `.ci/run` installs it.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.runtime import Runtime
from tests.cli import voc
from tests.pack_world import ACME_NAMES, load_world

A4_WIDTH = 794  # CSS pixels: 210 mm at 96 per inch
A4_HEIGHT = 1123
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MEASURE = (
    "<script>document.body.setAttribute('data-scroll-width',"
    " String(document.documentElement.scrollWidth));</script>"
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={A4_WIDTH},{A4_HEIGHT}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_pack_reads_right_and_fits_an_a4_page_in_chromium(
    runtime: Runtime, tmp_path: Path
) -> None:
    load_world(runtime)
    ran = voc(
        "pack", "acme", "--out", "pack.html", cwd=tmp_path, DATABASE_URL=str(runtime.engine.url)
    )
    assert ran.code == 0, ran.err
    page = (tmp_path / "pack.html").read_text(encoding="utf-8")
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    dom = _chromium("--dump-dom", measured.as_uri())
    assert dom.returncode == 0, dom.stderr
    width = re.search(r'data-scroll-width="(\d+)"', dom.stdout)
    assert width is not None, dom.stdout[:500]
    assert int(width.group(1)) <= A4_WIDTH  # no horizontal overflow at A4 width
    body = dom.stdout.split("<body", 1)[1]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert "Customer review ACME Corp Feedback cycle 2026-Q4" in text
    assert "Fix the invoice format Account team 28 September 2026" in text
    assert "Support was quick & helpful <script>alert(1)</script>" in text  # shown, not run
    assert not [name for name in ACME_NAMES if name in text]
    assert dom.stdout.count("<script") == 1  # only the test's own

    shot = tmp_path / "pack.png"
    assert _chromium(f"--screenshot={shot}", measured.as_uri()).returncode == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
