"""Disaster recovery and emergency mode operation plans (164.308(a)(7)(ii)(B) and (C)): plans, their versions and
the signed approval that freezes a version and supersedes the one before it.

A plan has at most one draft and one approved version. A draft starts as a copy of the approved version. Approval
derives the recovery order of the covered assets from the criticality analysis and stores it with the version, so
the printed plan keeps the order that was signed even after the analysis changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from safeguard.contingency.models import ContingencyPlan, Exercise, PlanKind, PlanVersion
from safeguard.contingency.plan_sections import clean_contacts, clean_roles, clean_templates
from safeguard.contingency.recovery_order import recovery_order
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import add_months
from safeguard.core.models import Organization, Signature
from safeguard.core.models.obligations import CADENCE_MONTHS, Cadence
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.signatures import signature_create
from safeguard.incidents.models import Incident
from safeguard.risk.models import Asset

Status = PlanVersion.Status
TARGET_TYPE = "contingency.planversion"
TITLE_MAX = 200
TEXT_FIELDS = ("activation_criteria", "manual_procedures", "return_criteria", "revision_reason")
LIST_CLEANERS = {"roles": clean_roles, "contacts": clean_contacts, "templates": clean_templates}
LINK_FIELDS = ("caused_by_exercise", "caused_by_incident")
EDITABLE = (*TEXT_FIELDS, *LIST_CLEANERS, *LINK_FIELDS, "covered_assets")
COPIED = (*TEXT_FIELDS[:3], *LIST_CLEANERS)  # what a new draft takes over from the approved version
REQUIRED_TO_APPROVE = {
    "activation_criteria": "Write the activation criteria: when the plan is invoked and by whom.",
    "manual_procedures": "Write the manual procedures for the first 24 to 72 hours.",
    "return_criteria": "Write the return-to-normal criteria.",
}
REVIEW_CADENCES = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.SEMIANNUAL, Cadence.ANNUAL)
EVALUATION_TRIGGER = "contingency.plans"


# ---- plans ----------------------------------------------------------------------------------------------------


def _title(organization: Organization, title: str, plan: ContingencyPlan | None = None) -> str:
    title = title.strip()
    if not title:
        raise ServiceError("Give the plan a title, e.g. “Disaster recovery plan”.", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title is longer than {TITLE_MAX} characters.", field="title")
    others = ContingencyPlan.objects.filter(organization=organization, title__iexact=title)
    if plan is not None:
        others = others.exclude(pk=plan.pk)
    if others.exists():
        raise ServiceError(f"Another plan is called “{title}”.", field="title")
    return title


def plan_create(
    *, organization: Organization, actor: Actor, kind: str, title: str, review_cadence: str = Cadence.ANNUAL
) -> ContingencyPlan:
    if kind not in PlanKind.values:
        raise ServiceError(f"The kind must be one of: {', '.join(PlanKind.values)}.", field="kind")
    if review_cadence not in REVIEW_CADENCES:
        raise ServiceError(f"Review the plan {', '.join(REVIEW_CADENCES)}.", field="review_cadence")
    with transaction.atomic():
        plan = ContingencyPlan.objects.create(
            organization=organization, kind=kind, title=_title(organization, title), review_cadence=review_cadence
        )
        audit_record(
            actor=actor,
            action="contingency.plan.created",
            organization=organization,
            target=plan,
            changes={
                name: [None, value] for name, value in snapshot(plan, ("kind", "title", "review_cadence")).items()
            },
        )
    return plan


# ---- drafts ---------------------------------------------------------------------------------------------------


def approved_version(plan: ContingencyPlan) -> PlanVersion | None:
    return plan.versions.filter(status=Status.APPROVED).first()


def plan_version_draft(*, organization: Organization, actor: Actor, plan: ContingencyPlan) -> PlanVersion:
    """A new draft, numbered after the plan's highest version, with the approved version's content."""
    if actor.user is None:
        raise ServiceError("Only a person can write a plan.")
    if plan.organization_id != organization.pk:
        raise ServiceError("No such plan in this organization.")
    with transaction.atomic():
        # The plan row is the lock: two drafts started at once cannot both pass the one-draft rule.
        ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
        draft = plan.versions.filter(status=Status.DRAFT).first()
        if draft is not None:
            raise ServiceError(f"Version {draft.number} is already a draft: edit it, or approve it first.")
        current = approved_version(plan)
        number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        copied: dict[str, Any] = {name: getattr(current, name) for name in COPIED} if current else {}
        version = PlanVersion.objects.create(
            organization=organization, plan=plan, number=number, created_by=actor.user, **copied
        )
        if current is not None:
            version.covered_assets.set(current.covered_assets.all())
        audit_record(
            actor=actor,
            action="contingency.plan_version.drafted",
            organization=organization,
            target=version,
            changes={"number": [None, number], "copied_from": [None, f"v{current.number}" if current else None]},
        )
    return version


def _check_links(organization: Organization, values: dict[str, Any]) -> None:
    exercise: Exercise | None = values.get("caused_by_exercise")
    incident: Incident | None = values.get("caused_by_incident")
    if exercise is not None and exercise.organization_id != organization.pk:
        raise ServiceError("No such exercise in this organization.", field="caused_by_exercise")
    if incident is not None and incident.organization_id != organization.pk:
        raise ServiceError("No such incident in this organization.", field="caused_by_incident")
    assets: Iterable[Asset] | None = values.get("covered_assets")
    if assets is not None and any(asset.organization_id != organization.pk for asset in assets):
        raise ServiceError("No such asset in this organization.", field="covered_assets")


def _locked(organization: Organization, version: PlanVersion) -> PlanVersion:
    return (
        PlanVersion.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=version.pk, organization=organization)
    )


def _asset_names(version: PlanVersion) -> list[str]:
    return sorted(version.covered_assets.values_list("name", flat=True), key=str.lower)


def plan_version_update(
    *, organization: Organization, actor: Actor, version: PlanVersion, **values: Any
) -> PlanVersion:
    """Change a draft's sections. Lists are checked item by item; an approved or superseded version is frozen."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for name in TEXT_FIELDS:
        if name in values:
            if not isinstance(values[name], str):
                raise ServiceError("Must be text.", field=name)
            values[name] = values[name].strip()
    for name, clean in LIST_CLEANERS.items():
        if name in values:
            values[name] = clean(values[name])
    _check_links(organization, values)
    assets = values.pop("covered_assets", None)
    with transaction.atomic():
        locked = _locked(organization, version)
        if locked.status != Status.DRAFT:
            raise ServiceError(
                f"Version {locked.number} is {locked.get_status_display().lower()}: only a draft can be edited. "
                "Start a new draft instead."
            )
        fields = tuple(values)
        before = snapshot(locked, fields)
        for name, value in values.items():
            setattr(locked, name, value)
        changes = field_changes(before, snapshot(locked, fields))
        if assets is not None:
            names_before = _asset_names(locked)
            locked.covered_assets.set(assets)
            names_after = _asset_names(locked)
            if names_before != names_after:
                changes["covered_assets"] = [names_before, names_after]
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor,
                action="contingency.plan_version.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
    return locked


# ---- approval -------------------------------------------------------------------------------------------------


def order_snapshot(organization: Organization, assets: list[Asset]) -> list[dict[str, Any]]:
    """The recovery order of the covered assets (and what they need) as stored with an approved version.
    Refused when the criticality analysis has a dependency cycle among them: such assets cannot be ordered."""
    order = recovery_order(organization, assets)
    if order.cycles:
        loops = "; ".join(" → ".join([*cycle, cycle[0]]) for cycle in order.cycles)
        raise ServiceError(
            f"The criticality analysis has a dependency cycle among the covered assets ({loops}): "
            "fix the dependencies before approving, so the plan can say what to restore first.",
            field="covered_assets",
        )
    public_ids = dict(
        Asset.objects.filter(pk__in=[step.asset_id for step in order.steps]).values_list("pk", "public_id")
    )
    return [
        {
            "position": step.position,
            "asset": str(public_ids[step.asset_id]),
            "asset_name": step.asset_name,
            "tier": step.tier,
            "rto_minutes": step.rto_minutes,
            "waits_for": list(step.waits_for),
            "covered": step.covered,
        }
        for step in order.steps
    ]


def version_content(version: PlanVersion) -> dict[str, Any]:
    """What an approval signs: every section as it stands, the covered assets and the recovery order."""
    covered = version.covered_assets.order_by("name").values_list("public_id", "name")
    return {
        "plan": {"id": str(version.plan.public_id), "kind": version.plan.kind, "title": version.plan.title},
        "number": version.number,
        "activation_criteria": version.activation_criteria,
        "roles": version.roles,
        "contacts": version.contacts,
        "manual_procedures": version.manual_procedures,
        "templates": version.templates,
        "return_criteria": version.return_criteria,
        "covered_assets": [{"id": str(public_id), "name": name} for public_id, name in covered],
        "recovery_order": version.recovery_order,
        "revision_reason": version.revision_reason,
        "caused_by_exercise": str(version.caused_by_exercise.public_id) if version.caused_by_exercise else None,
        "caused_by_incident": version.caused_by_incident.reference if version.caused_by_incident else None,
    }


def _check_complete(version: PlanVersion, assets: list[Asset]) -> None:
    for name, message in REQUIRED_TO_APPROVE.items():
        if not getattr(version, name).strip():
            raise ServiceError(message, field=name)
    if not version.roles:
        raise ServiceError("Name at least one role and who fills it.", field="roles")
    if not version.contacts:
        raise ServiceError("List at least one contact with a phone number.", field="contacts")
    if not assets:
        raise ServiceError("Choose the assets the plan covers.", field="covered_assets")


def plan_version_approve(
    *, organization: Organization, actor: Actor, version: PlanVersion, statement: str = ""
) -> PlanVersion:
    """Sign a draft as approved (those who sign decisions). The approved version before it is superseded; the
    next review falls one review cadence after approval."""
    with transaction.atomic():
        locked = _locked(organization, version)
        if locked.status != Status.DRAFT:
            raise ServiceError(f"Version {locked.number} is {locked.get_status_display().lower()}, not a draft.")
        assets = list(locked.covered_assets.order_by("name"))
        _check_complete(locked, assets)
        locked.recovery_order = order_snapshot(organization, assets)
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.APPROVED,
            target_type=TARGET_TYPE,
            target_id=str(locked.public_id),
            content=version_content(locked),
            statement=statement.strip(),
        )
        previous = list(PlanVersion.objects.select_for_update().filter(plan_id=locked.plan_id, status=Status.APPROVED))
        PlanVersion.objects.filter(pk__in=[p.pk for p in previous]).update(status=Status.SUPERSEDED)
        approved_on = timezone.localdate(signature.signed_at)
        locked.status = Status.APPROVED
        locked.signature = signature
        locked.approved_by = actor.user
        locked.approved_at = signature.signed_at
        locked.next_review_on = add_months(approved_on, CADENCE_MONTHS.get(Cadence(locked.plan.review_cadence), 12))
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="contingency.plan_version.approved",
            organization=organization,
            target=locked,
            changes={
                "status": [Status.DRAFT, Status.APPROVED],
                "signature": [None, signature],
                "content_sha256": [None, signature.content_sha256],
                "recovery_order": [None, [step["asset_name"] for step in locked.recovery_order]],
                "next_review_on": [None, locked.next_review_on],
                **({"supersedes": [None, [f"v{p.number}" for p in previous]]} if previous else {}),
            },
        )
        request_evaluation_on_commit(organization, EVALUATION_TRIGGER)
    return locked


def plan_version_review(
    *, organization: Organization, actor: Actor, version: PlanVersion, statement: str
) -> PlanVersion:
    """The periodic review of the approved version, signed: it stands as written, and the next review moves on."""
    if not statement.strip():
        raise ServiceError("Write the statement you are signing, e.g. what you checked.", field="statement")
    with transaction.atomic():
        locked = _locked(organization, version)
        if locked.status != Status.APPROVED:
            raise ServiceError(f"Only the approved version can be reviewed; v{locked.number} is not.")
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.REVIEWED,
            target_type=TARGET_TYPE,
            target_id=str(locked.public_id),
            content=version_content(locked),
            statement=statement.strip(),
        )
        before = locked.next_review_on
        months = CADENCE_MONTHS.get(Cadence(locked.plan.review_cadence), 12)
        locked.next_review_on = add_months(timezone.localdate(signature.signed_at), months)
        locked.save(update_fields=["next_review_on"])
        audit_record(
            actor=actor,
            action="contingency.plan_version.reviewed",
            organization=organization,
            target=locked,
            changes={"next_review_on": [before, locked.next_review_on], "signature": [None, signature]},
        )
        request_evaluation_on_commit(organization, EVALUATION_TRIGGER)
    return locked
