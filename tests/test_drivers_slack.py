"""`/voc drivers [SEGMENT]` through the real Bolt path: the private ranking and the PNG in the DM.

Expected rankings are Johnson's construction on the rows the test wrote (tests/drivers_world.py).
"""

from __future__ import annotations

import io
import json
from typing import Any

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from bot.charts import MATRIX_PIXELS, priority_matrix_figure
from bot.drivers.service import key_drivers
from tests.conftest import SlackBot
from tests.drivers_world import ATTRIBUTES, johnson, survey
from tests.portfolio import AM, account_row, load
from tests.slack.blockkit import assert_valid_blocks

SEGMENT = "R&D <Labs>"  # a name from a file: shown escaped, never as markup


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if not pd.isna(v)} for row in frame.to_dict("records")]


def _portfolio(bot: SlackBot, lab: pd.DataFrame, shop: pd.DataFrame) -> None:
    """Lab's accounts are in SEGMENT, Shop's in Retail (survey() names accounts by its label)."""
    accounts = [
        account_row(f"{label} Account {i}", segment=segment)
        for label, segment in (("Lab", SEGMENT), ("Shop", "Retail"))
        for i in range(5)
    ]
    load(bot.runtime, accounts, _rows(lab) + _rows(shop))
    bot.slack.add_user(AM)


def _ask(bot: SlackBot, text: str, replies: int = 1) -> list[dict[str, Any]]:
    url = bot.slack.response_url()
    assert bot.requests.slash_command(text, user_id=AM, response_url=url).status == 200
    return bot.slack.wait_for_response_url(count=replies)


def _text_of(payload: dict[str, Any]) -> str:
    return (
        payload.get("text", "") + "\n" + json.dumps(payload.get("blocks") or [], ensure_ascii=False)
    )


def test_drivers_of_a_segment_privately_with_the_priority_matrix_in_the_dm(bot: SlackBot) -> None:
    lab = survey(120, (1, 1, 6, 1), seed=21, segment="Lab")
    shop = survey(120, (1, 6, 1, 1), seed=22, segment="Shop")
    _portfolio(bot, lab, shop)

    url = bot.slack.response_url()
    bot.requests.slash_command("drivers r&amp;d &lt;labs&gt;", user_id=AM, response_url=url)
    bot.slack.wait_for("files.completeUploadExternal")
    answer, sent = bot.slack.wait_for_response_url(count=2)
    assert answer["response_type"] == "ephemeral"
    assert_valid_blocks(answer["blocks"])
    text = _text_of(answer)
    assert "R&amp;D &lt;Labs&gt;" in text and "<Labs>" not in text
    importance, _ = johnson(lab, list(ATTRIBUTES))
    order = sorted(ATTRIBUTES, key=lambda a: -importance[a])
    positions = [text.index(f"*{a}*") for a in order]
    assert positions == sorted(positions)  # most important first
    assert f"1. *{order[0]}* · importance {importance[order[0]]:.0f} %" in text
    assert "bootstrap draws" in text
    assert sent["text"] == "The priority matrix is in your DMs."

    upload = bot.slack.uploads[-1]
    assert upload.channel_id == bot.slack.dm_channel(AM)
    pixels = matplotlib.image.imread(io.BytesIO(upload.content or b""), format="png")
    assert pixels.shape[:2] == (MATRIX_PIXELS[1], MATRIX_PIXELS[0])
    assert np.ptp(pixels[..., :3]) > 0  # something is drawn


def test_without_a_segment_it_is_all_customers(bot: SlackBot) -> None:
    lab = survey(60, (1, 1, 6, 1), seed=23, segment="Lab")
    shop = survey(60, (1, 6, 1, 1), seed=24, segment="Shop")
    _portfolio(bot, lab, shop)
    answer, sent = _ask(bot, "drivers", replies=2)
    assert_valid_blocks(answer["blocks"])
    assert "Key drivers · all customers · 2026-Q4" in _text_of(answer)
    assert sent["text"] == "The priority matrix is in your DMs."


def test_too_few_cases_says_so_and_sends_no_picture(bot: SlackBot) -> None:
    _portfolio(
        bot,
        survey(20, (1, 1, 6, 1), seed=25, segment="Lab"),
        survey(40, (1, 6, 1, 1), seed=26, segment="Shop"),
    )
    answer = _ask(bot, "drivers r&amp;d &lt;labs&gt;")[0]
    assert_valid_blocks(answer["blocks"])
    text = _text_of(answer)
    assert "Not enough data to rank drivers: 20 complete cases, at least 30 needed." in text
    assert "importance" not in text
    assert not bot.slack.calls_to("files.getUploadURLExternal")


def test_an_unknown_segment_gets_the_segments_that_exist(bot: SlackBot) -> None:
    _portfolio(
        bot,
        survey(40, (1, 1, 6, 1), seed=27, segment="Lab"),
        survey(40, (1, 6, 1, 1), seed=28, segment="Shop"),
    )
    answer = _ask(bot, "drivers wholesale")[0]
    assert answer["text"] == 'no segment "wholesale"; segments: R&amp;D &lt;Labs&gt;, Retail'
    assert not bot.slack.calls_to("files.getUploadURLExternal")


def test_the_matrix_puts_each_attribute_at_its_importance_and_performance(bot: SlackBot) -> None:
    lab = survey(120, (1, 1, 6, 1), seed=29, segment="Lab")
    _portfolio(bot, lab, survey(40, (1, 6, 1, 1), seed=30, segment="Shop"))
    analysis = key_drivers(bot.runtime, "local", segment=SEGMENT)
    axis = priority_matrix_figure(analysis).axes[0]
    importance, _ = johnson(lab, list(ATTRIBUTES))
    performance = {a: lab[f"rating:{a}"].mean() for a in ATTRIBUTES}
    points = {text.get_text(): text.xy for text in axis.texts if hasattr(text, "xy")}
    assert points.keys() == set(ATTRIBUTES)
    for attribute, (x, y) in points.items():
        assert x == pytest.approx(importance[attribute])
        assert y == pytest.approx(performance[attribute])
    lines = [line.get_xydata() for line in axis.get_lines()]
    assert any(np.allclose(xy[:, 0], 25.0) for xy in lines)  # mean importance: 100 / 4
    mean_performance = np.mean(list(performance.values()))
    assert any(np.allclose(xy[:, 1], mean_performance) for xy in lines)
    quadrants = {t.get_text() for t in axis.texts if not hasattr(t, "xy")}
    assert quadrants == {"FIX FIRST", "Strength", "Monitor", "Maintain"}
    assert axis.get_xlabel() == "Importance (% of explained variance)"
    assert axis.get_ylabel() == "Performance (mean rating, 0–10)"
