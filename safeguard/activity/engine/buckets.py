"""From a rule's anchors to alert candidates, in the same query: one row per (group key, suppression bucket),
bucket = floor(epoch(anchor) / S) × S in UTC, with the bucket's first and last anchor, the largest metric and the
evidence (single-event rules: the anchors; correlations: the group's base-rule events from the first anchor's
window start to the last anchor), capped at EVIDENCE_CAP uids, oldest first."""

# ruff: noqa: S608  # SQL is assembled from checked field names and quote()d literals; times are parameters

from __future__ import annotations

from safeguard.activity.engine.correlation import DECODED_NAMES, CteBuilder, Node, column_for
from safeguard.activity.engine.view import enriched_events_sql

EVIDENCE_CAP = 1000
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


def group_key_names(node: Node) -> list[str]:
    """The group key as alerts show it: surrogates decoded back to the names people read."""
    return [DECODED_NAMES.get(column, column) for column in group_columns(node)]


def wants_person(node: Node) -> bool:
    return any(column in USER_COLUMNS for column in group_columns(node))


def rule_fields(node: Node) -> set[str]:
    fields = node.all_fields()
    if wants_person(node):
        fields.add("user_person_id")
    return fields


def candidate_sql(node: Node, suppression_seconds: int, *, evidence: bool) -> str:
    builder = CteBuilder()
    source = builder.add(node)
    group = group_columns(node)
    keys = [f"g{index}" for index in range(len(group))]
    person = "user_person_id" if wants_person(node) else "NULL"
    metric = "_m" if node.correlation is not None else "CAST(NULL AS DOUBLE)"
    selected = [f"{column} AS {key}" for column, key in zip(group, keys, strict=True)]
    anchors = (
        f"SELECT {', '.join([*selected, 'time', 'source_id', 'event_uid'])}, {metric} AS _m, {person} AS _p, "
        f"epoch_us(time) // {suppression_seconds * 1_000_000} AS _bucket "
        f"FROM {source} WHERE time >= CAST($start AS TIMESTAMPTZ)"
    )
    by = ", ".join([*keys, "_bucket"])
    own_evidence = (
        f", list(event_uid ORDER BY time, event_uid)[1:{EVIDENCE_CAP}] AS _uids, count(*) AS _evidence, "
        "list_sort(list_distinct(list(source_id))) AS _sources"
    )
    buckets = (
        f"SELECT {by}, min(time) AS _first, max(time) AS _last, max(_m) AS _metric, count(*) AS _anchors, "
        f"max(_p) AS _person{own_evidence if evidence and node.correlation is None else ''} "
        f"FROM anchors GROUP BY {by}"
    )
    ctes = [("ev", enriched_events_sql(rule_fields(node))), *builder.ctes, ("anchors", anchors), ("buckets", buckets)]
    if not evidence:
        body = "SELECT count(*) AS candidates, coalesce(sum(_anchors), 0) AS anchors FROM buckets"
        return _with(ctes) + body
    if node.correlation is None:
        return _with(ctes) + _final(keys, group, "b._uids, b._evidence, b._sources", "")
    leaves = " UNION ".join(f"SELECT * FROM {builder.names[leaf.name]}" for leaf in node.leaves())
    matches = " AND ".join(
        [f"l.{column} = b.{key}" for column, key in zip(group, keys, strict=True)]
        + [f"l.time >= b._first - INTERVAL '{node.span_seconds} seconds'", "l.time <= b._last"]
    )
    evidence_cte = (
        f"SELECT {', '.join(f'b.{key}' for key in [*keys, '_bucket'])}, "
        f"list(l.event_uid ORDER BY l.time, l.event_uid)[1:{EVIDENCE_CAP}] AS _uids, count(*) AS _evidence, "
        f"list_sort(list_distinct(list(l.source_id))) AS _sources FROM buckets b JOIN ({leaves}) l ON {matches} "
        f"GROUP BY {', '.join(f'b.{key}' for key in [*keys, '_bucket'])}"
    )
    ctes.append(("evidence", evidence_cte))
    joined = " AND ".join(f"x.{key} IS NOT DISTINCT FROM b.{key}" for key in [*keys, "_bucket"])
    return _with(ctes) + _final(keys, group, "x._uids, x._evidence, x._sources", f"LEFT JOIN evidence x ON {joined}")


def _with(ctes: list[tuple[str, str]]) -> str:
    return "WITH " + ",\n".join(f"{name} AS ({body})" for name, body in ctes) + "\n"


def _final(keys: list[str], group: list[str], evidence: str, join: str) -> str:
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
        "b._bucket AS bucket",
        "epoch_us(b._first) AS first_us",
        "epoch_us(b._last) AS last_us",
        "b._metric AS metric",
        "b._anchors AS anchors",
        "b._person AS person_id",
        evidence,
    ]
    order = ", ".join(["b._bucket", *(f"k{index}" for index in range(len(keys)))])
    return f"SELECT {', '.join(columns)} FROM buckets b {join} {' '.join(lookups)} ORDER BY {order}"
