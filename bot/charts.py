"""The trend chart: people would rather look at a trend than read it.

Drawn on a `matplotlib.figure.Figure` of its own (no pyplot state), so threads of one worker
never draw on each other's chart. The figure is built first and rendered second, which lets the
tests read its labels without decoding pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reports.model import AccountReport

ACCOUNT_COLOUR = "#1264a3"
SEGMENT_COLOUR = "#9a9a9a"
FIGURE_INCHES = (10.0, 4.6)
DPI = 110
SIZE_PIXELS = (round(FIGURE_INCHES[0] * DPI), round(FIGURE_INCHES[1] * DPI))  # (width, height)


@dataclass(frozen=True)
class Panel:
    """One of the two charts: what it measures and the scale it is read on."""

    ylabel: str
    title: str
    low: float
    high: float
    ticks: Sequence[float]

    @property
    def limits(self) -> tuple[float, float]:
        """The scale plus a margin, so a point at −100 or 10 is a whole marker off the frame."""
        margin = 0.08 * (self.high - self.low)
        return self.low - margin, self.high + margin


NPS_PANEL = Panel("NPS", "Net Promoter Score", -100, 100, (-100, -50, 0, 50, 100))
SATISFACTION_PANEL = Panel(
    "Mean satisfaction (0–10)", "Mean satisfaction", 0, 10, (0, 2, 4, 6, 8, 10)
)


def trend_figure(report: AccountReport) -> Figure:
    """NPS and mean satisfaction per cycle, the account solid, its segment dashed."""
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    nps_axis, sat_axis = figure.subplots(1, 2)
    trend = report.trend
    series = (
        (nps_axis, NPS_PANEL, [p.nps for p in trend], [p.segment_nps for p in trend]),
        (
            sat_axis,
            SATISFACTION_PANEL,
            [p.satisfaction_mean for p in trend],
            [p.segment_satisfaction_mean for p in trend],
        ),
    )
    labels = cycle_labels([p.cycle for p in trend], [p.respondents for p in trend])
    for axis, panel, account, segment in series:
        _plot(axis, panel, account, segment, names=(report.account, report.segment_name))
        axis.set_xticks(range(len(labels)), labels, fontsize=8)
    nps_axis.axhline(0, color="#cccccc", linewidth=0.8, zorder=0)
    figure.suptitle(f"{report.account}: trend by cycle", fontsize=11)
    return figure


def trend_chart_png(report: AccountReport) -> bytes:
    """The chart as a PNG of exactly `SIZE_PIXELS`, for Slack uploads."""
    figure = trend_figure(report)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def cycle_labels(cycles: Sequence[str], respondents: Sequence[int]) -> list[str]:
    """`2026-Q3` over `n=5`: how many people a point stands for, right where it is read."""
    return [f"{cycle}\nn={count}" for cycle, count in zip(cycles, respondents, strict=True)]


def _plot(
    axis: Axes,
    panel: Panel,
    account: Sequence[float | None],
    segment: Sequence[float | None],
    *,
    names: tuple[str, str],
) -> None:
    """One panel with its own legend, below the plot so it never covers a low point."""
    positions = range(len(account))
    axis.plot(positions, _nan(account), marker="o", color=ACCOUNT_COLOUR, linewidth=2)
    axis.plot(positions, _nan(segment), linestyle="--", color=SEGMENT_COLOUR)
    axis.set_title(panel.title, fontsize=10)
    axis.set_ylabel(panel.ylabel, fontsize=9)
    axis.set_ylim(*panel.limits)
    axis.set_yticks(panel.ticks)
    axis.tick_params(axis="y", labelsize=8)
    axis.grid(axis="y", alpha=0.3)
    account_name, segment_name = names
    axis.legend(
        [account_name, f"{segment_name} (segment)"],
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.17),
        ncol=2,
        frameon=False,
    )


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if value is None else value for value in values]
