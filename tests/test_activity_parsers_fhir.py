"""FHIR AuditEvent parsing: R4 NDJSON and R5 Bundles mapped to the event schema, rejects naming line and element,
and the DuckDB fast path giving exactly the events of the validated path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from safeguard.activity.parsers import common, parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.fhir import FhirAuditParser

SAMPLES = Path(__file__).parent / "samples" / "activity"
SOURCE = SourceConfig(source_id=1, kind="ehr", time_zone="America/New_York")


def parse_all(parser: FhirAuditParser, path: Path) -> tuple[list[dict], list]:
    chunks = list(parser.parse(path, SOURCE))
    rows = [row for chunk in chunks for row in chunk.table.to_pylist()]
    return rows, [reject for chunk in chunks for reject in chunk.rejects]


def by_uid(rows: list[dict]) -> dict[str, dict]:
    return {row["event_uid"]: row for row in rows}


def test_registry_gives_the_fhir_parser():
    parser = parser_for("fhir_audit")
    assert isinstance(parser, FhirAuditParser)
    assert (parser.name, parser.version) == ("fhir_audit", "1.0")


def test_r4_login_read_search_and_break_glass_are_mapped():
    rows, rejects = parse_all(FhirAuditParser(), SAMPLES / "fhir_r4_audit.ndjson")
    assert rejects == []
    events = by_uid(rows)
    assert len(rows) == 10
    login = events["ae-login-0001"]
    assert (login["event_class"], login["activity"], login["outcome"]) == ("authentication", "logon", "success")
    assert login["user_name"] == "mgarcia" and login["src_ip"] == "10.20.4.17"
    assert login["time"] == datetime(2024, 3, 4, 12, 58, 12, tzinfo=UTC)
    failed = events["ae-login-0002"]
    assert (failed["outcome"], failed["outcome_reason"], failed["src_host"]) == (
        "failure",
        "Invalid password",
        "WS-ONC-12",
    )
    assert failed["time"] == datetime(2024, 3, 4, 13, 1, 40, 250000, tzinfo=UTC)
    read = events["ae-read-0003"]
    assert (read["event_class"], read["activity"], read["patient_id"]) == ("record_access", "read", "MRN004521")
    assert read["src_ip"] == "10.20.4.17"  # from the agent typed Source Role, the requestor has no network
    assert (read["purpose_of_use"], read["resource_type"], read["raw_offset"]) == ("TREAT", "Patient", 3)
    assert events["ae-vread-0004"]["resource_type"] == "Observation"
    assert events["ae-search-0005"]["activity"] == "query"
    assert events["ae-search-0005"]["event_class"] == "api_activity"
    search = events["ae-search-0006"]
    assert (search["activity"], search["patient_id"]) == ("query", "E77120")
    assert search["patient_id_system"] == "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14"
    glass = events["ae-bg-0007"]
    assert (glass["activity"], glass["purpose_of_use"], glass["patient_id"]) == ("break_glass", "ETREAT", "MRN000777")
    export = events["ae-export-0008"]
    assert (export["activity"], export["record_count"]) == ("export", 3)
    assert events["ae-update-0009"]["outcome"] == "failure"
    logout = rows[9]
    assert logout["activity"] == "logoff"
    line = (SAMPLES / "fhir_r4_audit.ndjson").read_text().splitlines()[9]
    assert logout["raw"] == line
    assert logout["event_uid"].startswith("sha256:") and len(logout["event_uid"]) == 71


def test_r5_bundle_uses_patient_occurred_time_and_outcome_code():
    rows, rejects = parse_all(FhirAuditParser(), SAMPLES / "fhir_r5_bundle.json")
    events = by_uid(rows)
    assert sorted(events) == ["r5-bg-0002", "r5-failed-0003", "r5-read-0001"]
    read = events["r5-read-0001"]
    assert read["patient_id"] == "PX-2093"
    assert read["time"] == datetime(2024, 3, 6, 8, 14, 3, tzinfo=UTC)  # occurredDateTime, not recorded
    assert (read["src_ip"], read["user_name"], read["purpose_of_use"]) == ("192.168.40.12", "lwagner", "TREAT")
    assert read["resource_type"] == "DiagnosticReport"
    assert events["r5-bg-0002"]["activity"] == "break_glass"
    failed = events["r5-failed-0003"]
    assert (failed["outcome"], failed["outcome_reason"], failed["activity"]) == ("failure", "Token expired", "query")
    assert failed["user_name"] == "Practitioner/pr-17"
    assert [(reject.line, reject.field) for reject in rejects] == [(4, "outcome")]
    assert "'99'" in rejects[0].reason


def test_bad_lines_are_rejected_by_line_and_field_and_good_lines_kept():
    rows, rejects = parse_all(FhirAuditParser(), SAMPLES / "fhir_r4_bad.ndjson")
    assert [row["event_uid"] for row in rows] == ["good-1", "good-2"]
    assert [(reject.line, reject.field) for reject in rejects] == [
        (2, ""),
        (3, "action"),
        (4, "outcome"),
        (5, "recorded"),
        (6, "recorded"),
        (7, "resourceType"),
        (8, "agent[0].requestor"),
    ]
    reasons = [reject.reason for reject in rejects]
    assert reasons[0].startswith("malformed JSON")
    assert reasons[2] == "unknown code '3' (expected 0, 4, 8 or 12)"
    assert reasons[3] == "'2024-03-04T13:05:09' has no time zone"
    assert reasons[4] == "is missing"
    assert rejects[1].raw.startswith('{"resourceType":"AuditEvent","id":"bad-action"')


def test_fast_path_gives_the_same_events_and_rejects(tmp_path):
    slow = FhirAuditParser()
    fast = FhirAuditParser()
    fast.fast_path_min_lines = 0
    for name in ("fhir_r4_audit.ndjson", "fhir_r4_bad.ndjson"):
        slow_chunks = list(slow.parse(SAMPLES / name, SOURCE))
        fast_chunks = list(fast.parse(SAMPLES / name, SOURCE))
        assert [chunk.table.to_pylist() for chunk in fast_chunks] == [chunk.table.to_pylist() for chunk in slow_chunks]
        assert [chunk.rejects for chunk in fast_chunks] == [chunk.rejects for chunk in slow_chunks]
        assert fast_chunks[0].table.schema.equals(slow_chunks[0].table.schema)


def test_chunks_keep_every_line_and_report_progress(tmp_path):
    lines = (SAMPLES / "fhir_r4_audit.ndjson").read_text().splitlines() + ["{broken"]
    path = tmp_path / "audit.ndjson"
    path.write_text("\n".join(lines * 3) + "\n")
    for fast_min in (10**9, 0):
        parser = FhirAuditParser()
        parser.chunk_rows = 4
        parser.fast_path_min_lines = fast_min
        seen: list[int] = []
        chunks = list(parser.parse(path, SOURCE, seen.append))
        assert [chunk.lines for chunk in chunks] == [4] * 8 + [1]
        assert seen == [4, 8, 12, 16, 20, 24, 28, 32, 33]
        offsets = [row["raw_offset"] for chunk in chunks for row in chunk.table.to_pylist()]
        assert offsets == [n for n in range(1, 34) if n % 11 != 0]
        assert [reject.line for chunk in chunks for reject in chunk.rejects] == [11, 22, 33]


def test_parse_records_validates_decoded_records():
    records = [orjson.loads(line) for line in (SAMPLES / "fhir_r4_audit.ndjson").read_text().splitlines()[:3]]
    records.append({"resourceType": "AuditEvent", "action": "Q"})
    chunk = FhirAuditParser().parse_records(records, SOURCE)
    assert chunk.lines == 4
    assert chunk.table.column("event_uid").to_pylist() == ["ae-login-0001", "ae-login-0002", "ae-read-0003"]
    assert [(reject.line, reject.field) for reject in chunk.rejects] == [(4, "action")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ACCESS_TIME,USER_ID\n2024-01-01,x\n", "not JSON"),
        ('[{"uuid": "a", "eventType": "user.session.start"}]', "JSON array"),
        ('{"uuid": "a", "eventType": "user.session.start"}\n', "without resourceType"),
        ('{"resourceType": "Patient", "id": "1"}\n', "FHIR Patient"),
        ("{\n  not json at all\n", "neither NDJSON nor one JSON document"),
    ],
)
def test_wrong_file_is_refused_before_any_chunk(tmp_path, content, message):
    path = tmp_path / "input.json"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        FhirAuditParser().parse(path, SOURCE)


def test_fast_path_equals_validated_path_on_blank_crlf_and_non_utf8_lines(tmp_path):
    lines = (SAMPLES / "fhir_r4_audit.ndjson").read_bytes().splitlines()
    content = b"\r\n".join(lines[:4]) + b"\r\n\r\n   \n" + b"\n".join(lines[4:7]) + b"\n\xff\xfe not utf-8\n" + lines[7]
    path = tmp_path / "audit.ndjson"
    path.write_bytes(content)
    slow, fast = FhirAuditParser(), FhirAuditParser()
    slow.chunk_rows = fast.chunk_rows = 3
    slow.fast_path_min_lines, fast.fast_path_min_lines = 10**9, 0
    slow_chunks, fast_chunks = list(slow.parse(path, SOURCE)), list(fast.parse(path, SOURCE))
    assert [chunk.table.to_pylist() for chunk in fast_chunks] == [chunk.table.to_pylist() for chunk in slow_chunks]
    assert [chunk.rejects for chunk in fast_chunks] == [chunk.rejects for chunk in slow_chunks]
    assert [chunk.lines for chunk in fast_chunks] == [3, 3, 3, 2]
    offsets = [row["raw_offset"] for chunk in fast_chunks for row in chunk.table.to_pylist()]
    assert offsets == [1, 2, 3, 4, 7, 8, 9, 11]
    assert fast_chunks[0].table.column("raw").to_pylist()[0] == lines[0].decode()  # no \r kept
    assert [(reject.line, reject.reason[:9]) for chunk in fast_chunks for reject in chunk.rejects] == [
        (10, "is not UT")
    ]


def test_line_blocks_cut_exact_sizes_across_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "BLOCK_READ_BYTES", 7)
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\ntwo\r\n\nfour\nfive\xff\nsix")
    blocks = list(common.line_blocks(path, 2))
    assert [(block.first, block.lines.to_pylist()) for block in blocks] == [
        (1, ["one", "two"]),
        (3, ["", "four"]),
        (5, ["", "six"]),
    ]
    assert blocks[2].undecodable == {5: b"five\xff"}


def test_line_blocks_carry_a_line_longer_than_several_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "BLOCK_READ_BYTES", 4)
    path = tmp_path / "lines.txt"
    path.write_bytes(b"a\n" + b"x" * 13 + b"\r\nb\nend")
    blocks = list(common.line_blocks(path, 3))
    assert [(block.first, block.lines.to_pylist()) for block in blocks] == [(1, ["a", "x" * 13, "b"]), (4, ["end"])]


@pytest.mark.parametrize(
    "recorded",
    ["2024-03-10T24:00:00Z", "2024-03-10T12:00:60Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00"],
)
def test_fast_path_leaves_times_python_cannot_hold_to_the_validated_path(tmp_path, recorded):
    """DuckDB reads hour 24 as the next midnight and holds year 0; such a line must fare as the validated path has
    it (a reject naming `recorded`), never be stored with a time Python cannot read back."""
    good = (SAMPLES / "fhir_r4_audit.ndjson").read_text().splitlines()[0]
    record = orjson.loads(good)
    record["recorded"] = recorded
    path = tmp_path / "audit.ndjson"
    path.write_text(good + "\n" + orjson.dumps(record).decode() + "\n")
    slow, fast = FhirAuditParser(), FhirAuditParser()
    slow.fast_path_min_lines, fast.fast_path_min_lines = 10**9, 0
    slow_chunks, fast_chunks = list(slow.parse(path, SOURCE)), list(fast.parse(path, SOURCE))
    assert [chunk.table.to_pylist() for chunk in fast_chunks] == [chunk.table.to_pylist() for chunk in slow_chunks]
    assert [chunk.rejects for chunk in fast_chunks] == [chunk.rejects for chunk in slow_chunks]
    assert [(reject.line, reject.field) for chunk in fast_chunks for reject in chunk.rejects] == [(2, "recorded")]
