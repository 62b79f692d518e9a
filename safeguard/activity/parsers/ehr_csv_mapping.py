"""A CSV source's mapping, checked before anything is read: which of the file's columns feeds which event field.

Keys are event field names (time, user_name, action, patient_id, outcome, src_host, src_ip, event_uid,
record_count, purpose_of_use, …) or their export-style aliases (workstation, ip, event_id, purpose); values are the
file's headers. "department" and "patient_name" may be mapped (the header must exist) but are not stored: the
roster and patient flags supply them. "actions" adds action names (see ehr_csv_actions.py) and "time_format" gives
a strptime format for times that are not ISO 8601 (e.g. "%m/%d/%Y %I:%M:%S %p")."""

from __future__ import annotations

from dataclasses import dataclass
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
SETTINGS = ("actions", "time_format")


@dataclass(frozen=True)
class CsvMapping:
    columns: dict[str, str]  # event field → header
    actions: dict[str, Activity]  # lower-cased action name → activity
    fallback: Activity | None
    time_format: str | None

    @classmethod
    def from_source(cls, source: SourceConfig) -> CsvMapping:
        mapping: dict[str, Any] = dict(source.mapping)
        unknown = sorted(set(mapping) - set(STORED) - set(ALIASES) - set(NOT_STORED) - set(SETTINGS))
        if unknown:
            raise FormatError(f"The mapping has unknown fields: {', '.join(unknown)}.")
        columns = {ALIASES.get(key, key): value for key, value in mapping.items() if key not in SETTINGS}
        missing = [name for name in REQUIRED if not columns.get(name)]
        if missing:
            raise FormatError(f"The mapping names no column for: {', '.join(missing)}.")
        actions, fallback = _actions(mapping.get("actions") or {})
        time_format = mapping.get("time_format") or None
        return cls(columns, actions, fallback, time_format)

    def check_header(self, header: list[str]) -> dict[str, int]:
        """Each mapped field's column index; every mapped header must be in the file."""
        positions = {name.strip(): index for index, name in enumerate(header)}
        missing = [column for column in self.columns.values() if column.strip() not in positions]
        if missing:
            raise FormatError(
                f"The mapping needs columns {', '.join(missing)}; the file has: {', '.join(header) or 'no header'}."
            )
        return {field: positions[column.strip()] for field, column in self.columns.items() if field not in NOT_STORED}


def _actions(extra: Any) -> tuple[dict[str, Activity], Activity | None]:
    if not isinstance(extra, dict):
        raise FormatError("The mapping's actions must be an object {action name: activity}.")
    actions = dict(DEFAULT_ACTIONS)
    fallback = None
    for name, activity in extra.items():
        if activity not in set(Activity):
            raise FormatError(f"The mapping's action {name!r} maps to {activity!r}, which is not an activity.")
        if name == FALLBACK:
            fallback = Activity(activity)
        else:
            actions[str(name).strip().lower()] = Activity(activity)
    return actions, fallback
