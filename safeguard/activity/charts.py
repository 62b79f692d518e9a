"""Server-rendered SVG charts of the activity dashboard: geometry here, markup in
templates/activity/home_chart_*.html. Each chart has a <title> and a <desc> saying in words what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from safeguard.activity.models import Severity

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 30
SEVERITY_COLOURS: dict[str, str] = {
    Severity.INFORMATIONAL: "#9aa5b1",
    Severity.LOW: "#5b8def",
    Severity.MEDIUM: "#e0a800",
    Severity.HIGH: "#e8590c",
    Severity.CRITICAL: "#b02a37",
}


@dataclass(frozen=True)
class Segment:
    x: str
    y: str
    width: str
    height: str
    colour: str
    label: str


@dataclass(frozen=True)
class Label:
    x: str
    y: str
    text: str


@dataclass(frozen=True)
class StackedBars:
    title: str
    description: str
    width: int
    height: int
    segments: list[Segment]
    x_labels: list[Label]
    y_labels: list[Label]
    legend: list[tuple[str, str]]  # (colour, severity)
    axis_y: str
    axis_x_left: str
    axis_x_right: str


def _f(value: float) -> str:
    return f"{value:.1f}"


def _scale_top(largest: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if largest <= step * 4:
            return step * 4
    return largest


def alert_volume_chart(rows: list[dict[str, Any]]) -> StackedBars:
    """Bars per day stacked by severity, lowest severity at the bottom."""
    totals = [sum(row["counts"].values()) for row in rows]
    top = _scale_top(max(totals, default=0) or 1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    segments, labels = [], []
    for index, row in enumerate(rows):
        day: date = row["day"]
        x = LEFT + index * slot + slot * 0.1
        base = HEIGHT - BOTTOM
        for severity in Severity.values:
            count = row["counts"][severity]
            if not count:
                continue
            height = plot_height * count / top
            base -= height
            segments.append(
                Segment(
                    _f(x),
                    _f(base),
                    _f(slot * 0.8),
                    _f(height),
                    SEVERITY_COLOURS[severity],
                    f"{day}: {count} {severity}",
                )
            )
        if index % 5 == 0 or index == len(rows) - 1:
            labels.append(Label(_f(x + slot * 0.4), str(HEIGHT - BOTTOM + 15), day.strftime("%m-%d")))
    y_labels = [
        Label(str(LEFT - 5), _f(HEIGHT - BOTTOM - plot_height * fraction + 4), str(round(top * fraction)))
        for fraction in (0, 0.25, 0.5, 0.75, 1)
    ]
    total = sum(totals)
    busiest = max(range(len(rows)), key=lambda i: totals[i]) if total else None
    description = f"{total} alerts over the last {len(rows)} days"
    if busiest is not None:
        description += f"; the busiest day was {rows[busiest]['day']} with {totals[busiest]}"
    return StackedBars(
        title="Alerts per day by severity",
        description=description + ".",
        width=WIDTH,
        height=HEIGHT,
        segments=segments,
        x_labels=labels,
        y_labels=y_labels,
        legend=[(SEVERITY_COLOURS[s], s) for s in Severity.values],
        axis_y=str(HEIGHT - BOTTOM),
        axis_x_left=str(LEFT),
        axis_x_right=str(WIDTH - RIGHT),
    )


@dataclass(frozen=True)
class HorizontalBar:
    y: str
    width: str
    label: str
    value: int
    text_y: str
    value_x: str


@dataclass(frozen=True)
class HorizontalBars:
    title: str
    description: str
    width: int
    height: int
    label_width: int
    bars: list[HorizontalBar]


def top_rules_chart(rows: list[dict[str, Any]]) -> HorizontalBars:
    label_width, bar_height, gap = 220, 18, 6
    largest = max((int(row["count"]) for row in rows), default=0) or 1
    room = WIDTH - label_width - 60
    bars = []
    for index, row in enumerate(rows):
        value = int(row["count"])
        y = 5 + index * (bar_height + gap)
        width = room * value / largest
        title = str(row["rule__title"] or row["rule__name"])
        bars.append(HorizontalBar(str(y), _f(width), title[:40], value, str(y + 13), _f(label_width + width + 5)))
    description = ", ".join(f"{bar.label}: {bar.value}" for bar in bars) or "No alert in the last 30 days"
    return HorizontalBars(
        title="Top rules by alerts, last 30 days",
        description=description + ".",
        width=WIDTH,
        height=10 + len(bars) * (bar_height + gap),
        label_width=label_width,
        bars=bars,
    )
