"""One jinja2 environment for every text the bot renders, with the same filters everywhere."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

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
