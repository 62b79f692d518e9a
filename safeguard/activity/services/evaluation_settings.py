"""Changing the organization's activity settings: the evaluation schedule, retention and business hours. The
limits live here; pages and the API only parse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from safeguard.activity.models import ActivitySettings
from safeguard.activity.services.settings import activity_settings
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

SIX_YEARS_DAYS = 2190
# field → (lowest, highest, what the message calls it)
NUMBER_LIMITS: dict[str, tuple[int, int, str]] = {
    "micro_batch_minutes": (1, 1440, "Minutes between evaluations"),
    "nightly_rerun_days": (1, 30, "Days the nightly run evaluates again"),
    "event_retention_days": (1, 36500, "Days events are kept"),
    "raw_retention_days": (1, 36500, "Days raw lines are kept"),
    "business_start_hour": (0, 23, "The business day's first hour"),
    "business_end_hour": (1, 24, "The business day's last hour"),
}
FIELDS = (*NUMBER_LIMITS, "business_weekdays")


@dataclass(frozen=True)
class SettingsResult:
    settings: ActivitySettings
    warnings: list[str]


def _problems(values: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for name, (low, high, what) in NUMBER_LIMITS.items():
        value = values[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems[name] = f"{what} must be a whole number from {low} to {high}."
    days = values["business_weekdays"]
    if (
        not isinstance(days, list)
        or not days
        or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in days)
    ):
        problems["business_weekdays"] = "Business days are ISO days from 1 (Monday) to 7 (Sunday), at least one."
    if not problems and values["business_start_hour"] == values["business_end_hour"] % 24:
        problems["business_end_hour"] = "The business day must end at another hour than it starts."
    if not problems and values["raw_retention_days"] > values["event_retention_days"]:
        problems["raw_retention_days"] = "Raw lines cannot be kept longer than the events they belong to."
    return problems


def settings_warnings(values: dict[str, Any]) -> list[str]:
    if values["event_retention_days"] < SIX_YEARS_DAYS:
        return [
            f"Events are kept {values['event_retention_days']} days, less than six years ({SIX_YEARS_DAYS} days): "
            "an audit may ask for the logs behind a review signed up to six years ago."
        ]
    return []


def activity_settings_update(*, organization: Organization, actor: Actor, **values: Any) -> SettingsResult:
    current = activity_settings(organization)
    merged = {name: values.get(name, getattr(current, name)) for name in FIELDS}
    ServiceError.raise_first(_problems(merged))
    merged["business_weekdays"] = sorted(set(merged["business_weekdays"]))
    with transaction.atomic():
        found = ActivitySettings.objects.select_for_update().get(pk=current.pk)
        changes = {
            name: [getattr(found, name), value] for name, value in merged.items() if getattr(found, name) != value
        }
        for name, value in merged.items():
            setattr(found, name, value)
        found.save(update_fields=list(FIELDS))
        if changes:
            audit_record(
                actor=actor,
                action="activity.settings_changed",
                organization=organization,
                target=found,
                changes=changes,
            )
    return SettingsResult(found, settings_warnings(merged))
