"""EHR access-log CSV: two vendors' layouts through their mappings, local times in the source's zone, rejects
naming row, column and value, and refusals of wrong files and mappings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.common import raw_uid
from safeguard.activity.parsers.ehr_csv import EhrCsvParser

SAMPLES = Path(__file__).parent / "samples" / "activity"
EPIC_MAPPING = {
    "time": "ACCESS_INSTANT",
    "user_name": "USER_ID",
    "patient_id": "PAT_ID",
    "patient_name": "PAT_NAME",
    "action": "METRIC_NAME",
    "workstation": "WORKSTATION_ID",
    "ip": "IP_ADDRESS",
    "department": "DEPARTMENT",
    "event_id": "ACCESS_LOG_ID",
    "actions": {"Medication Order\nModified": "update"},
}
CERNER_MAPPING = {
    "time": "Event Date/Time",
    "user_name": "Prsnl Username",
    "patient_id": "Person MRN",
    "action": "Event Name",
    "outcome": "Event Status",
    "workstation": "Device Name",
    "record_count": "Records",
    "time_format": "%m/%d/%Y %I:%M:%S %p",
    "actions": {"Chart Copy Requested": "export"},
}


def source(mapping: dict, zone: str = "America/New_York") -> SourceConfig:
    return SourceConfig(source_id=1, kind="ehr", time_zone=zone, mapping=mapping)


def parse_all(path: Path, config: SourceConfig, parser: EhrCsvParser | None = None):
    chunks = list((parser or EhrCsvParser()).parse(path, config))
    return [row for chunk in chunks for row in chunk.table.to_pylist()], [r for c in chunks for r in c.rejects]


def test_registry_gives_the_csv_parser():
    assert isinstance(parser_for("ehr_csv"), EhrCsvParser)


def test_epic_export_mapped_with_local_times_and_quoted_multiline_rows():
    rows, rejects = parse_all(SAMPLES / "ehr_epic_access.csv", source(EPIC_MAPPING))
    assert rejects == []
    assert [row["activity"] for row in rows] == [
        "read", "logon", "logon", "query", "print", "break_glass", "export", "update", "logoff",
    ]  # fmt: skip
    first = rows[0]
    assert first["time"] == datetime(2024, 3, 4, 12, 58, 12, tzinfo=UTC)  # 07:58 EST
    assert (first["event_uid"], first["user_name"], first["patient_id"]) == ("AL-100001", "MGARCIA", "Z1004521")
    assert (first["src_host"], first["src_ip"], first["event_class"]) == ("NSC-ONC-WS12", "10.20.4.17", "record_access")
    assert first["raw_offset"] == 2 and first["raw"].startswith("2024-03-04 07:58:12,MGARCIA,")
    failed_login = rows[1]
    assert (failed_login["event_class"], failed_login["outcome"]) == ("authentication", "failure")
    assert failed_login["patient_id"] is None
    assert rows[6]["time"] == datetime(2024, 3, 5, 20, 40, tzinfo=UTC)  # its own offset wins over the zone
    modified = rows[7]
    assert modified["raw_offset"] == 9 and modified["raw"].count("\n") == 1
    assert rows[8]["raw_offset"] == 11


def test_cerner_export_with_time_format_outcomes_counts_and_rejects():
    rows, rejects = parse_all(SAMPLES / "ehr_cerner_access.csv", source(CERNER_MAPPING, "America/Chicago"))
    assert [(row["activity"], row["outcome"], row["record_count"]) for row in rows] == [
        ("read", "success", 1),
        ("read", "success", 1),
        ("export", "success", 12),
        ("print", "failure", 3),
    ]
    assert rows[2]["time"] == datetime(2024, 3, 11, 4, 47, 19, tzinfo=UTC)  # 11:47 PM CDT
    fields = "03/10/2024 09:15:30 AM,rnjones,MRN-448210,Open Chart,Success,CERN-4W-PC07,1".split(",")
    assert rows[0]["event_uid"] == raw_uid("\x1f".join(fields))
    assert [(reject.line, reject.field) for reject in rejects] == [
        (6, "Event Date/Time"),
        (7, "Event Name"),
        (8, "Prsnl Username"),
        (9, "Event Status"),
    ]
    assert "'31/10/2024 25:00:00 PM'" in rejects[0].reason
    assert "'Chart Merge'" in rejects[1].reason


def test_fallback_action_takes_unknown_names():
    mapping = {**CERNER_MAPPING, "actions": {"Chart Copy Requested": "export", "*": "other"}}
    rows, rejects = parse_all(SAMPLES / "ehr_cerner_access.csv", source(mapping, "America/Chicago"))
    assert [row["action_name"] for row in rows if row["activity"] == "other"] == ["Chart Merge"]
    assert [reject.line for reject in rejects] == [6, 8, 9]


def test_time_without_offset_and_unreadable_time(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("WHEN,WHO,WHAT\n2024-07-01T09:00:00,amy,View\nyesterday,amy,View\n")
    rows, rejects = parse_all(path, source({"time": "WHEN", "user_name": "WHO", "action": "WHAT"}, "Europe/Paris"))
    assert rows[0]["time"] == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)
    assert [(r.line, r.field, r.reason) for r in rejects] == [(3, "WHEN", "'yesterday' is not a time (ISO 8601)")]


def test_mapping_missing_columns_lists_each_and_the_header(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("ACCESS_TIME,USER,ACTION\n")
    mapping = {"time": "ACCESS_TIME", "user_name": "USER_ID", "action": "ACTION", "patient_id": "PAT_ID"}
    with pytest.raises(FormatError) as error:
        EhrCsvParser().parse(path, source(mapping))
    assert str(error.value) == "The mapping needs columns USER_ID, PAT_ID; the file has: ACCESS_TIME, USER, ACTION."


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"time": "T", "user_name": "U"}, "names no column for: action"),
        ({"time": "T", "user_name": "U", "action": "A", "colour": "C"}, "unknown fields: colour"),
        ({"time": "T", "user_name": "U", "action": "A", "actions": {"Peek": "peek"}}, "not an activity"),
    ],
)
def test_bad_mappings_are_refused(tmp_path, mapping, message):
    path = tmp_path / "log.csv"
    path.write_text("T,U,A\n")
    with pytest.raises(FormatError, match=message):
        EhrCsvParser().parse(path, source(mapping))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("log.xlsx", b"PK\x03\x04rest", "not CSV"),
        ("log.csv", b"PK\x03\x04rest", "binary"),
        ("log.csv", b'{"resourceType": "AuditEvent"}\n', "JSON"),
        ("log.json", b"[]", "not CSV"),
    ],
)
def test_wrong_file_format_is_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message):
        EhrCsvParser().parse(path, source(EPIC_MAPPING))


def test_small_chunks_lose_no_rows(tmp_path):
    parser = EhrCsvParser()
    parser.chunk_rows = 2
    seen: list[int] = []
    chunks = list(parser.parse(SAMPLES / "ehr_epic_access.csv", source(EPIC_MAPPING), seen.append))
    assert [chunk.lines for chunk in chunks] == [2, 2, 2, 2, 1]
    assert seen == [3, 5, 7, 10, 11]
    assert [row["event_uid"] for c in chunks for row in c.table.to_pylist()] == [f"AL-10000{n}" for n in range(1, 10)]
