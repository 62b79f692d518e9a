"""Running a risk analysis: start (freezing scope and method), scope changes, review, and the security
official's signed approval.

draft → in review → approved. One analysis is open (draft or in review) at a time; an approved analysis never
changes again: the document the security official signed is stored with it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, Signature
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.core.services.signatures import signature_create
from safeguard.risk.content import build_content
from safeguard.risk.models import AnalysisScopeItem, Asset, Risk, RiskAnalysis
from safeguard.risk.services.library import library_seed
from safeguard.risk.services.method import ANALYSIS_STARTED, RATED_FIELDS, method_as_dict, method_for, rerate
from safeguard.risk.services.triggers import triggers_resolve

Status = RiskAnalysis.Status
TITLE_MAX = 200
TARGET_TYPE = "risk.riskanalysis"
APPROVAL_STATEMENT = (
    "I have reviewed this risk analysis and approve it as an accurate and thorough assessment of the potential "
    "risks and vulnerabilities to the confidentiality, integrity and availability of our ePHI."
)
NOT_SECURITY_OFFICIAL = (
    "Approving the risk analysis is the security official's signature: only a current member with the "
    "Security official role can approve it."
)


def _title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ServiceError("Give the analysis a title, e.g. “2026 risk analysis”.", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title is longer than {TITLE_MAX} characters.", field="title")
    return title


def _methodology(methodology: str) -> str:
    if not methodology.strip():
        raise ServiceError("Describe the methodology: it is part of the analysis record.", field="methodology")
    return methodology.strip()


def _locked(organization: Organization, analysis: RiskAnalysis, *, expect: str, doing: str) -> RiskAnalysis:
    """The analysis row, locked, provided it is in the `expect` state (`doing`: what the caller wants to do)."""
    locked = RiskAnalysis.objects.select_for_update().get(pk=analysis.pk, organization=organization)
    if locked.status != expect:
        raise ServiceError(
            f"Only an analysis that is {Status(expect).label.lower()} can be {doing}; "
            f"“{locked.title}” is {locked.get_status_display().lower()}."
        )
    return locked


def open_analysis(organization: Organization) -> RiskAnalysis | None:
    """The analysis in draft or in review, if any (there is at most one)."""
    return (
        RiskAnalysis.objects.filter(organization=organization, status__in=[Status.DRAFT, Status.IN_REVIEW])
        .order_by("-started_at")
        .first()
    )


def unrated_references(analysis: RiskAnalysis) -> list[str]:
    """The references of the analysis's risks that have no inherent rating yet."""
    numbers = Risk.objects.filter(analysis=analysis, inherent_score__isnull=True).order_by("number")
    return [f"R-{number:04d}" for number in numbers.values_list("number", flat=True)]


def signed_risks(analysis: RiskAnalysis, *, level: str = "", treatment: str = "") -> list[dict[str, Any]] | None:
    """The risks of an approved analysis as the security official signed them (rows of its approved_content),
    filtered like the live risks: `level` an inherent level or "unrated", `treatment` one or "none". None while
    the analysis is open: its risks are the live records then."""
    if analysis.approved_content is None:
        return None
    wanted_level = "" if level == "unrated" else level
    wanted_treatment = "" if treatment == "none" else treatment
    rows: list[dict[str, Any]] = analysis.approved_content["risks"]
    return [
        row
        for row in rows
        if (not level or row["inherent_level"] == wanted_level)
        and (not treatment or row["treatment"] == wanted_treatment)
    ]


def analysis_start(
    *, organization: Organization, actor: Actor, title: str, methodology: str | None = None
) -> RiskAnalysis:
    """Start an analysis: freeze the method and the in-service assets, and carry the open risks into it."""
    title = _title(title)
    if actor.user is None:
        raise ServiceError("Only a person can start a risk analysis.")
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        current = open_analysis(organization)
        if current is not None:
            raise ServiceError(
                f"Finish or approve “{current.title}” first: only one analysis can be open at a time.",
                field="title",
            )
        method = method_for(organization)
        frozen = method_as_dict(method)
        analysis = RiskAnalysis.objects.create(
            organization=organization,
            title=title,
            method=frozen,
            methodology=_methodology(method.methodology if methodology is None else methodology),
            started_by=actor.user,
        )
        assets = Asset.objects.filter(organization=organization).in_service().order_by("name")
        scope = AnalysisScopeItem.objects.bulk_create(
            AnalysisScopeItem(analysis=analysis, asset=asset, name=asset.name, kind=asset.kind, status=asset.status)
            for asset in assets
        )
        # Locked so that no one re-assesses a risk while it moves into the analysis and is re-rated.
        carried = list(Risk.objects.select_for_update().filter(organization=organization).open().order_by("number"))
        rerate(organization=organization, actor=actor, risks=carried, method=frozen, reason=ANALYSIS_STARTED)
        now = timezone.now()
        for risk in carried:
            risk.analysis = analysis
            risk.updated_at = now
        Risk.objects.bulk_update(carried, ["analysis", "updated_at", *RATED_FIELDS], batch_size=500)
        seeded = library_seed(organization=organization, actor=actor)
        audit_record(
            actor=actor,
            action="risk.analysis.started",
            organization=organization,
            target=analysis,
            changes={
                "title": [None, analysis.title],
                "method": [None, frozen],
                "scope": [None, len(scope)],
                "risks": [None, [risk.reference for risk in carried]],
                "library_seeded": [None, seeded],
            },
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.analysis_started"))
    return analysis


def analysis_update(
    *,
    organization: Organization,
    actor: Actor,
    analysis: RiskAnalysis,
    title: str | None = None,
    methodology: str | None = None,
) -> RiskAnalysis:
    with transaction.atomic():
        locked = _locked(organization, analysis, expect=Status.DRAFT, doing="changed")
        before = snapshot(locked, ("title", "methodology"))
        if title is not None:
            locked.title = _title(title)
        if methodology is not None:
            locked.methodology = _methodology(methodology)
        changes = field_changes(before, snapshot(locked, ("title", "methodology")))
        if changes:
            locked.save(update_fields=list(changes))
            audit_record(
                actor=actor, action="risk.analysis.updated", organization=organization, target=locked, changes=changes
            )
    return locked


def analysis_scope_add(
    *, organization: Organization, actor: Actor, analysis: RiskAnalysis, asset: Asset
) -> AnalysisScopeItem:
    if asset.organization_id != organization.pk:
        raise ServiceError("No such asset in this organization.", field="asset")
    if asset.status == Asset.Status.RETIRED:
        raise ServiceError(f"“{asset.name}” is retired; only planned or in-service assets can be added.", field="asset")
    with transaction.atomic():
        locked = _locked(organization, analysis, expect=Status.DRAFT, doing="changed")
        if locked.scope_items.filter(asset=asset).exists():
            raise ServiceError(f"“{asset.name}” is already in the scope.", field="asset")
        item = AnalysisScopeItem.objects.create(
            analysis=locked, asset=asset, name=asset.name, kind=asset.kind, status=asset.status
        )
        audit_record(
            actor=actor,
            action="risk.analysis.scope_added",
            organization=organization,
            target=locked,
            changes={"scope": [None, {"asset": asset.public_id, "name": asset.name}]},
        )
    return item


def analysis_scope_remove(*, organization: Organization, actor: Actor, analysis: RiskAnalysis, asset: Asset) -> None:
    with transaction.atomic():
        locked = _locked(organization, analysis, expect=Status.DRAFT, doing="changed")
        item = locked.scope_items.filter(asset=asset).first()
        if item is None:
            raise ServiceError(f"“{asset.name}” is not in the scope.", field="asset")
        naming = Risk.objects.filter(analysis=locked, assets=asset).order_by("number").values_list("number", flat=True)
        if naming:
            references = ", ".join(f"R-{number:04d}" for number in naming)
            raise ServiceError(
                f"{references} name{'s' if len(naming) == 1 else ''} “{asset.name}”: "
                "take the asset off those risks before removing it from the scope.",
                field="asset",
            )
        item.delete()
        audit_record(
            actor=actor,
            action="risk.analysis.scope_removed",
            organization=organization,
            target=locked,
            changes={"scope": [{"asset": asset.public_id, "name": item.name}, None]},
        )


def _require_rated(analysis: RiskAnalysis, verb: str) -> None:
    if not Risk.objects.filter(analysis=analysis).exists():
        raise ServiceError(f"Record at least one risk before you {verb} the analysis.")
    unrated = unrated_references(analysis)
    if unrated:
        raise ServiceError(
            f"Rate every risk before you {verb} the analysis: {', '.join(unrated)} "
            f"{'has' if len(unrated) == 1 else 'have'} no likelihood and impact yet."
        )


def analysis_submit(*, organization: Organization, actor: Actor, analysis: RiskAnalysis) -> RiskAnalysis:
    """Hand the draft to the security official for review."""
    with transaction.atomic():
        locked = _locked(organization, analysis, expect=Status.DRAFT, doing="submitted")
        _require_rated(locked, "submit")
        locked.status = Status.IN_REVIEW
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
        audit_record(
            actor=actor,
            action="risk.analysis.submitted",
            organization=organization,
            target=locked,
            changes={"status": [Status.DRAFT, Status.IN_REVIEW]},
        )
    return locked


def analysis_return(*, organization: Organization, actor: Actor, analysis: RiskAnalysis, reason: str) -> RiskAnalysis:
    """Send an analysis in review back to draft, saying what needs another look."""
    if not reason.strip():
        raise ServiceError("Say what needs another look before approval.", field="reason")
    with transaction.atomic():
        locked = _locked(organization, analysis, expect=Status.IN_REVIEW, doing="returned to draft")
        locked.status = Status.DRAFT
        locked.submitted_at = None
        locked.save(update_fields=["status", "submitted_at"])
        audit_record(
            actor=actor,
            action="risk.analysis.returned",
            organization=organization,
            target=locked,
            changes={"status": [Status.IN_REVIEW, Status.DRAFT], "reason": [None, reason.strip()]},
        )
    return locked


def is_security_official(organization: Organization, actor: Actor) -> bool:
    return (
        actor.user is not None
        and Membership.objects.current()
        .filter(organization=organization, user=actor.user, role=Role.SECURITY_OFFICIAL)
        .exists()
    )


def analysis_approve(
    *, organization: Organization, actor: Actor, analysis: RiskAnalysis, statement: str
) -> RiskAnalysis:
    """The security official signs the analysis in review. The signed document is stored with it, the open
    re-analysis triggers are answered, and the analysis never changes again."""
    if not is_security_official(organization, actor):
        raise ServiceError(NOT_SECURITY_OFFICIAL)
    if not statement.strip():
        raise ServiceError("Give the statement you are signing.", field="statement")
    with transaction.atomic():
        locked = _locked(organization, analysis, expect=Status.IN_REVIEW, doing="approved")
        _require_rated(locked, "approve")
        content = build_content(locked)
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.APPROVED,
            target_type=TARGET_TYPE,
            target_id=str(locked.public_id),
            content=content,
            statement=statement.strip(),
        )
        locked.status = Status.APPROVED
        locked.approval = signature
        locked.approved_at = signature.signed_at
        locked.approved_content = content
        locked.save(update_fields=["status", "approval", "approved_at", "approved_content"])
        resolved = triggers_resolve(organization=organization, actor=actor, analysis=locked)
        audit_record(
            actor=actor,
            action="risk.analysis.approved",
            organization=organization,
            target=locked,
            changes={
                "status": [Status.IN_REVIEW, Status.APPROVED],
                "signature": [None, signature.public_id],
                "content_sha256": [None, signature.content_sha256],
                "risks": [None, len(content["risks"])],
                "triggers_resolved": [None, resolved],
            },
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.analysis_approved"))
    return locked
