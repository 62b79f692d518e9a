"""The data-flow diagram: assets as labelled shapes, flows as arrows, drawn as a self-contained SVG.

The drawing is a pure function of plain data so the PDF report can draw an analysis's frozen scope with it (names
as ids). The layout is deterministic: columns come from a longest-path layering of the flow graph (cycles are
broken by a depth-first search in name order), rows are ordered by name. No script, no external resources.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from safeguard.core.models import Organization
from safeguard.risk.models import Asset, AssetKind, DataFlow

MAX_NODES = 150

NODE_W, NODE_H = 184, 50
COL_GAP, ROW_GAP = 150, 34
MARGIN = 24
LEGEND_ITEM_W, LEGEND_ROW_H = 230, 30
BACK_EDGE_ROOM = 80  # below the lowest row, where arrows that run right-to-left loop round
NAME_CHARS, LABEL_CHARS = 24, 34

INK, MUTED, UNENCRYPTED = "#1b2430", "#5b6675", "#b42318"

# kind → (shape, fill, stroke). Shapes differ as well as colours, so the legend survives greyscale printing.
STYLES: dict[str, tuple[str, str, str]] = {
    AssetKind.APPLICATION: ("rounded", "#dbe8fb", "#1f5fbf"),
    AssetKind.DATABASE: ("cylinder", "#e3f4e8", "#1e7b3a"),
    AssetKind.SERVER: ("rect", "#ece6fa", "#6941c6"),
    AssetKind.ENDPOINT: ("trapezoid", "#fdf1d8", "#9a6700"),
    AssetKind.MEDICAL_DEVICE: ("octagon", "#fbe3ef", "#a8336d"),
    AssetKind.NETWORK: ("hexagon", "#dff3f6", "#16707f"),
    AssetKind.CLOUD_SERVICE: ("ellipse", "#e6f0ff", "#2f4f8f"),
    AssetKind.STORAGE: ("parallelogram", "#efeae2", "#6b5a3e"),
    AssetKind.PHYSICAL: ("folded", "#f3f3f3", "#4b4b4b"),
}
OTHER_STYLE = ("rect", "#ffffff", MUTED)
KIND_LABELS = dict(AssetKind.choices)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class DiagramNode:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class DiagramEdge:
    source_id: str
    destination_id: str
    label: str
    encrypted: bool


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    layer: int


def text(value: str) -> str:
    """Character data and attribute values alike: escaped, and stripped of characters XML cannot hold."""
    return escape(_NOT_XML.sub("", value), {'"': "&quot;"})


def _short(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind or "Other"))


def flow_diagram_svg(nodes: list[DiagramNode], edges: list[DiagramEdge], *, max_nodes: int = MAX_NODES) -> str:
    """The diagram of `nodes` and the `edges` between them; above `max_nodes`, the most connected are drawn and
    the drawing says how many were left out."""
    unique = {node.id: node for node in reversed(nodes)}  # the first of repeated ids wins
    ordered = sorted(unique.values(), key=lambda node: (node.name.casefold(), node.name, node.id))
    known = {node.id for node in ordered}
    edges = [e for e in edges if e.source_id in known and e.destination_id in known and e.source_id != e.destination_id]
    shown, left_out = _most_connected(ordered, edges, max_nodes)
    kept = {node.id for node in shown}
    edges = [e for e in edges if e.source_id in kept and e.destination_id in kept]
    boxes = _layout(shown, edges)
    return _render(shown, edges, boxes, left_out)


def _most_connected(nodes: list[DiagramNode], edges: list[DiagramEdge], limit: int) -> tuple[list[DiagramNode], int]:
    if len(nodes) <= limit:
        return nodes, 0
    degree: dict[str, int] = defaultdict(int)
    for edge in edges:
        degree[edge.source_id] += 1
        degree[edge.destination_id] += 1
    rank = {node.id: position for position, node in enumerate(nodes)}
    chosen = sorted(nodes, key=lambda node: (-degree[node.id], rank[node.id]))[: max(limit, 0)]
    chosen.sort(key=lambda node: rank[node.id])
    return chosen, len(nodes) - len(chosen)


def _layers(nodes: list[DiagramNode], edges: list[DiagramEdge]) -> dict[str, int]:
    """Longest-path layering of the graph with the back edges of a name-ordered depth-first search removed."""
    order = {node.id: position for position, node in enumerate(nodes)}
    successors: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        successors[edge.source_id].append(edge.destination_id)
    for targets in successors.values():
        targets.sort(key=order.__getitem__)
    state: dict[str, int] = {}  # 1 = on the search path, 2 = finished
    finished: list[str] = []
    forward: dict[str, list[str]] = defaultdict(list)
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            current, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                state[current] = 2
                finished.append(current)
                stack.pop()
            elif state.get(child) == 1:
                continue  # a back edge: ignoring it breaks the cycle
            else:
                forward[current].append(child)
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(successors[child])))
    layer = dict.fromkeys(order, 0)
    for current in reversed(finished):  # reverse post-order is a topological order of the forward edges
        for child in forward[current]:
            layer[child] = max(layer[child], layer[current] + 1)
    return layer


def _legend_rows(kinds: list[str], width: float) -> int:
    per_row = max(1, int(width // LEGEND_ITEM_W))
    return -(-(len(kinds) + 2) // per_row)


def _layout(nodes: list[DiagramNode], edges: list[DiagramEdge]) -> dict[str, _Box]:
    layer = _layers(nodes, edges)
    rows: dict[int, int] = defaultdict(int)
    boxes: dict[str, _Box] = {}
    for node in nodes:  # already in name order, so each column is too
        column = layer[node.id]
        boxes[node.id] = _Box(x=MARGIN + column * (NODE_W + COL_GAP), y=rows[column] * (NODE_H + ROW_GAP), layer=column)
        rows[column] += 1
    return boxes


def _kinds(nodes: Iterable[DiagramNode]) -> list[str]:
    present = {node.kind for node in nodes}
    known = [kind for kind in AssetKind.values if kind in present]
    return known + sorted(present - set(AssetKind.values))


def _render(nodes: list[DiagramNode], edges: list[DiagramEdge], boxes: dict[str, _Box], left_out: int) -> str:
    columns = max((box.layer for box in boxes.values()), default=0) + 1
    rows = max(Counter(box.layer for box in boxes.values()).values(), default=1)
    width = max(2 * MARGIN + columns * NODE_W + (columns - 1) * COL_GAP, 2 * MARGIN + 3 * LEGEND_ITEM_W)
    kinds = _kinds(nodes)
    notes = _notes(nodes, edges, left_out)
    top = MARGIN + _legend_rows(kinds, width - 2 * MARGIN) * LEGEND_ROW_H + len(notes) * 20 + 16
    body_height = rows * (NODE_H + ROW_GAP) - ROW_GAP if nodes else 0
    height = top + body_height + BACK_EDGE_ROOM + MARGIN
    unencrypted = sum(1 for edge in edges if not edge.encrypted)
    summary = (
        f"{len(nodes)} asset{'s' if len(nodes) != 1 else ''} and {len(edges)} data flow"
        f"{'s' if len(edges) != 1 else ''}, {unencrypted} not encrypted in transit."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}"'
        f' height="{_num(height)}" role="img" aria-labelledby="sgflow-title sgflow-desc"'
        f' font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif" font-size="13">',
        '<title id="sgflow-title">Data flow diagram</title>',
        f'<desc id="sgflow-desc">{text(" ".join([summary, *notes]))}</desc>',
        _defs(),
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        _legend(kinds, width - 2 * MARGIN),
    ]
    note_y = MARGIN + _legend_rows(kinds, width - 2 * MARGIN) * LEGEND_ROW_H + 8
    for position, note in enumerate(notes):
        parts.append(f'<text x="{MARGIN}" y="{_num(note_y + position * 20)}" fill="{INK}">{text(note)}</text>')
    parts.append(f'<g transform="translate(0 {_num(top)})">')
    parts.extend(_edges(nodes, edges, boxes, body_height))
    parts.extend(_node(node, boxes[node.id]) for node in nodes)
    parts.append("</g></svg>")
    return "\n".join(parts)


def _notes(nodes: list[DiagramNode], edges: list[DiagramEdge], left_out: int) -> list[str]:
    notes = []
    if not nodes:
        notes.append("No assets to draw.")
    if left_out:
        notes.append(
            f"{left_out} less connected asset{'s were' if left_out != 1 else ' was'} left out to keep the diagram "
            f"readable: filter by asset to see its flows."
        )
    return notes


def _defs() -> str:
    arrow = 'viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"'
    return (
        "<defs>"
        f'<marker id="sgflow-arrow" {arrow}><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>'
        f'<marker id="sgflow-arrow-open" {arrow}><path d="M0,0 L10,5 L0,10 z" fill="{UNENCRYPTED}"/></marker>'
        "</defs>"
    )


def _legend(kinds: list[str], width: float) -> str:
    per_row = max(1, int(width // LEGEND_ITEM_W))
    items = []
    entries: list[tuple[str, str]] = [("kind", kind) for kind in kinds]
    entries += [("line", "encrypted"), ("line", "unencrypted")]
    for position, (what, value) in enumerate(entries):
        x = MARGIN + (position % per_row) * LEGEND_ITEM_W
        y = MARGIN + (position // per_row) * LEGEND_ROW_H
        if what == "kind":
            shape, fill, stroke = STYLES.get(value, OTHER_STYLE)
            items.append(_shape(shape, x, y, 34, 20, fill, stroke))
            label = _kind_label(value)
        else:
            items.append(_line_style(value == "encrypted", f"M{x},{y + 10} L{x + 34},{y + 10}"))
            label = "Encrypted in transit" if value == "encrypted" else "Not encrypted in transit"
        items.append(f'<text x="{x + 42}" y="{y + 14}" fill="{INK}">{text(label)}</text>')
    return '<g aria-label="Legend">' + "".join(items) + "</g>"


def _line_style(encrypted: bool, path: str) -> str:
    if encrypted:
        return f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="1.6" marker-end="url(#sgflow-arrow)"/>'
    return (
        f'<path d="{path}" fill="none" stroke="{UNENCRYPTED}" stroke-width="1.8" stroke-dasharray="7 4"'
        ' marker-end="url(#sgflow-arrow-open)" class="unencrypted"/>'
    )


def _shape(shape: str, x: float, y: float, w: float, h: float, fill: str, stroke: str) -> str:
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"'
    r, b, cx = x + w, y + h, x + w / 2
    inset = min(w, h) / 4
    if shape == "rounded":
        return f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" rx="{_num(inset)}" {paint}/>'
    if shape == "ellipse":
        return f'<ellipse cx="{_num(cx)}" cy="{_num(y + h / 2)}" rx="{_num(w / 2)}" ry="{_num(h / 2)}" {paint}/>'
    if shape == "cylinder":
        e = h / 6
        body = (
            f"M{_num(x)},{_num(y + e)} A{_num(w / 2)},{_num(e)} 0 0 0 {_num(r)},{_num(y + e)} "
            f"L{_num(r)},{_num(b - e)} A{_num(w / 2)},{_num(e)} 0 0 1 {_num(x)},{_num(b - e)} Z "
            f"M{_num(x)},{_num(y + e)} A{_num(w / 2)},{_num(e)} 0 0 1 {_num(r)},{_num(y + e)}"
        )
        return f'<path d="{body}" {paint}/>'
    corners = {
        "trapezoid": [(x + inset, y), (r - inset, y), (r, b), (x, b)],
        "parallelogram": [(x + inset, y), (r, y), (r - inset, b), (x, b)],
        "hexagon": [(x + inset, y), (r - inset, y), (r, y + h / 2), (r - inset, b), (x + inset, b), (x, y + h / 2)],
        "octagon": [
            (x + inset, y),
            (r - inset, y),
            (r, y + inset),
            (r, b - inset),
            (r - inset, b),
            (x + inset, b),
            (x, b - inset),
            (x, y + inset),
        ],
        "folded": [(x, y), (r - inset, y), (r, y + inset), (r, b), (x, b)],
    }.get(shape, [(x, y), (r, y), (r, b), (x, b)])
    points = " ".join(f"{_num(px)},{_num(py)}" for px, py in corners)
    return f'<polygon points="{points}" {paint}/>'


def _node(node: DiagramNode, box: _Box) -> str:
    shape, fill, stroke = STYLES.get(node.kind, OTHER_STYLE)
    cx = box.x + NODE_W / 2
    kind = _kind_label(node.kind)
    return (
        f'<g class="asset"><title>{text(f"{node.name} ({kind})")}</title>'
        + _shape(shape, box.x, box.y, NODE_W, NODE_H, fill, stroke)
        + f'<text x="{_num(cx)}" y="{_num(box.y + 22)}" text-anchor="middle" font-weight="600" fill="{INK}">'
        f"{text(_short(node.name, NAME_CHARS))}</text>"
        f'<text x="{_num(cx)}" y="{_num(box.y + 39)}" text-anchor="middle" font-size="11" fill="{MUTED}">'
        f"{text(_short(kind, NAME_CHARS + 4))}</text></g>"
    )


LABEL_CHAR_WIDTH = 6.0  # average advance of an 11 px sans-serif character
FlowKey = tuple[str, str, bool]  # source id, destination id, encrypted: one arrow each


def _edges(nodes: list[DiagramNode], edges: list[DiagramEdge], boxes: dict[str, _Box], bottom: float) -> list[str]:
    """One arrow per (source, destination, encrypted), labelled with every ePHI it carries, in a stable order."""
    names = {node.id: node.name for node in nodes}
    order = {node.id: position for position, node in enumerate(nodes)}
    grouped: dict[FlowKey, list[str]] = defaultdict(list)
    for edge in edges:
        grouped[(edge.source_id, edge.destination_id, edge.encrypted)].append(" ".join(edge.label.split()))
    keys = sorted(grouped, key=lambda key: (order[key[0]], order[key[1]], not key[2]))
    ports = _ports(keys, boxes)
    drawn = []
    for index, key in enumerate(keys):
        source, destination, encrypted = key
        labels = sorted(set(grouped[key]), key=lambda label: (label.casefold(), label))
        carried = "; ".join(labels)
        path, (lx, ly) = _route(
            boxes[source], boxes[destination], ports[(key, "out")], ports[(key, "in")], bottom + 24 + (index % 5) * 11
        )
        shown = _short(carried, LABEL_CHARS) + ("" if encrypted else " (not encrypted)")
        title = f"{names[source]} → {names[destination]}: {carried}" + (
            "" if encrypted else " — not encrypted in transit"
        )
        # A white plate behind the label keeps it legible over lines; a stroke halo (paint-order) would do it more
        # tightly, but PDF renderers ignore paint-order and would paint the text white.
        plate = len(shown) * LABEL_CHAR_WIDTH + 6
        drawn.append(
            f'<g class="flow"><title>{text(title)}</title>{_line_style(encrypted, path)}'
            f'<rect x="{_num(lx - plate / 2)}" y="{_num(ly - 10)}" width="{_num(plate)}" height="13" fill="#ffffff"'
            ' fill-opacity="0.9"/>'
            f'<text x="{_num(lx)}" y="{_num(ly)}" text-anchor="middle" font-size="11"'
            f' fill="{INK if encrypted else UNENCRYPTED}">{text(shown)}</text></g>'
        )
    return drawn


def _ports(keys: list[FlowKey], boxes: dict[str, _Box]) -> dict[tuple[FlowKey, str], float]:
    """Where each arrow leaves and enters its boxes, as an offset along the side it uses: arrows sharing a side
    are spread over it in the order of the boxes at their other ends, so they fan out instead of crossing."""
    sides: dict[tuple[str, str], list[tuple[float, float, FlowKey, str]]] = defaultdict(list)
    for key in keys:
        source, destination = boxes[key[0]], boxes[key[1]]
        if destination.layer > source.layer:
            sides[(key[0], "right")].append((destination.y, destination.x, key, "out"))
            sides[(key[1], "left")].append((source.y, source.x, key, "in"))
        else:
            sides[(key[0], "bottom")].append((destination.x, destination.y, key, "out"))
            sides[(key[1], "bottom")].append((source.x, source.y, key, "in"))
    offsets = {}
    for (_, side), entries in sides.items():
        entries.sort()
        span = NODE_W if side == "bottom" else NODE_H
        for position, (_x, _y, key, end) in enumerate(entries):
            offsets[(key, end)] = span * (position + 1) / (len(entries) + 1)
    return offsets


def _route(source: _Box, destination: _Box, leave: float, enter: float, low: float) -> tuple[str, tuple[float, float]]:
    """A curve from the source's right side to the destination's left; arrows that cannot run rightwards loop
    below the drawing, down to `low`. Returns the path and where its label goes."""
    if destination.layer > source.layer:
        start = (source.x + NODE_W, source.y + leave)
        end = (destination.x, destination.y + enter)
        bend = COL_GAP / 2
        first, second = (start[0] + bend, start[1]), (end[0] - bend, end[1])
    else:
        start = (source.x + leave, source.y + NODE_H)
        end = (destination.x + enter, destination.y + NODE_H)
        first, second = (start[0], low), (end[0], low)
    label = tuple((p0 + 3 * p1 + 3 * p2 + p3) / 8 for p0, p1, p2, p3 in zip(start, first, second, end, strict=True))
    path = (
        f"M{_num(start[0])},{_num(start[1])} C{_num(first[0])},{_num(first[1])} "
        f"{_num(second[0])},{_num(second[1])} {_num(end[0])},{_num(end[1])}"
    )
    return path, (label[0], label[1] - 4)


def diagram_for_organization(organization: Organization, asset: Asset | None = None) -> str:
    """The organization's diagram (assets not retired, plus any asset a flow still names), or only `asset` and
    the assets it exchanges ePHI with. Two queries."""
    flows = DataFlow.objects.filter(organization=organization)
    nodes: list[DiagramNode] = []
    if asset is None:
        assets = Asset.objects.filter(organization=organization).exclude(status=Asset.Status.RETIRED)
        nodes = [
            DiagramNode(str(pid), name, kind) for pid, name, kind in assets.values_list("public_id", "name", "kind")
        ]
    else:
        flows = flows.filter(source=asset) | flows.filter(destination=asset)
        nodes = [DiagramNode(str(asset.public_id), asset.name, asset.kind)]
    edges = []
    for row in flows.values_list(
        "source__public_id",
        "source__name",
        "source__kind",
        "destination__public_id",
        "destination__name",
        "destination__kind",
        "ephi",
        "encrypted_in_transit",
    ):
        source_id, destination_id = str(row[0]), str(row[3])
        nodes += [DiagramNode(source_id, row[1], row[2]), DiagramNode(destination_id, row[4], row[5])]
        edges.append(DiagramEdge(source_id, destination_id, row[6], row[7]))
    return flow_diagram_svg(nodes, edges)
