"""Recovery order: dependencies first, the most urgent work unblocked first, cycles reported, two queries."""

from __future__ import annotations

import pytest

from safeguard.contingency.recovery_order import dependency_path, recovery_order, strongly_connected
from safeguard.risk.models import Asset
from tests.contingency_criticality_factories import needs, plain_asset, profiled

pytestmark = pytest.mark.django_db


def names(order) -> list[str]:
    return [step.asset_name for step in order.steps]


def test_chain_restores_dependencies_first(cast):
    ehr = profiled(cast.org, "EHR", tier=1)
    database = profiled(cast.org, "Database", tier=1)
    network = profiled(cast.org, "Network", tier=3)
    needs(ehr, database)
    needs(database, network)
    order = recovery_order(cast.org)
    assert names(order) == ["Network", "Database", "EHR"]
    assert [step.position for step in order.steps] == [1, 2, 3]
    assert order.steps[2].waits_for == ("Database",)
    assert order.cycles == []


def test_diamond_puts_the_shared_dependency_first_and_the_join_last(cast):
    portal = profiled(cast.org, "Portal", tier=2)
    billing = profiled(cast.org, "Billing", tier=3)
    scheduling = profiled(cast.org, "Scheduling", tier=2)
    directory = profiled(cast.org, "Directory", tier=4)
    needs(portal, billing)
    needs(portal, scheduling)
    needs(billing, directory)
    needs(scheduling, directory)
    order = recovery_order(cast.org)
    assert names(order) == ["Directory", "Scheduling", "Billing", "Portal"]
    assert order.steps[3].waits_for == ("Billing", "Scheduling")


def test_ties_go_by_tier_then_rto_then_name(cast):
    profiled(cast.org, "Zeta", tier=1, rto=60)
    profiled(cast.org, "alpha", tier=2, rto=30)
    profiled(cast.org, "Beta", tier=2, rto=30)
    profiled(cast.org, "Gamma", tier=2, rto=10)
    profiled(cast.org, "Delta", tier=4, rto=10)
    assert names(recovery_order(cast.org)) == ["Zeta", "Gamma", "alpha", "Beta", "Delta"]


def test_dependency_of_urgent_asset_goes_before_a_less_urgent_independent_one(cast):
    ehr = profiled(cast.org, "EHR", tier=1)
    directory = profiled(cast.org, "Directory", tier=4)
    profiled(cast.org, "Billing", tier=2)
    needs(ehr, directory)
    assert names(recovery_order(cast.org)) == ["Directory", "EHR", "Billing"]


def test_cycle_is_reported_and_its_assets_left_out_of_the_order(cast):
    a = profiled(cast.org, "Alpha", tier=1)
    b = profiled(cast.org, "Bravo", tier=1)
    c = profiled(cast.org, "Charlie", tier=1)
    downstream = profiled(cast.org, "Downstream", tier=2)
    profiled(cast.org, "Standalone", tier=3)
    needs(a, b)
    needs(b, c)
    needs(c, a)
    needs(downstream, a)
    order = recovery_order(cast.org)
    assert order.cycles == [["Alpha", "Bravo", "Charlie"]]
    assert names(order) == ["Downstream", "Standalone"]
    assert order.steps[0].waits_for == ("Alpha",)


def test_two_separate_cycles_are_both_reported(cast):
    a, b = profiled(cast.org, "A"), profiled(cast.org, "B")
    x, y = profiled(cast.org, "X"), profiled(cast.org, "Y")
    needs(a, b)
    needs(b, a)
    needs(y, x)
    needs(x, y)
    assert recovery_order(cast.org).cycles == [["A", "B"], ["X", "Y"]]


def test_tangled_cycles_show_every_member(cast):
    a, b, c = profiled(cast.org, "A"), profiled(cast.org, "B"), profiled(cast.org, "C")
    needs(a, b)
    needs(b, a)
    needs(b, c)
    needs(c, b)
    cycles = recovery_order(cast.org).cycles
    assert {name for cycle in cycles for name in cycle} == {"A", "B", "C"}
    assert ["A", "B"] in cycles


def test_subset_without_outside_dependencies_is_only_itself(cast):
    ehr = profiled(cast.org, "EHR", tier=1)
    lab = profiled(cast.org, "Lab", tier=2)
    profiled(cast.org, "Billing", tier=3)
    needs(ehr, lab)
    order = recovery_order(cast.org, [ehr, lab])
    assert names(order) == ["Lab", "EHR"]
    assert all(step.covered for step in order.steps)


def test_subset_pulls_in_dependencies_as_not_covered(cast):
    ehr = profiled(cast.org, "EHR", tier=1, rto=60)
    directory = plain_asset(cast.org, "Directory")
    dns = profiled(cast.org, "DNS", tier=3, rto=600)
    profiled(cast.org, "Billing", tier=3)
    needs(ehr, directory)
    needs(directory, dns)
    order = recovery_order(cast.org, [ehr])
    assert [(s.asset_name, s.covered, s.tier, s.rto_minutes) for s in order.steps] == [
        ("DNS", False, 3, 600),
        ("Directory", False, None, None),
        ("EHR", True, 1, 60),
    ]


def test_default_set_is_in_scope_in_service_profiles_plus_their_dependencies(cast):
    ehr = profiled(cast.org, "EHR", tier=1)
    kiosk = profiled(cast.org, "Kiosk", tier=4, in_scope=False)
    retired = profiled(cast.org, "Old PACS", tier=1)
    Asset.objects.filter(pk=retired.pk).update(status=Asset.Status.RETIRED)
    plain_asset(cast.org, "Unprofiled")
    profiled(cast.org, "Lonely out of scope", in_scope=False)
    needs(ehr, kiosk)
    order = recovery_order(cast.org)
    assert [(s.asset_name, s.covered) for s in order.steps] == [("Kiosk", False), ("EHR", True)]


def test_other_organizations_dependencies_are_ignored(cast):
    ehr = profiled(cast.org, "EHR", tier=1)
    theirs = profiled(cast.other_org, "Their EHR", tier=1)
    their_db = profiled(cast.other_org, "Their DB", tier=1)
    needs(theirs, their_db)
    assert names(recovery_order(cast.org)) == ["EHR"]
    assert names(recovery_order(cast.other_org)) == ["Their DB", "Their EHR"]
    assert ehr.pk not in [s.asset_id for s in recovery_order(cast.other_org).steps]


def test_query_count_is_constant(cast, django_assert_num_queries):
    previous = None
    for index in range(30):
        current = profiled(cast.org, f"System {index:02}", tier=index % 4 + 1)
        if previous is not None:
            needs(current, previous)
        previous = current
    with django_assert_num_queries(2):
        order = recovery_order(cast.org)
    assert names(order) == [f"System {index:02}" for index in range(30)]


def test_long_chain_does_not_exhaust_the_stack():
    chain = {n: {n + 1} for n in range(5000)}
    components = strongly_connected(chain)
    assert len(components) == 5001
    chain[5000] = {0}
    assert [len(c) for c in strongly_connected(chain)] == [5001]


def test_dependency_path_is_the_shortest_chain():
    graph = {1: {2, 3}, 2: {4}, 3: {4}, 4: {5}}
    assert dependency_path(graph, 1, 5) == [1, 2, 4, 5]
    assert dependency_path(graph, 5, 1) is None
    assert dependency_path(graph, 3, 3) == [3]
