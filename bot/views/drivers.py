"""`/voc drivers [SEGMENT]` as Slack shows it: the ranking, what to fix first, how settled it is.

Attribute and segment names come from files, so they go through `escape()`. Below the minimum
number of complete cases the message says so and ranks nothing.
"""

from __future__ import annotations

from bot.core.slack import escape
from bot.drivers.rules import BOOTSTRAP_DRAWS, FIX_FIRST, DriverAnalysis
from bot.views.common import Block, context, header, pack_lines, section

QUADRANT_WORDS = {
    "fix_first": ":red_circle: *fix first*",
    "strength": "strength",
    "monitor": "monitor",
    "maintain": "maintain",
}
MATRIX_SENT = "The priority matrix is in your DMs."


def scope_name(analysis: DriverAnalysis) -> str:
    return f"segment {analysis.segment}" if analysis.segment else "all customers"


def drivers_message(analysis: DriverAnalysis) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the private answer."""
    title = f"Key drivers · {scope_name(analysis)}"
    if analysis.cycle is None:
        text = f"{title}: no responses yet."
        return text, [section(escape(text))]
    blocks: list[Block] = [header(escape(f"{title} · {analysis.cycle}"))]
    if not analysis.enough_data:
        text = (
            f"Not enough data to rank drivers: {analysis.n} complete cases, "
            f"at least {analysis.minimum_n} needed."
        )
        blocks.append(section(text))
        return f"{title}: {text}", blocks
    lines = [
        f"{rank}. *{escape(d.attribute)}* · importance {d.importance:.0f} % · "
        f"performance {d.performance:.1f} · {QUADRANT_WORDS[d.quadrant or '']}"
        for rank, d in enumerate(analysis.ranked, 1)
    ]
    blocks += [section(chunk) for chunk in pack_lines(lines)]
    blocks.append(context(escape(_summary(analysis))))
    fix = [d.attribute for d in analysis.ranked if d.quadrant == FIX_FIRST]
    fallback = f"{title}: fix first {', '.join(fix) if fix else 'nothing'}"
    return escape(fallback), blocks


def _summary(analysis: DriverAnalysis) -> str:
    top = analysis.top
    assert top is not None and analysis.stability is not None and analysis.r_squared is not None
    settled = "a tentative ranking" if analysis.tentative else "a settled ranking"
    return (
        f"{analysis.n} complete cases · the attributes explain {analysis.r_squared:.0%} of "
        f'overall satisfaction · "{top.attribute}" stays the top driver in '
        f"{analysis.stability:.0%} of {BOOTSTRAP_DRAWS} bootstrap draws: {settled}"
    )
