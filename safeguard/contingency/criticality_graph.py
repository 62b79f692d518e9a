"""The dependency graph of the criticality analysis as a self-contained SVG: assets as boxes coloured by tier,
arrows from what is restored first to what waits for it, columns in recovery order (an asset stands one column
right of the last thing it waits for). Assets caught in a dependency cycle stand in a band below, outlined in
red, because they have no place in the order. No script, no external resources; every text is escaped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from safeguard.contingency.models import AssetDependency, RecoveryProfile
from safeguard.contingency.recovery_order import RecoveryOrder, recovery_order
from safeguard.core.models import Organization
from safeguard.risk.diagram import text

NODE_W, NODE_H = 190, 52
COL_GAP, ROW_GAP = 90, 26
MARGIN = 24
LEGEND_H = 64
LEGEND_ITEM_W = 215
ARCH_ROOM = 48  # above the rows for arrows that skip columns, and below the cycles for their closing arrows
BAND_GAP = 56
NAME_CHARS = 24
INK, MUTED, CYCLE = "#1b2430", "#5b6675", "#b42318"

# tier → (fill, stroke, label). Tier 1 darkest: the legend and the tier text survive greyscale printing.
TIER_STYLES: dict[int | None, tuple[str, str, str]] = {
    1: ("#fde2e1", "#b42318", "Tier 1: patient safety"),
    2: ("#fdebd3", "#b54708", "Tier 2: critical operations"),
    3: ("#fdf6c9", "#8a6d00", "Tier 3: important"),
    4: ("#e3f4e8", "#1e7b3a", "Tier 4: can wait weeks"),
    None: ("#f3f4f6", "#5b6675", "No recovery profile"),
}


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    layer: int
    in_band: bool = False  # drawn in the band of dependency cycles below the order


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(value: str, limit: int = NAME_CHARS) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def graph_svg(
    order: RecoveryOrder,
    tiers_of_cycle_members: dict[str, int | None] | None = None,
    cycle_needs: list[tuple[str, str]] | None = None,
) -> str:
    """Draw `order`. Cycle members are drawn from the cycles' names; their tiers, when known, come in the map, and
    what they need besides one another as (dependency, cycle member) name pairs."""
    tiers_of_cycle_members = tiers_of_cycle_members or {}
    column: dict[str, int] = {}
    for step in order.steps:  # recovery order: whatever a step waits for is already placed
        column[step.asset_name] = 1 + max((column.get(name, -1) for name in step.waits_for), default=-1)
    rows: dict[int, int] = defaultdict(int)
    boxes: dict[str, _Box] = {}
    top = MARGIN + LEGEND_H + ARCH_ROOM
    for step in order.steps:
        x = MARGIN + column[step.asset_name] * (NODE_W + COL_GAP)
        boxes[step.asset_name] = _Box(
            x, top + rows[column[step.asset_name]] * (NODE_H + ROW_GAP), column[step.asset_name]
        )
        rows[column[step.asset_name]] += 1
    main_bottom = top + max(rows.values(), default=0) * (NODE_H + ROW_GAP)
    band = _cycle_band(order.cycles)
    band_y = main_bottom + BAND_GAP
    for position, name in enumerate(band):
        boxes[name] = _Box(MARGIN + position * (NODE_W + COL_GAP), band_y, position, in_band=True)
    tiers = {step.asset_name: step.tier for step in order.steps} | {n: tiers_of_cycle_members.get(n) for n in band}
    columns = max(max(column.values(), default=0) + 1, len(band))
    width = max(2 * MARGIN + columns * NODE_W + (columns - 1) * COL_GAP, 2 * MARGIN + 5 * LEGEND_ITEM_W)
    height = (band_y + NODE_H + ARCH_ROOM if band else main_bottom) + MARGIN
    edges = [(dependency, step.asset_name) for step in order.steps for dependency in step.waits_for]
    edges += [(cycle[(i + 1) % len(cycle)], name) for cycle in order.cycles for i, name in enumerate(cycle)]
    edges += [pair for pair in cycle_needs or [] if pair[0] in boxes and pair[1] in boxes and pair not in edges]
    summary = (
        f"{len(boxes)} asset{'s' if len(boxes) != 1 else ''} and {len(edges)} dependenc"
        f"{'ies' if len(edges) != 1 else 'y'}" + (f"; {_cycles(len(order.cycles))} to fix." if order.cycles else ".")
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}"'
        f' height="{_num(height)}" role="img" aria-labelledby="sgdep-title sgdep-desc"'
        ' font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif" font-size="13">',
        '<title id="sgdep-title">Recovery dependency graph</title>',
        f'<desc id="sgdep-desc">{text(summary)}</desc>',
        "<defs>"
        '<marker id="sgdep-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8"'
        f' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>'
        '<marker id="sgdep-arrow-cycle" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8"'
        f' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{CYCLE}"/></marker>'
        "</defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        _legend(bool(band)),
    ]
    if not boxes:
        parts.append(f'<text x="{MARGIN}" y="{top + 16}" fill="{INK}">No assets to draw.</text>')
    if band:
        label = f"{_cycles(len(order.cycles)).capitalize()}: no recovery order until fixed"
        parts.append(
            f'<text x="{MARGIN}" y="{_num(band_y - 12)}" fill="{CYCLE}" font-weight="600">{text(label)}</text>'
        )
    parts += [_edge(boxes[a], boxes[b], f"{a} before {b}") for a, b in edges]
    parts += [_node(name, tiers.get(name), box) for name, box in boxes.items()]
    parts.append("</svg>")
    return "\n".join(parts)


def _cycles(count: int) -> str:
    return f"{count} dependency cycle{'s' if count != 1 else ''}"


def _cycle_band(cycles: list[list[str]]) -> list[str]:
    """Cycle members side by side, each cycle reversed so that most of its arrows run left to right."""
    band: list[str] = []
    for cycle in cycles:
        band += [name for name in reversed(cycle) if name not in band]
    return band


def _legend(with_cycle: bool) -> str:
    items = []
    for position, (fill, stroke, label) in enumerate(TIER_STYLES.values()):
        x = MARGIN + position * LEGEND_ITEM_W
        items.append(
            f'<rect x="{x}" y="{MARGIN}" width="26" height="16" rx="3" fill="{fill}" stroke="{stroke}"'
            ' stroke-width="1.5"/>'
            f'<text x="{x + 32}" y="{MARGIN + 13}" fill="{INK}">{text(label)}</text>'
        )
    note = "Arrows run from what is restored first to what waits for it."
    if with_cycle:
        note += " Red outlines: a dependency cycle, which has no recovery order until it is fixed."
    items.append(f'<text x="{MARGIN}" y="{MARGIN + 42}" fill="{MUTED}">{text(note)}</text>')
    return '<g aria-label="Legend">' + "".join(items) + "</g>"


def _node(name: str, tier: int | None, box: _Box) -> str:
    fill, stroke, label = TIER_STYLES.get(tier, TIER_STYLES[None])
    outline = (
        f'stroke="{CYCLE}" stroke-width="3" stroke-dasharray="6 3"'
        if box.in_band
        else f'stroke="{stroke}" stroke-width="1.5"'
    )
    caption = (f"Tier {tier}" if tier else "No profile") + (" · in a cycle" if box.in_band else "")
    cx = box.x + NODE_W / 2
    return (
        f'<g class="asset"><title>{text(f"{name} ({label})")}</title>'
        f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" {outline}/>'
        f'<text x="{_num(cx)}" y="{_num(box.y + 22)}" text-anchor="middle" font-weight="600" fill="{INK}">'
        f"{text(_short(name))}</text>"
        f'<text x="{_num(cx)}" y="{_num(box.y + 40)}" text-anchor="middle" font-size="11" fill="{MUTED}">'
        f"{text(caption)}</text></g>"
    )


Point = tuple[float, float]


def _route(source: _Box, target: _Box) -> tuple[Point, Point, Point, Point]:
    """Start, two control points and end of the arrow's curve."""
    if source.in_band and target.in_band:
        if target.x > source.x:  # the next one along the cycle
            start, end = (source.x + NODE_W, source.y + NODE_H / 2), (target.x, target.y + NODE_H / 2)
            return start, (start[0] + COL_GAP / 2, start[1]), (end[0] - COL_GAP / 2, end[1]), end
        start, end = (source.x + NODE_W / 2, source.y + NODE_H), (target.x + NODE_W / 2, target.y + NODE_H)
        return start, (start[0], start[1] + ARCH_ROOM), (end[0], end[1] + ARCH_ROOM), end
    if source.in_band or target.in_band:  # between the order and the cycles below it: run vertically
        upper, lower = (target, source) if source.in_band else (source, target)
        top_end, bottom_end = (upper.x + NODE_W / 2, upper.y + NODE_H), (lower.x + NODE_W / 2, lower.y)
        middle = (top_end[1] + bottom_end[1]) / 2
        start, end = (bottom_end, top_end) if source.in_band else (top_end, bottom_end)
        return start, (start[0], middle), (end[0], middle), end
    start, end = (source.x + NODE_W, source.y + NODE_H / 2), (target.x, target.y + NODE_H / 2)
    if target.layer - source.layer <= 1:
        return start, (start[0] + COL_GAP / 2, start[1]), (end[0] - COL_GAP / 2, end[1]), end
    # Over a column or more: arch above the rows, so the arrow does not run through the boxes in between.
    lift = min(start[1], end[1]) - NODE_H / 2 - ARCH_ROOM * 0.9
    return start, (start[0] + COL_GAP, lift), (end[0] - COL_GAP, lift), end


def _edge(source: _Box, target: _Box, title: str) -> str:
    start, first, second, end = _route(source, target)
    path = (
        f"M{_num(start[0])},{_num(start[1])} C{_num(first[0])},{_num(first[1])} "
        f"{_num(second[0])},{_num(second[1])} {_num(end[0])},{_num(end[1])}"
    )
    cycle = source.in_band and target.in_band
    colour, marker = (CYCLE, "sgdep-arrow-cycle") if cycle else (INK, "sgdep-arrow")
    return (
        f'<g class="dependency"><title>{text(title)}</title><path d="{path}" fill="none" stroke="{colour}"'
        f' stroke-width="1.6" marker-end="url(#{marker})"/></g>'
    )


def graph_for_organization(organization: Organization) -> str:
    """Every in-scope asset in service and what it needs. Two queries, four when there are cycles to draw."""
    order = recovery_order(organization)
    names = {name for cycle in order.cycles for name in cycle}
    tiers: dict[str, int | None] = {}
    cycle_needs: list[tuple[str, str]] = []
    if names:
        rows = RecoveryProfile.objects.filter(organization=organization, asset__name__in=names)
        tiers = dict(rows.values_list("asset__name", "tier"))
        cycle_needs = list(
            AssetDependency.objects.filter(organization=organization, asset__name__in=names)
            .order_by("depends_on__name", "asset__name")
            .values_list("depends_on__name", "asset__name")
        )
    return graph_svg(order, tiers, cycle_needs)
