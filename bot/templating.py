"""One jinja2 environment for every text the bot renders, with the same filters everywhere."""

from __future__ import annotations

import contextlib
import re
from functools import cache

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket

from bot import formatting
from bot.core.slack import escape


class CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept between processes, in the user's own temporary directory.

    Compiling the account report's template costs a `voc account` more time than building the
    report. Entries are keyed by the template's source checksum, so an edited template is compiled
    afresh; a directory that cannot be read or written only means compiling as before.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def compiled_templates() -> BytecodeCache | None:
    """The shared cache of compiled templates, or None where no safe directory is available."""
    try:
        return CompiledTemplates()
    except (OSError, RuntimeError):
        return None


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot", "templates"),
        bytecode_cache=compiled_templates(),
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
        bytecode_cache=compiled_templates(),
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
