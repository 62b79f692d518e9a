"""Server-rendered SVG charts: geometry computed here, markup in templates/tracker/charts/.

The dashboard includes the templates directly; reports call `render_chart` so both draw the same pictures.
No JavaScript: each chart carries a <title> and a <desc> that says in words what the picture shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.template.loader import render_to_string

WIDTH = 640


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _percent(value: float) -> str:
    # Half up, as the templates' floatformat rounds, so a bar and the figure beside it agree.
    return f"{Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Tick:
    x: str
    y: str  # where the grid line or axis sits
    text_y: str  # the label's baseline
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Dot:
    x: str
    y: str
    label: str


@dataclass(frozen=True)
class LineChart:
    chart_id: str
    title: str
    description: str
    width: int
    height: int
    plot_left: str
    plot_right: str
    plot_top: str
    plot_bottom: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    polyline: str
    dots: list[Dot]
    x_label: str = "Date"
    y_label: str = "Progress (%)"
    template: str = "tracker/charts/line.svg"

    @property
    def x_label_x(self) -> str:
        return _fmt((float(self.plot_left) + float(self.plot_right)) / 2)

    @property
    def y_label_y(self) -> str:
        return _fmt((float(self.plot_top) + float(self.plot_bottom)) / 2)


def _describe_trend(points: Sequence[tuple[date, float]]) -> str:
    if not points:
        return "No daily snapshots in this period yet: the trend starts with the first evaluation."
    values = [p for _, p in points]
    first_day, first = points[0]
    last_day, last = points[-1]
    if len(points) == 1:
        return f"One daily snapshot: {_percent(first)} on {first_day:%Y-%m-%d}."
    return (
        f"{len(points)} daily snapshots from {first_day:%Y-%m-%d} to {last_day:%Y-%m-%d}: progress went from "
        f"{_percent(first)} to {_percent(last)} (lowest {_percent(min(values))}, highest {_percent(max(values))})."
    )


def line_chart(
    points: Sequence[tuple[date, float]],
    *,
    start: date,
    end: date,
    chart_id: str = "trend",
    title: str = "Compliance progress over time",
) -> LineChart:
    """Percent (0-100) by day between `start` and `end`; days without a snapshot are simply gaps on the axis."""
    height = 260
    left, right, top, bottom = 56.0, WIDTH - 16.0, 16.0, height - 52.0
    span = max((end - start).days, 1)

    def x(day: date) -> float:
        return left + (right - left) * (day - start).days / span

    def y(percent: float) -> float:
        return bottom - (bottom - top) * max(0.0, min(percent, 100.0)) / 100

    y_ticks = [Tick(_fmt(left - 8), _fmt(y(p)), _fmt(y(p) + 4), f"{p}%", "end") for p in (0, 25, 50, 75, 100)]
    middle = start + (end - start) / 2
    x_ticks = [
        Tick(_fmt(x(day)), _fmt(bottom), _fmt(bottom + 18), f"{day:%d %b %Y}", anchor)
        for day, anchor in ((start, "start"), (middle, "middle"), (end, "end"))
    ]
    shown = [(day, percent) for day, percent in points if start <= day <= end]
    dots = [Dot(_fmt(x(day)), _fmt(y(percent)), f"{day:%Y-%m-%d}: {percent:.1f}%") for day, percent in shown]
    return LineChart(
        chart_id=chart_id,
        title=title,
        description=_describe_trend(shown),
        width=WIDTH,
        height=height,
        plot_left=_fmt(left),
        plot_right=_fmt(right),
        plot_top=_fmt(top),
        plot_bottom=_fmt(bottom),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        polyline=" ".join(f"{dot.x},{dot.y}" for dot in dots) if len(dots) > 1 else "",
        dots=dots,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value_label: str
    y: str
    text_y: str
    width: str


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    description: str
    width: int
    height: int
    label_width: int
    track_width: int
    bar_height: int
    value_x: int
    bars: list[Bar]
    template: str = "tracker/charts/bars.svg"


def bar_chart(
    values: Sequence[tuple[str, float | None]], *, chart_id: str = "safeguards", title: str = "Progress by safeguard"
) -> BarChart:
    """One horizontal bar per (label, percent); None is drawn as an empty bar marked "n/a". Keep labels short."""
    label_width, track_width, row, bar_height = 180, 200, 30, 18
    bars = []
    for index, (label, percent) in enumerate(values):
        top = 8 + index * row
        bars.append(
            Bar(
                label=label,
                value_label="n/a" if percent is None else _percent(percent),
                y=str(top),
                text_y=str(top + 14),
                width=_fmt(track_width * max(0.0, min(percent or 0.0, 100.0)) / 100),
            )
        )
    description = "; ".join(f"{bar.label}: {bar.value_label}" for bar in bars) + "." if bars else "Nothing yet."
    return BarChart(
        chart_id=chart_id,
        title=title,
        description=description,
        width=label_width + track_width + 50,
        height=16 + row * len(values),
        label_width=label_width,
        track_width=track_width,
        bar_height=bar_height,
        value_x=label_width + track_width + 8,
        bars=bars,
    )


def render_chart(chart: LineChart | BarChart) -> str:
    """The chart's SVG markup (safe to insert into HTML or a PDF template)."""
    return render_to_string(chart.template, {"chart": chart})
