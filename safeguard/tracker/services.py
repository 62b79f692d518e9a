"""Tracker writes: attestations, addressable decisions, and evaluation runs."""

from __future__ import annotations

import logging
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Evidence, Organization, Signature
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_link, evidence_upload, uuid_or_none
from safeguard.core.services.signatures import signature_create
from safeguard.tracker.evaluation import EvaluationSummary, tracker_evaluate
from safeguard.tracker.evidence_links import ATTESTATION_TYPE, DECISION_TYPE
from safeguard.tracker.models import AddressableDecision, Attestation, EvaluationRun

logger = logging.getLogger(__name__)
MAX_ATTESTATION_DAYS = 366 * 3
# Addressable decisions rest on a risk assessment that changes; three years is the longest we let one stand.
MAX_DECISION_REVIEW_DAYS = 366 * 3


def requirement_by_citation(citation: str) -> Requirement:
    requirement = Requirement.objects.filter(citation=citation.strip()).first()
    if requirement is None:
        raise ServiceError(f"Unknown citation {citation!r}: it is not in the catalog.", field="citation")
    return requirement


def attestation_record(
    *,
    organization: Organization,
    actor: Actor,
    citation: str,
    statement: str,
    expires_on: date,
    evidence_file: UploadedFile | None = None,
    evidence_title: str = "",
    evidence_effective_date: date | None = None,
    today: date | None = None,
) -> Attestation:
    """A person states the requirement is met, until `expires_on`; an evidence file may come with it."""
    today = today or timezone.localdate()
    requirement = requirement_by_citation(citation)
    if requirement.children.exists():
        # A standard with specifications is judged by rolling them up; an attestation on it would count for nothing.
        raise ServiceError(
            f"{requirement.citation} is assessed through its implementation specifications: attest those instead.",
            field="citation",
        )
    if actor.user is None:
        raise ServiceError("Only a person can attest.")
    if not statement.strip():
        raise ServiceError("Say what is in place and how you know.", field="statement")
    if expires_on <= today:
        raise ServiceError("The expiry date must be in the future.", field="expires_on")
    if (expires_on - today).days > MAX_ATTESTATION_DAYS:
        raise ServiceError("An attestation can last at most three years.", field="expires_on")
    with transaction.atomic():
        attestation = Attestation.objects.create(
            organization=organization,
            requirement=requirement,
            statement=statement.strip(),
            attested_by=actor.user,
            expires_on=expires_on,
        )
        audit_record(
            actor=actor,
            action="attestation.recorded",
            organization=organization,
            target=attestation,
            changes={
                "citation": [None, requirement.citation],
                "statement": [None, attestation.statement],
                "expires_on": [None, expires_on],
            },
        )
        if evidence_file is not None:
            evidence_upload(
                organization=organization,
                actor=actor,
                title=evidence_title or f"Evidence for {requirement.citation}",
                upload=evidence_file,
                effective_date=evidence_effective_date or today,
                link_to=(ATTESTATION_TYPE, str(attestation.public_id)),
            )
        evaluation_request(organization=organization, trigger=f"attestation for {requirement.citation}")
    return attestation


def attestation_withdraw(*, organization: Organization, actor: Actor, attestation: Attestation) -> None:
    with transaction.atomic():
        updated = Attestation.objects.filter(
            pk=attestation.pk, organization=organization, withdrawn_at__isnull=True
        ).update(withdrawn_at=timezone.now())
        if not updated:
            raise ServiceError("This attestation is already withdrawn.")
        audit_record(
            actor=actor,
            action="attestation.withdrawn",
            organization=organization,
            target=attestation,
            changes={"withdrawn": [False, True]},
        )
        evaluation_request(organization=organization, trigger="attestation withdrawn")


def attestation_attach_evidence(
    *, organization: Organization, actor: Actor, attestation: Attestation, evidence_id: str, today: date | None = None
) -> Evidence:
    """Back a current attestation with evidence the organization already holds; queues a re-evaluation."""
    public_id = uuid_or_none(str(evidence_id))
    evidence = (
        Evidence.objects.filter(organization=organization, public_id=public_id, is_deleted=False).first()
        if public_id is not None
        else None
    )
    if evidence is None:
        raise ServiceError("No such evidence in this organization.", field="evidence")
    with transaction.atomic():
        locked = _current_attestation(organization, attestation, today or timezone.localdate())
        evidence_link(
            organization=organization,
            actor=actor,
            evidence=evidence,
            target=(ATTESTATION_TYPE, str(locked.public_id)),
        )
        evaluation_request(organization=organization, trigger="evidence linked to attestation")
    return evidence


def attestation_evidence_add(
    *,
    organization: Organization,
    actor: Actor,
    attestation: Attestation,
    evidence_id: str = "",
    upload: UploadedFile | None = None,
    title: str = "",
    effective_date: date | None = None,
    today: date | None = None,
) -> Evidence:
    """Back a current attestation with evidence: either existing evidence (`evidence_id`) or a file uploaded now.

    An uploaded file becomes a new evidence item (titled after the requirement unless `title` is given), linked to
    the attestation in the same transaction. Either way the tracker re-evaluates.
    """
    today = today or timezone.localdate()
    if evidence_id and upload is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence")
    if evidence_id:
        return attestation_attach_evidence(
            organization=organization, actor=actor, attestation=attestation, evidence_id=evidence_id, today=today
        )
    if upload is None:
        raise ServiceError("Choose existing evidence or upload a file.", field="evidence")
    with transaction.atomic():
        locked = _current_attestation(organization, attestation, today)
        evidence = evidence_upload(
            organization=organization,
            actor=actor,
            title=title.strip() or f"Evidence for {locked.requirement.citation}",
            upload=upload,
            effective_date=effective_date or today,
            link_to=(ATTESTATION_TYPE, str(locked.public_id)),
        )
        evaluation_request(organization=organization, trigger="evidence linked to attestation")
    return evidence


def _current_attestation(organization: Organization, attestation: Attestation, today: date) -> Attestation:
    """The attestation locked against a concurrent withdrawal; refused unless it still counts. Inside a transaction."""
    locked = (
        Attestation.objects.select_for_update(of=("self",))
        .select_related("requirement")
        .filter(pk=attestation.pk, organization=organization)
        .first()
    )
    if locked is None:
        raise ServiceError("No such attestation in this organization.")
    if locked.withdrawn_at is not None:
        raise ServiceError("This attestation was withdrawn: evidence for it would count for nothing.")
    if locked.expires_on < today:
        raise ServiceError("This attestation has expired: record a new one with current evidence.")
    return locked


def decision_record(
    *,
    organization: Organization,
    actor: Actor,
    citation: str,
    decision: str,
    rationale: str,
    alternative_measure: str = "",
    review_on: date,
    today: date | None = None,
) -> AddressableDecision:
    """Document how an addressable specification is handled (164.306(d)(3)); replaces the current decision."""
    today = today or timezone.localdate()
    requirement = requirement_by_citation(citation)
    if not requirement.is_addressable:
        raise ServiceError(
            f"{requirement.citation} is required, not addressable: it takes no decision.", field="citation"
        )
    if decision not in AddressableDecision.Decision.values:
        raise ServiceError(
            f"Decision must be one of: {', '.join(AddressableDecision.Decision.values)}.", field="decision"
        )
    if not rationale.strip():
        raise ServiceError("Explain the assessment behind the decision.", field="rationale")
    if decision != AddressableDecision.Decision.IMPLEMENTED and not alternative_measure.strip():
        raise ServiceError(
            "Name the equivalent alternative measure, or say why no alternative is reasonable and appropriate.",
            field="alternative_measure",
        )
    if review_on <= today:
        raise ServiceError("The review date must be in the future.", field="review_on")
    if (review_on - today).days > MAX_DECISION_REVIEW_DAYS:
        raise ServiceError("An addressable decision must be reviewed within three years.", field="review_on")
    if actor.user is None:
        raise ServiceError("Only a person can record a decision.")
    with transaction.atomic():
        now = timezone.now()
        # Locked like decision_sign locks: a signature given meanwhile is either seen here (and recorded as
        # signed) or refused there because the decision was superseded.
        superseded = list(
            AddressableDecision.objects.select_for_update()
            .filter(organization=organization, requirement=requirement, superseded_at__isnull=True)
            .order_by("created_at", "pk")
        )
        AddressableDecision.objects.filter(pk__in=[d.pk for d in superseded]).update(superseded_at=now)
        row = AddressableDecision.objects.create(
            organization=organization,
            requirement=requirement,
            decision=decision,
            rationale=rationale.strip(),
            alternative_measure=alternative_measure.strip(),
            review_on=review_on,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="decision.recorded",
            organization=organization,
            target=row,
            changes={
                "citation": [None, requirement.citation],
                "decision": [None, decision],
                "rationale": [None, row.rationale],
                "alternative_measure": [None, row.alternative_measure],
                "review_on": [None, review_on],
                **_supersedes(superseded),
            },
        )
        evaluation_request(organization=organization, trigger=f"decision for {requirement.citation}")
    return row


def _supersedes(superseded: list[AddressableDecision]) -> dict[str, list[object]]:
    """The audit entry naming the decisions a new one replaces, and whether each had been signed."""
    if not superseded:
        return {}
    return {
        "supersedes": [None, [{"public_id": d.public_id, "signed": d.signature_id is not None} for d in superseded]]
    }


def decision_sign(*, organization: Organization, actor: Actor, decision: AddressableDecision) -> Signature:
    with transaction.atomic():
        locked = AddressableDecision.objects.select_for_update().get(pk=decision.pk, organization=organization)
        if locked.superseded_at is not None:
            raise ServiceError("This decision was replaced by a newer one; sign the current decision.")
        if locked.signature_id is not None:
            raise ServiceError("This decision is already signed.")
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.APPROVED,
            target_type=DECISION_TYPE,
            target_id=str(locked.public_id),
            content={
                "citation": locked.requirement.citation,
                "decision": locked.decision,
                "rationale": locked.rationale,
                "alternative_measure": locked.alternative_measure,
                "review_on": locked.review_on,
            },
        )
        locked.signature = signature
        locked.save(update_fields=["signature"])
        evaluation_request(organization=organization, trigger="decision signed")
    return signature


def evaluation_request(*, organization: Organization, trigger: str, actor: Actor | None = None) -> EvaluationRun:
    """Queue a background evaluation after the current transaction commits; one queued run per org suffices.

    Services that change records call it inside their own audited transaction. A person asking for an
    evaluation directly passes `actor`, and the request itself is audited.
    """
    with transaction.atomic():
        # Locking the queued run makes a worker's claim on it wait until this transaction commits (PostgreSQL;
        # SQLite serializes writers anyway), so the reused run cannot read records before this change is visible.
        queued = (
            EvaluationRun.objects.select_for_update()
            .filter(organization=organization, state=EvaluationRun.State.QUEUED)
            .first()
        )
        if queued is not None:
            return queued
        run = EvaluationRun.objects.create(organization=organization, trigger=trigger[:80])
        if actor is not None:
            audit_record(
                actor=actor,
                action="evaluation.requested",
                organization=organization,
                target=run,
                changes={"trigger": [None, run.trigger]},
            )

        def enqueue() -> None:
            from safeguard.tracker.tasks import evaluate_organization

            evaluate_organization.enqueue(run.pk)

        transaction.on_commit(enqueue)
    return run


def evaluation_run_now(*, organization: Organization, actor: Actor, trigger: str) -> EvaluationSummary:
    """Evaluate in the caller's process (commands), recorded as a run like a background one.

    The run is created already running, so a concurrent evaluation_request queues its own run instead of
    counting on this one, which may have read the records before the change it wants evaluated.
    """
    run = EvaluationRun.objects.create(
        organization=organization,
        trigger=trigger[:80],
        state=EvaluationRun.State.RUNNING,
        started_at=timezone.now(),
    )
    return _carry_out(run, actor)


def evaluation_run(*, run_id: int, actor: Actor | None = None) -> EvaluationSummary | None:
    """Carry out a queued run: mark it running, evaluate, record the outcome. A finished run is left alone."""
    claimed = EvaluationRun.objects.filter(pk=run_id, state=EvaluationRun.State.QUEUED).update(
        state=EvaluationRun.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    run = EvaluationRun.objects.select_related("organization").get(pk=run_id)
    return _carry_out(run, actor or Actor.system("tracker"))


def _carry_out(run: EvaluationRun, actor: Actor) -> EvaluationSummary:
    try:
        summary = tracker_evaluate(organization=run.organization, actor=actor)
    except Exception as exc:
        logger.exception("evaluation %s failed", run.pk)
        EvaluationRun.objects.filter(pk=run.pk).update(
            state=EvaluationRun.State.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
        )
        raise
    EvaluationRun.objects.filter(pk=run.pk).update(
        state=EvaluationRun.State.DONE,
        finished_at=timezone.now(),
        evaluated=summary.evaluated,
        changed=summary.changed,
    )
    return summary
