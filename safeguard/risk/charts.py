"""Risk charts as server-rendered SVG: the likelihood × impact heat map and the open-high-risks burndown.

The register page and the PDF report draw the same pictures from these functions. No JavaScript: every chart
carries a <title> and a <desc> that say in words what it shows, and every piece of text is escaped here.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from safeguard.core.models import Organization
from safeguard.risk.models import Risk, RiskAnalysis
from safeguard.risk.scoring import Method, level_names, matrix, scale_values
from safeguard.risk.services.method import current_method
from safeguard.tracker.charts import WIDTH, Dot, LineChart, Tick, render_chart

INK = "#1b2430"
# (fill, text) from the lowest level to the highest; every pair keeps text contrast above 4.5:1.
PALETTE = (("#cdeed6", INK), ("#fbe38e", INK), ("#f7a35c", INK), ("#b42318", "#ffffff"))
CELL_W, CELL_H = 84, 48
LABEL_CHARS = 13  # longer scale labels are shortened on the axis; the cell tooltips keep them whole


def _chart_id(prefix: str, title: str) -> str:
    # Stable for a title, distinct between charts on one page (ids name the <title> and <desc>).
    return f"{prefix}-{hashlib.sha256(title.encode()).hexdigest()[:8]}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def level_colours(method: Method) -> dict[str, tuple[str, str]]:
    """Level name → (fill, text colour), spread across the palette from the lowest level to the highest."""
    names = level_names(method)
    last = max(len(names) - 1, 1)
    return {
        name: PALETTE[round(rank * (len(PALETTE) - 1) / last) if len(names) > 1 else 0]
        for rank, name in enumerate(names)
    }


def _labels(levels: list[dict[str, Any]]) -> dict[int, str]:
    return {int(level["value"]): str(level["label"]) for level in levels}


def _risks(count: int) -> str:
    return f"{count} risk{'' if count == 1 else 's'}"


def _heat_description(counts: dict[tuple[int, int], int], method: Method, other_scale: int) -> str:
    likelihoods, impacts = _labels(method["likelihood_levels"]), _labels(method["impact_levels"])
    on_grid = {key: n for key, n in counts.items() if key[0] in likelihoods and key[1] in impacts and n}
    off_grid = other_scale + sum(n for key, n in counts.items() if key not in on_grid)
    if not on_grid and not off_grid:
        return "No rated risks."
    parts = [
        f"likelihood {likelihoods[lk]} × impact {impacts[im]}: {n}"
        for (lk, im), n in sorted(on_grid.items(), key=lambda item: (-item[0][0], -item[0][1]))
    ]
    text = f"{_risks(sum(on_grid.values()))} on the grid"
    text += f" ({'; '.join(parts)})." if parts else "."
    if off_grid:
        text += f" {_risks(off_grid)} rated on another scale not shown."
    return text


def heat_map_svg(
    counts: dict[tuple[int, int], int], method: dict[str, Any], *, title: str, other_scale: int = 0
) -> str:
    """A likelihood (rows, highest at the top) × impact (columns) grid, each cell coloured by its level and
    showing how many risks sit in it. `counts` maps (likelihood, impact) → number of risks; `other_scale` risks
    rated on another scale are not drawn, only said in the description."""
    chart_id = _chart_id("heat", title)
    grid = matrix(method)
    likelihoods = sorted(scale_values(method["likelihood_levels"]), reverse=True)
    impacts = sorted(scale_values(method["impact_levels"]))
    likelihood_labels, impact_labels = _labels(method["likelihood_levels"]), _labels(method["impact_levels"])
    colours = level_colours(method)
    left, top = 150, 12
    bottom = top + CELL_H * len(likelihoods)
    legend_x = left + CELL_W * len(impacts) + 24
    width = legend_x + 150
    height = max(bottom + 56, top + 22 * len(colours) + 30)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heat-map" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_heat_description(counts, method, other_scale))}</desc>',
    ]
    for row, likelihood in enumerate(likelihoods):
        y = top + row * CELL_H
        label = likelihood_labels[likelihood]
        out.append(
            f'<text x="{left - 8}" y="{y + CELL_H // 2 + 4}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        for column, impact in enumerate(impacts):
            rating = grid[row][column]
            fill, ink = colours.get(rating.level, PALETTE[0])
            n = counts.get((likelihood, impact), 0)
            x = left + column * CELL_W
            tip = (
                f"Likelihood {label} × impact {impact_labels[impact]}: {rating.label} (score {rating.score}), "
                f"{_risks(n)}"
            )
            out.append(
                f'<g class="cell"><rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{fill}" '
                f'stroke="#ffffff" stroke-width="2"><title>{escape(tip)}</title></rect>'
                + (
                    f'<text x="{x + CELL_W // 2}" y="{y + CELL_H // 2 + 6}" text-anchor="middle" fill="{ink}" '
                    f'font-size="17" font-weight="700">{n}</text>'
                    if n
                    else ""
                )
                + "</g>"
            )
    for column, impact in enumerate(impacts):
        label = impact_labels[impact]
        out.append(
            f'<text x="{left + column * CELL_W + CELL_W // 2}" y="{bottom + 16}" text-anchor="middle" fill="{INK}">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
    middle_y = (top + bottom) // 2
    out.append(
        f'<text x="{left + CELL_W * len(impacts) // 2}" y="{bottom + 40}" text-anchor="middle" fill="{INK}" '
        'font-weight="600">Impact</text>'
        f'<text x="14" y="{middle_y}" text-anchor="middle" fill="{INK}" font-weight="600" '
        f'transform="rotate(-90 14 {middle_y})">Likelihood</text>'
    )
    out.append(f'<g class="legend"><text x="{legend_x}" y="{top + 10}" fill="{INK}" font-weight="600">Level</text>')
    for index, threshold in enumerate(reversed(method["thresholds"])):
        fill, _ink = colours[str(threshold["level"])]
        y = top + 22 + index * 22
        out.append(
            f'<rect x="{legend_x}" y="{y}" width="14" height="14" fill="{fill}" stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{legend_x + 20}" y="{y + 11}" fill="{INK}">{escape(str(threshold["label"]))} '
            f"(from {int(threshold['min_score'])})</text>"
        )
    out.append("</g></svg>")
    # Every piece of text above went through escape(); the rest is markup built from numbers.
    return mark_safe("\n".join(out))  # noqa: S308


def same_scale(method: Method, other: Method) -> bool:
    """Whether ratings under `other` land on the same grid as under `method`: as many likelihood and impact
    levels (scales run 1, 2, 3 … without gaps, so the counts decide)."""
    return all(len(method[scale]) == len(other[scale]) for scale in ("likelihood_levels", "impact_levels"))


def other_scale_analyses(risks: QuerySet[Risk], method: Method) -> set[int]:
    """The analyses among `risks` whose frozen method rates on another scale than `method`: one query."""
    analysis_ids = risks.order_by().exclude(analysis=None).values("analysis_id")
    frozen = RiskAnalysis.objects.filter(pk__in=analysis_ids).values_list("pk", "method")
    return {pk for pk, rated_by in frozen if not same_scale(method, rated_by)}


def heat_counts(risks: QuerySet[Risk], *, residual: bool) -> dict[tuple[int, int], int]:
    """(likelihood, impact) → number of `risks` rated there, inherent or residual, in one aggregate query."""
    return heat_counts_on_scale(risks, residual=residual, other_scale=())[0]


def heat_counts_on_scale(
    risks: QuerySet[Risk], *, residual: bool, other_scale: Collection[int]
) -> tuple[dict[tuple[int, int], int], int]:
    """Like heat_counts, but the rated risks of the analyses in `other_scale` are not placed on the grid: their
    number comes back second. One aggregate query."""
    likelihood, impact = ("residual_likelihood", "residual_impact") if residual else ("likelihood", "impact")
    # Through a pk subquery so the caller's ordering, annotations and joins cannot split the groups.
    rows = (
        Risk.objects.filter(pk__in=risks.order_by().values("pk"))
        .filter(**{f"{likelihood}__isnull": False, f"{impact}__isnull": False})
        .values_list("analysis_id", likelihood, impact)
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: Counter[tuple[int, int]] = Counter()
    elsewhere = 0
    for analysis_id, lk, im, n in rows:
        if analysis_id in other_scale:
            elsewhere += int(n)
        else:
            counts[(int(lk), int(im))] += int(n)
    return dict(counts), elsewhere


def heat_maps(risks: QuerySet[Risk], method: Method) -> tuple[str, str]:
    """The inherent and the residual heat map of `risks` on `method`'s grid; a risk rated on another scale is
    only counted in the text. Three queries."""
    elsewhere = other_scale_analyses(risks, method)
    drawn = []
    for title, residual in (("Inherent risk", False), ("Residual risk", True)):
        counts, other_scale = heat_counts_on_scale(risks, residual=residual, other_scale=elsewhere)
        drawn.append(heat_map_svg(counts, method, title=title, other_scale=other_scale))
    return drawn[0], drawn[1]


# ---- burndown ------------------------------------------------------------------------------------------------


def _nice_top(value: int) -> tuple[int, int]:
    """An axis top at or above `value` and a tick step dividing it into at most five steps."""
    value = max(value, 1)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 5:
            return -(-value // step) * step, step
    step = 10 ** len(str(value // 5))
    return -(-value // step) * step, step


def _burndown_description(points: list[tuple[date, int]]) -> str:
    if not points:
        return "No data points."
    (first_day, first), (last_day, last) = points[0], points[-1]
    highest = max(count for _day, count in points)
    return (
        f"Open high risks from {first_day:%Y-%m-%d} to {last_day:%Y-%m-%d}: went from {first} to {last} "
        f"(highest {highest})."
    )


def burndown_svg(points: list[tuple[date, int]], *, title: str) -> str:
    """A step chart of a count over time (the open high risks on each date), oldest on the left."""
    height = 240
    left, right, top, bottom = 56.0, WIDTH - 16.0, 16.0, height - 52.0
    points = sorted(points)
    start = points[0][0] if points else timezone.localdate()
    end = points[-1][0] if points else start
    span = max((end - start).days, 1)
    axis_top, tick_step = _nice_top(max((count for _day, count in points), default=0))

    def x(day: date) -> float:
        return left + (right - left) * (day - start).days / span

    def y(count: int) -> float:
        return bottom - (bottom - top) * count / axis_top

    y_ticks = [
        Tick(f"{left - 8:.1f}", f"{y(value):.1f}", f"{y(value) + 4:.1f}", str(value), "end")
        for value in range(0, axis_top + 1, tick_step)
    ]
    x_ticks = [
        Tick(f"{x(day):.1f}", f"{bottom:.1f}", f"{bottom + 18:.1f}", f"{day:%d %b %Y}", anchor)
        for day, anchor in ((start, "start"), (end, "end"))
        if points
    ]
    dots = [Dot(f"{x(day):.1f}", f"{y(count):.1f}", f"{day:%Y-%m-%d}: {count} open") for day, count in points]
    # A step line: the count holds until the next date, then moves.
    steps: list[str] = []
    for index, dot in enumerate(dots):
        if index:
            steps.append(f"{dot.x},{dots[index - 1].y}")
        steps.append(f"{dot.x},{dot.y}")
    chart = LineChart(
        chart_id=_chart_id("burndown", title),
        title=title,
        description=_burndown_description(points),
        width=WIDTH,
        height=height,
        plot_left=f"{left:.1f}",
        plot_right=f"{right:.1f}",
        plot_top=f"{top:.1f}",
        plot_bottom=f"{bottom:.1f}",
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        polyline=" ".join(steps) if len(dots) > 1 else "",
        dots=dots,
        y_label="Open high risks",
    )
    return render_chart(chart)


def high_rank(method: Method) -> int:
    """The rank counted as high: the "high" level, or the top two levels when the method has no "high"."""
    names = level_names(method)
    return names.index("high") if "high" in names else max(len(names) - 2, 0)


def high_levels(method: Method) -> list[str]:
    """The level names counted as high or above in `method`."""
    return level_names(method)[high_rank(method) :]


def _dates(today: date, days: int, step: int) -> list[date]:
    start, step = today - timedelta(days=days), max(step, 1)
    dates = [start + timedelta(days=offset) for offset in range(0, days + 1, step)]
    if not dates or dates[-1] != today:
        dates.append(today)
    return dates


def open_high_risks_series(
    organization: Organization, today: date, days: int = 90, step: int = 7
) -> list[tuple[date, int]]:
    """How many risks rated high or above were open at the end of each date, every `step` days up to today.

    Built from when each risk was created and closed, with its current rating (residual where assessed, else
    inherent): a risk re-rated since counts at its present level throughout. "High or above" goes by the level's
    name in the organization's current method, so a risk rated under an analysis's method of another size counts
    by what its level is called, not by its position in that method. Two queries whatever the size.
    """
    high = high_levels(current_method(organization))
    rated_high = Q(residual_level__in=high) | Q(residual_level="", inherent_level__in=high)
    spans = [
        (timezone.localdate(created), timezone.localdate(closed) if closed else None)
        for created, closed in Risk.objects.filter(organization=organization)
        .filter(rated_high)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gte=today - timedelta(days=days + 1)))
        .values_list("created_at", "closed_at")
        .order_by()
    ]
    return [
        (day, sum(1 for created, closed in spans if created <= day and (closed is None or closed > day)))
        for day in _dates(today, days, step)
    ]
