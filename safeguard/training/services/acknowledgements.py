"""Acknowledgements (164.308(a)(1)(ii)(C) and the security policies): the one door through which a person's
acknowledgement of a document version is recorded, and the sanction policy's mirror.

Three ways in: the person in Safeguard (their own page), the personal link sent by email (no login), and a
signed paper page recorded by a program manager with the scan as evidence. Only the current published version can
be acknowledged, once per person. Acknowledging also completes the person's open joiner steps: the sanction policy
(ACK_SANCTION), and the security policies once every published policy addressed to them is acknowledged
(ACK_SECURITY).

The sanction-policy document mirrors the sanction policy approved in the risk records: each approval adds and
publishes a version with the approved text, in the approving transaction (receivers_sanctions.py). A policy
approved before this existed is mirrored by sanction_policy_sync (daily chore, or a button on the documents page).

Documents, versions and publishing live in ack_documents.py; they are re-exported here, the area's front door.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Evidence, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import SanctionPolicy
from safeguard.risk.services.sanctions import approved_policy
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AudienceKind
from safeguard.training.queries import person_for_user
from safeguard.training.queries_acks import addressed_to, current_versions
from safeguard.training.services.ack_documents import (
    DOCUMENT_FIELDS,
    SANCTION_VERSIONS,
    TRIGGER,
    VERSION_FIELDS,
    Published,
    ack_requests_create,
    document_create,
    document_retire,
    document_update,
    publish_locked,
    version_create,
    version_name,
    version_publish,
    version_update,
)
from safeguard.workforce.models import Person, WorkflowTask
from safeguard.workforce.services.tasks import step_observed

__all__ = [
    "DOCUMENT_FIELDS",
    "SANCTION_TITLE",
    "SANCTION_VERSIONS",
    "TRIGGER",
    "VERSION_FIELDS",
    "Published",
    "ack_requests_create",
    "acknowledgement_record",
    "acknowledgement_refusal",
    "document_create",
    "document_retire",
    "document_update",
    "sanction_policy_publish",
    "sanction_policy_sync",
    "version_create",
    "version_publish",
    "version_update",
]

Method = Acknowledgement.Method
SANCTION_TITLE = "Sanction policy"
NOTE_MAX = 2000
USER_AGENT_MAX = 300


# ---- acknowledging -----------------------------------------------------------------------------------------------


def acknowledgement_refusal(version: AckDocumentVersion, person: Person) -> str:
    """Why this person cannot acknowledge this version now, or ""."""
    document = version.document
    if version.status == AckDocumentVersion.Status.DRAFT:
        return f"Version {version.number} of “{document.title}” is a draft: it cannot be acknowledged until published."
    if version.status == AckDocumentVersion.Status.SUPERSEDED:
        current = document.versions.filter(status=AckDocumentVersion.Status.PUBLISHED).first()
        now_current = f"; acknowledge version {current.number} instead" if current else ""
        return f"Version {version.number} of “{document.title}” was replaced by a newer version{now_current}."
    if document.retired_at is not None:
        return f"“{document.title}” was retired: it no longer needs acknowledging."
    if not addressed_to(document, person):
        if person.status == Person.Status.TERMINATED or person.scim_deleted:
            return f"{person.full_name} is no longer on the workforce."
        return f"“{document.title}” is not addressed to {person.full_name}."
    return ""


def _when(method: str, acknowledged_at: datetime | None, version: AckDocumentVersion, now: datetime) -> datetime:
    """In Safeguard and by link: now. On paper: the date on the page, neither ahead nor before publication."""
    if method != Method.PAPER or acknowledged_at is None:
        if method == Method.PAPER:
            raise ServiceError("Give the date the page was signed.", field="acknowledged_at")
        return now
    if timezone.is_naive(acknowledged_at):
        raise ServiceError("Give the time with its time zone.", field="acknowledged_at")
    if acknowledged_at > now:
        raise ServiceError("The page cannot be signed in the future.", field="acknowledged_at")
    published = version.published_at
    if published is not None and timezone.localdate(acknowledged_at) < timezone.localdate(published):
        raise ServiceError(
            f"Version {version.number} was published on {timezone.localdate(published):%Y-%m-%d}: a page signed "
            "before then is of an earlier text.",
            field="acknowledged_at",
        )
    return acknowledged_at


def _check_method(
    organization: Organization,
    actor: Actor,
    person: Person,
    method: str,
    evidence: Evidence | None,
    evidence_file: UploadedFile | None,
) -> None:
    if method not in Method.values:
        raise ServiceError(f"Unknown way of acknowledging {method!r}: use {', '.join(Method.values)}.", field="method")
    if method == Method.IN_APP:
        user = actor.user
        found = person_for_user(organization, user) if user is not None else None
        if found is None or found.pk != person.pk:
            raise ServiceError(
                "Only the person can acknowledge in Safeguard; record a signed paper page for someone else.",
                field="person",
            )
    if method == Method.PAPER:
        if evidence is None and evidence_file is None:
            raise ServiceError("Attach the signed page (a scan or a photo).", field="evidence_file")
        if evidence is not None and evidence_file is not None:
            raise ServiceError("Pick existing evidence or upload the signed page, not both.", field="evidence_file")
    if evidence is not None and (evidence.organization_id != organization.pk or evidence.is_deleted):
        raise ServiceError("Pick evidence of this organization that was not deleted.", field="evidence")


def _repeat(existing: Acknowledgement, method: str, person: Person) -> Acknowledgement:
    """Acknowledging twice: nothing changes. Said plainly to whoever records a paper page for it."""
    if method == Method.PAPER:
        when = timezone.localdate(existing.acknowledged_at)
        raise ServiceError(
            f"{person.full_name} already acknowledged version {existing.version.number} on {when:%Y-%m-%d} "
            f"({existing.get_method_display().lower()}).",
            field="person",
        )
    return existing


def acknowledgement_record(
    *,
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    person: Person,
    method: str,
    acknowledged_at: datetime | None = None,
    ip: str | None = None,
    user_agent: str = "",
    evidence: Evidence | None = None,
    evidence_file: UploadedFile | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Acknowledgement:
    """Record that `person` read and understood `version` (the current published version of a document addressed
    to them). A repeat is a no-op returning the first acknowledgement, except on paper, where it is refused."""
    now = now or timezone.now()
    if version.organization_id != organization.pk:
        raise ServiceError("No such document version in this organization.", field="version")
    if person.organization_id != organization.pk:
        raise ServiceError("No such person on this organization's roster.", field="person")
    _check_method(organization, actor, person, method, evidence, evidence_file)
    if len(note) > NOTE_MAX:
        raise ServiceError(f"A note has at most {NOTE_MAX} characters.", field="note")
    with transaction.atomic():
        # The version's lock orders this with its publication or supersession.
        locked = (
            AckDocumentVersion.objects.select_for_update(of=("self",))
            .select_related("document")
            .get(pk=version.pk, organization=organization)
        )
        existing = Acknowledgement.objects.filter(version=locked, person=person).select_related("version").first()
        if existing is not None:
            return _repeat(existing, method, person)
        refusal = acknowledgement_refusal(locked, person)
        if refusal:
            raise ServiceError(refusal, field="version")
        at = _when(method, acknowledged_at, locked, now)
        if evidence_file is not None:
            evidence = _signed_page(organization, actor, locked, person, at, evidence_file)
        acknowledgement = Acknowledgement.objects.create(
            organization=organization,
            version=locked,
            person=person,
            acknowledged_at=at,
            method=method,
            recorded_by=actor.user,
            ip=ip or None,
            user_agent=user_agent[:USER_AGENT_MAX],
            evidence=evidence,
            note=note.strip(),
        )
        audit_record(
            actor=actor,
            action="training.acknowledgement.recorded",
            organization=organization,
            target=acknowledgement,
            object_repr=f"{version_name(locked)} acknowledged by {person.full_name}"[:300],
            changes={
                "version": [None, version_name(locked)],
                "person": [None, person.public_id],
                "method": [None, method],
                "acknowledged_at": [None, at],
                **({"evidence": [None, evidence]} if evidence is not None else {}),
            },
        )
        _joiner_steps(organization, actor, locked, person, acknowledgement)
        request_evaluation_on_commit(organization, TRIGGER)
    return acknowledgement


def _signed_page(
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    person: Person,
    at: datetime,
    upload: UploadedFile,
) -> Evidence:
    try:
        return evidence_upload(
            organization=organization,
            actor=actor,
            title=f"Signed acknowledgement of {version_name(version)} by {person.full_name}"[:200],
            upload=upload,
            effective_date=timezone.localdate(at),
        )
    except ServiceError as error:
        raise ServiceError(error.message, field="evidence_file") from None


def _joiner_steps(
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    person: Person,
    acknowledgement: Acknowledgement,
) -> None:
    """Complete the joiner steps this acknowledgement finishes, if the person has an open joiner workflow."""
    document, at = version.document, acknowledgement.acknowledged_at
    how = acknowledgement.get_method_display().lower()
    if document.kind == AckDocument.Kind.SANCTION_POLICY:
        step_observed(
            organization=organization,
            actor=actor,
            person=person,
            kind=WorkflowTask.Kind.ACK_SANCTION,
            done_at=at,
            note=f"Acknowledged {version_name(version)} ({how}).",
        )
    elif document.kind == AckDocument.Kind.POLICY:
        policies = [
            v
            for v in current_versions(organization).filter(document__kind=AckDocument.Kind.POLICY)
            if addressed_to(v.document, person)
        ]
        signed = set(
            Acknowledgement.objects.filter(person=person, version__in=policies).values_list("version_id", flat=True)
        )
        if policies and all(v.pk in signed for v in policies):
            names = ", ".join(version_name(v) for v in sorted(policies, key=lambda v: v.document.title.lower()))
            step_observed(
                organization=organization,
                actor=actor,
                person=person,
                kind=WorkflowTask.Kind.ACK_SECURITY,
                done_at=at,
                note=f"Acknowledged every security policy addressed to them: {names}.",
            )


# ---- the sanction policy's mirror ----------------------------------------------------------------------------------


def _sanction_document(organization: Organization, actor: Actor) -> AckDocument:
    """The organization's sanction-policy document, locked; made on first use (for everyone on the roster)."""
    document = (
        AckDocument.objects.select_for_update()
        .filter(organization=organization, kind=AckDocument.Kind.SANCTION_POLICY)
        .first()
    )
    if document is not None:
        return document
    title = SANCTION_TITLE
    if AckDocument.objects.filter(organization=organization, title__iexact=title).exists():
        title = f"{SANCTION_TITLE} (approved)"
    document = AckDocument.objects.create(
        organization=organization,
        title=title,
        kind=AckDocument.Kind.SANCTION_POLICY,
        audience=AudienceKind.EVERYONE,
        created_by=actor.user,
    )
    audit_record(
        actor=actor,
        action="training.ack_document.created",
        organization=organization,
        target=document,
        changes={"title": [None, title], "kind": [None, document.kind], "audience": [None, document.audience]},
    )
    return document


def sanction_policy_publish(
    *,
    organization: Organization,
    policy: SanctionPolicy,
    actor: Actor,
    today: date | None = None,
    now: datetime | None = None,
    trigger: str = TRIGGER,
) -> AckDocumentVersion:
    """Publish the approved sanction policy for everyone to acknowledge: a version of the sanction-policy document
    with the approved text (numbered like the policy), replacing the version before it. Mirroring the same policy
    twice returns the version made the first time."""
    if policy.organization_id != organization.pk:
        raise ServiceError("That sanction policy belongs to another organization.")
    if policy.status != SanctionPolicy.Status.APPROVED:
        raise ServiceError(f"Sanction policy v{policy.version} is not approved: only the approved text is published.")
    now = now or timezone.now()
    with transaction.atomic():
        document = _sanction_document(organization, actor)
        mirrored = AckDocumentVersion.objects.filter(sanction_policy=policy).select_related("document").first()
        if mirrored is not None:
            return mirrored
        highest = document.versions.aggregate(n=Max("number"))["n"] or 0
        version = AckDocumentVersion.objects.create(
            organization=organization,
            document=document,
            number=policy.version if policy.version > highest else highest + 1,
            body=policy.body,
            summary=f"Sanction policy v{policy.version} as approved in the risk records.",
            file=policy.document,
            sanction_policy=policy,
        )
        audit_record(
            actor=actor,
            action="training.ack_version.created",
            organization=organization,
            target=version,
            object_repr=version_name(version),
            changes={"number": [None, version.number], "sanction_policy": [None, policy]},
        )
        publish_locked(organization, actor, version, today or timezone.localdate(now), now, trigger)
    return version


def sanction_policy_sync(*, organization: Organization, actor: Actor) -> AckDocumentVersion | None:
    """Mirror the approved sanction policy when it has no published version here (approved before the training
    app existed); None when there is nothing to do."""
    policy = approved_policy(organization)
    if policy is None or AckDocumentVersion.objects.filter(sanction_policy=policy).exists():
        return None
    return sanction_policy_publish(organization=organization, policy=policy, actor=actor)
