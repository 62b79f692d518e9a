"""The generator's events written in the formats the parsers read, for the ingestion benchmark and profiling:
FHIR R4 AuditEvent NDJSON (IHE BALP PatientRead-like, about 1 KB per event), an EHR access-log CSV export (local
times without an offset, Epic-like columns) and Safeguard's normalized NDJSON.

    python bench/activity_formats.py 1000000 OUTPUT_DIR
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
REST = "http://hl7.org/fhir/restful-interaction"
ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
OBJECT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
PURPOSE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
USER_SYSTEM = "urn:oid:2.16.840.1.113883.4.349.1"
MRN_SYSTEM = "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14"
REST_SUBTYPES = {"read": "read", "query": "search-type", "update": "update", "create": "create", "delete": "delete"}
CSV_ACTIONS = {
    "read": "Chart Review",
    "query": "Patient Lookup",
    "update": "Chart Modified",
    "create": "Note Created",
    "delete": "Delete",
    "print": "Print",
    "export": "Export",
    "break_glass": "Break the Glass",
    "logon": "Login",
    "logoff": "Logout",
}
ROWS_PER_SLICE = 100_000


def write_fhir_ndjson(table: pa.Table, path: Path) -> None:
    with path.open("wb") as handle:
        for row in _rows(table):
            handle.write(orjson.dumps(fhir_audit_event(row)) + b"\n")


def write_ehr_csv(table: pa.Table, path: Path, zone: str) -> None:
    """ACCESS_TIME is the facility's wall-clock time, as EHR exports write it."""
    actions = pa.table({"activity": list(CSV_ACTIONS), "metric": list(CSV_ACTIONS.values())})
    connection = duckdb.connect()
    connection.register("events", table)
    connection.register("actions", actions)
    connection.execute(
        f"""COPY (
          SELECT strftime(timezone('{zone}', e.time), '%Y-%m-%d %H:%M:%S') AS ACCESS_TIME,
                 upper(e.user_name) AS USER_ID, e.patient_id AS PAT_ID,
                 CASE WHEN e.activity = 'logon' AND e.outcome = 'failure' THEN 'Login Failed'
                      ELSE coalesce(a.metric, 'Chart Review') END AS METRIC_NAME,
                 e.src_host AS WORKSTATION, e.src_ip AS IP
          FROM events e LEFT JOIN actions a USING (activity)
          ORDER BY e.time, e.event_uid
        ) TO '{path}' (FORMAT csv, HEADER)"""  # noqa: S608 - a benchmark's own constants and paths
    )
    connection.close()


def write_normalized_ndjson(table: pa.Table, path: Path) -> None:
    with path.open("wb") as handle:
        for row in _rows(table):
            record = {key: value for key, value in row.items() if value is not None and key != "raw_offset"}
            handle.write(orjson.dumps(record) + b"\n")


def fhir_audit_event(row: dict[str, Any]) -> dict[str, Any]:
    activity, outcome = row["activity"], row["outcome"]
    authentication = row["event_class"] in ("authentication", "network_session")
    event: dict[str, Any] = {"resourceType": "AuditEvent", "id": row["event_uid"]}
    if authentication:
        login = activity != "logoff"
        event["type"] = {"system": DCM, "code": "110114", "display": "User Authentication"}
        event["subtype"] = [{"system": DCM, "code": "110122" if login else "110123", "display": "Login"}]
        event["action"] = "E"
    elif activity in ("break_glass", "export"):
        code, display = ("110127", "Emergency Override Started") if activity == "break_glass" else ("110106", "Export")
        event["type"] = {"system": DCM, "code": code, "display": display}
        event["action"] = "R" if activity == "export" else "E"
    else:
        event["type"] = {"system": EVENT_TYPE, "code": "rest", "display": "Restful Operation"}
        subtype = REST_SUBTYPES.get(activity, "read")
        event["subtype"] = [{"system": REST, "code": subtype, "display": subtype}]
        event["action"] = {"read": "R", "query": "E", "update": "U", "create": "C", "delete": "D"}.get(activity, "R")
    event["recorded"] = _instant(row["time"])
    event["outcome"] = "4" if outcome == "failure" else "0"
    if outcome == "failure":
        event["outcomeDesc"] = "Invalid credentials" if authentication else "Access denied"
    if row["purpose_of_use"]:
        event["purposeOfEvent"] = [{"coding": [{"system": PURPOSE, "code": row["purpose_of_use"]}]}]
    event["agent"] = _agents(row)
    event["source"] = {
        "site": "Northside Clinic",
        "observer": {"display": row["dst_service"] or "northside-fhir-01"},
        "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}],
    }
    if row["patient_id"]:
        event["entity"] = [
            {
                "what": {"reference": f"Patient/{row['patient_id']}"},
                "type": {"system": OBJECT_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        ] * max(1, row["record_count"] or 1)
    return event


def _agents(row: dict[str, Any]) -> list[dict[str, Any]]:
    user = row["user_name"]
    requestor: dict[str, Any] = {
        "type": {"coding": [{"system": ROLE_TYPE, "code": "humanuser", "display": "human user"}]},
        "who": {"identifier": {"system": USER_SYSTEM, "value": user}, "display": f"User {user}"},
        "requestor": True,
    }
    if row["src_host"]:
        requestor["network"] = {"address": row["src_host"], "type": "1"}
    source: dict[str, Any] = {
        "type": {"coding": [{"system": DCM, "code": "110153", "display": "Source Role ID"}]},
        "who": {"display": "Northside EHR client"},
        "requestor": False,
    }
    if row["src_ip"]:
        source["network"] = {"address": row["src_ip"], "type": "2"}
    return [requestor, source]


def _instant(value: datetime) -> str:
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    for start in range(0, table.num_rows, ROWS_PER_SLICE):
        yield from table.slice(start, ROWS_PER_SLICE).to_pylist()


if __name__ == "__main__":
    import time

    from bench.activity_generator import generate

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    events = generate(size).table.drop_columns(["source_id"])
    for name, write in (
        ("fhir_audit.ndjson", lambda path: write_fhir_ndjson(events, path)),
        ("ehr_access.csv", lambda path: write_ehr_csv(events, path, "America/New_York")),
        ("normalized.ndjson", lambda path: write_normalized_ndjson(events, path)),
    ):
        write(out / name)
        print(f"{name}: {(out / name).stat().st_size / 1e6:.0f} MB after {time.perf_counter() - began:.1f} s")
