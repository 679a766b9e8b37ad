"""The trend chart as its reader gets it: a PNG in their DMs, readable at the extremes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import matplotlib.image
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bot.accounts.queries import find_account
from bot.charts import trend_figure
from bot.reports.assemble import build_account_report
from bot.reports.model import AccountReport
from bot.runtime import Runtime
from tests.conftest import SlackBot
from tests.portfolio import AM, account_row, load, response_row

# Everyone a detractor in both cycles: NPS −100, the value that used to sit on the frame.
ROWS = [
    response_row("ACME Corp", "2026-Q3", "Ann Lee", 2, 0, 3),
    response_row("ACME Corp", "2026-Q3", "Bob Ray", 3, 1, 4),
    response_row("ACME Corp", "2026-Q3", "Cy Dunn", 1, 0, 2),
    response_row("ACME Corp", "2026-Q4", "Ann Lee", 0, 0, 1),
    response_row("ACME Corp", "2026-Q4", "Bob Ray", 10, 2, 9),
    response_row("ACME Corp", "2026-Q4", "Cy Dunn", 1, 3, 2),
    response_row("ACME Corp", "2026-Q4", "Di Moss", 4, 4, 4),
]


def _report(runtime: Runtime) -> AccountReport:
    load(runtime, [account_row("ACME Corp")], ROWS)
    with runtime.sessions() as session:
        account = find_account(session, "local", "acme").account
        assert account is not None
        return build_account_report(session, account, now=datetime.now(UTC))


def test_the_chart_button_sends_a_png_of_the_promised_size(bot: SlackBot) -> None:
    load(bot.runtime, [account_row("ACME Corp")], ROWS)
    bot.slack.add_user(AM)
    url = bot.slack.response_url()
    bot.requests.slash_command("account acme", user_id=AM, response_url=url)
    payload: dict[str, Any] = bot.slack.wait_for_response_url()[0]
    chart = next(e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.requests.block_action(
        chart["action_id"], chart["value"], user_id=AM, message=payload, response_url=url
    )
    bot.slack.wait_for("files.completeUploadExternal")
    pixels = matplotlib.image.imread(io.BytesIO(bot.slack.uploads[-1].content), format="png")
    assert pixels.shape[:2] == (506, 1100)  # 4.6 × 10 inches at 110 dpi


def test_both_panels_are_labelled_with_legends_and_counts(runtime: Runtime) -> None:
    figure = trend_figure(_report(runtime))
    nps, satisfaction = figure.axes
    assert nps.get_ylabel() == "NPS"
    assert satisfaction.get_ylabel() == "Mean satisfaction (0–10)"
    for axis in (nps, satisfaction):
        ticks = [label.get_text() for label in axis.get_xticklabels()]
        assert ticks == ["2026-Q3\nn=3", "2026-Q4\nn=4"]
        legend = axis.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()] == ["ACME Corp", "Enterprise (segment)"]


def test_extreme_values_sit_inside_the_frame_and_the_legend_below_it(runtime: Runtime) -> None:
    figure = trend_figure(_report(runtime))
    nps, satisfaction = figure.axes
    low, high = nps.get_ylim()
    assert low < -100 - 10 and high > 100 + 10  # a whole marker's room at −100 and +100
    low, high = satisfaction.get_ylim()
    assert low < -0.5 and high > 10.5  # satisfaction 0 and 10 likewise
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    for axis in (nps, satisfaction):
        legend = axis.get_legend()
        assert legend is not None
        frame = axis.get_window_extent(renderer)
        assert legend.get_window_extent(renderer).y1 < frame.y0  # below the plot, covering nothing
