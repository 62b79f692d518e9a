"""How one FHIR AuditEvent (R4 or R5, as a decoded dict) becomes a normalized event.

R4 and R5 are read through the union of their elements (R5 renamed rather than reused them), so one mapping
serves both; fhir_fast.py states the same mapping in SQL and the two must stay in step (a test compares them).

| Event field        | R4                                                | R5                                      |
|--------------------|---------------------------------------------------|-----------------------------------------|
| event_uid          | id, else sha256 of the raw line                   | same                                    |
| time               | recorded                                          | occurredDateTime, else recorded         |
| event_class        | authentication: type DCM 110114 (User Authentication); record_access: a patient is |
|                    | named, or break-glass; api_activity otherwise                                                |
| activity           | break_glass: DCM 110127 (Emergency Override Started), or 110113 (Security Alert) with  |
|                    | purpose ETREAT; logon/logoff: 110114 with subtype 110122 Login / 110123 Logout (else       |
|                    | other); export: DCM 110106 Export; then action C create, U update, D delete, R read or   |
|                    | query (a search subtype, or an entity carries a query); E or none: the REST subtype     |
|                    | (read, vread, search…, create, update, patch, delete), else other                        |
| outcome            | outcome 0 success; 4, 8, 12 failure; none unknown | outcome.code.code, same codes            |
| outcome_reason     | outcomeDesc                                       | outcome.detail[0].text                  |
| user_name          | requestor agent (else the first): who.identifier.value, who.display, altId, name,   |
|                    | who.reference — the first present                                                         |
| src_ip / src_host  | the requestor's network.address (type 1 = machine name → src_host), else the agent  |
|                    | typed DCM 110153 Source; R5 networkString → src_ip                                      |
| dst_service        | source.observer.display, else its identifier.value                                    |
| patient_id         | the patient entity (role 1 Patient, type 1 Person, or what → Patient/…): the id in the |
|                    | reference, else what.identifier.value (its system → patient_id_system); R5 `patient`  |
|                    | first                                                                                    |
| resource_type      | the first entity's what.reference type (Patient, Observation…)                       |
| record_count       | the number of patient entities, at least 1                                            |
| purpose_of_use     | purposeOfEvent[].coding[].code (first)            | authorization[].coding[].code (first)  |
| action_name        | the first subtype code, else the type code        | code.coding, else category codes        |
"""

from __future__ import annotations

import re
from typing import Any

from safeguard.activity.parsers.common import TimeError, parse_time, raw_uid
from safeguard.activity.schema import Activity, EventClass, Outcome

ACTIONS = ("C", "R", "U", "D", "E")
OUTCOMES = {"0": Outcome.SUCCESS, "4": Outcome.FAILURE, "8": Outcome.FAILURE, "12": Outcome.FAILURE}
USER_AUTHENTICATION = "110114"
LOGIN = "110122"
LOGOUT = "110123"
SECURITY_ALERT = "110113"
EMERGENCY_OVERRIDE_STARTED = "110127"
EXPORT = "110106"
SOURCE_ROLE = "110153"
EMERGENCY_TREATMENT = "ETREAT"
SEARCH_SUBTYPES = ("search", "search-type", "search-system", "search-compartment")
REST_ACTIVITIES = {
    "read": Activity.READ,
    "vread": Activity.READ,
    "search": Activity.QUERY,
    "search-type": Activity.QUERY,
    "search-system": Activity.QUERY,
    "search-compartment": Activity.QUERY,
    "create": Activity.CREATE,
    "update": Activity.UPDATE,
    "patch": Activity.UPDATE,
    "delete": Activity.DELETE,
}
ACTION_ACTIVITIES = {"C": Activity.CREATE, "U": Activity.UPDATE, "D": Activity.DELETE}
# FHIR `instant`: seconds and a zone are required; more than microseconds cannot be stored.
# Fields in their ranges, as Python reads them (DuckDB alone would take hour 24 as the next midnight, and year 0).
INSTANT = (
    r"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
PATIENT_REFERENCE = r"Patient/([^/]+)"
REFERENCE_TYPE = r"([A-Za-z]+)/[^/]+(/_history/[^/]+)?$"
R5_ONLY = ("code", "category", "patient", "authorization", "occurredDateTime", "occurredPeriod")

_instant = re.compile(INSTANT)
_zone = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})$")
_patient_reference = re.compile(PATIENT_REFERENCE)
_reference_type = re.compile(REFERENCE_TYPE)


def is_r5(record: dict[str, Any]) -> bool:
    return any(record.get(key) is not None for key in R5_ONLY) or isinstance(record.get("outcome"), dict)


def outcome_code(record: dict[str, Any]) -> str | None:
    outcome = record.get("outcome")
    if isinstance(outcome, dict):
        return _get(outcome, "code", "code")
    return outcome if outcome is None else str(outcome)


def check_codes(record: dict[str, Any]) -> tuple[str, str] | None:
    """The first thing that makes a record unreadable whatever the model says, as (field, reason)."""
    if record.get("resourceType") != "AuditEvent":
        return "resourceType", f"is {record.get('resourceType')!r}, not 'AuditEvent'"
    action = record.get("action")
    if action is not None and action not in ACTIONS:
        return "action", f"unknown code {action!r} (expected C, R, U, D or E)"
    outcome = outcome_code(record)
    if outcome is not None and outcome not in OUTCOMES:
        return "outcome", f"unknown code {outcome!r} (expected 0, 4, 8 or 12)"
    if record.get("recorded") is None:
        return "recorded", "is missing"
    for name in ("occurredDateTime", "recorded"):
        value = record.get(name)
        if value is None:
            continue
        if not (isinstance(value, str) and _instant.fullmatch(value)):
            unzoned = isinstance(value, str) and "T" in value and not _zone.search(value)
            return name, f"{value!r} {'has no time zone' if unzoned else 'is not a FHIR instant'}"
        try:
            parse_time(value)
        except TimeError as error:  # a valid instant can still fall outside Python's years once in UTC
            return name, str(error)
    return None


def event_row(record: dict[str, Any], raw: str, line: int) -> dict[str, Any]:
    """The normalized event of a record that passed check_codes and validation."""
    type_codes = _codes([record.get("type")]) + _concept_codes(record.get("category"))
    sub_codes = _codes(record.get("subtype")) + _concept_codes([record.get("code")])
    all_codes = type_codes + sub_codes
    purposes = _concept_codes(record.get("purposeOfEvent")) + _concept_codes(record.get("authorization"))
    entities = [entity for entity in record.get("entity") or [] if isinstance(entity, dict)]
    patient_entities = [entity for entity in entities if _is_patient_entity(entity)]
    patient_id, patient_system = _patient(record.get("patient"), patient_entities)
    activity = _activity(record, all_codes, sub_codes, purposes, entities)
    agent = _requestor(record.get("agent"))
    src_ip, src_host = _network(agent, record.get("agent"))
    outcome = outcome_code(record)
    time_value = _first(record.get("occurredDateTime"), record["recorded"])
    return {
        "event_uid": record.get("id") if record.get("id") is not None else raw_uid(raw),
        "time": parse_time(time_value),
        "event_class": _event_class(activity, all_codes, patient_id),
        "activity": activity,
        "outcome": OUTCOMES[outcome] if outcome is not None else Outcome.UNKNOWN,
        "outcome_reason": _first(record.get("outcomeDesc"), _outcome_detail(record.get("outcome"))),
        "user_name": _user_name(agent),
        "src_ip": src_ip,
        "src_host": src_host,
        "dst_service": _first(_get(record, "source", "observer", "display"), _observer_identifier(record)),
        "patient_id": patient_id,
        "patient_id_system": patient_system,
        "resource_type": _resource_type(entities),
        "record_count": max(1, len(patient_entities)),
        "purpose_of_use": purposes[0] if purposes else None,
        "action_name": _first(*sub_codes, *type_codes),
        "raw": raw,
        "raw_offset": line,
    }


def _activity(
    record: dict[str, Any], codes: list[str], sub_codes: list[str], purposes: list[str], entities: list[dict]
) -> Activity:
    if EMERGENCY_OVERRIDE_STARTED in codes or (SECURITY_ALERT in codes and EMERGENCY_TREATMENT in purposes):
        return Activity.BREAK_GLASS
    if USER_AUTHENTICATION in codes:
        return Activity.LOGON if LOGIN in codes else Activity.LOGOFF if LOGOUT in codes else Activity.OTHER
    if EXPORT in codes:
        return Activity.EXPORT
    action = record.get("action")
    if action in ACTION_ACTIVITIES:
        return ACTION_ACTIVITIES[action]
    if action == "R":
        searched = any(code in SEARCH_SUBTYPES for code in sub_codes)
        return (
            Activity.QUERY if searched or any(entity.get("query") is not None for entity in entities) else Activity.READ
        )
    rest = [REST_ACTIVITIES[code] for code in sub_codes if code in REST_ACTIVITIES]
    return rest[0] if rest else Activity.OTHER


def _event_class(activity: Activity, codes: list[str], patient_id: str | None) -> EventClass:
    if USER_AUTHENTICATION in codes:
        return EventClass.AUTHENTICATION
    if patient_id is not None or activity == Activity.BREAK_GLASS:
        return EventClass.RECORD_ACCESS
    return EventClass.API_ACTIVITY


def _is_patient_entity(entity: dict[str, Any]) -> bool:
    reference = _get(entity, "what", "reference")
    return (
        _get(entity, "role", "code") == "1"
        or "1" in _concept_codes([entity.get("role")])
        or _get(entity, "type", "code") == "1"
        or (isinstance(reference, str) and _patient_reference.search(reference) is not None)
    )


def _patient(patient: Any, entities: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    reference = _get(patient, "reference") if isinstance(patient, dict) else None
    identifier = _get(patient, "identifier") if isinstance(patient, dict) else None
    if reference is None and identifier is None and entities:
        reference, identifier = _get(entities[0], "what", "reference"), _get(entities[0], "what", "identifier")
    match = _patient_reference.search(reference) if isinstance(reference, str) else None
    if match:
        return match.group(1), None
    if isinstance(identifier, dict) and identifier.get("value") is not None:
        return identifier["value"], identifier.get("system")
    return None, None


def _requestor(agents: Any) -> dict[str, Any]:
    agents = [agent for agent in agents or [] if isinstance(agent, dict)]
    requestors = [agent for agent in agents if agent.get("requestor") is True]
    return requestors[0] if requestors else agents[0] if agents else {}


def _network(agent: dict[str, Any], agents: Any) -> tuple[str | None, str | None]:
    address, kind = _get(agent, "network", "address"), _get(agent, "network", "type")
    if address is None and agent.get("networkString") is not None:
        return agent["networkString"], None
    if address is None:
        sources = [
            other
            for other in agents or []
            if isinstance(other, dict) and SOURCE_ROLE in _concept_codes([other.get("type")])
        ]
        if sources:
            address = _first(_get(sources[0], "network", "address"), sources[0].get("networkString"))
            kind = _get(sources[0], "network", "type")
    if address is None:
        return None, None
    return (None, address) if kind == "1" else (address, None)


def _user_name(agent: dict[str, Any]) -> str | None:
    return _first(
        _get(agent, "who", "identifier", "value"),
        _get(agent, "who", "display"),
        agent.get("altId"),
        agent.get("name"),
        _get(agent, "who", "reference"),
    )


def _observer_identifier(record: dict[str, Any]) -> str | None:
    return _get(record, "source", "observer", "identifier", "value")


def _outcome_detail(outcome: Any) -> str | None:
    details = outcome.get("detail") if isinstance(outcome, dict) else None
    return _get(details[0], "text") if isinstance(details, list) and details else None


def _resource_type(entities: list[dict[str, Any]]) -> str | None:
    reference = _get(entities[0], "what", "reference") if entities else None
    match = _reference_type.search(reference) if isinstance(reference, str) else None
    return match.group(1) if match else None


def _codes(codings: Any) -> list[str]:
    return [coding["code"] for coding in codings or [] if isinstance(coding, dict) and coding.get("code") is not None]


def _concept_codes(concepts: Any) -> list[str]:
    return [code for concept in concepts or [] if isinstance(concept, dict) for code in _codes(concept.get("coding"))]


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)
