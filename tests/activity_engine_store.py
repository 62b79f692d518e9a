"""An in-memory DuckDB holding the store layout's tables, filled the way the store fills them (identities
dictionary-encoded, users and hosts lower-cased, facility time = UTC), so engine tests need no store backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from safeguard.activity.parsers.common import EVENTS_SCHEMA
from safeguard.activity.store.base import ReferenceData
from safeguard.activity.store.layout import DICTIONARY_TABLE, DICTIONARY_TABLES, EVENTS_TABLE, REFERENCE_TABLES

DICTIONARY_SOURCES = {
    "dict_user": "lower(user_name)",
    "dict_patient": "patient_id",
    "dict_host": "lower(src_host)",
    "dict_ip": "src_ip",
}
IPV4 = r"^\d+\.\d+\.\d+\.\d+$"
V4_NUMBER = " + ".join(
    f"(CAST(split_part(i.src_ip, '.', {part}) AS UBIGINT) << {shift})"
    for part, shift in ((1, 24), (2, 16), (3, 8), (4, 0))
)


def event(
    time: datetime,
    *,
    uid: str,
    user: str | None = "alice",
    event_class: str = "authentication",
    activity: str = "logon",
    outcome: str = "failure",
    source_id: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    row = {
        "event_uid": uid,
        "time": time,
        "event_class": event_class,
        "activity": activity,
        "outcome": outcome,
        "user_name": user,
        "source_id": source_id,
    }
    row.update(extra)
    return row


def events_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    schema = EVENTS_SCHEMA.append(pa.field("source_id", pa.int32()))
    return pa.table({name: [row.get(name) for row in rows] for name in schema.names}, schema=schema)


class EngineTestStore:
    def __init__(self) -> None:
        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        self.connection.execute(EVENTS_TABLE)
        for name in DICTIONARY_TABLES:
            self.connection.execute(DICTIONARY_TABLE.format(name=name))
        for name, columns in REFERENCE_TABLES.items():
            self.connection.execute(f"CREATE TABLE {name} ({columns})")

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        return self.connection.sql(sql, params=parameters).to_arrow_table()

    def append(self, table: pa.Table) -> None:
        """Events (EVENTS_SCHEMA plus source_id) with string identities."""
        con = self.connection
        con.register("incoming", table)
        for name, expression in DICTIONARY_SOURCES.items():
            con.execute(
                f"INSERT INTO {name} SELECT (SELECT coalesce(max(id), 0) FROM {name}) "
                "+ row_number() OVER (ORDER BY v), v "
                f"FROM (SELECT DISTINCT {expression} AS v FROM incoming WHERE {expression} IS NOT NULL) "
                f"WHERE v NOT IN (SELECT value FROM {name})"
            )
        con.execute(
            "INSERT INTO events (source_id, batch_id, event_uid, time, local_hour, local_dow, event_class, activity, "
            "outcome, outcome_reason, user_id, user_upn, user_type, session_id, is_mfa, src_ip_id, src_ip_v4, "
            "src_host_id, src_geo_country, dst_service, dst_host, patient_key, patient_id_system, resource_type, "
            "record_count, purpose_of_use, action_name, raw, raw_offset) "
            "SELECT i.source_id, 1, i.event_uid, i.time, hour(i.time), isodow(i.time), i.event_class, i.activity, "
            "i.outcome, i.outcome_reason, du.id, i.user_upn, i.user_type, i.session_id, i.is_mfa, di.id, "
            f"CASE WHEN regexp_matches(i.src_ip, '{IPV4}') THEN {V4_NUMBER} END, dh.id, i.src_geo_country, "
            "i.dst_service, i.dst_host, dp.id, i.patient_id_system, i.resource_type, i.record_count, "
            "i.purpose_of_use, i.action_name, i.raw, i.raw_offset FROM incoming i "
            "LEFT JOIN dict_user du ON du.value = lower(i.user_name) "
            "LEFT JOIN dict_patient dp ON dp.value = i.patient_id "
            "LEFT JOIN dict_host dh ON dh.value = lower(i.src_host) "
            "LEFT JOIN dict_ip di ON di.value = i.src_ip"
        )
        con.unregister("incoming")

    def ids(self, dictionary: str) -> dict[str, int]:
        rows = self.connection.execute(f"SELECT value, id FROM {dictionary}").fetchall()
        return {value: identifier for value, identifier in rows}

    def load_reference(self, reference: ReferenceData) -> None:
        """After append(): identities that never appear in events are dropped, as they cannot match."""
        users, patients, hosts = self.ids("dict_user"), self.ids("dict_patient"), self.ids("dict_host")
        tables: dict[str, list[dict[str, Any]]] = {
            "ref_sources": [{k: s[k] for k in ("source_id", "name", "kind", "time_zone")} for s in reference.sources],
            "ref_people": reference.people,
            "ref_identities": [
                {
                    "user_id": users[row["identity"].lower()],
                    "source_id": row["source_id"],
                    "person_id": row["person_id"],
                }
                for row in reference.identities
                if row["identity"].lower() in users
            ],
            "ref_shifts": [
                {
                    "person_id": row["person_id"],
                    "start_hour": row["start_hour"],
                    "end_hour": row["end_hour"],
                    "weekdays": sum(1 << day for day in row["weekdays"]),
                }
                for row in reference.shifts
            ],
            "ref_accounts": [
                {
                    "user_id": users[row["identity"].lower()],
                    "source_id": row["source_id"],
                    "account_type": row["account_type"],
                }
                for row in reference.accounts
                if row["identity"].lower() in users
            ],
            "ref_patients": [
                {
                    "patient_key": patients[row["patient"]],
                    "last_name": row["last_name"],
                    "vip": row["vip"],
                    "restricted": row["restricted"],
                    "employee_person_id": row["employee_person_id"],
                }
                for row in reference.patients
                if row["patient"] in patients
            ],
            "ref_workstations": [
                {"src_host_id": hosts[row["host"].lower()], "site": row["site"], "department": row["department"]}
                for row in reference.workstations
                if row["host"].lower() in hosts
            ],
        }
        for name, rows in tables.items():
            self.connection.execute(f"DELETE FROM {name}")
            if not rows:
                continue
            columns = [column.split()[0] for column in REFERENCE_TABLES[name].split(", ")]
            frame = pa.table({column: [row.get(column) for row in rows] for column in columns})
            self.connection.register("incoming_reference", frame)
            self.connection.execute(f"INSERT INTO {name} SELECT {', '.join(columns)} FROM incoming_reference")
            self.connection.unregister("incoming_reference")


def at(hour: int, minute: int = 0, second: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 1, day, hour, minute, second, tzinfo=UTC)
