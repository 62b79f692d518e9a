"""Okta System Log: the /api/v1/logs page (a JSON array of LogEvent objects) or NDJSON of them.

Event types map to a class and activity below; an event type not listed is kept, never dropped: sign-in and
session events as authentication, account and lifecycle events as account changes, anything else as API
activity, each with activity "other" and the event type as action_name. policy.evaluate_sign_on is kept as an
authentication event with activity "other", not as a logon: Okta logs the sign-in itself as user.session.start,
and counting the policy check too would double every logon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from safeguard.activity.parsers.base import Chunk, ProgressCallback, SourceConfig
from safeguard.activity.parsers.identity_common import (
    JsonFormat,
    dig,
    parse_json_file,
    parse_json_records,
    required_time,
    text,
)
from safeguard.activity.schema import Activity, EventClass, Outcome, UserType

AUTH = EventClass.AUTHENTICATION
CHANGE = EventClass.ACCOUNT_CHANGE

EVENT_TYPES: dict[str, tuple[EventClass, Activity]] = {
    "user.session.start": (AUTH, Activity.LOGON),
    "user.session.end": (AUTH, Activity.LOGOFF),
    "user.authentication.sso": (AUTH, Activity.LOGON),
    "user.authentication.verify": (AUTH, Activity.LOGON),
    "user.authentication.authenticate": (AUTH, Activity.LOGON),
    "user.authentication.auth_via_IDP": (AUTH, Activity.LOGON),
    "user.authentication.auth_via_social": (AUTH, Activity.LOGON),
    "user.authentication.auth_via_mfa": (AUTH, Activity.MFA),
    "user.mfa.okta_verify.deny_push": (AUTH, Activity.MFA),
    "user.mfa.attempt_bypass": (AUTH, Activity.MFA),
    "policy.evaluate_sign_on": (AUTH, Activity.OTHER),
    "user.mfa.factor.activate": (CHANGE, Activity.CREATE),
    "user.mfa.factor.deactivate": (CHANGE, Activity.DELETE),
    "user.mfa.factor.reset_all": (CHANGE, Activity.DELETE),
    "user.mfa.factor.update": (CHANGE, Activity.UPDATE),
    "user.mfa.factor.suspend": (CHANGE, Activity.UPDATE),
    "user.account.lock": (CHANGE, Activity.UPDATE),
    "user.account.unlock": (CHANGE, Activity.UPDATE),
    "user.account.update_password": (CHANGE, Activity.UPDATE),
    "user.account.reset_password": (CHANGE, Activity.UPDATE),
    "user.account.privilege.grant": (CHANGE, Activity.UPDATE),
    "user.account.privilege.revoke": (CHANGE, Activity.UPDATE),
    "user.lifecycle.create": (CHANGE, Activity.CREATE),
    "user.lifecycle.activate": (CHANGE, Activity.UPDATE),
    "user.lifecycle.reactivate": (CHANGE, Activity.UPDATE),
    "user.lifecycle.suspend": (CHANGE, Activity.UPDATE),
    "user.lifecycle.unsuspend": (CHANGE, Activity.UPDATE),
    "user.lifecycle.deactivate": (CHANGE, Activity.DELETE),
    "user.lifecycle.delete.initiated": (CHANGE, Activity.DELETE),
}

OUTCOMES = {
    "SUCCESS": Outcome.SUCCESS,
    "ALLOW": Outcome.SUCCESS,
    "FAILURE": Outcome.FAILURE,
    "DENY": Outcome.FAILURE,
}  # SKIPPED, CHALLENGE and UNKNOWN decide nothing yet: unknown

ACTOR_TYPES = {"User": UserType.HUMAN, "PublicClientApp": UserType.SERVICE, "SystemPrincipal": UserType.SYSTEM}


def classify(event_type: str) -> tuple[EventClass, Activity]:
    known = EVENT_TYPES.get(event_type)
    if known is not None:
        return known
    if event_type.startswith(("user.authentication.", "user.session.")):
        return AUTH, Activity.OTHER
    if event_type.startswith(("user.account.", "user.lifecycle.")):
        return CHANGE, Activity.OTHER
    return EventClass.API_ACTIVITY, Activity.OTHER


def _target_app(record: dict[str, Any]) -> str | None:
    targets = record.get("target")
    if isinstance(targets, list):
        for target in targets:
            if isinstance(target, dict) and target.get("type") == "AppInstance":
                return text(target, "displayName")
    return None


def map_record(record: dict[str, Any], source: SourceConfig) -> dict[str, Any]:
    time = required_time(record, "published")
    event_type = text(record, "eventType") or ""
    event_class, activity = classify(event_type)
    login = text(record, "actor.alternateId")
    result = (text(record, "outcome.result") or "").upper()
    is_mfa = True if event_type == "user.authentication.auth_via_mfa" else None
    return {
        "event_uid": text(record, "uuid"),
        "time": time,
        "event_class": str(event_class),
        "activity": str(activity),
        "outcome": str(OUTCOMES.get(result, Outcome.UNKNOWN)),
        "outcome_reason": text(record, "outcome.reason"),
        "user_name": login,
        "user_upn": login if login and "@" in login else None,
        "user_type": str(ACTOR_TYPES.get(dig(record, "actor.type") or "", UserType.UNKNOWN)),
        "session_id": text(record, "authenticationContext.externalSessionId"),
        "is_mfa": is_mfa,
        "src_ip": text(record, "client.ipAddress"),
        "src_geo_country": text(record, "client.geographicalContext.country"),
        "dst_service": _target_app(record) or "Okta",
        "action_name": event_type or None,
    }


def _looks_like(record: dict[str, Any]) -> bool:
    return "eventType" in record and ("uuid" in record or "legacyEventType" in record or "actor" in record)


OKTA = JsonFormat(title="an Okta System Log", wrapper_keys=(), looks_like=_looks_like, mapper=map_record)


class OktaParser:
    name = "okta"
    version = "1.0"

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        return parse_json_file(path, OKTA, source, progress)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        return parse_json_records(records, OKTA, source)
