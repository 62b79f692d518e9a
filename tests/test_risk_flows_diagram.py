"""The data-flow diagram as a pure function: valid, escaped, accessible, deterministic, and capped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.risk.diagram import DiagramEdge, DiagramNode, diagram_for_organization, flow_diagram_svg
from safeguard.risk.models import Asset, AssetKind, DataFlow
from tests.conftest import Cast

SVG = "{http://www.w3.org/2000/svg}"

CLINIC = [
    DiagramNode("ehr", "EHR", "application"),
    DiagramNode("lab", "Lab interface", "server"),
    DiagramNode("db", "Billing DB", "database"),
    DiagramNode("ch", "Clearinghouse", "cloud_service"),
]
FLOWS = [
    DiagramEdge("ehr", "lab", "Lab orders", True),
    DiagramEdge("lab", "ehr", "Lab results", True),
    DiagramEdge("ehr", "db", "Charges", True),
    DiagramEdge("db", "ch", "Claims (837)", False),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output)


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def flow_titles(root: ET.Element) -> list[str]:
    return [group.findtext(f"{SVG}title") or "" for group in root.iter(f"{SVG}g") if group.get("class") == "flow"]


def test_the_drawing_is_well_formed_svg_with_a_title_and_description() -> None:
    root = parse(flow_diagram_svg(CLINIC, FLOWS))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "Data flow diagram"
    assert root.findtext(f"{SVG}desc") == "4 assets and 4 data flows, 1 not encrypted in transit."
    width, height = (float(value) for value in root.get("viewBox", "").split()[2:])
    assert width > 0 and height > 0


def test_nodes_are_labelled_with_name_and_kind_and_the_legend_names_each_kind() -> None:
    labels = texts(parse(flow_diagram_svg(CLINIC, FLOWS)))

    for name in ("EHR", "Lab interface", "Billing DB", "Clearinghouse"):
        assert name in labels
    for kind in ("Application", "Server", "Database", "Cloud service"):
        assert labels.count(kind) == 2  # under the node and in the legend
    assert "Medical device" not in labels  # the legend lists only the kinds drawn
    assert {"Encrypted in transit", "Not encrypted in transit"} <= set(labels)


def test_kinds_have_different_shapes() -> None:
    root = parse(flow_diagram_svg(CLINIC, FLOWS))
    assets = [group for group in root.iter(f"{SVG}g") if group.get("class") == "asset"]

    shapes = {group.findtext(f"{SVG}title"): group[1].tag.removeprefix(SVG) for group in assets}

    assert shapes == {
        "EHR (Application)": "rect",
        "Lab interface (Server)": "polygon",
        "Billing DB (Database)": "path",
        "Clearinghouse (Cloud service)": "ellipse",
    }


def test_an_unencrypted_flow_is_red_dashed_and_says_so() -> None:
    root = parse(flow_diagram_svg(CLINIC, FLOWS))

    assert "Claims (837) (not encrypted)" in texts(root)
    assert "Billing DB → Clearinghouse: Claims (837) — not encrypted in transit" in flow_titles(root)
    dashed = [path for path in root.iter(f"{SVG}path") if path.get("class") == "unencrypted"]
    assert len(dashed) == 2  # the flow and its legend sample
    assert all(path.get("stroke") == "#b42318" and path.get("stroke-dasharray") for path in dashed)


def test_encrypted_flows_are_solid() -> None:
    root = parse(flow_diagram_svg(CLINIC, FLOWS))
    groups = [group for group in root.iter(f"{SVG}g") if group.get("class") == "flow"]

    solid = [group for group in groups if "not encrypted" not in (group.findtext(f"{SVG}title") or "")]

    assert len(solid) == 3
    assert all(group.find(f"{SVG}path").get("stroke-dasharray") is None for group in solid)  # type: ignore[union-attr]


def test_every_text_is_escaped() -> None:
    nodes = [DiagramNode("a", "<script>alert(1)</script> & co", "application"), DiagramNode("b", 'Say "hi"', "x<y")]
    edges = [DiagramEdge("a", "b", "<b>notes</b> & \x00more", False)]

    svg = flow_diagram_svg(nodes, edges)

    assert "<script>" not in svg and "<b>" not in svg and "\x00" not in svg
    assert "&lt;script&gt;" in svg and "&amp; co" in svg
    root = parse(svg)  # still well formed
    assert '<script>alert(1)</script> & co → Say "hi": <b>notes</b> & more — not encrypted in transit' in flow_titles(
        root
    )
    assert "x<y" in texts(root)  # an unknown kind is drawn with its own name


def test_the_output_is_deterministic_whatever_the_input_order() -> None:
    first = flow_diagram_svg(CLINIC, FLOWS)

    assert flow_diagram_svg(list(reversed(CLINIC)), list(reversed(FLOWS))) == first
    assert flow_diagram_svg(CLINIC, FLOWS) == first


def test_columns_follow_the_flow_and_cycles_do_not_hang() -> None:
    root = parse(flow_diagram_svg(CLINIC, FLOWS))
    x_of = {
        group.findtext(f"{SVG}title"): float(group[2].get("x") or 0)
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "asset"
    }

    assert x_of["EHR (Application)"] < x_of["Billing DB (Database)"] < x_of["Clearinghouse (Cloud service)"]
    assert x_of["EHR (Application)"] < x_of["Lab interface (Server)"]


def test_flows_between_the_same_assets_share_one_arrow_per_encryption() -> None:
    edges = [
        DiagramEdge("ehr", "lab", "Orders", True),
        DiagramEdge("ehr", "lab", "Demographics", True),
        DiagramEdge("ehr", "lab", "Faxed orders", False),
    ]

    titles = flow_titles(parse(flow_diagram_svg(CLINIC, edges)))

    assert titles == [
        "EHR → Lab interface: Demographics; Orders",
        "EHR → Lab interface: Faxed orders — not encrypted in transit",
    ]


def test_flows_naming_unknown_assets_or_looping_are_left_out() -> None:
    edges = [DiagramEdge("ehr", "nowhere", "Lost", True), DiagramEdge("ehr", "ehr", "Loop", True)]

    root = parse(flow_diagram_svg(CLINIC, edges))

    assert flow_titles(root) == []
    assert root.findtext(f"{SVG}desc") == "4 assets and 0 data flows, 0 not encrypted in transit."


def test_an_empty_inventory_says_there_is_nothing_to_draw() -> None:
    root = parse(flow_diagram_svg([], []))

    assert "No assets to draw." in texts(root)


def test_above_the_cap_the_most_connected_are_drawn_and_the_rest_counted() -> None:
    hub = DiagramNode("hub", "Zeta hub", "server")
    spokes = [DiagramNode(f"s{n}", f"Spoke {n:03}", "endpoint") for n in range(10)]
    loners = [DiagramNode(f"l{n}", f"Alone {n:03}", "endpoint") for n in range(20)]
    edges = [DiagramEdge(spoke.id, "hub", "Notes", True) for spoke in spokes]

    root = parse(flow_diagram_svg([*loners, hub, *spokes], edges, max_nodes=11))

    labels = texts(root)
    assert "Zeta hub" in labels and "Spoke 009" in labels
    assert not any(label.startswith("Alone") for label in labels)
    note = "20 less connected assets were left out to keep the diagram readable: filter by asset to see its flows."
    assert note in labels
    assert note in (root.findtext(f"{SVG}desc") or "")


def test_the_default_cap_is_150_assets() -> None:
    nodes = [DiagramNode(str(n), f"Laptop {n:03}", "endpoint") for n in range(151)]

    labels = texts(parse(flow_diagram_svg(nodes, [])))

    assert len([label for label in labels if label.startswith("Laptop")]) == 150
    assert any(label.startswith("1 less connected asset was left out") for label in labels)


def test_long_names_are_shortened_on_the_node_but_whole_in_its_title() -> None:
    name = "Patient portal with an extraordinarily long name"
    root = parse(flow_diagram_svg([DiagramNode("p", name, "application")], []))

    assert f"{name} (Application)" in [group.findtext(f"{SVG}title") for group in root.iter(f"{SVG}g")]
    assert any(re.fullmatch(r"Patient portal with an.*…", label) for label in texts(root))


def test_the_organizations_diagram_takes_two_queries(cast: Cast) -> None:
    ehr = Asset.objects.create(organization=cast.org, name="EHR", kind=AssetKind.APPLICATION)
    for n in range(5):
        peer = Asset.objects.create(organization=cast.org, name=f"Peer {n}", kind=AssetKind.SERVER)
        DataFlow.objects.create(
            organization=cast.org,
            source=ehr,
            destination=peer,
            ephi="Notes",
            transport="tls",
            encrypted_in_transit=True,
        )

    with CaptureQueriesContext(connection) as queries:
        svg = diagram_for_organization(cast.org)
    with CaptureQueriesContext(connection) as narrowed:
        one = diagram_for_organization(cast.org, asset=ehr)

    assert len(queries) == 2
    assert len(narrowed) == 1
    assert svg.count('class="flow"') == 5
    assert one.count('class="flow"') == 5
