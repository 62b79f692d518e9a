"""The Okta System Log parser: event types, outcomes, identities and bad records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.okta import OktaParser, classify

SAMPLES = Path(__file__).parent / "samples" / "activity"
SOURCE = SourceConfig(source_id=1, kind="identity", time_zone="America/New_York")


def _parse(path: Path) -> tuple[list[dict], list]:
    chunks = list(OktaParser().parse(path, SOURCE))
    rows = [row for chunk in chunks for row in chunk.table.to_pylist()]
    return rows, [reject for chunk in chunks for reject in chunk.rejects]


def test_registry_gives_the_okta_parser():
    parser = parser_for("okta")
    assert (parser.name, parser.version) == ("okta", "1.0")


def test_session_start_maps_identity_client_and_session():
    rows, rejects = _parse(SAMPLES / "okta_system_log.json")
    assert rejects == []
    first = rows[0]
    assert first["event_uid"] == "4b1e2f6a-0c3d-11ef-9a61-3f0f2b7c1a01"
    assert first["time"] == datetime(2024, 3, 4, 14, 2, 11, 412000, tzinfo=UTC)
    assert (first["event_class"], first["activity"], first["outcome"]) == ("authentication", "logon", "success")
    assert first["user_name"] == first["user_upn"] == "jdoe@clinic.example"
    assert first["user_type"] == "human"
    assert first["src_ip"] == "198.51.100.23"
    assert first["src_geo_country"] == "United States"
    assert first["session_id"] == "102aBcDeFgHiJkLmNoPqRsTu"
    assert first["dst_service"] == "Okta"
    assert first["action_name"] == "user.session.start"
    assert first["raw_offset"] == 1
    assert orjson.loads(first["raw"])["uuid"] == first["event_uid"]


def test_every_event_type_is_classified_and_none_dropped():
    rows, _ = _parse(SAMPLES / "okta_system_log.json")
    assert [(row["action_name"], row["event_class"], row["activity"], row["outcome"]) for row in rows] == [
        ("user.session.start", "authentication", "logon", "success"),
        ("user.authentication.auth_via_mfa", "authentication", "mfa", "success"),
        ("user.authentication.sso", "authentication", "logon", "success"),
        ("user.session.start", "authentication", "logon", "failure"),
        ("policy.evaluate_sign_on", "authentication", "other", "failure"),
        ("user.account.lock", "account_change", "update", "success"),
        ("user.mfa.factor.reset_all", "account_change", "delete", "success"),
        ("user.authentication.auth_via_radius", "authentication", "other", "unknown"),
        ("user.lifecycle.suspend_pending", "account_change", "other", "success"),
        ("application.user_membership.add", "api_activity", "other", "success"),
        ("user.session.end", "authentication", "logoff", "success"),
    ]


def test_mfa_sso_app_failure_reason_and_client_app_actor():
    rows, _ = _parse(SAMPLES / "okta_system_log.json")
    assert rows[1]["is_mfa"] is True
    assert rows[0]["is_mfa"] is None
    assert rows[2]["dst_service"] == "Epic Hyperspace"
    assert rows[3]["outcome_reason"] == "INVALID_CREDENTIALS"
    assert rows[3]["src_geo_country"] == "Netherlands"
    assert rows[9]["user_type"] == "service"
    assert rows[9]["user_name"] == "scim-connector"
    assert rows[9]["user_upn"] is None


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("user.session.access_admin_app", ("authentication", "other")),
        ("user.account.update_profile", ("account_change", "other")),
        ("system.api_token.create", ("api_activity", "other")),
        ("user.mfa.factor.activate", ("account_change", "create")),
    ],
)
def test_unknown_event_types_fall_back_by_prefix(event_type, expected):
    assert tuple(str(part) for part in classify(event_type)) == expected


def test_bad_ndjson_lines_are_rejected_by_number_and_field_the_good_kept():
    rows, rejects = _parse(SAMPLES / "okta_system_log_bad.ndjson")
    assert [row["event_uid"] for row in rows] == [
        "7c00aa01-1111-4a2b-8c3d-000000000001",
        "7c00aa01-1111-4a2b-8c3d-000000000005",
    ]
    assert rows[1]["raw_offset"] == 6  # the blank line 5 counts as a line, not a record
    assert [(reject.line, reject.field) for reject in rejects] == [(2, "published"), (3, "published"), (4, "")]
    assert "has no time zone" in rejects[0].reason
    assert rejects[1].reason == "is missing"
    assert rejects[2].reason.startswith("not valid JSON")
    assert rejects[2].raw.startswith('{"uuid":"7c00aa01-1111-4a2b-8c3d-000000000004"')


def test_parse_records_reads_dicts_and_json_text(tmp_path):
    record = {
        "uuid": "u-1",
        "published": "2024-03-05T10:00:00+02:00",
        "eventType": "user.session.start",
        "actor": {"type": "User", "alternateId": "jdoe@clinic.example"},
        "outcome": {"result": "DENY"},
    }
    chunk = OktaParser().parse_records([record, orjson.dumps(record).decode(), "[1]"], SOURCE)
    rows = chunk.table.to_pylist()
    assert [row["time"] for row in rows] == [datetime(2024, 3, 5, 8, 0, tzinfo=UTC)] * 2
    assert [row["outcome"] for row in rows] == ["failure", "failure"]
    assert [(reject.line, reject.reason) for reject in chunk.rejects] == [(3, "expected a JSON object, found list")]
    assert chunk.lines == 3


def test_a_cloudtrail_file_is_refused_before_anything_is_read():
    with pytest.raises(FormatError, match="not an Okta System Log"):
        list(OktaParser().parse(SAMPLES / "cloudtrail_records.json", SOURCE))


def test_a_csv_file_is_refused(tmp_path):
    path = tmp_path / "access.csv"
    path.write_text("ACCESS_TIME,USER_ID,PAT_ID\n2024-03-04 10:00,jdoe,123\n")
    with pytest.raises(FormatError, match="expected JSON"):
        list(OktaParser().parse(path, SOURCE))
