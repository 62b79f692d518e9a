"""Normalized NDJSON (shippers' and the generator's format): schema names only, enum values, zoned times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.common import raw_uid
from safeguard.activity.parsers.normalized import NormalizedParser

SAMPLES = Path(__file__).parent / "samples" / "activity"
SOURCE = SourceConfig(source_id=1, kind="ehr", time_zone="UTC")


def test_sample_lines_become_events_and_bad_lines_rejects():
    parser = parser_for("normalized")
    assert isinstance(parser, NormalizedParser)
    chunks = list(parser.parse(SAMPLES / "normalized_events.ndjson", SOURCE))
    rows = [row for chunk in chunks for row in chunk.table.to_pylist()]
    rejects = [reject for chunk in chunks for reject in chunk.rejects]
    assert [row["event_uid"] for row in rows[:2]] == ["okta-7f1", "ehr-2209"]
    login = rows[0]
    assert login["time"] == datetime(2024, 3, 4, 13, 0, 5, tzinfo=UTC)
    assert (login["is_mfa"], login["src_ip"], login["user_upn"]) == (True, "203.0.113.9", "maria.garcia@example.org")
    assert rows[1]["record_count"] == 40 and rows[1]["raw"] == "original export line 2209"
    no_uid_line = (SAMPLES / "normalized_events.ndjson").read_text().splitlines()[2]
    assert rows[2]["event_uid"] == raw_uid(no_uid_line) and rows[2]["raw"] == no_uid_line
    assert [row["raw_offset"] for row in rows] == [1, 2, 3]
    assert [(reject.line, reject.field) for reject in rejects] == [
        (4, ""),
        (5, "colour, shoe_size"),
        (6, "time"),
        (7, "activity"),
        (8, "record_count"),
        (9, "outcome"),
    ]
    assert rejects[1].reason == "unknown fields: colour, shoe_size"
    assert rejects[2].reason == "'2024-03-04 09:00:00' has no time zone"
    assert rejects[3].reason.startswith("'peek' is not one of break_glass, create")
    assert rejects[4].reason == "'12' is not a whole number"
    assert rejects[5].reason == "is missing"


def test_parse_records_and_chunk_boundaries(tmp_path):
    line = {"time": "2024-01-01T00:00:00Z", "event_class": "authentication", "activity": "logon", "outcome": "success"}
    records = [dict(line, event_uid=f"e{n}") for n in range(7)] + [dict(line, is_mfa="yes")]
    chunk = NormalizedParser().parse_records(records, SOURCE)
    assert chunk.table.num_rows == 7 and [(r.line, r.field) for r in chunk.rejects] == [(8, "is_mfa")]
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(record) for record in records))
    parser = NormalizedParser()
    parser.chunk_rows = 3
    seen: list[int] = []
    chunks = list(parser.parse(path, SOURCE, seen.append))
    assert [c.lines for c in chunks] == [3, 3, 2] and seen == [3, 6, 8]
    assert [row["event_uid"] for c in chunks for row in c.table.to_pylist()] == [f"e{n}" for n in range(7)]


@pytest.mark.parametrize("content", [b"[{}]", b"time,user\n"])
def test_wrong_format_is_refused(tmp_path, content):
    path = tmp_path / "events.ndjson"
    path.write_bytes(content)
    with pytest.raises(FormatError, match="one JSON object per line"):
        NormalizedParser().parse(path, SOURCE)
