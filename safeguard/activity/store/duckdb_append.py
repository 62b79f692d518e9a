"""Appending a parsed batch inside the caller's transaction: Arrow does the per-row work it does fastest
(ordering by time, spreading dictionary ids), DuckDB finds the batch's repeated uids on all cores, normalizes
values and writes the rows with one INSERT … SELECT over the registered table, so no row is converted in Python.

Identities are normalized as the layout says (users and hosts lower-cased and trimmed, patients and IPs
trimmed), unseen values get the next dictionary ids (duckdb_append_words.py), and the facility-local hour and
ISO weekday are computed with ICU in the source's zone, so DST is handled by the zone database rather than by us.

De-duplication: an event is new unless the source already stored its uid, or an earlier row of the same batch
had it. A duplicate is a re-sent event, which carries the same time, so only the source's events within the
batch's [first, last] time are searched, and only for the batch's uids: DuckDB's per-row-group min/max ("zone
maps") skip the rest of the table, which keeps the cost proportional to the batch, not to the store. Rows are
written in time order, which keeps those zone maps narrow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safeguard.activity.store.base import AppendResult
from safeguard.activity.store.duckdb_append_words import IDENTITY_COLUMNS, encode

INCOMING = "_append_incoming"
FEW_REPEATS = 100
TIME_TYPE = pa.timestamp("us", tz="UTC")

_STORED = f"""
SELECT event_uid FROM events
WHERE source_id = $source_id AND time BETWEEN $first AND $last
    AND event_uid IN (SELECT event_uid FROM {INCOMING})
"""  # noqa: S608  (module constants only; values are bound parameters)

# Rows after the first of their uid.
_REPEATED_ROWS = f"""
SELECT unnest(list_sort(list(row))[2:]) FROM {INCOMING} GROUP BY uid HAVING count(*) > 1
"""  # noqa: S608  (module constants only)

_INSERT = f"""
INSERT INTO events BY NAME
SELECT
    $source_id AS source_id, $batch_id AS batch_id, event_uid, time,
    hour(timezone($time_zone, time)) AS local_hour, isodow(timezone($time_zone, time)) AS local_dow,
    $ingest_time AS ingest_time,
    lower(trim(event_class)) AS event_class, lower(trim(activity)) AS activity, lower(trim(outcome)) AS outcome,
    outcome_reason,
    user_id, user_upn, lower(trim(user_type)) AS user_type, session_id, is_mfa,
    src_ip_id, src_ip_v4, src_host_id,
    src_geo_country, dst_service, dst_host,
    patient_key, patient_id_system, resource_type, record_count, purpose_of_use, action_name,
    raw, raw_offset, $parser AS parser, $parser_version AS parser_version
FROM {INCOMING}
"""  # noqa: S608  (module constants only; values are bound parameters)


def first_of_each_uid(connection: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Table:
    """The table without rows whose uid an earlier row already had."""
    # DuckDB groups on all cores, several times faster than Arrow on long uids (a row's SHA-256), and answers
    # with the few repeated rows only.
    numbered = pa.table({"uid": table.column("event_uid"), "row": np.arange(table.num_rows, dtype=np.int64)})
    connection.register(INCOMING, numbered)
    repeats = connection.sql(_REPEATED_ROWS).to_arrow_table().column(0)
    connection.unregister(INCOMING)
    if len(repeats) == 0:
        return table
    if len(repeats) > FEW_REPEATS:
        keep = np.ones(table.num_rows, dtype=bool)
        keep[repeats.to_numpy()] = False
        return table.filter(pa.array(keep))
    # Slices around a few rows share the table's buffers, where a filter copies every column (0.1–0.5 s for
    # 500,000 rows).
    dropped = np.sort(repeats.to_numpy())
    starts, stops = np.concatenate(([0], dropped + 1)), np.concatenate((dropped, [table.num_rows]))
    return pa.concat_tables(table.slice(start, stop - start) for start, stop in zip(starts, stops, strict=True))


def in_time_order(table: pa.Table) -> pa.Table:
    times = table.column("time")
    if table.num_rows < 2 or pc.all(pc.less_equal(times.slice(0, len(times) - 1), times.slice(1))).as_py():
        return table
    return table.take(pc.sort_indices(times))  # stable: equal times keep their arrival order


def _bounds(times: pa.ChunkedArray) -> dict[str, Any]:
    extremes = pc.min_max(times)
    return {"first": extremes["min"].as_py(), "last": extremes["max"].as_py()}


def _not_stored(connection: duckdb.DuckDBPyConnection, table: pa.Table, source_id: int) -> pa.Table:
    bounds = _bounds(table.column("time"))
    if bounds["first"] is None:  # no time at all: the insert refuses the batch
        return table
    # Registrations are left behind on failure: the transaction is aborted then, and unregistering would
    # replace the real error; the caller rolls back and the next register replaces them.
    connection.register(INCOMING, table)
    stored = connection.sql(_STORED, params={"source_id": source_id, **bounds}).to_arrow_table()
    connection.unregister(INCOMING)
    if stored.num_rows == 0:
        return table
    return table.filter(pc.invert(pc.is_in(table.column("event_uid"), value_set=stored.column(0).combine_chunks())))


def _with_time_type(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("time")
    if table.schema.field(index).type == TIME_TYPE:
        return table
    return table.set_column(index, "time", table.column(index).cast(TIME_TYPE))


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
    fresh = _not_stored(connection, first_of_each_uid(connection, _with_time_type(table)), source_id)
    if fresh.num_rows == 0:
        return AppendResult(inserted=0, duplicates=table.num_rows, first_event_at=None, last_event_at=None)
    fresh = in_time_order(fresh)
    ids = encode(connection, fresh)
    fresh = fresh.drop_columns(list(IDENTITY_COLUMNS))
    for name, column in ids.items():
        fresh = fresh.append_column(name, column)
    connection.register(INCOMING, fresh)
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
    connection.unregister(INCOMING)
    bounds = _bounds(fresh.column("time"))
    return AppendResult(
        inserted=fresh.num_rows,
        duplicates=table.num_rows - fresh.num_rows,
        first_event_at=bounds["first"],
        last_event_at=bounds["last"],
    )
