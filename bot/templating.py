"""One jinja2 environment for every text the bot renders, with the same filters everywhere."""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot import formatting
from bot.core.slack import escape


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        nps=formatting.nps,
        mean=formatting.mean,
        score=formatting.score,
        band=formatting.band,
        loyalty=formatting.loyalty,
        role=formatting.role,
        area=formatting.area,
        significance=formatting.significance,
        slack=escape,
    )
    env.globals["change"] = formatting.change
    env.globals["nps_unanswered"] = formatting.nps_unanswered
    env.tests["missing"] = formatting.missing
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


@cache
def document_environment() -> Environment:
    """For documents that leave the bot as files (the review pack, the customer update): every
    value is escaped for HTML in `*.html.j2`, so a comment holding `<script>` is text there.
    Markdown templates (`*.md.j2`) escape with the `md` filter their authors apply."""
    env = Environment(
        loader=PackageLoader("bot", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html")),
    )
    env.filters.update(
        nps=formatting.nps, mean=formatting.mean, area=formatting.area, md=markdown_text
    )
    env.globals["change"] = formatting.change
    return env


MARKDOWN_SPECIAL = re.compile(
    r"([\\`*_{}\[\]<>#|~&!])"
)  # inline: lists and headings need a line start


def markdown_text(value: object) -> str:
    """Text as Markdown that shows it and does nothing else: no link, no HTML, no heading."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def render_document(template: str, **context: object) -> str:
    return document_environment().get_template(template).render(**context)
