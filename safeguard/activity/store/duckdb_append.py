"""Appending a parsed batch, all in SQL over the registered Arrow table, inside the caller's transaction.

Identities are normalized as the layout says (users and hosts lower-cased and trimmed, patients and IPs
trimmed), unseen values get the next dictionary ids, and the facility-local hour and ISO weekday are computed
with ICU in the source's zone, so DST is handled by the zone database rather than by us.

De-duplication: an event is new unless the source already stored its uid, or an earlier row of the same batch
had it. A duplicate is a re-sent event, which carries the same time, so the stored side of the anti-join is only
the source's events within the batch's [first, last] time: DuckDB's per-row-group min/max ("zone maps") skip the
rest of the table, which keeps the cost proportional to the batch, not to the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from safeguard.activity.store.base import AppendResult

INCOMING = "_append_incoming"

_STAGE = f"""
CREATE OR REPLACE TEMP TABLE _append_staged AS
SELECT
    event_uid, time,
    lower(trim(event_class)) AS event_class, lower(trim(activity)) AS activity, lower(trim(outcome)) AS outcome,
    outcome_reason,
    nullif(lower(trim(user_name)), '') AS user_value,
    user_upn, lower(trim(user_type)) AS user_type, session_id, is_mfa,
    nullif(trim(src_ip), '') AS ip_value,
    nullif(lower(trim(src_host)), '') AS host_value,
    src_geo_country, dst_service, dst_host,
    nullif(trim(patient_id), '') AS patient_value,
    patient_id_system, resource_type, record_count, purpose_of_use, action_name, raw, raw_offset
FROM {INCOMING}
"""  # noqa: S608  (module constants only; values are bound parameters)

_FRESH = """
CREATE OR REPLACE TEMP TABLE _append_fresh AS
WITH staged AS (SELECT *, rowid AS arrival FROM _append_staged)
SELECT staged.* EXCLUDE (arrival)
FROM staged
SEMI JOIN (SELECT min(arrival) AS arrival FROM staged GROUP BY event_uid) AS firsts USING (arrival)
ANTI JOIN (
    SELECT event_uid FROM events WHERE source_id = $source_id AND time BETWEEN $first AND $last
) AS stored USING (event_uid)
"""

# (dictionary table, staged column)
DICTIONARIES = (
    ("dict_user", "user_value"),
    ("dict_patient", "patient_value"),
    ("dict_host", "host_value"),
    ("dict_ip", "ip_value"),
)

_NEW_WORDS = """
INSERT INTO {table}
SELECT (SELECT coalesce(max(id), 0) FROM {table}) + row_number() OVER (ORDER BY value), value
FROM (SELECT DISTINCT {column} AS value FROM {source} WHERE {column} IS NOT NULL) AS candidates
ANTI JOIN {table} AS known USING (value)
"""

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_IPV4_NUMBER = f"""
CASE WHEN regexp_full_match(f.ip_value, '{_IPV4}') THEN
    (CAST(split_part(f.ip_value, '.', 1) AS UBIGINT) << 24) + (CAST(split_part(f.ip_value, '.', 2) AS UBIGINT) << 16)
    + (CAST(split_part(f.ip_value, '.', 3) AS UBIGINT) << 8) + CAST(split_part(f.ip_value, '.', 4) AS UBIGINT)
END
"""

_INSERT = f"""
INSERT INTO events BY NAME
SELECT
    $source_id AS source_id, $batch_id AS batch_id, f.event_uid, f.time,
    hour(timezone($time_zone, f.time)) AS local_hour, isodow(timezone($time_zone, f.time)) AS local_dow,
    $ingest_time AS ingest_time,
    f.event_class, f.activity, f.outcome, f.outcome_reason,
    u.id AS user_id, f.user_upn, f.user_type, f.session_id, f.is_mfa,
    ip.id AS src_ip_id, {_IPV4_NUMBER} AS src_ip_v4, h.id AS src_host_id,
    f.src_geo_country, f.dst_service, f.dst_host,
    p.id AS patient_key, f.patient_id_system, f.resource_type, f.record_count, f.purpose_of_use, f.action_name,
    f.raw, f.raw_offset, $parser AS parser, $parser_version AS parser_version
FROM _append_fresh AS f
LEFT JOIN dict_user AS u ON u.value = f.user_value
LEFT JOIN dict_ip AS ip ON ip.value = f.ip_value
LEFT JOIN dict_host AS h ON h.value = f.host_value
LEFT JOIN dict_patient AS p ON p.value = f.patient_value
ORDER BY f.time
"""  # noqa: S608  (module constants only; values are bound parameters)


def add_new_words(connection: duckdb.DuckDBPyConnection, table: str, column: str, source: str) -> None:
    """Give the values of `source.column` that `table` lacks the next ids (sorted, so ids are reproducible)."""
    connection.execute(_NEW_WORDS.format(table=table, column=column, source=source))


def _one(connection: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    # Through Arrow: DuckDB's own conversion of TIMESTAMPTZ values needs pytz, which is not installed.
    rows: list[dict[str, Any]] = connection.sql(sql).to_arrow_table().to_pylist()
    return rows[0]


def append_batch(
    connection: duckdb.DuckDBPyConnection,
    table: pa.Table,
    *,
    source_id: int,
    batch_id: int,
    time_zone: str,
    parser: str,
    parser_version: str,
    ingest_time: datetime,
) -> AppendResult:
    """Store the batch; the caller holds the transaction (all or nothing)."""
    connection.register(INCOMING, table)
    try:
        connection.execute(_STAGE)
    finally:
        connection.unregister(INCOMING)
    bounds = _one(connection, "SELECT min(time) AS first, max(time) AS last FROM _append_staged")
    connection.execute(_FRESH, {"source_id": source_id, **bounds})
    for dictionary, column in DICTIONARIES:
        add_new_words(connection, dictionary, column, "_append_fresh")
    connection.execute(
        _INSERT,
        {
            "source_id": source_id,
            "batch_id": batch_id,
            "time_zone": time_zone,
            "ingest_time": ingest_time,
            "parser": parser,
            "parser_version": parser_version,
        },
    )
    fresh = _one(connection, "SELECT count(*) AS n, min(time) AS first, max(time) AS last FROM _append_fresh")
    inserted = int(fresh["n"])
    connection.execute("DROP TABLE _append_fresh")
    connection.execute("DROP TABLE _append_staged")
    return AppendResult(
        inserted=inserted,
        duplicates=table.num_rows - inserted,
        first_event_at=fresh["first"],
        last_event_at=fresh["last"],
    )
