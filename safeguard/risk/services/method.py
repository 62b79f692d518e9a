"""The organization's risk method: created from the 5×5 profile on first use, editable, validated."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk.methods import METHODOLOGY, PROFILES
from safeguard.risk.models import Risk, RiskMethod
from safeguard.risk.scoring import Method, rate, validate_method

METHOD_FIELDS = ("likelihood_levels", "impact_levels", "thresholds", "treatment_threshold")
MAX_REANALYSIS_MONTHS = 36
# Every field apply_ratings writes.
RATED_FIELDS = (
    "likelihood",
    "impact",
    "inherent_score",
    "inherent_level",
    "inherent_rank",
    "residual_likelihood",
    "residual_impact",
    "residual_score",
    "residual_level",
    "residual_rank",
)
# Why a risk was re-rated without anyone assessing it (the "reason" of its risk.rerated event).
ANALYSIS_STARTED = "analysis started"
METHOD_CHANGED = "method changed"


def method_for(organization: Organization) -> RiskMethod:
    """The organization's method; an organization that never set one rates by the default 5×5 profile."""
    existing = RiskMethod.objects.filter(organization=organization).first()
    if existing is not None:
        return existing
    profile = PROFILES["5x5"]
    return RiskMethod(
        organization=organization,
        profile="5x5",
        methodology=METHODOLOGY,
        **{name: copy.deepcopy(profile[name]) for name in METHOD_FIELDS},
    )


def method_as_dict(method: RiskMethod) -> Method:
    return {
        "profile": method.profile,
        **{name: copy.deepcopy(getattr(method, name)) for name in METHOD_FIELDS},
        "reanalysis_months": method.reanalysis_months,
    }


def current_method(organization: Organization) -> Method:
    """The organization's method as the rating functions take it."""
    return method_as_dict(method_for(organization))


def method_update(
    *,
    organization: Organization,
    actor: Actor,
    profile: str | None = None,
    methodology: str | None = None,
    reanalysis_months: int | None = None,
    **definition: Any,
) -> RiskMethod:
    """Change the method. `profile` ("5x5" or "3x3") starts from that profile's scales and thresholds; the
    other fields override. Risks recorded outside an analysis are re-rated, each one whose rating changes with a
    "risk.rerated" event; analyses keep their frozen copy."""
    unknown = set(definition) - set(METHOD_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if profile is not None and profile not in PROFILES:
        raise ServiceError(f"Profile must be one of: {', '.join(PROFILES)}.", field="profile")
    if reanalysis_months is not None and not 1 <= reanalysis_months <= MAX_REANALYSIS_MONTHS:
        raise ServiceError(
            f"Re-analysis interval must be between 1 and {MAX_REANALYSIS_MONTHS} months.", field="reanalysis_months"
        )
    if methodology is not None and not methodology.strip():
        raise ServiceError("Describe the methodology: it is part of every analysis record.", field="methodology")
    with transaction.atomic():
        # The organization row orders this against starting an analysis and recording a risk between analyses,
        # which read the method under the same lock: no risk is rated by a method that is being replaced.
        Organization.objects.select_for_update().get(pk=organization.pk)
        current = method_for(organization)
        before = method_as_dict(current) | {"methodology": current.methodology}
        proposed = method_as_dict(current)
        if profile is not None:
            proposed.update(copy.deepcopy(PROFILES[profile]))
        proposed.update(definition)
        problems = validate_method(proposed)
        if problems:
            raise ServiceError(" ".join(problems), field="method")
        current.profile = proposed["profile"]
        for name in METHOD_FIELDS:
            setattr(current, name, proposed[name])
        if methodology is not None:
            current.methodology = methodology.strip()
        if reanalysis_months is not None:
            current.reanalysis_months = reanalysis_months
        current.updated_at = timezone.now()
        current.save()
        after = method_as_dict(current) | {"methodology": current.methodology}
        changes = {name: [before[name], after[name]] for name in after if before.get(name) != after[name]}
        audit_record(
            actor=actor, action="risk.method.updated", organization=organization, target=current, changes=changes
        )
        _rerate_unanalysed(organization, actor, method_as_dict(current))
    return current


def _rerate_unanalysed(organization: Organization, actor: Actor, method: Method) -> None:
    """Risks outside any analysis follow the organization's method; a rating the new scales lack is cleared."""
    risks = list(
        Risk.objects.select_for_update().filter(organization=organization, analysis__isnull=True).order_by("pk")
    )
    changed = rerate(organization=organization, actor=actor, risks=risks, method=method, reason=METHOD_CHANGED)
    now = timezone.now()
    for risk in changed:
        risk.updated_at = now
    Risk.objects.bulk_update(changed, [*RATED_FIELDS, "updated_at"], batch_size=500)


def rerate(*, organization: Organization, actor: Actor, risks: list[Risk], method: Method, reason: str) -> list[Risk]:
    """Re-rate `risks` (locked by the caller, inside its transaction) under `method`, without saving them.

    Each risk whose rating changed gets a "risk.rerated" event naming the fields and `reason`; a pair the new
    scales lack is cleared, and the event is where that shows. Returns the risks whose rating changed; the caller
    saves the rating fields (RATED_FIELDS) of all of them in one bulk update.
    """
    changed = []
    for risk in risks:
        before = snapshot(risk, RATED_FIELDS)
        apply_ratings(risk, method)
        changes = field_changes(before, snapshot(risk, RATED_FIELDS))
        if changes:
            changed.append(risk)
            audit_record(
                actor=actor,
                action="risk.rerated",
                organization=organization,
                target=risk,
                changes={**changes, "reason": [None, reason]},
            )
    return changed


def apply_ratings(risk: Risk, method: Method) -> None:
    """Recompute a risk's scores and levels from its likelihood/impact pairs under `method` (no save)."""
    for prefix, likelihood_field, impact_field in (
        ("inherent", "likelihood", "impact"),
        ("residual", "residual_likelihood", "residual_impact"),
    ):
        likelihood, impact = getattr(risk, likelihood_field), getattr(risk, impact_field)
        try:
            rating = rate(method, likelihood, impact) if likelihood is not None and impact is not None else None
        except ValueError:
            setattr(risk, likelihood_field, None)
            setattr(risk, impact_field, None)
            rating = None
        setattr(risk, f"{prefix}_score", rating.score if rating else None)
        setattr(risk, f"{prefix}_level", rating.level if rating else "")
        setattr(risk, f"{prefix}_rank", rating.rank if rating else None)
