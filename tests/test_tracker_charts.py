"""Server-rendered SVG charts: geometry, accessible text, no script."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.tracker.charts import bar_chart, line_chart, render_chart

END = date(2026, 3, 31)
START = END - timedelta(days=89)


def test_line_chart_places_a_point_per_snapshot_on_a_time_axis() -> None:
    points = [(START, 0.0), (START + timedelta(days=45), 50.0), (END, 100.0)]
    chart = line_chart(points, start=START, end=END)
    assert [(d.x, d.y) for d in chart.dots] == [("56.0", "208.0"), ("343.2", "112.0"), ("624.0", "16.0")]
    assert chart.polyline == "56.0,208.0 343.2,112.0 624.0,16.0"
    assert chart.description == (
        "3 daily snapshots from 2026-01-01 to 2026-03-31: progress went from 0% to 100% (lowest 0%, highest 100%)."
    )


def test_line_chart_svg_is_accessible_and_scriptless() -> None:
    svg = render_chart(line_chart([(END - timedelta(days=1), 40.0), (END, 42.5)], start=START, end=END))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'role="img" aria-labelledby="trend-title trend-desc"' in svg
    assert '<title id="trend-title">Compliance progress over time</title>' in svg
    assert '<desc id="trend-desc">2 daily snapshots' in svg
    assert svg.count("<circle") == 2
    assert "<title>2026-03-31: 42.5%</title>" in svg
    assert ">Date</text>" in svg and ">Progress (%)</text>" in svg
    assert ">0%</text>" in svg and ">100%</text>" in svg
    assert ">01 Jan 2026</text>" in svg and ">31 Mar 2026</text>" in svg
    assert "<script" not in svg and "on" + "load" not in svg


def test_line_chart_without_snapshots_says_so() -> None:
    chart = line_chart([], start=START, end=END)
    svg = render_chart(chart)
    assert chart.dots == [] and chart.polyline == ""
    assert "No snapshots yet" in svg
    assert "<polyline" not in svg
    assert "the trend starts with the first evaluation" in chart.description


def test_line_chart_single_point_has_no_line() -> None:
    chart = line_chart([(END, 12.0)], start=START, end=END)
    assert len(chart.dots) == 1 and chart.polyline == ""
    assert chart.description == "One daily snapshot: 12% on 2026-03-31."


def test_line_chart_drops_points_outside_the_window_and_clamps_values() -> None:
    chart = line_chart([(START - timedelta(days=1), 10.0), (END, 140.0)], start=START, end=END)
    assert len(chart.dots) == 1
    assert chart.dots[0].y == "16.0"  # clamped to the top of the plot


def test_chart_text_is_escaped() -> None:
    svg = render_chart(bar_chart([("<b>Admin</b>", 50.0)], title="A & B"))
    assert "&lt;b&gt;Admin&lt;/b&gt;" in svg and "<b>" not in svg
    assert "A &amp; B" in svg


def test_bar_chart_widths_follow_percentages_and_none_is_na() -> None:
    chart = bar_chart([("Administrative", 50.0), ("Physical", None), ("Technical", 100.0), ("Docs", 4.5)])
    assert [b.width for b in chart.bars] == ["100.0", "0.0", "200.0", "9.0"]
    assert [b.value_label for b in chart.bars] == ["50%", "n/a", "100%", "5%"]
    svg = render_chart(chart)
    assert '<desc id="safeguards-desc">Administrative: 50%; Physical: n/a; Technical: 100%; Docs: 5%.</desc>' in svg
    assert svg.count("<rect") == 8
