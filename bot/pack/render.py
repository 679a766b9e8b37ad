"""The pack and the update as files: HTML from the document templates (autoescaped), Markdown,
and PDF made from the very same HTML by xhtml2pdf.

xhtml2pdf is pure Python (on reportlab): `pip install` alone brings it, with no system library
to install, which WeasyPrint's Pango would need. For the PDF the template gets matplotlib's
bundled DejaVu fonts, so names beyond Latin-1 print as letters rather than boxes; the HTML file
names no font file and stays self-contained.
"""

from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

from bot import formatting
from bot.core.text import plural
from bot.pack.model import CustomerUpdate, ReviewPack
from bot.templating import render_document

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


FACES = (
    ("normal", "normal", ""),
    ("bold", "normal", "-Bold"),
    ("normal", "italic", "-Oblique"),
    ("bold", "italic", "-BoldOblique"),
)


class PdfFailed(RuntimeError):
    """The PDF library could not lay the document out."""


def day(value: date) -> str:
    """`3 December 2026`: a date a customer anywhere reads the same way."""
    return f"{value.day} {value:%B %Y}"


def movement(
    current: float | None, previous: float | None, points: bool, previous_cycle: str | None
) -> str:
    """`up 8 points since 2026-Q3` in words: arrows are glyphs a PDF font may not have."""
    if previous_cycle is None or formatting.missing(current) or formatting.missing(previous):
        return "no earlier cycle to compare with"
    delta = current - previous  # type: ignore[operator]
    shown = round(delta) if points else round(delta, 1)
    if not shown:
        return f"unchanged since {previous_cycle}"
    size = (
        f"{abs(shown)} {'point' if abs(shown) == 1 else 'points'}"
        if points
        else f"{abs(shown):.1f}"
    )
    return f"{'up' if delta > 0 else 'down'} {size} since {previous_cycle}"


HELPERS: dict[str, Any] = {
    "day": day,
    "movement": movement,
    "plural": plural,
    "score": formatting.score,
}


def pack_html(pack: ReviewPack, *, for_pdf: bool = False) -> str:
    return render_document("review_pack.html.j2", pack=pack, **HELPERS, **_fonts(for_pdf))


def update_html(update: CustomerUpdate, *, for_pdf: bool = False) -> str:
    return render_document("customer_update.html.j2", update=update, **HELPERS, **_fonts(for_pdf))


def update_markdown(update: CustomerUpdate) -> str:
    return render_document("customer_update.md.j2", update=update, **HELPERS)


def _fonts(for_pdf: bool) -> dict[str, list[tuple[str, str, str]]]:
    """All four faces of one family: reportlab maps bold and italic only within a complete set."""
    faces = [(weight, style, FONTS / f"DejaVuSans{suffix}.ttf") for weight, style, suffix in FACES]
    if for_pdf and all(path.is_file() for _, _, path in faces):
        return {"font_file": [(weight, style, path.as_posix()) for weight, style, path in faces]}
    return {"font_file": []}


def pdf_of(html: str) -> bytes:
    """The HTML laid out on A4 pages by xhtml2pdf."""
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
    out = io.BytesIO()
    # Everything but the fonts is inside the document (data: URIs): nothing is fetched from the
    # network, and nothing is read from disk outside the font directory.
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=FONTS)
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if result.err:
        raise PdfFailed(f"the PDF could not be laid out ({result.err} errors)")
    return out.getvalue()


def pack_pdf(pack: ReviewPack) -> bytes:
    return pdf_of(pack_html(pack, for_pdf=True))
