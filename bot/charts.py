"""The trend chart: people would rather look at a trend than read it."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from bot.reports.model import AccountReport

ACCOUNT_COLOUR = "#1264a3"
SEGMENT_COLOUR = "#9a9a9a"


def trend_chart_png(report: AccountReport) -> bytes:
    """NPS and mean satisfaction per cycle, the account solid, its segment dashed."""
    labels = [point.cycle for point in report.trend]
    positions = list(range(len(labels)))
    figure, (nps_axis, sat_axis) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=110)
    _plot(
        nps_axis,
        positions,
        [p.nps for p in report.trend],
        [p.segment_nps for p in report.trend],
        "NPS",
        (-100, 100),
    )
    _plot(
        sat_axis,
        positions,
        [p.satisfaction_mean for p in report.trend],
        [p.segment_satisfaction_mean for p in report.trend],
        "Mean satisfaction",
        (0, 10),
    )
    for axis in (nps_axis, sat_axis):
        axis.set_xticks(positions, labels, rotation=30, ha="right", fontsize=8)
    nps_axis.legend([report.account, report.segment_name], fontsize=8, loc="lower left")
    figure.suptitle(f"{report.account}: trend by cycle", fontsize=11)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def _plot(axis, positions, account, segment, title, limits) -> None:  # type: ignore[no-untyped-def]
    axis.plot(positions, _nan(account), marker="o", color=ACCOUNT_COLOUR, linewidth=2)
    axis.plot(positions, _nan(segment), linestyle="--", color=SEGMENT_COLOUR)
    axis.set_title(title, fontsize=10)
    axis.set_ylim(*limits)
    axis.grid(axis="y", alpha=0.3)


def _nan(values: list[float | None]) -> list[float]:
    return [float("nan") if value is None else value for value in values]
