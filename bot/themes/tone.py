"""The tone of a comment (positive / neutral / negative), offline: VADER plus a B2B lexicon of ours.

VADER (vaderSentiment, which ships its lexicon in the package) reads general English well but
B2B feedback badly in predictable ways: "support" and "help" count as praise, so "support never
called us back" comes out positive; an outage or a workaround carries no weight; the trapped
customer ("we renew because we have to") and the churn threat ("we'd switch tomorrow") have no
negative word at all. Our corrections are two small tables: word valences that replace VADER's,
and phrases that decide the tone outright when they occur. Nothing is downloaded at run time.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
THRESHOLD = 0.05  # VADER's own cut-off on the compound score

# Valence on VADER's scale (−4 … 4); 0 removes a word that is a topic here, not a feeling.
WORD_VALENCES: dict[str, float] = {
    "support": 0.0,
    "supported": 0.0,
    "help": 0.0,
    "helpdesk": 0.0,
    "promised": 0.0,
    "promise": 0.0,
    "fix": 0.0,
    "fixed": 0.8,
    "resolved": 1.2,
    "outage": -2.5,
    "outages": -2.5,
    "downtime": -2.0,
    "workaround": -1.5,
    "workarounds": -1.5,
    "bug": -1.5,
    "bugs": -1.5,
    "buggy": -2.0,
    "crash": -2.0,
    "crashes": -2.0,
    "crashed": -2.0,
    "glitch": -1.5,
    "glitches": -1.5,
    "slow": -1.3,
    "sluggish": -1.5,
    "delayed": -1.3,
    "delays": -1.3,
    "unresolved": -1.8,
    "overcharged": -2.2,
    "escalated": -1.2,
    "escalate": -1.0,
    "tender": -1.2,
    "churn": -1.8,
    "responsive": 1.8,
    "seamless": 2.0,
    "smooth": 1.5,
}

_NEGATIVE_PHRASES = (
    r"\bnever\s+(?:\w+\s+){0,3}?(?:back|again|replied|responded|answered|arrived|fixed|resolved|"
    r"delivered|heard)\b",
    r"\b(?:no\s*one|nobody)\s+(?:\w+\s+){0,3}?(?:back|listens?|answers?|responds?|replied|cares?|"
    r"called|calls|picks?\s+up)\b",
    r"\bstill\s+(?:waiting|no\b|not\b|broken|open|unresolved|nothing)",
    r"\bnothing\s+(?:ever\s+)?(?:changes|changed|improves|improved|happens|happened|works)\b",
    r"\b(?:would|'d)\s+(?:have\s+)?(?:switch|switched|left|leave|gone|go)\b",
    r"\b(?:switch|leave|move)\s+(?:\w+\s+){0,2}?(?:tomorrow|elsewhere)\b",
    r"\blook(?:ing)?\s+elsewhere\b",
    r"\bput\s+up\s+with\b",
    r"\b(?:i|we)(?:'d|\s+would)\s+rather\b",
    r"\bonly\s+reason\b",
    r"\bbecause\s+(?:we|i)\s+have\s+to\b",
    r"\bswitching\s+costs?\b",
    r"\b(?:took|takes|taking)\s+(?:\w+\s+){0,2}?(?:weeks|months)\b",
    # Sarcasm that praises an outage or a delay: "Oh great, another outage".
    r"\b(?:oh|yeah|just)\s*,?\s+(?:great|wonderful|fantastic|perfect|brilliant|lovely)\b",
    r"\bthanks\s+for\s+nothing\b",
)
_POSITIVE_PHRASES = (
    r"\bno\s+(?:complaints?|issues?|problems?)\b",
    r"\bcouldn'?t\s+be\s+happier\b",
    r"\bwould\s+recommend\b",
)
NEGATIVE_PHRASE = re.compile("|".join(_NEGATIVE_PHRASES), re.IGNORECASE)
POSITIVE_PHRASE = re.compile("|".join(_POSITIVE_PHRASES), re.IGNORECASE)


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    """Built once per process: reading VADER's lexicon file takes a few milliseconds."""
    analyzer = SentimentIntensityAnalyzer()
    for word, valence in WORD_VALENCES.items():
        if valence == 0.0:
            analyzer.lexicon.pop(word, None)
        else:
            analyzer.lexicon[word] = valence
    return analyzer


def tone_of(text: str) -> str:
    """positive / neutral / negative: our phrases first, then VADER's compound score."""
    negative = NEGATIVE_PHRASE.search(text) is not None
    positive = POSITIVE_PHRASE.search(text) is not None
    if negative != positive:
        return NEGATIVE if negative else POSITIVE
    compound = _analyzer().polarity_scores(text)["compound"]
    if compound >= THRESHOLD:
        return POSITIVE
    if compound <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL
