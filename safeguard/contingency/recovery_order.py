"""The recovery order derived from the criticality analysis: what to restore first when everything is down.

Dependencies come before their dependents. Among the assets ready to restore, the one that unblocks the most
urgent work goes first: an asset carries the urgency (tier, then RTO) of the most urgent asset that waits for it,
so the directory service a tier 1 record system needs is restored before an unrelated tier 2 system. Then its
own tier and RTO, then its name. Assets in a dependency cycle cannot be ordered: they are reported instead, and
the analysis must be fixed. Two queries whatever the number of assets."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from safeguard.contingency.models import AssetDependency, RecoveryProfile
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

NO_TIER = 5  # sorts after tier 4
NO_RTO = 2**63


@dataclass(frozen=True)
class RecoveryStep:
    position: int  # 1-based
    asset_id: int
    asset_name: str
    tier: int | None  # None when the asset has no recovery profile
    rto_minutes: int | None
    waits_for: tuple[str, ...]  # names of the assets it depends on
    covered: bool  # in the set asked for (False: pulled in as a dependency of one that is)


@dataclass(frozen=True)
class RecoveryOrder:
    steps: list[RecoveryStep]
    # Each cycle as asset names: the first needs the second, ..., the last needs the first. Assets in a cycle
    # are not in `steps`.
    cycles: list[list[str]]


@dataclass(frozen=True)
class _Node:
    asset_id: int
    name: str
    tier: int | None
    rto_minutes: int | None

    @property
    def urgency(self) -> tuple[int, int]:
        return (self.tier or NO_TIER, NO_RTO if self.rto_minutes is None else self.rto_minutes)


def recovery_order(organization: Organization, assets: Iterable[Asset] | None = None) -> RecoveryOrder:
    """`assets=None`: every in-service asset whose profile is in scope. Otherwise those assets; either way their
    transitive dependencies are added with covered=False."""
    profiles = {
        asset_id: (name, status, in_scope, tier, rto)
        for asset_id, name, status, in_scope, tier, rto in RecoveryProfile.objects.filter(
            organization=organization
        ).values_list("asset_id", "asset__name", "asset__status", "in_scope", "tier", "rto_minutes")
    }
    needs: dict[int, set[int]] = {}
    names: dict[int, str] = {}
    for asset_id, asset_name, depends_on_id, depends_on_name in AssetDependency.objects.filter(
        organization=organization
    ).values_list("asset_id", "asset__name", "depends_on_id", "depends_on__name"):
        needs.setdefault(asset_id, set()).add(depends_on_id)
        names[asset_id], names[depends_on_id] = asset_name, depends_on_name
    for asset_id, (name, *_rest) in profiles.items():
        names[asset_id] = name

    if assets is None:
        asked = {
            asset_id
            for asset_id, (_name, status, in_scope, _tier, _rto) in profiles.items()
            if in_scope and status == Asset.Status.IN_SERVICE
        }
    else:
        asked = set()
        for asset in assets:
            asked.add(asset.pk)
            names.setdefault(asset.pk, asset.name)

    included = _with_dependencies(asked, needs)
    nodes = {
        asset_id: _Node(
            asset_id,
            names[asset_id],
            profiles[asset_id][3] if asset_id in profiles else None,
            profiles[asset_id][4] if asset_id in profiles else None,
        )
        for asset_id in included
    }
    graph = {asset_id: needs.get(asset_id, set()) & included for asset_id in included}
    components = strongly_connected(graph)
    in_cycle = {asset_id for component in components if _is_cycle(component, graph) for asset_id in component}
    cycles = [
        [names[asset_id] for asset_id in cycle]
        for component in components
        if _is_cycle(component, graph)
        for cycle in _cycles_through(component, graph, names)
    ]
    ordered = _ordered({a: graph[a] - in_cycle for a in included - in_cycle}, nodes)
    steps = [
        RecoveryStep(
            position=position,
            asset_id=asset_id,
            asset_name=nodes[asset_id].name,
            tier=nodes[asset_id].tier,
            rto_minutes=nodes[asset_id].rto_minutes,
            waits_for=tuple(sorted((names[d] for d in graph[asset_id]), key=str.lower)),
            covered=asset_id in asked,
        )
        for position, asset_id in enumerate(ordered, start=1)
    ]
    cycles.sort(key=lambda cycle: [name.lower() for name in cycle])
    return RecoveryOrder(steps=steps, cycles=cycles)


def dependency_path(needs: Mapping[int, Iterable[int]], start: int, goal: int) -> list[int] | None:
    """The shortest chain start → … → goal following "needs" edges, or None. Adding "goal needs start" would
    close a cycle exactly when such a chain exists."""
    previous: dict[int, int] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        current = queue.popleft()
        if current == goal:
            path = [current]
            while path[-1] != start:
                path.append(previous[path[-1]])
            return path[::-1]
        for following in sorted(needs.get(current, ())):
            if following not in seen:
                seen.add(following)
                previous[following] = current
                queue.append(following)
    return None


def strongly_connected(graph: Mapping[int, Iterable[int]]) -> list[set[int]]:
    """Tarjan's algorithm without recursion, so a long dependency chain cannot exhaust the stack."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    found: list[set[int]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[int, list[int]]] = [(root, sorted(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                following = pending.pop()
                if following not in index:
                    index[following] = low[following] = counter
                    counter += 1
                    stack.append(following)
                    on_stack.add(following)
                    work.append((following, sorted(graph.get(following, ()))))
                elif following in on_stack:
                    low[node] = min(low[node], index[following])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[int] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _with_dependencies(asked: set[int], needs: Mapping[int, set[int]]) -> set[int]:
    included = set(asked)
    queue = deque(asked)
    while queue:
        for depends_on in needs.get(queue.popleft(), ()):
            if depends_on not in included:
                included.add(depends_on)
                queue.append(depends_on)
    return included


def _is_cycle(component: set[int], graph: Mapping[int, set[int]]) -> bool:
    if len(component) > 1:
        return True
    (only,) = component
    return only in graph.get(only, set())


def _cycles_through(component: set[int], graph: Mapping[int, set[int]], names: Mapping[int, str]) -> list[list[int]]:
    """Shortest cycles until every member of the component appears in one: a tangle of many cycles is shown as
    a few readable loops rather than every combination."""
    inside = {member: graph[member] & component for member in component}
    cycles: list[list[int]] = []
    shown: set[int] = set()
    for member in sorted(component, key=lambda a: (names[a].lower(), a)):
        if member in shown:
            continue
        if member in inside[member]:
            cycle = [member]
        else:
            cycle = min(
                (path for d in inside[member] if (path := dependency_path(inside, d, member)) is not None),
                key=len,
            )
            cycle = [member, *cycle[:-1]]
        cycles.append(_rotated(cycle, names))
        shown.update(cycle)
    return cycles


def _rotated(cycle: list[int], names: Mapping[int, str]) -> list[int]:
    first = min(range(len(cycle)), key=lambda i: (names[cycle[i]].lower(), cycle[i]))
    return cycle[first:] + cycle[:first]


def _ordered(graph: Mapping[int, set[int]], nodes: Mapping[int, _Node]) -> list[int]:
    """Kahn's algorithm on an acyclic graph, picking the most urgent ready asset each time."""
    dependents: dict[int, set[int]] = {asset_id: set() for asset_id in graph}
    for asset_id, depends_on in graph.items():
        for d in depends_on:
            dependents[d].add(asset_id)
    inherited = _inherited_urgency(graph, dependents, nodes)

    def key(asset_id: int) -> tuple[tuple[int, int], tuple[int, int], str, int]:
        node = nodes[asset_id]
        return (inherited[asset_id], node.urgency, node.name.lower(), asset_id)

    waiting = {asset_id: len(depends_on) for asset_id, depends_on in graph.items()}
    ready = [key(asset_id) for asset_id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[int] = []
    while ready:
        asset_id = heapq.heappop(ready)[-1]
        ordered.append(asset_id)
        for dependent in dependents[asset_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, key(dependent))
    return ordered


def _inherited_urgency(
    graph: Mapping[int, set[int]], dependents: Mapping[int, set[int]], nodes: Mapping[int, _Node]
) -> dict[int, tuple[int, int]]:
    """Each asset's own urgency or that of its most urgent dependent, direct or not, whichever is higher."""
    remaining = {asset_id: len(waiting) for asset_id, waiting in dependents.items()}
    queue = deque(asset_id for asset_id, count in remaining.items() if count == 0)
    inherited: dict[int, tuple[int, int]] = {}
    while queue:
        asset_id = queue.popleft()
        inherited[asset_id] = min([nodes[asset_id].urgency, *(inherited[d] for d in dependents[asset_id])])
        for depends_on in graph[asset_id]:
            remaining[depends_on] -= 1
            if remaining[depends_on] == 0:
                queue.append(depends_on)
    return inherited
