"""The trend chart and the drivers' priority matrix: people would rather look than read.

Drawn on a `matplotlib.figure.Figure` of its own (no pyplot state), so threads of one worker
never draw on each other's chart. The figure is built first and rendered second, which lets the
tests read its labels without decoding pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bot.drivers.rules import DriverAnalysis
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


def new_figure(inches: tuple[float, float]) -> Figure:
    """A figure of its own on the Agg canvas. Matplotlib loads at the first chart drawn, not
    when a module that may draw one is imported: `voc tick` with no digest due draws nothing."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=inches, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def trend_figure(report: AccountReport, *, segment: bool = True) -> Figure:
    """NPS and mean satisfaction per cycle, the account solid, its segment dashed.

    `segment=False` draws the account alone: the customer's own pack shows nobody else."""
    figure = new_figure(FIGURE_INCHES)
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
    for axis, panel, account, others in series:
        _plot(
            axis,
            panel,
            account,
            others if segment else None,
            names=(report.account, report.segment_name),
        )
        axis.set_xticks(range(len(labels)), labels, fontsize=8)
    nps_axis.axhline(0, color="#cccccc", linewidth=0.8, zorder=0)
    figure.suptitle(f"{report.account}: trend by cycle", fontsize=11)
    return figure


def trend_chart_png(report: AccountReport, *, segment: bool = True) -> bytes:
    """The chart as a PNG of exactly `SIZE_PIXELS`, for Slack uploads and the review pack."""
    figure = trend_figure(report, segment=segment)
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
    segment: Sequence[float | None] | None,
    *,
    names: tuple[str, str],
) -> None:
    """One panel with its own legend, below the plot so it never covers a low point."""
    positions = range(len(account))
    axis.plot(positions, _nan(account), marker="o", color=ACCOUNT_COLOUR, linewidth=2)
    if segment is not None:
        axis.plot(positions, _nan(segment), linestyle="--", color=SEGMENT_COLOUR)
    axis.set_title(panel.title, fontsize=10)
    axis.set_ylabel(panel.ylabel, fontsize=9)
    axis.set_ylim(*panel.limits)
    axis.set_yticks(panel.ticks)
    axis.tick_params(axis="y", labelsize=8)
    axis.grid(axis="y", alpha=0.3)
    account_name, segment_name = names
    axis.legend(
        [account_name] if segment is None else [account_name, f"{segment_name} (segment)"],
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.17),
        ncol=2,
        frameon=False,
    )


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if value is None else value for value in values]


# --- the priority matrix of `/voc drivers` ---------------------------------------------------

MATRIX_INCHES = (8.0, 6.0)
MATRIX_PIXELS = (round(MATRIX_INCHES[0] * DPI), round(MATRIX_INCHES[1] * DPI))
QUADRANT_LABELS = {  # (right of the importance line, above the performance line) -> label
    (True, False): "FIX FIRST",
    (True, True): "Strength",
    (False, False): "Monitor",
    (False, True): "Maintain",
}


def priority_matrix_figure(analysis: DriverAnalysis) -> Figure:
    """Importance (x) against performance (y), split at their means into the four quadrants,
    each attribute a labelled point; fix-first points stand out in the account colour."""
    figure = new_figure(MATRIX_INCHES)
    axis = figure.subplots()
    drivers = analysis.ranked
    x = [d.importance or 0.0 for d in drivers]
    y = [d.performance or 0.0 for d in drivers]
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    colours = [ACCOUNT_COLOUR if d.quadrant == "fix_first" else SEGMENT_COLOUR for d in drivers]
    axis.scatter(x, y, s=60, c=colours, zorder=3)
    for driver, px, py in zip(drivers, x, y, strict=True):
        right = px > mean_x  # labels point inwards, so none runs off the frame
        axis.annotate(
            driver.attribute,
            (px, py),
            xytext=(-6 if right else 6, 4),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=9,
        )
    axis.axvline(mean_x, color="#cccccc", linewidth=1, zorder=1)
    axis.axhline(mean_y, color="#cccccc", linewidth=1, zorder=1)
    _quadrant_names(axis, _padded(x, mean_x), _padded(y, mean_y))
    axis.set_xlabel("Importance (% of explained variance)", fontsize=9)
    axis.set_ylabel("Performance (mean rating, 0–10)", fontsize=9)
    scope = f"segment {analysis.segment}" if analysis.segment else "all customers"
    settled = " · tentative ranking" if analysis.tentative else ""
    axis.set_title(
        f"What to fix first · {scope} · {analysis.cycle} · n={analysis.n}{settled}", fontsize=10
    )
    return figure


def priority_matrix_png(analysis: DriverAnalysis) -> bytes:
    """The matrix as a PNG of exactly `MATRIX_PIXELS`, for Slack uploads."""
    figure = priority_matrix_figure(analysis)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _padded(values: Sequence[float], centre: float) -> tuple[float, float]:
    """Limits symmetric enough around the mean line that every quadrant has room for a label."""
    spread = max([abs(v - centre) for v in values] + [1e-6]) * 1.35
    return centre - spread, centre + spread


def _quadrant_names(axis: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    axis.set_xlim(*xlim)
    axis.set_ylim(*ylim)
    for (right, top), label in QUADRANT_LABELS.items():
        axis.text(
            0.98 if right else 0.02,
            0.97 if top else 0.03,
            label,
            transform=axis.transAxes,
            ha="right" if right else "left",
            va="top" if top else "bottom",
            fontsize=9,
            color="#b3261e" if label == "FIX FIRST" else "#666666",
            fontweight="bold" if label == "FIX FIRST" else "normal",
        )


# --- the portfolio chart of the leadership review ---------------------------------------------

PORTFOLIO_INCHES = (9.0, 5.5)
PORTFOLIO_PIXELS = (round(PORTFOLIO_INCHES[0] * DPI), round(PORTFOLIO_INCHES[1] * DPI))
AT_RISK_COLOUR = "#b3261e"


@dataclass(frozen=True)
class PortfolioPoint:
    account: str
    revenue: float
    nps: float
    at_risk: bool


def portfolio_png(points: Sequence[PortfolioPoint], title: str) -> bytes:
    """Accounts by annual revenue (x) and latest NPS (y); at-risk accounts in red and named.

    Plain points in, so the chart knows nothing of how "at risk" is decided.
    """
    figure = new_figure(PORTFOLIO_INCHES)
    axis = figure.subplots()
    colours = [AT_RISK_COLOUR if p.at_risk else SEGMENT_COLOUR for p in points]
    axis.scatter([p.revenue for p in points], [p.nps for p in points], s=50, c=colours, zorder=3)
    for point in points:
        if point.at_risk:
            axis.annotate(
                point.account,
                (point.revenue, point.nps),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=8,
            )
    axis.axhline(0, color="#cccccc", linewidth=1, zorder=1)
    axis.set_ylim(-105, 105)
    axis.set_xlabel("Annual revenue", fontsize=9)
    axis.set_ylabel("NPS (latest cycle)", fontsize=9)
    axis.set_title(title, fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
