"""From a rule's anchors to alert candidates: one row per (group key, suppression bucket), bucket =
floor(epoch(anchor) / S) × S in UTC, with the bucket's first and last anchor, the largest metric and the anchors'
sources. Evidence is a separate query (evidence_sql) run only for the candidates that need it: building up to
EVIDENCE_CAP uids for every candidate cost far more than the window maths."""

# ruff: noqa: S608  # SQL is assembled from checked field names and quote()d literals; times are parameters

from __future__ import annotations

from safeguard.activity.engine.correlation import CteBuilder, Node, column_for
from safeguard.activity.engine.view import enriched_events_sql

EVIDENCE_CAP = 1000
WANTED_TABLE = "_evidence_wanted"
DICTIONARIES = {
    "user_id": "dict_user",
    "patient_key": "dict_patient",
    "src_host_id": "dict_host",
    "src_ip_id": "dict_ip",
}
USER_COLUMNS = ("user_id",)


def group_columns(node: Node) -> list[str]:
    names = node.correlation.group_by if node.correlation is not None else node.document.group_by
    return [column_for(name) for name in names]


def wants_person(node: Node) -> bool:
    return any(column in USER_COLUMNS for column in group_columns(node))


def rule_fields(node: Node) -> set[str]:
    fields = node.all_fields()
    if wants_person(node):
        fields.add("user_person_id")
    return fields


def _bucket_ctes(node: Node, suppression_seconds: int) -> tuple[list[tuple[str, str]], list[str], set[str]]:
    builder = CteBuilder()
    source = builder.add(node)
    group = group_columns(node)
    keys = [f"g{index}" for index in range(len(group))]
    person = "user_person_id" if wants_person(node) else "NULL"
    metric = "_m" if node.correlation is not None else "CAST(NULL AS DOUBLE)"
    selected = [f"{column} AS {key}" for column, key in zip(group, keys, strict=True)]
    anchors = (
        f"SELECT {', '.join([*selected, 'time', 'source_id'])}, {metric} AS _m, {person} AS _p, "
        f"epoch_us(time) // {suppression_seconds * 1_000_000} AS _bucket "
        f"FROM {source} WHERE time >= CAST($start AS TIMESTAMPTZ)"
    )
    by = ", ".join([*keys, "_bucket"])
    buckets = (
        f"SELECT {by}, min(time) AS _first, max(time) AS _last, max(_m) AS _metric, count(*) AS _anchors, "
        "count(*) FILTER (WHERE time >= CAST($since AS TIMESTAMPTZ)) AS _fresh, max(_p) AS _person, "
        f"list_sort(list_distinct(list(source_id))) AS _sources FROM anchors GROUP BY {by}"
    )
    ctes = [("ev", enriched_events_sql(rule_fields(node))), *builder.ctes, ("anchors", anchors), ("buckets", buckets)]
    return ctes, keys, builder.materialized


def candidate_sql(node: Node, suppression_seconds: int) -> str:
    """One row per candidate; parameters $read_start, $start (anchors from), $since (anchors new to this batch)
    and $end."""
    ctes, keys, materialized = _bucket_ctes(node, suppression_seconds)
    return _with(ctes, materialized) + _final(keys, group_columns(node))


def shadow_sql(node: Node, suppression_seconds: int) -> str:
    """Counts only: candidates and anchors (a shadow rule raises nothing). Same parameters as candidate_sql."""
    ctes, _, materialized = _bucket_ctes(node, suppression_seconds)
    return (
        _with(ctes, materialized) + "SELECT count(*) AS candidates, coalesce(sum(_anchors), 0) AS anchors FROM buckets"
    )


def evidence_sql(node: Node, suppression_seconds: int) -> str:
    """Evidence of the candidates in WANTED_TABLE (_i, _b bucket index, g0.. group values, _first/_last anchor
    epoch microseconds): the group's events of the rule's detection rules in [_first − span, _last], span being
    the chain's total window (0 for a single-event rule, whose evidence is then its anchors). Each wanted row is
    joined on its group key and the few buckets its span reaches back over, so the range test only meets the
    group's nearby events. Parameters $read_start and $end bound the events read."""
    builder = CteBuilder()
    for leaf in node.leaves():
        builder.add(leaf)
    group = group_columns(node)
    keys = [f"g{index}" for index in range(len(group))]
    bucket_us = suppression_seconds * 1_000_000
    span_us = node.span_seconds * 1_000_000
    reach = -(-node.span_seconds // suppression_seconds)
    # UNION (not ALL): an event that matches two of the detection rules is one piece of evidence.
    union = " UNION ".join(f"SELECT * FROM {builder.names[leaf.name]}" for leaf in node.leaves())
    selected = [f"{column} AS {key}" for column, key in zip(group, keys, strict=True)]
    leaves = (
        f"SELECT {', '.join(selected)}{', ' if selected else ''}time, source_id, event_uid, "
        f"epoch_us(time) AS _us, epoch_us(time) // {bucket_us} AS _eb FROM ({union})"
    )
    wanted = f"SELECT *, unnest(range(_b - {reach}, _b + 1)) AS _eb FROM {WANTED_TABLE}"
    matches = " AND ".join(
        [f"l.{key} IS NOT DISTINCT FROM w.{key}" for key in keys]
        + ["l._eb = w._eb", f"l._us >= w._first - {span_us}", "l._us <= w._last"]
    )
    ctes = [("ev", enriched_events_sql(rule_fields(node))), *builder.ctes, ("leaves", leaves), ("wanted", wanted)]
    body = (
        # Evidence keys name their source: event uids are only unique within one.
        "SELECT w._i AS i, list(CAST(l.source_id AS VARCHAR) || ':' || l.event_uid "
        f"ORDER BY l.time, l.source_id, l.event_uid)[1:{EVIDENCE_CAP}] AS uids, count(*) AS evidence, "
        "list_sort(list_distinct(list(l.source_id))) AS sources "
        f"FROM wanted w JOIN leaves l ON {matches} GROUP BY w._i"
    )
    return _with(ctes) + body


def _with(ctes: list[tuple[str, str]], materialized: set[str] | None = None) -> str:
    marked = materialized or set()
    return (
        "WITH "
        + ",\n".join(f"{name} AS {'MATERIALIZED ' if name in marked else ''}({body})" for name, body in ctes)
        + "\n"
    )


def _final(keys: list[str], group: list[str]) -> str:
    decoded: list[str] = []
    lookups: list[str] = []
    for index, (key, column) in enumerate(zip(keys, group, strict=True)):
        if column in DICTIONARIES:
            lookups.append(f"LEFT JOIN {DICTIONARIES[column]} d{index} ON d{index}.id = b.{key}")
            decoded.append(f"d{index}.value AS k{index}")
        else:
            decoded.append(f"CAST(b.{key} AS VARCHAR) AS k{index}")
    columns = [
        *decoded,
        *(f"b.{key} AS {key}" for key in keys),
        "b._bucket AS bucket",
        "epoch_us(b._first) AS first_us",
        "epoch_us(b._last) AS last_us",
        "b._metric AS metric",
        "b._anchors AS anchors",
        "b._fresh AS fresh",
        "b._person AS person_id",
        "b._sources AS sources",
    ]
    order = ", ".join(["b._bucket", *(f"k{index}" for index in range(len(keys)))])
    return f"SELECT {', '.join(columns)} FROM buckets b {' '.join(lookups)} ORDER BY {order}"
