"""A CSV source's mapping, checked before anything is read: which of the file's columns feeds which event field.

Keys are event field names (time, user_name, action, patient_id, outcome, src_host, src_ip, event_uid,
record_count, purpose_of_use, …) or their export-style aliases (workstation, ip, event_id, purpose); values are the
file's headers. "department" and "patient_name" may be mapped (the header must exist) but are not stored: the
roster and patient flags supply them. "actions" adds action names (see ehr_csv_actions.py) and "time_format" gives
a strptime format for times that are not ISO 8601 (e.g. "%m/%d/%Y %I:%M:%S %p").

check_mapping is the one definition: the source forms, API and service validate with it, so a saved mapping is
one the parser reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.parsers.ehr_csv_actions import DEFAULT_ACTIONS, FALLBACK
from safeguard.activity.schema import Activity

REQUIRED = ("time", "user_name", "action")
ALIASES = {"workstation": "src_host", "ip": "src_ip", "event_id": "event_uid", "purpose": "purpose_of_use"}
STORED = (
    "time", "user_name", "action", "patient_id", "patient_id_system", "outcome", "outcome_reason", "src_host",
    "src_ip", "event_uid", "record_count", "purpose_of_use", "user_upn", "session_id", "dst_service", "dst_host",
    "resource_type",
)  # fmt: skip
NOT_STORED = ("department", "patient_name")
COLUMN_FIELDS = (*STORED, *NOT_STORED)
SETTINGS = ("actions", "time_format")
KEYS = (*COLUMN_FIELDS, *ALIASES, *SETTINGS)
# Event fields a CSV row never names: they follow from the action (through the action table) or from the store.
DERIVED = ("event_class", "activity", "action_name", "user_type", "mfa", "country")
ACTIVITIES = tuple(activity.value for activity in Activity)
# A time every usable format writes and reads back unchanged: a format without the year, the day or the minute
# (or with %I but no %p) reads it back as another time. Seconds are optional: some exports write none.
SAMPLE_TIME = datetime(2024, 11, 28, 15, 7, tzinfo=UTC)


class MappingError(FormatError):
    """A mapping the parser cannot read; `key` is the mapping's key at fault ("" for the whole mapping)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def check_mapping(mapping: Any) -> dict[str, Any]:
    """The mapping as it is kept: aliases replaced by the field they name, headers trimmed, blank ones dropped,
    actions and time format checked. Raises MappingError naming the key and what is wrong with it."""
    if not isinstance(mapping, dict):
        raise MappingError("", "The mapping is an object: our field → the file's column header.")
    unknown = sorted(str(key) for key in mapping if key not in KEYS)
    if unknown:
        raise MappingError(unknown[0], _unknown_message(unknown))
    columns: dict[str, str] = {}
    given_as: dict[str, str] = {}
    for key, header in ((str(key), header) for key, header in mapping.items()):
        if key in SETTINGS:
            continue
        if not isinstance(header, str):
            raise MappingError(key, f"The column for {key} must be a header name (text), not {header!r}.")
        field = ALIASES.get(key, key)
        if field in given_as:
            raise MappingError(key, f"{given_as[field]} and {key} both name the column for {field}: keep one.")
        given_as[field] = key
        if header.strip():
            columns[field] = header.strip()
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise MappingError(
            missing[0],
            f"A CSV source needs the column for {', '.join(missing)} (required: {', '.join(REQUIRED)}).",
        )
    for header in dict.fromkeys(columns.values()):
        fields = [field for field, column in columns.items() if column == header]
        if len(fields) > 1:
            raise MappingError(fields[1], f"The column {header!r} is mapped to two fields: {', '.join(fields)}.")
    cleaned: dict[str, Any] = dict(columns)
    actions = check_actions(mapping.get("actions") or {})
    if actions:
        cleaned["actions"] = actions
    time_format = check_time_format(mapping.get("time_format") or "")
    if time_format:
        cleaned["time_format"] = time_format
    return cleaned


def check_actions(actions: Any) -> dict[str, str]:
    """The source's own action names ({name: activity}, "*" catching every name no table knows), names trimmed."""
    if not isinstance(actions, dict):
        raise MappingError("actions", "The mapping's actions must be an object {action name: activity}.")
    cleaned: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, activity in actions.items():
        text = str(name).strip()
        if not text:
            raise MappingError("actions", "An action name in actions is empty.")
        if activity not in ACTIVITIES:
            raise MappingError(
                "actions",
                f"The action {text!r} maps to {activity!r}, which is not an activity "
                f"(one of: {', '.join(ACTIVITIES)}).",
            )
        earlier = seen.setdefault(text.lower(), text)
        if cleaned.get(earlier, activity) != activity:
            raise MappingError(
                "actions", f"The actions {earlier!r} and {text!r} are one name (case is ignored) with two activities."
            )
        cleaned[text] = str(activity)
    return cleaned


def check_time_format(time_format: Any) -> str:
    """A strptime format for times that are not ISO 8601 ("" for ISO 8601), trimmed like the values it reads."""
    if not isinstance(time_format, str):
        raise MappingError("time_format", f"The time_format must be text, not {time_format!r}.")
    text = time_format.strip()
    if not text:
        return ""
    if "%" not in text:
        raise MappingError("time_format", f"The time_format {text!r} has no %-directives (e.g. %m/%d/%Y %H:%M).")
    written = SAMPLE_TIME.strftime(text)
    try:
        read = datetime.strptime(written, text)  # noqa: DTZ007 - only the wall-clock time is compared
    except ValueError as error:
        raise MappingError("time_format", f"The time_format {text!r} is not a strptime format: {error}.") from None
    if read.replace(tzinfo=None) != SAMPLE_TIME.replace(tzinfo=None):
        raise MappingError(
            "time_format",
            f"The time_format {text!r} loses part of the time ({SAMPLE_TIME:%Y-%m-%d %H:%M} is read back as "
            f"{read:%Y-%m-%d %H:%M}): it needs the year, month, day, hour and minute (%I with %p).",
        )
    return text


def _unknown_message(unknown: list[str]) -> str:
    derived = [key for key in unknown if key in DERIVED]
    hint = (
        f" {', '.join(derived)} come from the action column: map the source's action names under actions."
        if derived
        else ""
    )
    aliases = ", ".join(f"{alias} ({field})" for alias, field in ALIASES.items())
    return (
        f"The mapping has keys the CSV parser does not read: {', '.join(unknown)}.{hint} A column may feed: "
        f"{', '.join(COLUMN_FIELDS)}; aliases: {aliases}; settings: {', '.join(SETTINGS)}."
    )


@dataclass(frozen=True)
class CsvMapping:
    columns: dict[str, str]  # event field → header
    actions: dict[str, Activity]  # lower-cased action name → activity
    fallback: Activity | None
    time_format: str | None

    @classmethod
    def from_source(cls, source: SourceConfig) -> CsvMapping:
        mapping = check_mapping(dict(source.mapping))
        columns = {key: value for key, value in mapping.items() if key not in SETTINGS}
        actions = dict(DEFAULT_ACTIONS)
        fallback = None
        for name, activity in mapping.get("actions", {}).items():
            if name == FALLBACK:
                fallback = Activity(activity)
            else:
                actions[name.lower()] = Activity(activity)
        return cls(columns, actions, fallback, mapping.get("time_format") or None)

    def check_header(self, header: list[str]) -> dict[str, int]:
        """Each mapped field's column index; every mapped header must be in the file."""
        positions = {name.strip(): index for index, name in enumerate(header)}
        missing = [column for column in self.columns.values() if column.strip() not in positions]
        if missing:
            raise FormatError(
                f"The mapping needs columns {', '.join(missing)}; the file has: {', '.join(header) or 'no header'}."
            )
        return {field: positions[column.strip()] for field, column in self.columns.items() if field not in NOT_STORED}
