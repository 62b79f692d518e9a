"""Replacing the enrichment (ref_*) tables from a ReferenceData, inside the caller's transaction.

Identity strings, patients and workstations are added to the dictionaries first, so events that arrive later
with those names resolve to the same ids, and the reference tables can hold integer keys only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from safeguard.activity.store.base import ReferenceData
from safeguard.activity.store.duckdb_append_words import add_new_words

_SCHEMAS = {
    "people": pa.schema(
        [
            ("person_id", pa.int32()),
            ("last_name", pa.string()),
            ("department", pa.string()),
            ("job_role", pa.string()),
            ("hire_at", pa.timestamp("us", tz="UTC")),
            ("termination_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
    "identities": pa.schema([("identity", pa.string()), ("source_id", pa.int32()), ("person_id", pa.int32())]),
    "accounts": pa.schema([("identity", pa.string()), ("source_id", pa.int32()), ("account_type", pa.string())]),
    "patients": pa.schema(
        [
            ("patient", pa.string()),
            ("last_name", pa.string()),
            ("vip", pa.bool_()),
            ("restricted", pa.bool_()),
            ("employee_person_id", pa.int32()),
        ]
    ),
    "workstations": pa.schema([("host", pa.string()), ("site", pa.string()), ("department", pa.string())]),
    "shifts": pa.schema(
        [("person_id", pa.int32()), ("start_hour", pa.int8()), ("end_hour", pa.int8()), ("weekdays", pa.int32())]
    ),
    "sources": pa.schema(
        [("source_id", pa.int32()), ("name", pa.string()), ("kind", pa.string()), ("time_zone", pa.string())]
    ),
}

_NAMES = """
CREATE OR REPLACE TEMP TABLE _ref_names AS
SELECT nullif(lower(trim(identity)), '') AS user_value, NULL::VARCHAR AS patient_value, NULL::VARCHAR AS host_value
FROM _ref_identities
UNION ALL SELECT nullif(lower(trim(identity)), ''), NULL, NULL FROM _ref_accounts
UNION ALL SELECT NULL, nullif(trim(patient), ''), NULL FROM _ref_patients
UNION ALL SELECT NULL, NULL, nullif(lower(trim(host)), '') FROM _ref_workstations
"""

_FILL = {
    "ref_sources": "SELECT source_id, name, kind, time_zone FROM _ref_sources",
    "ref_people": (
        "SELECT person_id, lower(last_name), department, job_role, hire_at, termination_at FROM _ref_people"
    ),
    "ref_identities": (
        "SELECT DISTINCT u.id, r.source_id, r.person_id FROM _ref_identities r "
        "JOIN dict_user u ON u.value = lower(trim(r.identity))"
    ),
    "ref_shifts": "SELECT person_id, start_hour, end_hour, weekdays FROM _ref_shifts",
    "ref_accounts": (
        "SELECT DISTINCT u.id, r.source_id, r.account_type FROM _ref_accounts r "
        "JOIN dict_user u ON u.value = lower(trim(r.identity))"
    ),
    # One row per patient, so joins never multiply events.
    "ref_patients": (
        "SELECT p.id, min(lower(r.last_name)), coalesce(bool_or(r.vip), false), coalesce(bool_or(r.restricted), "
        "false), min(r.employee_person_id) FROM _ref_patients r JOIN dict_patient p ON p.value = trim(r.patient) "
        "GROUP BY p.id"
    ),
    "ref_workstations": (
        "SELECT h.id, min(r.site), min(r.department) FROM _ref_workstations r "
        "JOIN dict_host h ON h.value = lower(trim(r.host)) GROUP BY h.id"
    ),
}


def weekday_mask(weekdays: Iterable[int]) -> int:
    """Bit d set for ISO day d (Monday = 1 … Sunday = 7)."""
    mask = 0
    for day in weekdays:
        mask |= 1 << int(day)
    return mask


def _tables(reference: ReferenceData) -> dict[str, list[dict[str, Any]]]:
    shifts = [{**shift, "weekdays": weekday_mask(shift.get("weekdays") or ())} for shift in reference.shifts]
    return {
        "people": reference.people,
        "identities": reference.identities,
        "accounts": reference.accounts,
        "patients": reference.patients,
        "workstations": reference.workstations,
        "shifts": shifts,
        "sources": reference.sources,
    }


def replace_reference(connection: duckdb.DuckDBPyConnection, reference: ReferenceData) -> None:
    """Swap every ref_* table for the given data and record its version; the caller holds the transaction."""
    registered = []
    try:
        for name, rows in _tables(reference).items():
            view = f"_ref_{name}"
            connection.register(view, pa.Table.from_pylist(rows, schema=_SCHEMAS[name]))
            registered.append(view)
        connection.execute(_NAMES)
        add_new_words(connection, "dict_user", "user_value", "_ref_names")
        add_new_words(connection, "dict_patient", "patient_value", "_ref_names")
        add_new_words(connection, "dict_host", "host_value", "_ref_names")
        for table, select in _FILL.items():
            connection.execute(f"DELETE FROM {table}")  # noqa: S608  (table names of this module)
            connection.execute(f"INSERT INTO {table} {select}")
        connection.execute("DROP TABLE _ref_names")
        connection.execute(
            "INSERT OR REPLACE INTO meta VALUES ('reference_version', $version)", {"version": str(reference.version)}
        )
    finally:
        for view in registered:
            connection.unregister(view)
