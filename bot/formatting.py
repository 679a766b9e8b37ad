"""How figures read, identically in the terminal, in Slack and in the digest."""

from __future__ import annotations

import math

BAND_LABELS = {
    "totally_satisfied": "totally satisfied",
    "satisfied": "satisfied",
    "dissatisfied": "dissatisfied",
}
LOYALTY_LABELS = {
    "truly_loyal": "truly loyal",
    "accessible": "accessible",
    "trapped": "trapped",
    "high_risk": "high risk",
    "unknown": "loyalty unknown",
}
ROLE_LABELS = {"decision_maker": "decision maker", "influencer": "influencer", "user": "user"}
AREA_LABELS = {
    "account_team": "Account team",
    "product": "Product",
    "support": "Support",
    "marketing": "Marketing",
    "services": "Services",
    "executive": "Executive",
}


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def missing(value: float | None) -> bool:
    """No figure to show (None or NaN): the views say why instead of printing an empty delta."""
    return _missing(value)


def nps_unanswered(cycle: str) -> str:
    """Why an NPS is n/a: a cycle can have respondents who all skipped the recommend question."""
    return f'nobody answered "likelihood to recommend" in {cycle}'


def nps(value: float | None) -> str:
    """NPS is a signed whole number by convention: +12, -5, 0."""
    if _missing(value):
        return "n/a"
    rounded = round(value)  # type: ignore[arg-type]
    return f"{rounded:+d}" if rounded else "0"


def mean(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{value:.1f}"


def score(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:g}"


def change(current: float | None, previous: float | None, *, points: bool) -> str:
    """ "▲ +8" style deltas; no arrow when either side is unknown."""
    if _missing(current) or _missing(previous):
        return ""
    delta = current - previous  # type: ignore[operator]
    shown = round(delta) if points else round(delta, 1)
    if not shown:
        return "no change"
    text = f"{shown:+d}" if points else f"{shown:+.1f}"
    return f"{'▲' if delta > 0 else '▼'} {text}"


def significance(flag: bool | None) -> str:
    if flag is None:
        return "no earlier cycle to compare"
    if flag:
        return "a statistically significant change"
    return "not statistically significant at this sample size"


def band(value: str) -> str:
    return BAND_LABELS.get(value, value)


def loyalty(value: str) -> str:
    return LOYALTY_LABELS.get(value, value)


def role(value: str | None) -> str:
    return ROLE_LABELS.get(value or "", value or "")


def area(value: str) -> str:
    return AREA_LABELS.get(value, value.replace("_", " ").capitalize())
