"""EHR access-log CSV: two vendors' layouts through their mappings, local times in the source's zone, rejects
naming row, column and value, and refusals of wrong files and mappings."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest

from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.common import raw_uid
from safeguard.activity.parsers.ehr_csv import EhrCsvParser
from safeguard.activity.parsers.ehr_csv_fast import (
    OTHER_SPACE_CHARS,
    FastCsv,
    format_pattern,
    may_hold_other_spaces,
    minute_offsets,
)
from safeguard.activity.parsers.ehr_csv_mapping import CsvMapping

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
        ({"time": "T", "user_name": "U"}, "needs the column for action"),
        ({"time": "T", "user_name": "U", "action": "A", "colour": "C"}, "does not read: colour"),
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


def fast_and_slow(path: Path, config: SourceConfig, chunk_rows: int = 3):
    slow, fast = EhrCsvParser(), EhrCsvParser()
    slow.chunk_rows = fast.chunk_rows = chunk_rows
    slow.fast_path_min_lines, fast.fast_path_min_lines = 10**9, 0
    return list(slow.parse(path, config)), list(fast.parse(path, config))


def assert_same_chunks(slow_chunks, fast_chunks):
    assert [chunk.table.to_pylist() for chunk in fast_chunks] == [chunk.table.to_pylist() for chunk in slow_chunks]
    assert [chunk.rejects for chunk in fast_chunks] == [chunk.rejects for chunk in slow_chunks]
    assert [chunk.lines for chunk in fast_chunks] == [chunk.lines for chunk in slow_chunks]


def test_fast_path_takes_the_cerner_sample_and_gives_the_same_events_and_rejects():
    config = source(CERNER_MAPPING, "America/Chicago")
    mapping = CsvMapping.from_source(config)
    header = (SAMPLES / "ehr_cerner_access.csv").read_text().splitlines()[0].split(",")
    positions = mapping.check_header(header)
    taken = FastCsv(mapping, positions, max(positions.values()) + 1, "America/Chicago").read(
        SAMPLES / "ehr_cerner_access.csv", len(header)
    )
    assert taken is not None
    events, refused = taken
    assert events.num_rows == 4 and refused.column("line_no").to_pylist() == [6, 7, 8, 9]
    assert_same_chunks(*fast_and_slow(SAMPLES / "ehr_cerner_access.csv", config))


def test_fast_path_falls_back_when_a_quoted_value_spans_lines():
    slow_chunks, fast_chunks = fast_and_slow(SAMPLES / "ehr_epic_access.csv", source(EPIC_MAPPING))
    assert_same_chunks(slow_chunks, fast_chunks)
    assert fast_chunks[2].table.column("raw_offset").to_pylist() == [8, 9, 11]  # row 8 spans lines 9–10


def test_fast_path_matches_row_reader_on_zones_offsets_blanks_and_odd_values(tmp_path):
    rows = [
        "WHEN,WHO,WHAT,MRN,N,ID",
        "2024-11-03 01:30:00,amy,View,P1,,",  # the repeated hour: zoneinfo's first (CDT) reading
        "2024-03-10 02:30:00,amy,View,P1,,",  # the skipped hour
        "2024-03-10T12:00:00.250+02:00,amy,Export,P2,7,e-3",
        "2024-03-10T12:00:00Z, bob ,login failed,,,",
        ",,,,,",  # blank: skipped, no reject
        "2024-03-10 12:00,amy,View,P1,,",  # a shape the SQL leaves to Python (which reads it)
        "2024-03-10 12:00:00,amy,Peek,P1,,",
        "2024-03-10 12:00:00,amy,View,P1,0,",
        "2024-03-10 12:00:00,amy\t,View,P1,,",  # a tab str.strip() removes
        "2024-03-10 12:00:00,amy\u00a0,View,P1,,",  # and a no-break space
        "2024-03-10 12:00:00,,View,P1,,",
        "2024-03-10 12:00:00,amy",
        "2024-02-30 12:00:00,amy,View,P1,,",
    ]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    mapping = {"time": "WHEN", "user_name": "WHO", "action": "WHAT", "patient_id": "MRN", "record_count": "N"}
    mapping["event_id"] = "ID"
    slow_chunks, fast_chunks = fast_and_slow(path, source(mapping, "America/Chicago"), chunk_rows=4)
    assert_same_chunks(slow_chunks, fast_chunks)
    events = [row for chunk in fast_chunks for row in chunk.table.to_pylist()]
    assert events[0]["time"] == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    assert events[1]["time"] == datetime(2024, 3, 10, 8, 30, tzinfo=UTC)
    assert (events[2]["time"], events[2]["event_uid"]) == (datetime(2024, 3, 10, 10, 0, 0, 250000, tzinfo=UTC), "e-3")
    assert (events[3]["user_name"], events[3]["outcome"]) == ("bob", "failure")
    assert events[5]["user_name"] == "amy"
    rejects = [(reject.line, reject.field) for chunk in fast_chunks for reject in chunk.rejects]
    assert rejects == [(8, "WHAT"), (9, "N"), (12, "WHO"), (13, ""), (14, "WHEN")]


def test_format_pattern_only_for_directives_read_alike():
    assert format_pattern("%m/%d/%Y %I:%M:%S %p") is not None
    assert format_pattern("%d %b %Y") is None
    assert format_pattern("%Y-%m-%d %I:%M") is None  # %I without %p is read differently


def test_fast_path_keeps_rows_on_their_lines_in_a_file_read_in_parallel(tmp_path):
    """DuckDB reads a file of tens of MB in parallel pieces; each row must still meet its own line (the patient
    and the raw line say which) and each refused row its own number."""
    path = tmp_path / "big.csv"
    bad = {2_000, 123_457, 399_999}
    with path.open("w") as handle:
        handle.write("WHEN,WHO,WHAT,MRN,NOTE\n")
        for line in range(2, 400_002):
            action = "Peek" if line in bad else "View"
            handle.write(f"2024-03-10 12:{line % 60:02d}:00,u{line % 97},{action},P{line},{'x' * 40}\n")
    assert path.stat().st_size > 24 * 1024 * 1024
    mapping = {"time": "WHEN", "user_name": "WHO", "action": "WHAT", "patient_id": "MRN"}
    chunks = list(EhrCsvParser().parse(path, source(mapping, "America/Chicago")))
    table = pa.concat_tables([chunk.table for chunk in chunks])
    offsets = table.column("raw_offset").to_pylist()
    assert offsets == [line for line in range(2, 400_002) if line not in bad]
    assert table.column("patient_id").to_pylist() == [f"P{line}" for line in offsets]
    raws = table.column("raw").to_pylist()
    assert all(raw.split(",")[3] == f"P{line}" for raw, line in zip(raws, offsets, strict=True))
    rejects = [reject for chunk in chunks for reject in chunk.rejects]
    assert [(reject.line, reject.field) for reject in rejects] == [(line, "WHAT") for line in sorted(bad)]
    assert [reject.raw.split(",")[3] for reject in rejects] == [f"P{line}" for line in sorted(bad)]


def test_fast_path_matches_row_reader_on_short_rows_and_times_python_cannot_read(tmp_path):
    rows = [
        "WHEN,WHO,WHAT,MRN,NOTE,EXTRA",
        "2024-03-10 12:00:00,amy,View,P1",  # shorter than the header, every mapped column present
        "2024-03-10 12:00:00,amy,View,P1,,",
        "2024-03-10 24:00:00,amy,View,P2,,",  # DuckDB reads hour 24 as the next midnight; Python refuses it
        "2024-03-10 12:60:00,amy,View,P3,,",
        "2024-03-10 12:00:60,amy,View,P4,,",
        "0000-01-01 00:00:00,amy,View,P5,,",  # year 0: DuckDB has it, Python has not
        "0000-01-01T00:00:00Z,amy,View,P6,,",
        "0001-01-01T00:00:00+05:00,amy,View,P7,,",  # in year 0 once in UTC
        "9999-12-31 23:00:00,amy,View,P8,,",  # in year 10000 once in UTC
    ]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    mapping = {"time": "WHEN", "user_name": "WHO", "action": "WHAT", "patient_id": "MRN"}
    slow_chunks, fast_chunks = fast_and_slow(path, source(mapping, "America/Chicago"), chunk_rows=4)
    assert_same_chunks(slow_chunks, fast_chunks)
    events = [row for chunk in fast_chunks for row in chunk.table.to_pylist()]
    assert [event["raw_offset"] for event in events] == [2, 3]
    assert events[0]["event_uid"] == raw_uid("\x1f".join(rows[1].split(",")))
    rejects = [(reject.line, reject.field) for chunk in fast_chunks for reject in chunk.rejects]
    assert rejects == [(line, "WHEN") for line in range(4, 11)]


def test_fast_path_takes_files_with_empty_lines_and_counts_them_as_the_row_reader_does(tmp_path):
    rows = [
        "WHEN,WHO,WHAT,MRN",
        "2024-03-10 12:00:00,amy,View,P1",
        "",
        "2024-03-10 12:01:00,bob,Peek,P2",  # refused in the middle of blank lines: its own line number
        "",
        "   ",  # spaces are a row, not an empty line
        "2024-03-10 12:02:00,cat,View,P3",
        "",
        "",
    ]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    mapping = {"time": "WHEN", "user_name": "WHO", "action": "WHAT", "patient_id": "MRN"}
    config = source(mapping, "America/Chicago")
    header = rows[0].split(",")
    csv_mapping = CsvMapping.from_source(config)
    positions = csv_mapping.check_header(header)
    taken = FastCsv(csv_mapping, positions, max(positions.values()) + 1, "America/Chicago").read(path, len(header))
    assert taken is not None  # not handed to the row reader
    events, refused = taken
    assert events.column("raw_offset").to_pylist() == [2, 7]
    assert events.column("raw").to_pylist() == [rows[1], rows[6]]
    assert refused.to_pylist() == [
        {"line_no": 3, "line": ""},
        {"line_no": 4, "line": rows[3]},
        {"line_no": 5, "line": ""},
        {"line_no": 6, "line": "   "},
        {"line_no": 8, "line": ""},
        {"line_no": 9, "line": ""},
    ]
    slow_chunks, fast_chunks = fast_and_slow(path, config, chunk_rows=3)
    assert_same_chunks(slow_chunks, fast_chunks)
    assert [(reject.line, reject.field) for chunk in fast_chunks for reject in chunk.rejects] == [(4, "WHAT")]


def test_other_spaces_are_every_whitespace_str_strip_removes_but_the_space():
    assert set(OTHER_SPACE_CHARS) == {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()} - {" "}


@pytest.mark.parametrize(
    ("content", "may"),
    [
        (b"WHEN,WHO\n2024-01-02 10:00:00,amy\n", False),
        (b"WHEN,WHO\r\n2024-01-02 10:00:00,amy\r\n", False),  # CRLF line ends are not values
        (b"WHEN,WHO\n2024-01-02 10:00:00,Zo\xc3\xab\n", False),  # other letters are not spaces
        (b"WHEN,WHO\n2024-01-02 10:00:00,amy\t\n", True),
        (b"WHEN,WHO\n2024-01-02 10:00:00,amy\xc2\xa0\n", True),  # a no-break space
        (b"WHEN,WHO\n2024-01-02 10:00:00,amy\xe3\x80\x80\n", True),  # an ideographic space
        (b"WHEN,WHO\n2024-01-02 10:00:00,a\rmy\n", True),  # a carriage return inside a line
        (b"WHEN,WHO\n2024-01-02 10:00:00,amy\r", True),  # and at the very end
        (b"WHEN,WHO\n2024-01-02 10:00:00,O\xe2\x80\x99Brien\n", True),  # a lead byte spaces share: not excluded
        (b"", False),
    ],
)
def test_a_file_may_hold_other_spaces_judged_from_its_bytes(tmp_path, content, may):
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    assert may_hold_other_spaces(path) is may


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_minute_offsets_asked_by_the_hour_match_zoneinfo_for_every_minute(zone):
    # Both DST changes of 2024, and New York's 1883 change from local mean time at 12:03:58.
    # Wall times without a zone, as the fast path holds them.
    starts = ["2024-03-09T23:00", "2024-11-02T23:00", "2024-04-06T23:00", "2024-10-05T23:00", "1883-11-18T11:00"]
    minutes = [datetime.fromisoformat(start) + timedelta(minutes=step) for start in starts for step in range(300)]
    epoch = datetime.fromisoformat("1970-01-01T00:00")
    as_us = np.array([(minute - epoch) // timedelta(microseconds=1) for minute in minutes], np.int64)
    offsets = [minute.replace(tzinfo=ZoneInfo(zone)).utcoffset() for minute in minutes]
    expected = [offset // timedelta(microseconds=1) for offset in offsets if offset is not None]
    assert minute_offsets(as_us, ZoneInfo(zone)).tolist() == expected


def test_fast_path_leaves_a_file_with_its_line_reader_delimiter_to_the_row_reader(tmp_path):
    path = tmp_path / "log.csv"
    # Ending a line, the delimiter would be cut from the raw line and make the last value NULL.
    rows = ["WHEN,WHO,WHAT,NOTE", "2024-03-10 12:00:00,amy,View,x\x01", "2024-03-10 12:01:00,bob,View,\x01"]
    path.write_text("\n".join(rows) + "\n")
    mapping = {"time": "WHEN", "user_name": "WHO", "action": "WHAT"}
    assert FastCsv(CsvMapping.from_source(source(mapping)), {}, 4, "UTC").read(path, 4) is None
    slow_chunks, fast_chunks = fast_and_slow(path, source(mapping))
    assert_same_chunks(slow_chunks, fast_chunks)
    assert [row["raw"] for chunk in fast_chunks for row in chunk.table.to_pylist()] == rows[1:]
