"""The dependency graph SVG and the duration wording: well-formed, escaped, every asset and arrow drawn, cycles
set apart; objectives shown exactly."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from safeguard.contingency.criticality_graph import graph_for_organization, graph_svg
from safeguard.contingency.durations import as_amount, duration, to_minutes
from safeguard.contingency.recovery_order import RecoveryOrder, RecoveryStep
from tests.contingency_criticality_factories import needs, plain_asset, profiled

SVG = "{http://www.w3.org/2000/svg}"


def step(position: int, name: str, tier: int | None, waits_for: tuple[str, ...] = ()) -> RecoveryStep:
    return RecoveryStep(position, position, name, tier, 60, waits_for, True)


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314  # our own output, parsed to prove it is well-formed


def titles(root: ElementTree.Element, kind: str) -> list[str]:
    return [g.findtext(f"{SVG}title") or "" for g in root.iter(f"{SVG}g") if g.get("class") == kind]


def test_arrows_run_from_dependency_to_dependent_and_columns_follow_the_order():
    order = RecoveryOrder([step(1, "DB", 2), step(2, "EHR", 1, ("DB",)), step(3, "Lab", None)], [])
    root = parsed(graph_svg(order))
    assert titles(root, "dependency") == ["DB before EHR"]
    assert titles(root, "asset") == [
        "DB (Tier 2: critical operations)",
        "EHR (Tier 1: patient safety)",
        "Lab (No recovery profile)",
    ]
    boxes = {
        g.findtext(f"{SVG}title") or "": g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g") if g.get("class") == "asset"
    }
    x = {title.split(" (")[0]: float(rect.get("x", 0)) for title, rect in boxes.items() if rect is not None}
    assert x["DB"] < x["EHR"] and x["Lab"] == x["DB"]


def test_names_are_escaped():
    svg = graph_svg(RecoveryOrder([step(1, '<script>"x"&', 1)], []))
    assert "<script>" not in svg
    assert parsed(svg) is not None


def test_cycle_members_are_drawn_apart_with_red_arrows():
    order = RecoveryOrder([step(1, "Billing", 3, ("Fax",))], [["Fax", "Printer"]])
    svg = graph_svg(order, {"Fax": 3, "Printer": None}, [("Net", "Fax")])
    root = parsed(svg)
    assert sorted(titles(root, "dependency")) == ["Fax before Billing", "Fax before Printer", "Printer before Fax"]
    assert "1 dependency cycle: no recovery order until fixed" in svg
    assert svg.count("in a cycle") == 2
    assert svg.count('marker-end="url(#sgdep-arrow-cycle)"') == 2


def test_empty_analysis_says_so():
    svg = graph_svg(RecoveryOrder([], []))
    assert "No assets to draw." in svg
    parsed(svg)


@pytest.mark.django_db
def test_graph_for_organization_includes_what_cycle_members_need(cast, django_assert_max_num_queries):
    a, b = profiled(cast.org, "Fax", tier=3), profiled(cast.org, "Printer", tier=4)
    net = plain_asset(cast.org, "Net")
    needs(a, b)
    needs(b, a)
    needs(a, net)
    with django_assert_max_num_queries(4):
        svg = graph_for_organization(cast.org)
    assert "Net before Fax" in titles(parsed(svg), "dependency")
    assert "Fax (Tier 3: important)" in titles(parsed(svg), "asset")


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (None, "—"),
        (45, "45 min"),
        (60, "1 h"),
        (90, "1 h 30 min"),
        (65, "1 h 05 min"),
        (1440, "1 d"),
        (1800, "1 d 6 h"),
        (1501, "25 h 01 min"),
        (2879, "47 h 59 min"),
    ],
)
def test_duration_wording_is_exact(minutes, shown):
    assert duration(minutes) == shown


@pytest.mark.parametrize(("minutes", "shown"), [(2881, "2 d"), (33798, "23 d 11 h")])
def test_long_durations_drop_minutes_to_stay_readable(minutes, shown):
    assert duration(minutes) == shown


@pytest.mark.parametrize(("minutes", "amount"), [(2880, (2, "days")), (120, (2, "hours")), (90, (90, "minutes"))])
def test_edit_forms_get_back_the_largest_exact_unit(minutes, amount):
    assert as_amount(minutes) == amount
    assert to_minutes(*amount) == minutes
