"""AWS CloudTrail: the delivered {"Records": [...]} files (gzip-compressed .json.gz as S3 holds them, or not) or
NDJSON of records. Console sign-ins are authentication logons; every other call is API activity whose activity
follows the verb of eventName (Delete… → delete, Create… → create, Put…/Update… → update, Get…/Describe… → read,
List…/Lookup… → query), falling back on readOnly. An errorCode makes the call a failure."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from safeguard.activity.parsers.base import Chunk, ProgressCallback, SourceConfig
from safeguard.activity.parsers.identity_common import (
    JsonFormat,
    parse_json_file,
    parse_json_records,
    required_time,
    text,
)
from safeguard.activity.schema import Activity, EventClass, Outcome, UserType

VERBS: tuple[tuple[tuple[str, ...], Activity], ...] = (
    (("Delete", "Remove", "Terminate", "Detach", "Revoke", "Disable", "Deregister", "Cancel"), Activity.DELETE),
    (("Create", "Run", "Add", "Import", "Copy", "Upload", "Register", "Allocate", "Issue"), Activity.CREATE),
    (
        ("Put", "Update", "Modify", "Set", "Attach", "Enable", "Change", "Associate", "Reset", "Tag", "Untag"),
        Activity.UPDATE,
    ),
    (("Get", "Describe", "Head", "Download", "Decrypt", "Generate"), Activity.READ),
    (("List", "Lookup", "Search", "Select", "Query", "Scan", "Filter"), Activity.QUERY),
)
USER_TYPES = {
    "Root": UserType.HUMAN,
    "IAMUser": UserType.HUMAN,
    "FederatedUser": UserType.HUMAN,
    "IdentityCenterUser": UserType.HUMAN,
    "AWSService": UserType.SERVICE,
}


def activity_of(event_name: str, read_only: Any) -> Activity:
    for prefixes, activity in VERBS:
        if event_name.startswith(prefixes):
            return activity
    if read_only is True or read_only == "true":
        return Activity.READ
    return Activity.OTHER


def _user_name(identity: dict[str, Any]) -> str | None:
    name = text(identity, "userName") or text(identity, "sessionContext.sessionIssuer.userName")
    if name:
        return name
    if identity.get("type") == "Root":
        return "root"
    return text(identity, "arn") or text(identity, "invokedBy")


def _session_upn(identity: dict[str, Any]) -> str | None:
    # An assumed-role session named after the person (Identity Center, SAML) carries their email.
    principal = text(identity, "principalId") or ""
    session_name = principal.partition(":")[2]
    return session_name if "@" in session_name else None


def _source_address(value: str | None) -> tuple[str | None, str | None]:
    """(src_ip, src_host): AWS services call from a name such as ec2.amazonaws.com, not an address."""
    if value is None:
        return None, None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None, value
    return value, None


def _first_resource_type(record: dict[str, Any]) -> str | None:
    resources = record.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], dict):
        return text(resources[0], "type")
    return None


def map_record(record: dict[str, Any], source: SourceConfig) -> dict[str, Any]:
    time = required_time(record, "eventTime")
    event_name = text(record, "eventName") or ""
    given_identity = record.get("userIdentity")
    identity: dict[str, Any] = given_identity if isinstance(given_identity, dict) else {}
    src_ip, src_host = _source_address(text(record, "sourceIPAddress"))
    error = text(record, "errorCode")
    message = text(record, "errorMessage")
    row: dict[str, Any] = {
        "event_uid": text(record, "eventID"),
        "time": time,
        "event_class": str(EventClass.API_ACTIVITY),
        "activity": str(activity_of(event_name, record.get("readOnly"))),
        "outcome": str(Outcome.FAILURE if error else Outcome.SUCCESS),
        "outcome_reason": f"{error}: {message}" if error and message else error,
        "user_name": _user_name(identity),
        "user_upn": _session_upn(identity),
        "user_type": str(USER_TYPES.get(text(identity, "type") or "", UserType.UNKNOWN)),
        "session_id": text(identity, "accessKeyId"),
        "src_ip": src_ip,
        "src_host": src_host,
        "dst_service": text(record, "eventSource"),
        "dst_host": text(record, "awsRegion"),
        "resource_type": _first_resource_type(record),
        "action_name": event_name or None,
    }
    if event_name == "ConsoleLogin":
        result = text(record, "responseElements.ConsoleLogin")
        mfa = text(record, "additionalEventData.MFAUsed")
        row["event_class"] = str(EventClass.AUTHENTICATION)
        row["activity"] = str(Activity.LOGON)
        row["outcome"] = str(
            {"Success": Outcome.SUCCESS, "Failure": Outcome.FAILURE}.get(result or "", Outcome(row["outcome"]))
        )
        row["outcome_reason"] = message if row["outcome"] == Outcome.FAILURE else None
        row["is_mfa"] = None if mfa is None else mfa == "Yes"
    return row


def _looks_like(record: dict[str, Any]) -> bool:
    return "eventSource" in record and "eventName" in record


CLOUDTRAIL = JsonFormat(
    title="an AWS CloudTrail log", wrapper_keys=("Records",), looks_like=_looks_like, mapper=map_record
)


class CloudTrailParser:
    name = "cloudtrail"
    version = "1.0"

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        return parse_json_file(path, CLOUDTRAIL, source, progress)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        return parse_json_records(records, CLOUDTRAIL, source)
