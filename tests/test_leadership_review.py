"""The leadership review pack: once per VOC_LEADERSHIP_CADENCE in VOC_LEADERSHIP_CHANNEL, with
the portfolio chart in its thread; through the scheduler against the fake Slack.

The world is tests/executive_world.py. 1 January 2027 is a Friday: the first working day of
2027-Q1; VOC_TIMEZONE is UTC and the digest hour 9. Worked out by hand from the answers:
- Enterprise 2026-Q3 (Alpha 5/9, Bravo 5/8, Echo 9, Foxtrot 5 recommend; satisfaction 5, 9, 8,
  8, 9, 5): 2 promoters, 3 detractors of 6: NPS −17, satisfaction 44/6 = 7.3; in 2026-Q2 (Erin 9
  instead of Foxtrot): 3 promoters, 2 detractors: +17, satisfaction 48/6 = 8.0.
- Public Sector 2026-Q3 (Charlie 7, 7; Delta 0 ×4): −67, satisfaction 45/6 = 7.5; 2026-Q2
  (Delta 10 ×4): +67, 7.5.
- Closing the loop: 9 follow-ups, Delta's Dee 0 contacted within the SLA (1 of 9: 11 %), the
  other 8 open past the SLA.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import matplotlib.image
import pytest

from bot.charts import PORTFOLIO_PIXELS
from bot.cli import main as voc
from bot.portfolio import leadership
from tests.conftest import SlackBot
from tests.executive_world import build
from tests.reminders_world import tagged, tick
from tests.slack.blockkit import assert_valid_blocks

CHANNEL = "C0LEADERS"
EVENT = "voc_leadership_pack"


@pytest.fixture
def make_world(
    make_bot: Callable[..., SlackBot],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., SlackBot]:
    def factory(**settings: object) -> SlackBot:
        bot = make_bot(leadership_channel=CHANNEL, **settings)
        url = bot.runtime.engine.url.render_as_string(hide_password=False)
        monkeypatch.setenv("DATABASE_URL", url)

        def cli(*argv: str) -> tuple[int, str, str]:
            capsys.readouterr()
            status = voc(list(argv))
            out, err = capsys.readouterr()
            return status, out, err

        build(bot.runtime, cli, monkeypatch)
        bot.slack.add_channel(CHANNEL, name="leadership")
        return bot

    return factory


def packs(bot: SlackBot) -> list[dict[str, object]]:
    return tagged(bot.slack, CHANNEL, EVENT)


def text_of(message: dict[str, object]) -> str:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    texts = [b["text"]["text"] for b in blocks if "text" in b]
    texts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(texts)


def test_once_a_quarter_with_the_figures_and_the_chart(make_world: Callable[..., SlackBot]) -> None:
    bot = make_world()
    tick(bot.runtime, datetime(2027, 1, 1, 8, 59, tzinfo=UTC))
    assert packs(bot) == []
    tick(bot.runtime, datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    tick(bot.runtime, datetime(2027, 1, 1, 10, 0, tzinfo=UTC))
    (pack,) = packs(bot)
    assert_valid_blocks(pack["blocks"])  # type: ignore[arg-type]
    assert pack["text"] == "Leadership review 2027-Q1: revenue at risk 3,500,000"
    text = text_of(pack)
    assert "*Revenue at risk: 3,500,000* · 4 of 6 strategic and key accounts at risk" in text
    assert (
        "• *Enterprise* (2026-Q3, 6 answers): NPS -17 · satisfaction 7.3 "
        "(was +17 and 8.0 in 2026-Q2)"
    ) in text
    assert (
        "• *Public Sector* (2026-Q3, 6 answers): NPS -67 · satisfaction 7.5 "
        "(was +67 and 7.5 in 2026-Q2)"
    ) in text
    stake = text[text.index("*Most at stake*") :]
    positions = [stake.index(f"*{name}*") for name in ("Charlie", "Alpha", "Bravo", "Delta")]
    assert positions == sorted(positions) and "*Echo*" not in stake.split("*Strategic")[0]
    assert "*Strategic accounts without a sponsor:* Golf" in text
    assert (
        "Closing the loop: 9 follow-ups, 1 contacted within the SLA (11%), 8 open past the SLA"
    ) in text
    (upload,) = bot.slack.uploads
    assert upload.channel_id == CHANNEL
    pixels = matplotlib.image.imread(io.BytesIO(upload.content or b""), format="png")
    assert pixels.shape[:2] == (PORTFOLIO_PIXELS[1], PORTFOLIO_PIXELS[0])


def test_the_cadence_is_a_setting(make_world: Callable[..., SlackBot]) -> None:
    bot = make_world(leadership_cadence="monthly")
    tick(bot.runtime, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # Tuesday 1 December
    (pack,) = packs(bot)
    assert str(pack["text"]).startswith("Leadership review 2026-12:")
    tick(bot.runtime, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert len(packs(bot)) == 1


def test_a_chart_upload_that_fails_is_completed_by_the_next_tick(
    make_world: Callable[..., SlackBot],
) -> None:
    bot = make_world()
    bot.slack.fail_next("files.getUploadURLExternal", error="internal_error")
    first = tick(bot.runtime, datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    (pack,) = packs(bot)
    assert bot.slack.uploads == []
    assert [d.outcome for d in first.done if d.item.job == "leadership"] == ["failed"]

    tick(bot.runtime, datetime(2027, 1, 1, 9, 2, tzinfo=UTC))
    tick(bot.runtime, datetime(2027, 1, 1, 9, 4, tzinfo=UTC))
    assert len(packs(bot)) == 1  # the pack is not posted again…
    (upload,) = bot.slack.uploads  # …its chart comes once, in its thread
    assert (upload.channel_id, upload.thread_ts) == (CHANNEL, pack["ts"])


def test_a_crash_between_the_post_and_the_upload_leaves_the_chart_to_a_later_tick(
    make_world: Callable[..., SlackBot], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = make_world()
    drawn = leadership.portfolio_png

    def dies(*args: object, **kwargs: object) -> bytes:
        monkeypatch.setattr(leadership, "portfolio_png", drawn)
        raise SystemExit("killed")  # the process ends after the post, before the upload

    monkeypatch.setattr(leadership, "portfolio_png", dies)
    with pytest.raises(SystemExit):
        tick(bot.runtime, datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    (pack,) = packs(bot)
    tick(bot.runtime, datetime(2027, 1, 1, 9, 2, tzinfo=UTC))  # the dead claim's lease holds
    assert bot.slack.uploads == []

    # The next working day: the lease is long over; the tick looks in the thread, then uploads.
    tick(bot.runtime, datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    tick(bot.runtime, datetime(2027, 1, 4, 9, 2, tzinfo=UTC))
    assert len(packs(bot)) == 1
    (upload,) = bot.slack.uploads
    assert (upload.channel_id, upload.thread_ts) == (CHANNEL, pack["ts"])
    assert [c.params["ts"] for c in bot.slack.calls_to("conversations.replies")] == [pack["ts"]]
