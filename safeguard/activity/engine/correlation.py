"""The correlation compiler: each rule becomes a CTE of the event rows that are its "events" — a detection's
matches, a correlation's anchors — so a correlation over a correlation (a chain) reads its inner rule's anchors.

Windows are sliding, backward and inclusive: the metric at an event at time t covers the group's events in
[t − timespan, t], ties included (RANGE frames count every row with the same time)."""

# ruff: noqa: S608  # SQL is assembled from checked field names and quote()d literals; times are parameters

from __future__ import annotations

from dataclasses import dataclass, field

from safeguard.activity.engine.sigma_rules import Correlation, SigmaDocument

# Group-by and value fields that have an integer surrogate are computed on it: same groups, faster.
SURROGATES = {"user_name": "user_id", "patient_id": "patient_key", "src_host": "src_host_id", "src_ip": "src_ip_id"}
DECODED_NAMES = {surrogate: name for name, surrogate in SURROGATES.items()}
# Counts only grow with more events, which is what lets the window be skipped where it cannot reach the bound.
PRUNABLE = ("event_count", "value_count")
OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "<>"}


def column_for(name: str) -> str:
    return SURROGATES.get(name, name)


@dataclass
class Node:
    """A compiled rule in the organization's graph."""

    name: str
    document: SigmaDocument
    predicate: str = ""  # detections: the WHERE over the enriched events (logsource and filters folded in)
    fields: set[str] = field(default_factory=set)
    correlation: Correlation | None = None  # after overrides
    children: list[Node] = field(default_factory=list)

    @property
    def span_seconds(self) -> int:
        """How far back the rule reads: its window plus its inner rules' windows."""
        if self.correlation is None:
            return 0
        return self.correlation.timespan_seconds + max((child.span_seconds for child in self.children), default=0)

    def leaves(self) -> list[Node]:
        if self.correlation is None:
            return [self]
        found: dict[str, Node] = {}
        for child in self.children:
            for leaf in child.leaves():
                found.setdefault(leaf.name, leaf)
        return list(found.values())

    def all_fields(self) -> set[str]:
        fields = set(self.fields)
        if self.correlation is not None:
            # Correlations group and count on the integer surrogates: decoding the names too would join every
            # event to the dictionaries and carry the strings through the window's sort.
            fields.update(column_for(name) for name in self.correlation.group_by)
            if self.correlation.field:
                fields.add(column_for(self.correlation.field))
        for child in self.children:
            fields |= child.all_fields()
        return fields


def lower_bound(correlation: Correlation) -> tuple[str, float] | None:
    """The highest of the conditions' lower bounds on the metric (eq bounds it from below too), if any."""
    floors = [(operator, bound) for operator, bound in correlation.conditions if operator in ("gt", "gte", "eq")]
    return max(floors, key=lambda floor: (floor[1], floor[0] == "gt"), default=None)


def condition_sql(conditions: list[tuple[str, float]], metric: str) -> str:
    return " AND ".join(f"{metric} {OPERATORS[operator]} {bound}" for operator, bound in conditions) or "true"


def window_clause(group: list[str], seconds: int) -> str:
    partition = f"PARTITION BY {', '.join(group)} " if group else ""
    return f"({partition}ORDER BY time RANGE BETWEEN INTERVAL '{seconds} seconds' PRECEDING AND CURRENT ROW)"


def not_null(group: list[str]) -> str:
    return " AND ".join(f"{column} IS NOT NULL" for column in group) or "true"


@dataclass
class CteBuilder:
    """Collects the WITH clauses of one rule's query, each inner rule once."""

    ctes: list[tuple[str, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    materialized: set[str] = field(default_factory=set)  # CTEs computed once though read twice

    def rows(self, node: Node) -> str:
        """A relation of the node's events with the enriched columns (no metric)."""
        cte = self.add(node)
        return cte if node.correlation is None else f"(SELECT * EXCLUDE (_m) FROM {cte})"

    def add(self, node: Node) -> str:
        if node.name in self.names:
            return self.names[node.name]
        for child in node.children:
            self.add(child)
        cte = f"r{len(self.ctes)}"
        body = f"SELECT * FROM ev WHERE {node.predicate}" if node.correlation is None else self.anchors(node)
        self.ctes.append((cte, body))
        self.names[node.name] = cte
        return cte

    def union(self, node: Node, *, tagged: bool) -> str:
        if tagged:
            parts = [f"SELECT *, {index} AS _k FROM {self.rows(child)}" for index, child in enumerate(node.children)]
            return " UNION ALL ".join(parts)
        # UNION (not ALL): an event that matches two of the referenced rules is one event.
        return " UNION ".join(f"SELECT * FROM {self.rows(child)}" for child in node.children)

    def anchors(self, node: Node) -> str:
        correlation = node.correlation
        if correlation is None:
            raise ValueError("not a correlation rule")
        group = [column_for(name) for name in correlation.group_by]
        window = window_clause(group, correlation.timespan_seconds)
        if correlation.type == "temporal_ordered":
            return self.ordered(node, group, window)
        if correlation.type == "temporal":
            present = " + ".join(
                f"CAST(count(*) FILTER (WHERE _k = {index}) OVER w > 0 AS INTEGER)"
                for index in range(len(node.children))
            )
            bound = correlation.conditions or [("gte", len(node.children))]
            return (
                f"SELECT * EXCLUDE (_k) FROM (SELECT *, CAST({present} AS DOUBLE) AS _m "
                f"FROM ({self.union(node, tagged=True)}) WHERE {not_null(group)} WINDOW w AS {window}) "
                f"WHERE {condition_sql(bound, '_m')} "
                "QUALIFY row_number() OVER (PARTITION BY source_id, event_uid ORDER BY _k) = 1"
            )
        value = column_for(correlation.field or "")
        metric = {
            "event_count": "count(*)",
            "value_count": f"count(DISTINCT {value})",
            "value_sum": f"sum({value})",
            "value_avg": f"avg({value})",
        }[correlation.type]
        floor = lower_bound(correlation)
        if correlation.type in PRUNABLE and floor is not None:
            return self.pruned(node, group, window, metric, floor)
        return (
            f"SELECT * FROM (SELECT *, CAST({metric} OVER w AS DOUBLE) AS _m "
            f"FROM ({self.union(node, tagged=False)}) WHERE {not_null(group)} WINDOW w AS {window}) "
            f"WHERE {condition_sql(correlation.conditions, '_m')}"
        )

    def pruned(self, node: Node, group: list[str], window: str, metric: str, floor: tuple[str, float]) -> str:
        """The sliding window run only where it can reach the threshold. With buckets as long as the window, the
        window of an event in bucket k lies within buckets k−1 and k, so its count (or distinct count) is at most
        the two buckets' counts added: a bucket whose sum stays below the rule's lower bound holds no anchor, and
        the window runs only over the events of the other buckets and of the bucket before each (the context their
        windows read). Sliding count(DISTINCT) costs far more than these grouped counts, and few groups come near
        a threshold."""
        correlation = node.correlation
        if correlation is None:
            raise ValueError("not a correlation rule")
        span_us = correlation.timespan_seconds * 1_000_000
        keys = ", ".join([*group, "_bk"])
        partition = f"PARTITION BY {', '.join(group)} " if group else ""
        group_list = f"{', '.join(group)}, " if group else ""
        events, per_bucket, kept = (f"p{len(self.ctes) + offset}" for offset in range(3))
        # Materialized: read by both the counts and the window, and the enriched scan is the costly part.
        self.ctes.append(
            (
                events,
                f"SELECT *, epoch_us(time) // {span_us} AS _bk FROM ({self.union(node, tagged=False)}) "
                f"WHERE {not_null(group)}",
            )
        )
        self.materialized.add(events)
        operator, bound = floor
        self.ctes.append(
            (
                per_bucket,
                f"SELECT {group_list}_bk FROM (SELECT {keys}, sum(_c) OVER w AS _s FROM "
                f"(SELECT {keys}, {metric} AS _c FROM {events} GROUP BY {keys}) "
                f"WINDOW w AS ({partition}ORDER BY _bk RANGE BETWEEN 1 PRECEDING AND CURRENT ROW)) "
                f"WHERE _s {'>' if operator == 'gt' else '>='} {bound}",
            )
        )
        self.ctes.append(
            (
                kept,
                f"SELECT {keys}, bool_or(_hot) AS _hot FROM (SELECT {group_list}unnest([_bk, _bk - 1]) AS _bk, "
                f"unnest([true, false]) AS _hot FROM {per_bucket}) GROUP BY {keys}",
            )
        )
        return (
            f"SELECT * EXCLUDE (_bk, _hot) FROM (SELECT *, CAST({metric} OVER w AS DOUBLE) AS _m "
            f"FROM {events} JOIN {kept} USING ({keys}) WINDOW w AS {window}) "
            f"WHERE _hot AND {condition_sql(correlation.conditions, '_m')}"
        )

    def ordered(self, node: Node, group: list[str], window: str) -> str:
        """_b{k} on a step-k event: the latest start time of a chain of steps 0..k ending there (events in order,
        equal times allowed); the last step's event is an anchor when its chain starts inside its window."""
        correlation = node.correlation
        if correlation is None:
            raise ValueError("not a correlation rule")
        steps = len(node.children)
        relation = (
            f"SELECT *, CASE WHEN _k = 0 THEN epoch_us(time) END AS _b0 FROM ({self.union(node, tagged=True)}) "
            f"WHERE {not_null(group)}"
        )
        for step in range(1, steps):
            relation = (
                f"SELECT *, CASE WHEN _k = {step} THEN max(_b{step - 1}) OVER w END AS _b{step} "
                f"FROM ({relation}) WINDOW w AS {window}"
            )
        helpers = ", ".join(["_k", *(f"_b{step}" for step in range(steps))])
        span = correlation.timespan_seconds * 1_000_000
        return (
            f"SELECT * EXCLUDE ({helpers}), CAST({steps} AS DOUBLE) AS _m FROM ({relation}) "
            f"WHERE _k = {steps - 1} AND _b{steps - 1} >= epoch_us(time) - {span} "
            "QUALIFY row_number() OVER (PARTITION BY source_id, event_uid ORDER BY _k) = 1"
        )
