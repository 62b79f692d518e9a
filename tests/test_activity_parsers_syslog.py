"""The syslog parser on a VPN/firewall/server log: what each known message becomes, unknown messages kept, lines
that are not syslog refused, uids from the raw line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from safeguard.activity.parsers import parser_for, syslog
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.common import raw_uid
from safeguard.activity.parsers.syslog import SyslogParser

SAMPLES = Path(__file__).parent / "samples" / "activity"
SOURCE = SourceConfig(source_id=4, kind="vpn_firewall", time_zone="America/New_York")
FIELDS = ("event_class", "activity", "outcome", "user_name", "src_ip", "dst_host", "dst_service", "action_name")


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch):
    monkeypatch.setattr(syslog, "_now", lambda: datetime(2024, 3, 10, 0, 0, tzinfo=UTC))


def _parse(path: Path) -> tuple[list[dict], list]:
    chunks = list(SyslogParser().parse(path, SOURCE))
    return [row for chunk in chunks for row in chunk.table.to_pylist()], [r for chunk in chunks for r in chunk.rejects]


def test_registry_gives_the_syslog_parser():
    assert parser_for("syslog").name == "syslog"


def test_every_known_message_is_mapped():
    rows, _ = _parse(SAMPLES / "syslog_vpn_firewall.log")
    got = [tuple(row[name] for name in FIELDS) for row in rows]
    assert got == [
        ("authentication", "logon", "success", "jdoe", None, "asa-edge01", "Cisco ASA", "%ASA-6-113004"),
        (
            "network_session",
            "session_start",
            "success",
            "jdoe",
            "198.51.100.23",
            "asa-edge01",
            "Cisco ASA",
            "%ASA-4-722051",
        ),
        ("authentication", "logon", "failure", "mroe", "203.0.113.44", "asa-edge01", "Cisco ASA", "%ASA-6-113005"),
        (
            "network_session",
            "session_start",
            "success",
            "kpatel",
            "198.51.100.61",
            "asa-edge01",
            "Cisco ASA",
            "%ASA-6-716001",
        ),
        (
            "network_session",
            "session_end",
            "success",
            "kpatel",
            "198.51.100.61",
            "asa-edge01",
            "Cisco ASA",
            "%ASA-6-716002",
        ),
        (
            "network_session",
            "session_end",
            "success",
            "jdoe",
            "198.51.100.23",
            "asa-edge01",
            "Cisco ASA",
            "%ASA-5-722037",
        ),
        ("authentication", "logon", "success", "netadmin", "10.20.1.9", "asa-edge01", "Cisco ASA", "%ASA-6-605005"),
        ("authentication", "logon", "failure", "admin", "203.0.113.80", "asa-edge01", "Cisco ASA", "%ASA-6-605004"),
        ("network_session", "other", "unknown", None, None, "asa-edge01", "%ASA-6-302013", "%ASA-6-302013"),
        (
            "authentication",
            "logon",
            "success",
            "alice.nguyen",
            "203.0.113.7",
            "vpn-gw2",
            "OpenVPN",
            "Peer Connection Initiated",
        ),
        ("authentication", "logon", "failure", "bob.k", "203.0.113.9", "vpn-gw2", "OpenVPN", "AUTH_FAILED"),
        (
            "network_session",
            "session_end",
            "success",
            "alice.nguyen",
            "203.0.113.7",
            "vpn-gw2",
            "OpenVPN",
            "client-instance exiting",
        ),
        ("authentication", "logon", "success", "dbadmin", "10.20.1.15", "ehr-db01", "sshd", "accepted publickey"),
        ("authentication", "logon", "failure", "oracle", "203.0.113.200", "ehr-db01", "sshd", "failed password"),
        ("authentication", "logon", "failure", "dbadmin", "203.0.113.200", "ehr-db01", "sshd", "failed password"),
        ("authentication", "logoff", "success", "dbadmin", None, "ehr-db01", "sshd", "session closed"),
        ("network_session", "other", "unknown", None, None, "ehr-db01", "CRON", "CRON"),
    ]


def test_reasons_for_failures_and_session_ends():
    rows, _ = _parse(SAMPLES / "syslog_vpn_firewall.log")
    reasons = {row["action_name"]: row["outcome_reason"] for row in rows if row["outcome_reason"]}
    assert reasons == {
        "%ASA-6-113005": "AAA failure",
        "%ASA-6-716002": "User Requested",
        "%ASA-5-722037": "DPD failure",
        "%ASA-6-605004": "management login (ssh) denied",
        "AUTH_FAILED": "AUTH_FAILED",
        "failed password": "wrong password",  # the last of the two: dbadmin's
    }
    assert [row["outcome_reason"] for row in rows if row["user_name"] == "oracle"] == ["invalid user"]


def test_times_are_read_in_the_source_zone_in_the_inferred_year():
    rows, _ = _parse(SAMPLES / "syslog_vpn_firewall.log")
    assert rows[0]["time"] == datetime(2024, 3, 4, 13, 15, 2, tzinfo=UTC)  # 08:15:02 EST
    assert rows[-1]["time"] == datetime(2024, 3, 4, 18, 0, 1, tzinfo=UTC)


def test_a_line_that_is_not_syslog_is_rejected_and_the_rest_kept():
    rows, rejects = _parse(SAMPLES / "syslog_vpn_firewall.log")
    assert len(rows) == 17
    assert [(r.line, r.field, r.reason, r.raw) for r in rejects] == [
        (17, "", "not a syslog message: expected <PRI> or a timestamp", "-- MARK --")
    ]


def test_uid_is_the_hash_of_the_raw_line_and_offset_its_number():
    rows, _ = _parse(SAMPLES / "syslog_vpn_firewall.log")
    first_line = (SAMPLES / "syslog_vpn_firewall.log").read_text().splitlines()[0]
    assert rows[0]["raw"] == first_line
    assert rows[0]["event_uid"] == raw_uid(first_line)
    assert rows[0]["raw_offset"] == 1
    assert rows[-1]["raw_offset"] == 18


def test_rfc5424_file_with_structured_data_nil_app_and_bad_lines():
    rows, rejects = _parse(SAMPLES / "syslog_rfc5424.log")
    assert [(row["time"], row["user_name"], row["outcome"]) for row in rows] == [
        (datetime(2024, 3, 4, 13, 20, 1, 3000, tzinfo=UTC), "nurse.ray", "failure"),
        (datetime(2024, 3, 4, 13, 20, 5, tzinfo=UTC), "jdoe", "success"),
        (datetime(2024, 3, 4, 13, 21, tzinfo=UTC), None, "unknown"),
    ]
    assert rows[0]["dst_host"] == "fw-core01.clinic.example"
    assert rows[1]["dst_service"] == "Cisco ASA"
    assert rows[2]["action_name"] == "billing-sync"
    assert [(r.line, r.field) for r in rejects] == [(4, "timestamp"), (5, "timestamp"), (6, "structured_data")]
    assert "NILVALUE" in rejects[0].reason
    assert "has no time zone" in rejects[1].reason
    assert "not closed" in rejects[2].reason


def test_listener_records_are_parsed_like_lines():
    chunk = SyslogParser().parse_records(
        [b"<38>Mar  9 23:59:00 ehr-db01 sshd[1]: Accepted password for jdoe from 10.1.1.1 port 2 ssh2\n", "nonsense"],
        SOURCE,
    )
    rows = chunk.table.to_pylist()
    assert [(row["user_name"], row["time"]) for row in rows] == [("jdoe", datetime(2024, 3, 10, 4, 59, tzinfo=UTC))]
    assert [(r.line, r.field) for r in chunk.rejects] == [(2, "")]
    assert chunk.lines == 2


def test_a_json_file_is_refused():
    with pytest.raises(FormatError, match="not a syslog file"):
        list(SyslogParser().parse(SAMPLES / "okta_system_log.json", SOURCE))


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(FormatError, match="Mars/Olympus"):
        SyslogParser().parse_records(["x"], SourceConfig(source_id=4, kind="vpn_firewall", time_zone="Mars/Olympus"))
