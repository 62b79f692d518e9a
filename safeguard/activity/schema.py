"""The normalized event: one wide row per audit-log event, named after OCSF (with a patient block OCSF lacks),
and the fields Sigma rules may use, which add what enrichment joins at evaluation time.

Parsers produce `EVENT_FIELDS` (identities as strings); the store dictionary-encodes users, patients,
workstations and IPs to integers; the engine evaluates rules over a view that adds `ENRICHED_FIELDS`.
docs/activity-schema.md documents both tables for rule authors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventClass(StrEnum):
    """OCSF classes: Authentication 3002, Datastore Activity 6005 (record access), API Activity 6003,
    Network Activity 4001 (VPN/firewall sessions), Account Change 3001."""

    AUTHENTICATION = "authentication"
    RECORD_ACCESS = "record_access"
    API_ACTIVITY = "api_activity"
    NETWORK_SESSION = "network_session"
    ACCOUNT_CHANGE = "account_change"


class Activity(StrEnum):
    LOGON = "logon"
    LOGOFF = "logoff"
    MFA = "mfa"
    READ = "read"
    QUERY = "query"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    PRINT = "print"
    EXPORT = "export"
    BREAK_GLASS = "break_glass"
    SESSION_START = "session_start"
    SESSION_END = "session_end"
    DENY = "deny"
    OTHER = "other"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class UserType(StrEnum):
    HUMAN = "human"
    SERVICE = "service"
    BREAK_GLASS = "break_glass"
    SYSTEM = "system"
    UNKNOWN = "unknown"


class UserStatus(StrEnum):
    """A user's standing on the roster at the event's time (an as-of join)."""

    ACTIVE = "active"
    BEFORE_HIRE = "before_hire"
    TERMINATED = "terminated"
    NOT_ON_ROSTER = "not_on_roster"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # DuckDB type
    description: str
    ocsf: str = ""
    required: bool = False


# What a parser emits per event. `time` is a timezone-aware datetime (parsers refuse times without a zone unless
# the source's zone applies, as for CSV exports); identities are the strings the log writes.
EVENT_FIELDS: tuple[Field, ...] = (
    Field("event_uid", "VARCHAR", "The source's event id, or a SHA-256 of the raw line.", "metadata.uid", True),
    Field("time", "TIMESTAMPTZ", "When it happened (UTC).", "time", True),
    Field("event_class", "VARCHAR", "One of EventClass.", "class_uid", True),
    Field("activity", "VARCHAR", "One of Activity.", "activity_id", True),
    Field("outcome", "VARCHAR", "One of Outcome.", "status_id", True),
    Field("outcome_reason", "VARCHAR", "Why it failed, as the source says.", "status_detail"),
    Field("user_name", "VARCHAR", "The acting user as the log names them.", "actor.user.name"),
    Field("user_upn", "VARCHAR", "Email-like login (UPN, Okta alternateId).", "actor.user.email_addr"),
    Field("user_type", "VARCHAR", "One of UserType, when the source says (service principal…).", "actor.user.type_id"),
    Field("session_id", "VARCHAR", "Session or correlation id.", "actor.session.uid"),
    Field("is_mfa", "BOOLEAN", "Multi-factor authentication was used.", "is_mfa"),
    Field("src_ip", "VARCHAR", "Client IP address.", "src_endpoint.ip"),
    Field("src_host", "VARCHAR", "Workstation or client host.", "src_endpoint.hostname"),
    Field("src_geo_country", "VARCHAR", "Client country code, when given.", "src_endpoint.location"),
    Field("dst_service", "VARCHAR", "Application, API or gateway used.", "service.name"),
    Field("dst_host", "VARCHAR", "Server or gateway host.", "dst_endpoint.hostname"),
    Field("patient_id", "VARCHAR", "The patient whose record was touched (MRN as written).", "unmapped.patient.uid"),
    Field("patient_id_system", "VARCHAR", "The id's assigning authority.", "unmapped.patient.issuer"),
    Field("resource_type", "VARCHAR", "What was touched: Patient, Observation, chart section, S3 bucket…"),
    Field("record_count", "INTEGER", "How many records an export or print covered (1 if unknown).", "unmapped"),
    Field("purpose_of_use", "VARCHAR", "TREAT, ETREAT (emergency), HPAYMT, HOPERAT…"),
    Field("action_name", "VARCHAR", "The source's own name for the action (eventType, eventName, METRIC_NAME)."),
    Field("raw", "VARCHAR", "The original line or record, for chain of custody.", "raw_data"),
    Field("raw_offset", "BIGINT", "Line (or record) number in the file or batch.", "metadata"),
)
EVENT_FIELD_NAMES = tuple(field.name for field in EVENT_FIELDS)
REQUIRED_EVENT_FIELDS = tuple(field.name for field in EVENT_FIELDS if field.required)

# Added by the store when it writes (not by parsers): which source and batch, which parser, when received, the
# facility-local hour and ISO day of week (Sigma's time modifiers are zone-naive, so rules use these instead),
# and the IPv4 address as a number for `cidr`.
STORED_FIELDS: tuple[Field, ...] = (
    Field("source_id", "INTEGER", "The log source (its id in the main database)."),
    Field("batch_id", "BIGINT", "The ingestion batch."),
    Field("parser", "VARCHAR", "Which parser read it.", "metadata.product"),
    Field("parser_version", "VARCHAR", "The parser's version.", "metadata.version"),
    Field("ingest_time", "TIMESTAMPTZ", "When Safeguard stored it.", "metadata.logged_time"),
    Field("local_hour", "TINYINT", "Hour of day, 0–23, in the facility's zone."),
    Field("local_dow", "TINYINT", "ISO day of week in the facility's zone: Monday = 1 … Sunday = 7."),
    Field("src_ip_v4", "UBIGINT", "The IPv4 client address as a number (blank for IPv6)."),
)

# What enrichment adds at evaluation time (as-of joins to the roster, account registry, patient flags and
# workstations). Rules may use these beside the event fields.
ENRICHED_FIELDS: tuple[Field, ...] = (
    Field("source_name", "VARCHAR", "The log source's name."),
    Field("source_kind", "VARCHAR", "ehr, identity, vpn_firewall, cloud or other."),
    Field("user_person_id", "INTEGER", "The roster person the user resolved to (alias, login, email, employee id)."),
    Field("user_department", "VARCHAR", "The person's department."),
    Field("user_job_role", "VARCHAR", "The person's job role."),
    Field("user_last_name", "VARCHAR", "The person's family name, lower-cased."),
    Field("user_status_at_event", "VARCHAR", "One of UserStatus, at the event's time."),
    Field("user_in_shift", "BOOLEAN", "The event falls in the person's shift (or business hours)."),
    Field("user_account_type", "VARCHAR", "From the account registry: break_glass, service, shared or human."),
    Field("user_own_patient", "BOOLEAN", "The patient is the user's own record (patient flags' employee link)."),
    Field("patient_vip", "BOOLEAN", "The patient is flagged VIP."),
    Field("patient_restricted", "BOOLEAN", "The patient's record is restricted."),
    Field("patient_last_name", "VARCHAR", "The patient's family name, lower-cased."),
    Field("workstation_site", "VARCHAR", "The workstation's site."),
    Field("workstation_department", "VARCHAR", "The workstation's department."),
)

# Group-by and `field` keys of correlation rules may also be these integer surrogates, which are faster.
SURROGATE_FIELDS: tuple[Field, ...] = (
    Field("user_id", "INTEGER", "Dictionary id of user_name (lower-cased)."),
    Field("patient_key", "INTEGER", "Dictionary id of patient_id."),
    Field("src_host_id", "INTEGER", "Dictionary id of src_host (lower-cased)."),
    Field("src_ip_id", "INTEGER", "Dictionary id of src_ip."),
)

RULE_FIELDS: dict[str, Field] = {
    field.name: field
    for field in (*EVENT_FIELDS, *STORED_FIELDS, *ENRICHED_FIELDS, *SURROGATE_FIELDS)
    if field.name not in ("raw", "raw_offset")
}

# Sigma logsource for the rule pack and anything written here.
SIGMA_PRODUCT = "hipaa_platform"
SIGMA_CATEGORIES = ("authentication", "ehr_access", "api_activity", "network_session", "account_change")
