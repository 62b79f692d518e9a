"""Microsoft Entra sign-in log as exported: a JSON array, Microsoft Graph's {"value": [...]} page, or NDJSON of
signIn objects. Every sign-in is an authentication logon; status.errorCode 0 is success and any other code a
failure (Entra's "interrupted" codes such as 50074, MFA required, count as failed attempts, as the portal shows
them). Service principal and managed identity sign-ins are kept with user_type "service"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from safeguard.activity.parsers.base import Chunk, ProgressCallback, SourceConfig
from safeguard.activity.parsers.identity_common import (
    JsonFormat,
    RecordError,
    dig,
    parse_json_file,
    parse_json_records,
    required_time,
    text,
)
from safeguard.activity.schema import Activity, EventClass, Outcome, UserType

SERVICE_SIGN_INS = ("servicePrincipal", "managedIdentity")


def _is_service(record: dict[str, Any]) -> bool:
    kinds = record.get("signInEventTypes")
    if isinstance(kinds, list) and any(kind in SERVICE_SIGN_INS for kind in kinds):
        return True
    return not record.get("userPrincipalName") and bool(record.get("servicePrincipalId"))


def _outcome(record: dict[str, Any]) -> tuple[Outcome, str | None]:
    code = dig(record, "status.errorCode")
    if code is None:
        return Outcome.UNKNOWN, text(record, "status.failureReason")
    try:
        number = int(code)
    except (TypeError, ValueError):
        raise RecordError("status.errorCode", f"{code!r} is not a number") from None
    if number == 0:
        return Outcome.SUCCESS, None
    reason = text(record, "status.failureReason") or f"error {number}"
    return Outcome.FAILURE, f"{number}: {reason}" if not reason.startswith(str(number)) else reason


def _action(record: dict[str, Any], service: bool) -> str:
    if service:
        return "service principal sign-in"
    if record.get("isInteractive") is False:
        return "non-interactive sign-in"
    return "interactive sign-in"


def map_record(record: dict[str, Any], source: SourceConfig) -> dict[str, Any]:
    time = required_time(record, "createdDateTime")
    service = _is_service(record)
    outcome, reason = _outcome(record)
    upn = text(record, "userPrincipalName")
    requirement = text(record, "authenticationRequirement")
    return {
        "event_uid": text(record, "id"),
        "time": time,
        "event_class": str(EventClass.AUTHENTICATION),
        "activity": str(Activity.LOGON),
        "outcome": str(outcome),
        "outcome_reason": reason,
        "user_name": upn or text(record, "servicePrincipalName") or text(record, "userDisplayName"),
        "user_upn": upn,
        "user_type": str(UserType.SERVICE if service else UserType.HUMAN),
        "session_id": text(record, "correlationId"),
        "is_mfa": None if requirement is None else requirement == "multiFactorAuthentication",
        "src_ip": text(record, "ipAddress"),
        "src_host": text(record, "deviceDetail.displayName"),
        "src_geo_country": text(record, "location.countryOrRegion"),
        "dst_service": text(record, "appDisplayName") or text(record, "resourceDisplayName"),
        "resource_type": text(record, "resourceDisplayName"),
        "action_name": _action(record, service),
    }


def _looks_like(record: dict[str, Any]) -> bool:
    return "status" in record and any(key in record for key in ("appId", "appDisplayName", "userPrincipalName"))


ENTRA = JsonFormat(
    title="a Microsoft Entra sign-in log", wrapper_keys=("value",), looks_like=_looks_like, mapper=map_record
)


class EntraParser:
    name = "entra"
    version = "1.0"

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        return parse_json_file(path, ENTRA, source, progress)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        return parse_json_records(records, ENTRA, source)
