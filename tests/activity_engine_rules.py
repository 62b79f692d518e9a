"""The design note's Appendix A rules that the generated data exercises, twice: as Sigma for the engine and as
Python for the oracle. Thresholds follow the appendix."""

from __future__ import annotations

import ipaddress

from tests.activity_oracle import OracleRule

HEADER = "logsource: {{product: hipaa_platform, category: {category}}}\n"


def detection(name: str, category: str, selection: str, condition: str = "selection", extra: str = "") -> str:
    return (
        f"title: {name}\nname: {name}\n"
        + HEADER.format(category=category)
        + f"detection:\n  selection: {selection}\n{extra}  condition: {condition}\n"
    )


def correlation(name: str, kind: str, rules: list[str], group: list[str], timespan: str, condition: str) -> str:
    return (
        f"title: {name}\nname: {name}\ncorrelation:\n  type: {kind}\n  rules: [{', '.join(rules)}]\n"
        f"  group-by: [{', '.join(group)}]\n  timespan: {timespan}\n  condition: {condition}\nlevel: high\n"
    )


SIGMA: dict[str, str] = {
    "auth_failure": detection("auth_failure", "authentication", "{activity: logon, outcome: failure}"),
    "auth_success": detection("auth_success", "authentication", "{activity: logon, outcome: success}"),
    "ehr_read": detection("ehr_read", "ehr_access", "{activity: [read, query]}"),
    "ehr_export": detection("ehr_export", "ehr_access", "{activity: export}"),
    "r01_brute_force": correlation(
        "r01_brute_force", "event_count", ["auth_failure"], ["user_name"], "10m", "{gte: 5}"
    ),
    "r02_failures_per_ip": correlation(
        "r02_failures_per_ip", "event_count", ["auth_failure"], ["src_ip"], "10m", "{gte: 20}"
    ),
    "r03_spray": correlation(
        "r03_spray", "value_count", ["auth_failure"], ["src_ip"], "10m", "{gte: 10, field: user_name}"
    ),
    "r04_many_ips": correlation(
        "r04_many_ips", "value_count", ["auth_success"], ["user_name"], "1h", "{gte: 2, field: src_ip}"
    ),
    "r06_after_termination": detection(
        "r06_after_termination", "authentication", "{outcome: success, user_status_at_event: terminated}"
    ),
    "r07_success_after_failures": correlation(
        "r07_success_after_failures",
        "temporal_ordered",
        ["r01_brute_force", "auth_success"],
        ["user_name"],
        "10m",
        "null",
    ),
    "r08_break_glass_account": detection(
        "r08_break_glass_account", "authentication", "{user_account_type: break_glass}"
    ),
    "r12_many_patients": correlation(
        "r12_many_patients", "value_count", ["ehr_read"], ["user_name"], "1h", "{gte: 50, field: patient_id}"
    ),
    "r16_export_volume": correlation(
        "r16_export_volume", "value_sum", ["ehr_export"], ["user_name"], "24h", "{gte: 20, field: record_count}"
    ),
    "r17_vip": detection("r17_vip", "ehr_access", "{patient_vip: true}") + "group-by: [user_name, patient_id]\n",
    "r18_own_record": detection("r18_own_record", "ehr_access", "{user_own_patient: true}"),
    "r19_same_surname": detection("r19_same_surname", "ehr_access", "{user_last_name|fieldref: patient_last_name}"),
    "r22_after_hours": detection("r22_after_hours", "ehr_access", "{user_in_shift: false}"),
    "r29_break_glass_action": detection("r29_break_glass_action", "ehr_access", "{activity: break_glass}"),
    "r30_outside_network": detection(
        "r30_outside_network", "authentication", "{src_ip|cidr: 10.0.0.0/8}", condition="not selection"
    ),
    "r07b_failure_then_success": correlation(
        "r07b_failure_then_success", "temporal_ordered", ["auth_failure", "auth_success"], ["user_name"], "1h", "null"
    ),
    "c_two_failures": correlation("c_two_failures", "event_count", ["auth_failure"], ["user_name"], "1h", "{gte: 2}"),
    "r07c_chain": correlation(
        "r07c_chain", "temporal_ordered", ["c_two_failures", "auth_success"], ["user_name"], "2h", "null"
    ),
    "t_fail_and_success": correlation(
        "t_fail_and_success", "temporal", ["auth_failure", "auth_success"], ["user_name"], "10m", "null"
    ),
}
BUILDING_BLOCKS = ("auth_failure", "auth_success", "ehr_read", "ehr_export")
TEN_EIGHT = ipaddress.ip_network("10.0.0.0/8")


def _auth(event: dict, outcome: str) -> bool:
    return event["event_class"] == "authentication" and event["activity"] == "logon" and event["outcome"] == outcome


def _ehr(event: dict) -> bool:
    return event["event_class"] == "record_access"


ORACLE = [
    OracleRule("auth_failure", "detection", lambda e: _auth(e, "failure")),
    OracleRule("auth_success", "detection", lambda e: _auth(e, "success")),
    OracleRule("ehr_read", "detection", lambda e: _ehr(e) and e["activity"] in ("read", "query")),
    OracleRule("ehr_export", "detection", lambda e: _ehr(e) and e["activity"] == "export"),
    OracleRule("r01_brute_force", "event_count", rules=["auth_failure"], timespan=600, conditions=[("gte", 5)]),
    OracleRule(
        "r02_failures_per_ip",
        "event_count",
        rules=["auth_failure"],
        group_by=["src_ip"],
        timespan=600,
        conditions=[("gte", 20)],
    ),
    OracleRule(
        "r03_spray",
        "value_count",
        rules=["auth_failure"],
        group_by=["src_ip"],
        timespan=600,
        conditions=[("gte", 10)],
        field="user_name",
    ),
    OracleRule(
        "r04_many_ips", "value_count", rules=["auth_success"], timespan=3600, conditions=[("gte", 2)], field="src_ip"
    ),
    OracleRule(
        "r06_after_termination",
        "detection",
        lambda e: (
            e["event_class"] == "authentication"
            and e["outcome"] == "success"
            and e["user_status_at_event"] == "terminated"
        ),
    ),
    OracleRule(
        "r07_success_after_failures", "temporal_ordered", rules=["r01_brute_force", "auth_success"], timespan=600
    ),
    OracleRule(
        "r08_break_glass_account",
        "detection",
        lambda e: e["event_class"] == "authentication" and e["user_account_type"] == "break_glass",
    ),
    OracleRule(
        "r12_many_patients",
        "value_count",
        rules=["ehr_read"],
        timespan=3600,
        conditions=[("gte", 50)],
        field="patient_id",
    ),
    OracleRule(
        "r16_export_volume",
        "value_sum",
        rules=["ehr_export"],
        timespan=86400,
        conditions=[("gte", 20)],
        field="record_count",
    ),
    OracleRule("r17_vip", "detection", lambda e: _ehr(e) and e["patient_vip"], group_by=["user_name", "patient_id"]),
    OracleRule("r18_own_record", "detection", lambda e: _ehr(e) and e["user_own_patient"]),
    OracleRule(
        "r19_same_surname",
        "detection",
        lambda e: _ehr(e) and e["user_last_name"] is not None and e["user_last_name"] == e["patient_last_name"],
    ),
    OracleRule("r22_after_hours", "detection", lambda e: _ehr(e) and e["user_in_shift"] is False),
    OracleRule("r29_break_glass_action", "detection", lambda e: _ehr(e) and e["activity"] == "break_glass"),
    OracleRule(
        "r30_outside_network",
        "detection",
        lambda e: (
            e["event_class"] == "authentication"
            and not (e.get("src_ip") and ipaddress.ip_address(e["src_ip"]) in TEN_EIGHT)
        ),
    ),
    OracleRule("r07b_failure_then_success", "temporal_ordered", rules=["auth_failure", "auth_success"], timespan=3600),
    OracleRule("c_two_failures", "event_count", rules=["auth_failure"], timespan=3600, conditions=[("gte", 2)]),
    OracleRule("r07c_chain", "temporal_ordered", rules=["c_two_failures", "auth_success"], timespan=7200),
    OracleRule("t_fail_and_success", "temporal", rules=["auth_failure", "auth_success"], timespan=600),
]
