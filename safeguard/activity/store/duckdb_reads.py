"""Reading events back for people: decoded (dictionary ids turned back into the names logs wrote), filtered,
paged, summarized for a review period. Every function takes an open connection from DuckDBEventStore."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from safeguard.activity.store.base import SourceDay

BUSY_USERS = 10

_COLUMNS = """
    e.source_id, s.name AS source_name, e.batch_id, e.event_uid, e.time, e.local_hour, e.local_dow,
    e.ingest_time, e.event_class, e.activity, e.outcome, e.outcome_reason,
    u.value AS user_name, e.user_upn, e.user_type, e.session_id, e.is_mfa,
    ip.value AS src_ip, h.value AS src_host, e.src_geo_country, e.dst_service, e.dst_host,
    p.value AS patient_id, e.patient_id_system, e.resource_type, e.record_count, e.purpose_of_use,
    e.action_name, e.parser, e.parser_version, e.raw_offset{raw}
"""

_JOINS = """
FROM {events} AS e
LEFT JOIN dict_user AS u ON u.id = e.user_id
LEFT JOIN dict_ip AS ip ON ip.id = e.src_ip_id
LEFT JOIN dict_host AS h ON h.id = e.src_host_id
LEFT JOIN dict_patient AS p ON p.id = e.patient_key
LEFT JOIN (SELECT source_id, any_value(name) AS name FROM ref_sources GROUP BY source_id) AS s
    ON s.source_id = e.source_id
"""
_WANTED = "WITH wanted AS (SELECT unnest(CAST($sources AS INTEGER[])) AS source_id, unnest($uids) AS event_uid)"


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = connection.sql(sql, params=parameters).to_arrow_table().to_pylist()
    return rows


def split_evidence_key(key: str) -> tuple[int | None, str]:
    """(source id, event uid) of an evidence key "<source_id>:<event_uid>" (split at the first ":"). A key without
    a numeric source part is a bare event uid, as alerts recorded before evidence named its source hold: it
    matches that uid in every source."""
    source, separator, uid = key.partition(":")
    if separator and source.isdigit():
        return int(source), uid
    return None, key


def decoded_events(
    connection: duckdb.DuckDBPyConnection, uids: Sequence[str], *, limit: int, raw: bool = True
) -> list[dict[str, Any]]:
    """The events of the evidence keys (split_evidence_key), oldest first."""
    if not uids or limit <= 0:
        return []
    keys = [split_evidence_key(key) for key in uids]
    columns = _COLUMNS.format(raw=", e.raw" if raw else "")
    # Event uids are only unique within a source: a qualified key never shows another source's event.
    sql = (
        f"{_WANTED} SELECT {columns} {_JOINS.format(events='events')} "  # noqa: S608  # constants; keys are parameters
        "WHERE e.event_uid IN (SELECT event_uid FROM wanted) AND EXISTS (SELECT 1 FROM wanted w "
        "WHERE w.event_uid = e.event_uid AND (w.source_id IS NULL OR w.source_id = e.source_id)) "
        "ORDER BY e.time, e.source_id, e.event_uid LIMIT $limit"
    )
    parameters = {"sources": [source for source, _ in keys], "uids": [uid for _, uid in keys], "limit": limit}
    return _rows(connection, sql, parameters)


def _search_filter(source_id: int | None, user: str | None, patient: str | None) -> str:
    clauses = ["e.time >= $start", "e.time < $end"]
    if source_id is not None:
        clauses.append("e.source_id = $source_id")
    if user:
        clauses.append("e.user_id = (SELECT id FROM dict_user WHERE value = lower(trim($user)))")
    if patient:
        clauses.append("e.patient_key = (SELECT id FROM dict_patient WHERE value = trim($patient))")
    return " AND ".join(clauses)


def search_page(
    connection: duckdb.DuckDBPyConnection,
    *,
    start: datetime,
    end: datetime,
    source_id: int | None,
    user: str | None,
    patient: str | None,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first; the raw line is left out (the detail view shows it)."""
    where = _search_filter(source_id, user, patient)
    parameters: dict[str, Any] = {"start": start, "end": end}
    if source_id is not None:
        parameters["source_id"] = source_id
    if user:
        parameters["user"] = user
    if patient:
        parameters["patient"] = patient
    count = f"SELECT count(*) FROM events AS e WHERE {where}"  # noqa: S608
    total = int(connection.execute(count, parameters).fetchall()[0][0])
    if limit <= 0 or offset >= total:
        return [], total
    order = "ORDER BY e.time DESC, e.source_id, e.event_uid"
    # The page is cut before decoding, so the dictionary joins touch `limit` rows, not every match.
    page = f"(SELECT * FROM events AS e WHERE {where} {order} LIMIT $limit OFFSET $offset)"  # noqa: S608
    sql = f"SELECT {_COLUMNS.format(raw='')} {_JOINS.format(events=page)} {order}"
    return _rows(connection, sql, {**parameters, "limit": limit, "offset": max(offset, 0)}), total


def source_days(connection: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> list[SourceDay]:
    found = connection.execute(
        "SELECT source_id, strftime(CAST(timezone('UTC', time) AS DATE), '%Y-%m-%d') AS day, count(*) "
        "FROM events WHERE time >= $start AND time < $end GROUP BY ALL ORDER BY source_id, day",
        {"start": start, "end": end},
    ).fetchall()
    return [SourceDay(source_id=source, day=day, events=events) for source, day, events in found]


def utc_days(start: datetime, end: datetime) -> list[str]:
    """The UTC days that [start, end) touches."""
    first = start.astimezone(UTC).date()
    last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _counted(rows: list[tuple[Any, ...]], index: int) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in rows:
        totals[row[index]] = totals.get(row[index], 0) + row[-1]
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def summary(
    connection: duckdb.DuckDBPyConnection,
    source_id: int,
    start: datetime,
    end: datetime,
    *,
    business_start_hour: int,
    business_end_hour: int,
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"source_id": source_id, "start": start, "end": end}
    where = "source_id = $source_id AND time >= $start AND time < $end"
    kinds = connection.execute(
        f"SELECT event_class, activity, outcome, count(*) FROM events WHERE {where} GROUP BY ALL",  # noqa: S608
        parameters,
    ).fetchall()
    totals = connection.execute(
        "SELECT count(*), count(DISTINCT user_id), count(DISTINCT patient_key), "  # noqa: S608
        "count(*) FILTER (WHERE local_hour < $open OR local_hour >= $close) "
        f"FROM events WHERE {where}",
        {**parameters, "open": business_start_hour, "close": business_end_hour},
    ).fetchall()[0]
    busiest = connection.execute(
        "SELECT u.value, counts.n FROM (SELECT user_id, count(*) AS n FROM events "  # noqa: S608
        f"WHERE {where} AND user_id IS NOT NULL GROUP BY user_id) AS counts "
        "JOIN dict_user AS u ON u.id = counts.user_id ORDER BY counts.n DESC, u.value LIMIT $busy",
        {**parameters, "busy": BUSY_USERS},
    ).fetchall()
    active_days = {
        day
        for (day,) in connection.execute(
            f"SELECT DISTINCT strftime(CAST(timezone('UTC', time) AS DATE), '%Y-%m-%d') FROM events WHERE {where}",  # noqa: S608
            parameters,
        ).fetchall()
    }
    return {
        "events": int(totals[0] or 0),
        "by_class": _counted(kinds, 0),
        "by_activity": _counted(kinds, 1),
        "by_outcome": _counted(kinds, 2),
        "users": int(totals[1] or 0),
        "patients": int(totals[2] or 0),
        "after_hours": int(totals[3] or 0),
        "top_users": [{"user": name, "events": int(n)} for name, n in busiest],
        "days_without_events": [day for day in utc_days(start, end) if day not in active_days],
    }
