"""The sanction policy (versions, approval, yearly review) and the confidential sanctions log (164.308(a)(1)(ii)(C)).

The log names people and what they did. Every read of it is audited, and its audit events carry field names and the
sanction level only: auditors read the audit trail, and the trail must not become a copy of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import EARLIEST, add_months
from safeguard.core.models import Evidence, Membership, Organization, Signature, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.core.services.evidence import evidence_link, evidence_upload
from safeguard.core.services.signatures import signature_create
from safeguard.risk.models import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.signals import sanction_policy_approved, sanction_recorded

POLICY_TYPE = "risk.sanctionpolicy"
LOG_TYPE = "risk.sanctionlog"  # signatures saying the log was reviewed; target id: the organization's public id
POLICY_FIELDS = ("title", "body", "document")
SANCTION_FIELDS = (
    "person_name",
    "person",
    "occurred_on",
    "decided_on",
    "violation",
    "policy_breached",
    "incident_reference",
    "level",
    "decided_by",
    "notes",
)
CONFIDENTIAL = "(confidential)"
REVIEW_MONTHS = 12  # the policy is reviewed yearly
Status = SanctionPolicy.Status


# ---- reads the pages, API and check share ---------------------------------------------------------------------


def approved_policy(organization: Organization) -> SanctionPolicy | None:
    return (
        SanctionPolicy.objects.filter(organization=organization, status=Status.APPROVED)
        .select_related("approval__signer")
        .order_by("-version")
        .first()
    )


def review_lapses_on(policy: SanctionPolicy) -> date | None:
    """The first day the approved policy is no longer current: 12 months after its approval or latest review."""
    reviewed_at = policy.last_reviewed_at or policy.approved_at
    return add_months(timezone.localdate(reviewed_at), REVIEW_MONTHS) if reviewed_at else None


def policy_signatures(policy: SanctionPolicy) -> QuerySet[Signature]:
    """The approval and every review of one version, newest first."""
    return Signature.objects.filter(
        organization_id=policy.organization_id, target_type=POLICY_TYPE, target_id=str(policy.public_id)
    ).select_related("signer")


def log_reviews(organization: Organization) -> QuerySet[Signature]:
    return Signature.objects.filter(
        organization=organization,
        target_type=LOG_TYPE,
        target_id=str(organization.public_id),
        meaning=Signature.Meaning.REVIEWED,
    ).select_related("signer")


def latest_sanction_decided_on(organization: Organization, today: date) -> date | None:
    found: date | None = SanctionRecord.objects.filter(organization=organization, decided_on__lte=today).aggregate(
        latest=Max("decided_on")
    )["latest"]
    return found


# ---- the policy -----------------------------------------------------------------------------------------------


def _check_policy_text(title: str, body: str) -> None:
    if not title.strip():
        raise ServiceError("Give the policy a title.", field="title")
    if not body.strip():
        raise ServiceError("Write the policy text: it is what the workforce will read.", field="body")


def _check_document(organization: Organization, document: Evidence | None) -> None:
    if document is not None and document.organization_id != organization.pk:
        raise ServiceError("That evidence belongs to another organization.", field="document")
    if document is not None and document.is_deleted:
        raise ServiceError("That evidence was deleted.", field="document")


def _attach_document(
    organization: Organization, actor: Actor, policy: SanctionPolicy, document_file: UploadedFile | None
) -> None:
    """Store an uploaded file as the policy's document, or link the chosen evidence; the caller saves."""
    target = (POLICY_TYPE, str(policy.public_id))
    if document_file is not None:
        try:
            policy.document = evidence_upload(
                organization=organization,
                actor=actor,
                title=f"{policy.title} v{policy.version}"[:200],
                upload=document_file,
                effective_date=timezone.localdate(),
                link_to=target,
            )
        except ServiceError as error:
            raise ServiceError(error.message, field="document_file") from None
    elif policy.document is not None:
        evidence_link(organization=organization, actor=actor, evidence=policy.document, target=target)


def sanction_policy_create(
    *,
    organization: Organization,
    actor: Actor,
    body: str,
    title: str = "Sanction policy",
    document: Evidence | None = None,
    document_file: UploadedFile | None = None,
) -> SanctionPolicy:
    """A new draft version, numbered after the organization's highest version."""
    if actor.user is None:
        raise ServiceError("Only a person can write the sanction policy.")
    _check_policy_text(title, body)
    _check_document(organization, document)
    if document is not None and document_file is not None:
        raise ServiceError("Pick existing evidence or upload a file, not both.", field="document_file")
    with transaction.atomic():
        # The organization row is the lock: two drafts written at once cannot take the same number.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        latest = SanctionPolicy.objects.filter(organization=organization).aggregate(n=Max("version"))["n"] or 0
        policy = SanctionPolicy.objects.create(
            organization=organization,
            version=latest + 1,
            title=title.strip(),
            body=body.strip(),
            document=document,
            created_by=actor.user,
        )
        _attach_document(organization, actor, policy, document_file)
        policy.save(update_fields=["document"])
        audit_record(
            actor=actor,
            action="risk.sanction_policy.created",
            organization=organization,
            target=policy,
            changes={name: [None, value] for name, value in snapshot(policy, ("version", *POLICY_FIELDS)).items()},
        )
    return policy


def _locked_policy(organization: Organization, policy: SanctionPolicy) -> SanctionPolicy:
    return (
        # Lock the policy row only: the document is a nullable join PostgreSQL cannot lock.
        SanctionPolicy.objects.select_for_update(of=("self",))
        .select_related("document")
        .get(pk=policy.pk, organization=organization)
    )


def sanction_policy_update(
    *,
    organization: Organization,
    actor: Actor,
    policy: SanctionPolicy,
    document_file: UploadedFile | None = None,
    **values: Any,
) -> SanctionPolicy:
    """Change a draft's title, body or document (`document=None` removes it). Approved versions are frozen."""
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if values.get("document") is not None and document_file is not None:
        raise ServiceError("Pick existing evidence or upload a file, not both.", field="document_file")
    with transaction.atomic():
        locked = _locked_policy(organization, policy)
        if locked.status != Status.DRAFT:
            raise ServiceError(
                f"Version {locked.version} is {locked.get_status_display().lower()}; only a draft can be edited. "
                "Create a new version instead."
            )
        before = snapshot(locked, POLICY_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        _check_policy_text(locked.title, locked.body)
        if document_file is not None or locked.document != before["document"]:
            _check_document(organization, locked.document)
            _attach_document(organization, actor, locked, document_file)
        changes = field_changes(before, snapshot(locked, POLICY_FIELDS))
        if changes:
            locked.save()
            audit_record(
                actor=actor,
                action="risk.sanction_policy.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
    return locked


def signed_content(policy: SanctionPolicy) -> dict[str, object]:
    """What an approval or review signature vouches for: the text and the document's bytes as they stood."""
    version = policy.document.versions.order_by("-number").first() if policy.document else None
    return {
        "version": policy.version,
        "title": policy.title,
        "body": policy.body,
        "document_sha256": version.sha256 if version else None,
    }


def _statement(statement: str) -> str:
    if not statement.strip():
        raise ServiceError("Write the statement you are signing.", field="statement")
    return statement.strip()


def sanction_policy_approve(
    *, organization: Organization, actor: Actor, policy: SanctionPolicy, statement: str
) -> SanctionPolicy:
    """Sign a draft as approved; the version approved before it becomes superseded."""
    statement = _statement(statement)
    with transaction.atomic():
        locked = _locked_policy(organization, policy)
        if locked.status != Status.DRAFT:
            raise ServiceError(f"Version {locked.version} is {locked.get_status_display().lower()}, not a draft.")
        _check_policy_text(locked.title, locked.body)
        current = list(
            SanctionPolicy.objects.select_for_update().filter(organization=organization, status=Status.APPROVED)
        )
        newer = [p.version for p in current if p.version > locked.version]
        if newer:
            raise ServiceError(
                f"Version {max(newer)} is already approved and is newer than this draft; write a new version instead."
            )
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.APPROVED,
            target_type=POLICY_TYPE,
            target_id=str(locked.public_id),
            content=signed_content(locked),
            statement=statement,
        )
        SanctionPolicy.objects.filter(pk__in=[p.pk for p in current]).update(status=Status.SUPERSEDED)
        locked.status = Status.APPROVED
        locked.approval = signature
        locked.approved_at = locked.last_reviewed_at = signature.signed_at
        locked.save(update_fields=["status", "approval", "approved_at", "last_reviewed_at"])
        audit_record(
            actor=actor,
            action="risk.sanction_policy.approved",
            organization=organization,
            target=locked,
            changes={
                "status": [Status.DRAFT, Status.APPROVED],
                "approved_at": [None, locked.approved_at],
                "signature": [None, signature],
                **({"supersedes": [None, [f"v{p.version}" for p in current]]} if current else {}),
            },
        )
        sanction_policy_approved.send(sender=SanctionPolicy, organization=organization, policy=locked, actor=actor)
        transaction.on_commit(lambda: request_evaluation(organization, "risk.sanction_policy_approved"))
    return locked


def sanction_policy_review(
    *, organization: Organization, actor: Actor, policy: SanctionPolicy, statement: str
) -> SanctionPolicy:
    """The yearly review of the approved version, signed: the text stands as it is, no new version."""
    statement = _statement(statement)
    with transaction.atomic():
        locked = _locked_policy(organization, policy)
        if locked.status != Status.APPROVED:
            raise ServiceError(
                f"Version {locked.version} is {locked.get_status_display().lower()}; only the approved version "
                "can be reviewed."
            )
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.REVIEWED,
            target_type=POLICY_TYPE,
            target_id=str(locked.public_id),
            content=signed_content(locked),
            statement=statement,
        )
        before = locked.last_reviewed_at
        locked.last_reviewed_at = signature.signed_at
        locked.save(update_fields=["last_reviewed_at"])
        audit_record(
            actor=actor,
            action="risk.sanction_policy.reviewed",
            organization=organization,
            target=locked,
            changes={"last_reviewed_at": [before, locked.last_reviewed_at], "signature": [None, signature]},
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.sanction_policy_reviewed"))
    return locked


# ---- the log --------------------------------------------------------------------------------------------------


# The dashboard shows what triggered an evaluation to every program reader: one neutral label for all log writes,
# so the trigger does not tell them when a sanction was recorded.
SANCTIONS_TRIGGER = "risk.sanctions"


def _masked(changes: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """Field names with their values hidden. Auditors read the audit trail but not the log, so even the level
    (a termination, say) stays out of it: the trail shows that a sanction changed, when and by whom."""
    return {name: [None if pair[0] is None else CONFIDENTIAL, CONFIDENTIAL] for name, pair in changes.items()}


def _check_sanction(organization: Organization, record: SanctionRecord, today: date) -> None:
    for name, what in (
        ("person_name", "Name the person sanctioned."),
        ("violation", "Describe the violation."),
        ("policy_breached", "Name the policy or procedure that was breached."),
    ):
        if not str(getattr(record, name)).strip():
            raise ServiceError(what, field=name)
    if record.level not in SanctionLevel.values:
        raise ServiceError(f"Level must be one of: {', '.join(SanctionLevel.values)}.", field="level")
    if not isinstance(record.occurred_on, date) or record.occurred_on < EARLIEST:
        raise ServiceError(f"The violation date must be on or after {EARLIEST:%Y-%m-%d}.", field="occurred_on")
    if not isinstance(record.decided_on, date) or record.decided_on > today:
        raise ServiceError("The decision date cannot be in the future.", field="decided_on")
    if record.occurred_on > record.decided_on:
        raise ServiceError("The violation cannot have happened after the decision on it.", field="occurred_on")
    members = Membership.objects.filter(organization=organization)
    if not members.current(today).filter(user_id=record.decided_by_id).exists():
        raise ServiceError("Whoever decided must be a current member of this organization.", field="decided_by")
    if record.person_id is not None and not members.filter(user_id=record.person_id).exists():
        raise ServiceError("The person linked must be a member of this organization.", field="person")


def sanction_create(
    *,
    organization: Organization,
    actor: Actor,
    person_name: str,
    occurred_on: date,
    decided_on: date,
    violation: str,
    policy_breached: str,
    level: str,
    decided_by: User,
    person: User | None = None,
    incident_reference: str = "",
    notes: str = "",
    today: date | None = None,
) -> SanctionRecord:
    if actor.user is None:
        raise ServiceError("Only a person can record a sanction.")
    record = SanctionRecord(
        organization=organization,
        person_name=person_name.strip(),
        person=person,
        occurred_on=occurred_on,
        decided_on=decided_on,
        violation=violation.strip(),
        policy_breached=policy_breached.strip(),
        incident_reference=incident_reference.strip(),
        level=level,
        decided_by=decided_by,
        notes=notes.strip(),
        created_by=actor.user,
    )
    _check_sanction(organization, record, today or timezone.localdate())
    with transaction.atomic():
        record.save()
        recorded = {name: value for name, value in snapshot(record, SANCTION_FIELDS).items() if value not in (None, "")}
        audit_record(
            actor=actor,
            action="risk.sanction.recorded",
            organization=organization,
            target=record,
            changes=_masked({name: [None, value] for name, value in recorded.items()}),
        )
        transaction.on_commit(lambda: request_evaluation(organization, SANCTIONS_TRIGGER))
        sanction_recorded.send(sender=SanctionRecord, organization=organization, sanction=record)
    return record


def sanction_update(
    *, organization: Organization, actor: Actor, sanction: SanctionRecord, today: date | None = None, **values: Any
) -> SanctionRecord:
    unknown = set(values) - set(SANCTION_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = SanctionRecord.objects.select_for_update().get(pk=sanction.pk, organization=organization)
        before = snapshot(locked, SANCTION_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value.strip() if isinstance(value, str) and name != "level" else value)
        _check_sanction(organization, locked, today or timezone.localdate())
        changes = field_changes(before, snapshot(locked, SANCTION_FIELDS))
        if changes:
            locked.save()
            audit_record(
                actor=actor,
                action="risk.sanction.updated",
                organization=organization,
                target=locked,
                changes=_masked(changes),
            )
            if "decided_on" in changes:
                transaction.on_commit(lambda: request_evaluation(organization, SANCTIONS_TRIGGER))
            sanction_recorded.send(sender=SanctionRecord, organization=organization, sanction=locked)
    return locked


def sanction_read_record(*, organization: Organization, actor: Actor, sanction: SanctionRecord) -> None:
    """Who opened which sanction, when: the log's access record."""
    with transaction.atomic():
        audit_record(actor=actor, action="risk.sanction.viewed", organization=organization, target=sanction)


def sanctions_list_record(
    *, organization: Organization, actor: Actor, filters: Mapping[str, object], shown: Iterable[SanctionRecord]
) -> None:
    """One event per page of the log read: the filters and page asked for and which records were on it."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="risk.sanctions.listed",
            organization=organization,
            object_type=LOG_TYPE,
            object_id=str(organization.public_id),
            object_repr="Sanctions log",
            changes={
                "filters": [None, {name: value for name, value in filters.items() if value not in (None, "")}],
                "shown": [None, [str(record.public_id) for record in shown]],
            },
        )


def sanction_log_review(*, organization: Organization, actor: Actor, statement: str) -> Signature:
    """Sign that the log was reviewed for a period (named in the statement), so an empty log shows it is kept."""
    statement = _statement(statement)
    with transaction.atomic():
        # The hash covers which records stood at the review, never their content.
        records = SanctionRecord.objects.filter(organization=organization).order_by("public_id")
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.REVIEWED,
            target_type=LOG_TYPE,
            target_id=str(organization.public_id),
            content={"statement": statement, "records": list(records.values_list("public_id", flat=True))},
            statement=statement,
        )
        transaction.on_commit(lambda: request_evaluation(organization, SANCTIONS_TRIGGER))
    return signature
