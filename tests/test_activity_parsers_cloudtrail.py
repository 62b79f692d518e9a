"""The CloudTrail parser: console sign-ins, API verbs, identities, errors, gzip and wrong files."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.cloudtrail import CloudTrailParser, activity_of

SAMPLES = Path(__file__).parent / "samples" / "activity"
SOURCE = SourceConfig(source_id=3, kind="cloud", time_zone="UTC")


def _parse(path: Path) -> tuple[list[dict], list]:
    chunks = list(CloudTrailParser().parse(path, SOURCE))
    return [row for chunk in chunks for row in chunk.table.to_pylist()], [r for chunk in chunks for r in chunk.rejects]


def _by_uid(rows: list[dict]) -> dict[str, dict]:
    return {row["event_uid"][-2:]: row for row in rows}


def test_registry_gives_the_cloudtrail_parser():
    assert parser_for("cloudtrail").name == "cloudtrail"


def test_console_login_success_with_mfa_and_failure_without():
    rows = _by_uid(_parse(SAMPLES / "cloudtrail_records.json")[0])
    success, failure = rows["01"], rows["02"]
    assert (success["event_class"], success["activity"], success["outcome"]) == ("authentication", "logon", "success")
    assert success["is_mfa"] is True
    assert success["user_name"] == "jdoe"
    assert success["user_type"] == "human"
    assert success["dst_service"] == "signin.amazonaws.com"
    assert success["action_name"] == "ConsoleLogin"
    assert success["time"] == datetime(2024, 3, 4, 14, 20, tzinfo=UTC)
    assert (failure["outcome"], failure["outcome_reason"], failure["is_mfa"]) == (
        "failure",
        "Failed authentication",
        False,
    )
    assert failure["src_ip"] == "203.0.113.44"


def test_assumed_role_session_names_the_role_and_the_person():
    row = _by_uid(_parse(SAMPLES / "cloudtrail_records.json")[0])["03"]
    assert row["user_name"] == "AWSReservedSSO_DataAnalyst_0a1b2c3d"
    assert row["user_upn"] == "kpatel@clinic.example"
    assert row["user_type"] == "unknown"
    assert row["session_id"] == "ASIAEXAMPLESESSION01"
    assert (row["event_class"], row["activity"], row["outcome"]) == ("api_activity", "read", "success")
    assert row["resource_type"] == "AWS::S3::Object"
    assert row["dst_host"] == "us-east-1"


def test_error_code_is_a_failure_with_its_message():
    row = _by_uid(_parse(SAMPLES / "cloudtrail_records.json")[0])["04"]
    assert (row["activity"], row["outcome"], row["outcome_reason"]) == (
        "delete",
        "failure",
        "AccessDenied: Access Denied",
    )


def test_service_and_root_identities():
    rows = _by_uid(_parse(SAMPLES / "cloudtrail_records.json")[0])
    service, root = rows["05"], rows["06"]
    assert (service["user_type"], service["user_name"]) == ("service", "cloudtrail.amazonaws.com")
    assert (service["src_ip"], service["src_host"]) == (None, "cloudtrail.amazonaws.com")
    assert service["activity"] == "read"  # GenerateDataKey
    assert (root["user_name"], root["user_type"], root["activity"]) == ("root", "human", "create")


def test_verbs_and_read_only_fallback():
    rows = _by_uid(_parse(SAMPLES / "cloudtrail_records.json")[0])
    assert [rows[uid]["activity"] for uid in ("07", "08", "09", "10")] == ["update", "read", "query", "other"]
    assert rows["10"]["time"] == datetime(2024, 3, 4, 14, 8, tzinfo=UTC)
    assert activity_of("ConfirmSubscription", True) == "read"
    assert activity_of("ConfirmSubscription", False) == "other"


def test_record_without_event_time_is_rejected_by_number():
    rows, rejects = _parse(SAMPLES / "cloudtrail_records.json")
    assert len(rows) == 10
    assert [(r.line, r.field, r.reason) for r in rejects] == [(11, "eventTime", "is missing")]


def test_gzip_compressed_delivery_reads_the_same(tmp_path):
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20240304T1430Z_abc.json.gz"
    path.write_bytes(gzip.compress((SAMPLES / "cloudtrail_records.json").read_bytes()))
    rows, rejects = _parse(path)
    assert [row["event_uid"] for row in rows] == [
        row["event_uid"] for row in _parse(SAMPLES / "cloudtrail_records.json")[0]
    ]
    assert len(rejects) == 1


def test_compact_one_line_records_file(tmp_path):
    records = orjson.loads((SAMPLES / "cloudtrail_records.json").read_bytes())["Records"][:2]
    path = tmp_path / "compact.json"
    path.write_bytes(orjson.dumps({"Records": records}))
    rows, rejects = _parse(path)
    assert [row["action_name"] for row in rows] == ["ConsoleLogin", "ConsoleLogin"]
    assert rejects == []


def test_an_okta_file_is_refused():
    with pytest.raises(FormatError, match="not an AWS CloudTrail log"):
        list(CloudTrailParser().parse(SAMPLES / "okta_system_log.json", SOURCE))


def test_a_syslog_file_is_refused():
    with pytest.raises(FormatError, match="expected JSON"):
        list(CloudTrailParser().parse(SAMPLES / "syslog_vpn_firewall.log", SOURCE))
