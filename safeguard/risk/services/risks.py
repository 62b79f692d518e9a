"""Recording and assessing risks: what could happen to which assets, and how likely and how bad it would be.

Ratings are checked against the method of the analysis the risk belongs to (its frozen copy), or the
organization's method for a risk recorded between analyses. A risk can be re-rated only while it sits in a
draft analysis or in none; treatment, owner changes and closing belong to the treatment services.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record, field_changes
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.risk.models import Asset, Risk, RiskAnalysis, Threat, Vulnerability
from safeguard.risk.scoring import Method, scale_values
from safeguard.risk.services.method import apply_ratings, current_method

TITLE_MAX = 200
TEXT_FIELDS = ("description", "existing_controls", "planned_controls")
RATING_FIELDS = ("likelihood", "impact", "residual_likelihood", "residual_impact")
ASSESSMENT_FIELDS = (
    "title",
    "assets",
    "threat",
    "vulnerability",
    *TEXT_FIELDS,
    *RATING_FIELDS,
    "requirements",
)
SCALES = {
    "likelihood": "likelihood_levels",
    "impact": "impact_levels",
    "residual_likelihood": "likelihood_levels",
    "residual_impact": "impact_levels",
}


def method_of(organization: Organization, analysis: RiskAnalysis | None) -> Method:
    """The method a risk is rated by: its analysis's frozen copy, else the organization's current method."""
    return analysis.method if analysis is not None else current_method(organization)


def _check_ratings(method: Method, values: dict[str, Any]) -> None:
    size = f"{len(method['likelihood_levels'])}×{len(method['impact_levels'])}"
    for name in RATING_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        scale = scale_values(method[SCALES[name]])
        if value not in scale:
            raise ServiceError(
                f"{name.replace('_', ' ')} {value} is outside the {size} matrix ({min(scale)}–{max(scale)}).",
                field=name,
            )


def _check_library(organization: Organization, values: dict[str, Any], current: Risk | None) -> None:
    for name in ("threat", "vulnerability"):
        entry: Threat | Vulnerability | None = values.get(name)
        if entry is None:
            continue
        if entry.organization_id != organization.pk:
            raise ServiceError(f"No such {name} in this organization's library.", field=name)
        unchanged = current is not None and getattr(current, f"{name}_id") == entry.pk
        if not entry.is_active and not unchanged:
            raise ServiceError(f"“{entry.name}” is deactivated in the library; choose an active {name}.", field=name)


def _check_assets(
    organization: Organization, analysis: RiskAnalysis | None, assets: Sequence[Asset], kept: set[int]
) -> None:
    """Assets must be the organization's; an asset newly named on a risk in an analysis must be in its scope."""
    for asset in assets:
        if asset.organization_id != organization.pk:
            raise ServiceError("No such asset in this organization.", field="assets")
    added = [asset for asset in assets if asset.pk not in kept]
    if analysis is None or not added:
        return
    in_scope = set(analysis.scope_items.filter(asset__in=added).values_list("asset_id", flat=True))
    outside = [asset.name for asset in added if asset.pk not in in_scope]
    if outside:
        raise ServiceError(
            f"“{outside[0]}” is not in the scope of “{analysis.title}”; add it to the scope first.", field="assets"
        )


def _requirements(items: Iterable[str | Requirement]) -> list[Requirement]:
    citations = [item.citation if isinstance(item, Requirement) else str(item).strip() for item in items]
    found = {requirement.citation: requirement for requirement in Requirement.objects.filter(citation__in=citations)}
    unknown = [citation for citation in citations if citation not in found]
    if unknown:
        raise ServiceError(f"Unknown citation {unknown[0]!r}: it is not in the catalog.", field="requirements")
    return [found[citation] for citation in dict.fromkeys(citations)]


def _check_owner(organization: Organization, owner: User | None) -> None:
    if owner is None:
        return
    membership = Membership.objects.current().filter(organization=organization, user=owner).first()
    if membership is None or membership.role == Role.AUDITOR:
        raise ServiceError(
            "The owner must be a current member of this organization (auditors are read-only).", field="owner"
        )


def _title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ServiceError("Give the risk a title, e.g. “Ransomware encrypts the EHR server”.", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title is longer than {TITLE_MAX} characters.", field="title")
    return title


def assessment_snapshot(risk: Risk) -> dict[str, Any]:
    """The assessment as the audit trail records it (related records by name or citation)."""
    return {
        "title": risk.title,
        "assets": sorted(asset.name for asset in risk.assets.all()),
        "threat": risk.threat.name if risk.threat else None,
        "vulnerability": risk.vulnerability.name if risk.vulnerability else None,
        **{name: getattr(risk, name) for name in (*TEXT_FIELDS, *RATING_FIELDS)},
        "inherent_score": risk.inherent_score,
        "inherent_level": risk.inherent_level,
        "residual_score": risk.residual_score,
        "residual_level": risk.residual_level,
        "requirements": sorted(requirement.citation for requirement in risk.requirements.all()),
    }


def assessment_warnings(risk: Risk) -> list[str]:
    """What looks wrong in an assessment without being forbidden."""
    return rating_warnings(risk.reference, risk.inherent_score, risk.residual_score)


def rating_warnings(reference: str, inherent_score: int | None, residual_score: int | None) -> list[str]:
    """The warnings of a risk's ratings, given by value (a signed copy has values, not records)."""
    if residual_score is not None and inherent_score is not None and residual_score > inherent_score:
        return [
            f"{reference}: the residual score ({residual_score}) is higher than the inherent score "
            f"({inherent_score}); planned controls should not make the risk worse."
        ]
    return []


def risk_create(
    *,
    organization: Organization,
    actor: Actor,
    analysis: RiskAnalysis | None,
    title: str,
    assets: Sequence[Asset] = (),
    threat: Threat | None = None,
    vulnerability: Vulnerability | None = None,
    description: str = "",
    existing_controls: str = "",
    likelihood: int | None = None,
    impact: int | None = None,
    planned_controls: str = "",
    residual_likelihood: int | None = None,
    residual_impact: int | None = None,
    requirements: Sequence[str | Requirement] = (),
    owner: User | None = None,
) -> Risk:
    """Record a risk, in `analysis` (which must be a draft) or between analyses (None); numbered per organization."""
    values: dict[str, Any] = {
        "title": _title(title),
        "threat": threat,
        "vulnerability": vulnerability,
        "description": description.strip(),
        "existing_controls": existing_controls.strip(),
        "planned_controls": planned_controls.strip(),
        "likelihood": likelihood,
        "impact": impact,
        "residual_likelihood": residual_likelihood,
        "residual_impact": residual_impact,
    }
    if analysis is not None and analysis.organization_id != organization.pk:
        raise ServiceError("No such analysis in this organization.", field="analysis")
    _check_library(organization, values, None)
    _check_owner(organization, owner)
    cited = _requirements(requirements)
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        if analysis is not None:
            analysis = RiskAnalysis.objects.select_for_update().get(pk=analysis.pk)
            if analysis.status != RiskAnalysis.Status.DRAFT:
                raise ServiceError(
                    f"“{analysis.title}” is {analysis.get_status_display().lower()}; "
                    "risks can be added only to a draft analysis."
                )
        method = method_of(organization, analysis)
        _check_ratings(method, values)
        _check_assets(organization, analysis, assets, kept=set())
        highest = Risk.objects.filter(organization=organization).aggregate(highest=Max("number"))["highest"]
        risk = Risk(organization=organization, number=(highest or 0) + 1, analysis=analysis, owner=owner, **values)
        apply_ratings(risk, method)
        risk.save()
        risk.assets.set(assets)
        risk.requirements.set(cited)
        audit_record(
            actor=actor,
            action="risk.created",
            organization=organization,
            target=risk,
            changes={
                name: [None, value]
                for name, value in {
                    "number": risk.number,
                    "analysis": analysis.public_id if analysis else None,
                    "owner": owner.email if owner else None,
                    **assessment_snapshot(risk),
                }.items()
            },
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.created"))
    return risk


def assessment_refusal(risk: Risk, analysis: RiskAnalysis | None) -> str | None:
    """Why `risk` (in `analysis`) cannot be re-assessed now, or None when it can."""
    if risk.status == Risk.Status.CLOSED:
        return f"{risk.reference} is closed; reopen it before re-rating it."
    if analysis is None or analysis.status == RiskAnalysis.Status.DRAFT:
        return None
    if analysis.status == RiskAnalysis.Status.IN_REVIEW:
        return (
            f"{risk.reference} is part of the analysis in review (“{analysis.title}”); "
            "return the analysis to draft to re-rate it."
        )
    return f"{risk.reference} is part of the approved analysis “{analysis.title}”; start a new analysis to re-rate it."


def risk_assess(*, organization: Organization, actor: Actor, risk: Risk, **fields: Any) -> Risk:
    """Change a risk's assessment (any of ASSESSMENT_FIELDS); fields left out keep their value."""
    unknown = set(fields) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        analysis = None
        if risk.analysis_id is not None:
            analysis = RiskAnalysis.objects.select_for_update().get(pk=risk.analysis_id)
        locked = (
            Risk.objects.select_for_update(of=("self",))  # threat and vulnerability are nullable joins
            .select_related("threat", "vulnerability")
            .get(pk=risk.pk, organization=organization)
        )
        if locked.analysis_id != (analysis.pk if analysis else None):
            raise ServiceError(f"{locked.reference} moved to another analysis while you were editing; reload it.")
        refusal = assessment_refusal(locked, analysis)
        if refusal:
            raise ServiceError(refusal)
        before = assessment_snapshot(locked)
        values = {name: value for name, value in fields.items() if name not in ("assets", "requirements")}
        if "title" in values:
            values["title"] = _title(values["title"])
        for name in TEXT_FIELDS:
            if name in values:
                values[name] = str(values[name]).strip()
        _check_library(organization, values, locked)
        method = method_of(organization, analysis)
        _check_ratings(method, values)
        if "assets" in fields:
            kept = set(locked.assets.values_list("pk", flat=True))
            _check_assets(organization, analysis, fields["assets"], kept)
        cited = _requirements(fields["requirements"]) if "requirements" in fields else None
        for name, value in values.items():
            setattr(locked, name, value)
        apply_ratings(locked, method)
        if "assets" in fields:
            locked.assets.set(fields["assets"])
        if cited is not None:
            locked.requirements.set(cited)
        changes = field_changes(before, assessment_snapshot(locked))
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(actor=actor, action="risk.assessed", organization=organization, target=locked, changes=changes)
            transaction.on_commit(lambda: request_evaluation(organization, "risk.assessed"))
    return locked
