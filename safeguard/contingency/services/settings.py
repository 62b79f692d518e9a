"""The organization's contingency settings, made with their defaults the first time they are read."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from safeguard.contingency.models import ContingencySettings
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.models.obligations import Cadence
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.services.roster import time_zone_error


def contingency_settings(organization: Organization) -> ContingencySettings:
    found, _ = ContingencySettings.objects.get_or_create(organization=organization)
    return found


def restore_cadence(settings: ContingencySettings, tier: int) -> str:
    """The core.Cadence value (quarterly, semiannual, annual…) a tier's restore tests are due at."""
    return str(getattr(settings, f"restore_cadence_tier{tier}"))


SETTINGS_FIELDS = (
    "restore_cadence_tier1",
    "restore_cadence_tier2",
    "restore_cadence_tier3",
    "restore_cadence_tier4",
    "backup_grace_hours",
    "show_72_hour_target",
    "import_time_zone",
)
RESTORE_CADENCES = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.SEMIANNUAL, Cadence.ANNUAL)
MAX_GRACE_HOURS = 7 * 24  # a week late is a missed backup, not a late one


def settings_errors(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for tier in range(1, 5):
        field = f"restore_cadence_tier{tier}"
        if values.get(field) not in RESTORE_CADENCES:
            errors[field] = f"Tier {tier}'s restore tests are due monthly, quarterly, semiannually or annually."
    grace = values.get("backup_grace_hours")
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= MAX_GRACE_HOURS:
        errors["backup_grace_hours"] = f"The grace is a whole number of hours from 0 to {MAX_GRACE_HOURS}."
    if not isinstance(values.get("show_72_hour_target"), bool):
        errors["show_72_hour_target"] = "Say whether to show the 72-hour restoration target (yes or no)."
    zone = values.get("import_time_zone")
    problem = time_zone_error(zone) if isinstance(zone, str) else "Give a time zone name such as America/New_York."
    if problem:
        errors["import_time_zone"] = problem
    return errors


def settings_update(*, organization: Organization, actor: Actor, **values: Any) -> ContingencySettings:
    """Change the organization's contingency settings; fields left out keep their value."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    contingency_settings(organization)
    with transaction.atomic():
        locked = ContingencySettings.objects.select_for_update().get(organization=organization)
        before = snapshot(locked, SETTINGS_FIELDS)
        merged = before | values
        ServiceError.raise_first(settings_errors(merged))
        changes = field_changes(before, merged)
        if not changes:
            return locked
        for name in SETTINGS_FIELDS:
            setattr(locked, name, merged[name])
        locked.save()
        audit_record(
            actor=actor,
            action="contingency.settings.updated",
            organization=organization,
            target=locked,
            changes=changes,
        )
        request_evaluation_on_commit(organization, "contingency.settings")
    return locked
