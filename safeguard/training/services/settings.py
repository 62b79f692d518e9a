"""Changing the training settings: the thresholds the checks use, the reminder cadence they expect, when people
are reminded of an assignment and when their manager is told, and who signs certificates."""

from __future__ import annotations

from django.db import transaction

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.models import TrainingSettings

# Field → (lowest, highest, what the number counts).
NUMBER_LIMITS: dict[str, tuple[int, int, str]] = {
    "completion_threshold": (50, 100, "percent"),
    "ack_threshold": (50, 100, "percent"),
    "reminder_cadence_months": (1, 12, "months"),
    "reminder_periods": (1, 12, "periods"),
    "remind_days_before": (0, 60, "days"),
    "escalate_days_after": (0, 60, "days"),
}
SIGNATORY_MAX = 200
SETTINGS_FIELDS = (*NUMBER_LIMITS, "certificate_signatory")


def _errors(values: dict[str, object]) -> dict[str, str]:
    errors = {}
    unknown = sorted(set(values) - set(SETTINGS_FIELDS))
    if unknown:
        errors[unknown[0]] = f"Unknown setting: {', '.join(unknown)}."
    for name, (low, high, unit) in NUMBER_LIMITS.items():
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"Give a whole number of {unit} from {low} to {high}."
    if "certificate_signatory" in values:
        signatory = values["certificate_signatory"]
        if not isinstance(signatory, str):
            errors["certificate_signatory"] = "Give the signatory's name and title as text."
        elif len(signatory.strip()) > SIGNATORY_MAX:
            errors["certificate_signatory"] = f"At most {SIGNATORY_MAX} characters: a name and a title."
    return errors


def training_settings_update(*, organization: Organization, actor: Actor, **values: object) -> TrainingSettings:
    """Change some settings; those left out keep their value. A change of threshold or cadence moves the tracker's
    verdicts, so an evaluation is requested after the commit."""
    ServiceError.raise_first(_errors(values))
    if isinstance(values.get("certificate_signatory"), str):
        values["certificate_signatory"] = str(values["certificate_signatory"]).strip()
    with transaction.atomic():
        found = TrainingSettings.objects.select_for_update().filter(organization=organization).first()
        settings = found or TrainingSettings(organization=organization)
        before = snapshot(settings, SETTINGS_FIELDS)
        for name, value in values.items():
            setattr(settings, name, value)
        changes = field_changes(before, snapshot(settings, SETTINGS_FIELDS))
        if changes:
            settings.save()
            audit_record(
                actor=actor,
                action="training.settings.updated",
                organization=organization,
                target=settings,
                changes=changes,
            )
            request_evaluation_on_commit(organization, "training.settings_updated")
    return settings
