"""The Microsoft Entra sign-in log parser: Graph pages, arrays and NDJSON; outcomes, MFA and service principals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.entra import EntraParser

SAMPLES = Path(__file__).parent / "samples" / "activity"
SOURCE = SourceConfig(source_id=2, kind="identity", time_zone="America/Chicago")


def _parse(path: Path) -> tuple[list[dict], list]:
    chunks = list(EntraParser().parse(path, SOURCE))
    return [row for chunk in chunks for row in chunk.table.to_pylist()], [r for chunk in chunks for r in chunk.rejects]


def test_registry_gives_the_entra_parser():
    assert parser_for("entra").name == "entra"


def test_interactive_mfa_sign_in():
    rows, _ = _parse(SAMPLES / "entra_signins_graph.json")
    first = rows[0]
    assert first["event_uid"] == "66ea54eb-6301-4ee5-be62-ff5a759b0100"
    assert first["time"] == datetime(2024, 3, 4, 14, 2, 11, tzinfo=UTC)
    assert (first["event_class"], first["activity"], first["outcome"]) == ("authentication", "logon", "success")
    assert first["outcome_reason"] is None  # Entra writes "Other." even on success
    assert first["user_name"] == first["user_upn"] == "jdoe@clinic.example"
    assert first["user_type"] == "human"
    assert first["dst_service"] == "Epic Hyperspace"
    assert first["src_ip"] == "198.51.100.23"
    assert first["src_host"] == "WS-ICU-014"
    assert first["src_geo_country"] == "US"
    assert first["session_id"] == "65bd5a8b-6a5e-4a3a-9d58-0a1c2b3d4e5f"
    assert first["is_mfa"] is True
    assert first["action_name"] == "interactive sign-in"


def test_failure_code_and_reason_single_factor_and_seven_digit_fraction():
    rows, _ = _parse(SAMPLES / "entra_signins_graph.json")
    failed = rows[1]
    assert failed["outcome"] == "failure"
    assert failed["outcome_reason"] == ("50126: Error validating credentials due to invalid username or password.")
    assert failed["is_mfa"] is False
    assert failed["time"] == datetime(2024, 3, 4, 14, 9, 30, 512345, tzinfo=UTC)
    assert rows[2]["action_name"] == "non-interactive sign-in"


def test_service_principal_sign_in_is_a_service_user():
    rows, _ = _parse(SAMPLES / "entra_signins_graph.json")
    service = rows[3]
    assert service["user_type"] == "service"
    assert service["user_name"] == "claims-export-job"
    assert service["user_upn"] is None
    assert service["outcome"] == "failure"
    assert service["outcome_reason"] == "7000215: Invalid client secret is provided."
    assert service["action_name"] == "service principal sign-in"
    assert service["dst_service"] == "Claims Export Job"


def test_zone_less_and_missing_times_are_rejected_with_record_number():
    rows, rejects = _parse(SAMPLES / "entra_signins_graph.json")
    assert len(rows) == 4
    assert [(reject.line, reject.field) for reject in rejects] == [(5, "createdDateTime"), (6, "createdDateTime")]
    assert "has no time zone" in rejects[0].reason
    assert rejects[1].reason == "is missing"
    assert '"id":"66ea54eb-6301-4ee5-be62-ff5a759b0105"' in rejects[1].raw


def test_plain_array_and_ndjson_give_the_same_events(tmp_path):
    page = orjson.loads((SAMPLES / "entra_signins_graph.json").read_bytes())["value"][:4]
    array = tmp_path / "signins.json"
    array.write_bytes(orjson.dumps(page))
    ndjson = tmp_path / "signins.ndjson"
    ndjson.write_bytes(b"\n".join(orjson.dumps(record) for record in page) + b"\n")
    uids = [[row["event_uid"] for row in _parse(path)[0]] for path in (array, ndjson)]
    assert uids[0] == uids[1] == [record["id"] for record in page]


def test_error_code_that_is_not_a_number_is_rejected():
    record = {"id": "x", "createdDateTime": "2024-03-04T10:00:00Z", "status": {"errorCode": "oops"}, "appId": "a"}
    chunk = EntraParser().parse_records([record], SOURCE)
    assert [(r.line, r.field, r.reason) for r in chunk.rejects] == [(1, "status.errorCode", "'oops' is not a number")]


def test_an_okta_file_is_refused():
    with pytest.raises(FormatError, match="not a Microsoft Entra sign-in log"):
        list(EntraParser().parse(SAMPLES / "okta_system_log.json", SOURCE))
