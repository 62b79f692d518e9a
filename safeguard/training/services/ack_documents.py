"""Documents people must acknowledge (policies, quick-reference guides) and their versions.

A version is written as a draft, edited while it is one, then published: the version published before it becomes
superseded, and every current person of the document's audience is asked to acknowledge the new one (an
acknowledgement request due `due_days` later, and an email with a personal link, sent after the commit). The
audit trail counts the people asked; it does not list them.

The sanction-policy document is not written here: its versions mirror the sanction policy approved in the risk
records (services/acknowledgements.py: sanction_policy_publish).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Evidence, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.evidence import evidence_upload
from safeguard.training.audiences import audience_error, clean_values
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AckRequest, AudienceKind, Topic
from safeguard.training.queries_acks import audience_people

Kind = AckDocument.Kind
Status = AckDocumentVersion.Status
DOCUMENT_FIELDS = ("title", "kind", "topic", "audience", "audience_values", "due_days")
VERSION_FIELDS = ("body", "summary", "file")
TRIGGER = "training.acknowledgements"
DUE_DAYS_MAX = 365
TITLE_MAX = 200
SUMMARY_MAX = 500
WRITABLE_KINDS = (Kind.POLICY, Kind.QUICK_REFERENCE)
SANCTION_VERSIONS = (
    "Sanction-policy versions come from the sanction policy approved in the risk records: write and approve the "
    "new text there, and it is published here for acknowledgement."
)


def version_name(version: AckDocumentVersion) -> str:
    return f"{version.document.title} v{version.number}"


# ---- documents ---------------------------------------------------------------------------------------------------


def _document_errors(organization: Organization, document: AckDocument) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not document.title:
        errors["title"] = "Give the document a title, e.g. “Acceptable use policy”."
    elif len(document.title) > TITLE_MAX:
        errors["title"] = f"A title has at most {TITLE_MAX} characters."
    elif (
        AckDocument.objects.filter(organization=organization, title__iexact=document.title)
        .exclude(pk=document.pk)
        .exists()
    ):
        errors["title"] = f"Another document is already titled “{document.title}”: pick another title."
    if document.kind not in Kind.values:
        errors["kind"] = "Choose a policy or a quick-reference guide."
    if document.topic is not None and document.topic.organization_id != organization.pk:
        errors["topic"] = "Pick a topic of this organization."
    problem = audience_error(document.audience, list(document.audience_values))
    if problem:
        errors["audience_values" if document.audience in AudienceKind.values else "audience"] = problem
    due = document.due_days
    if not isinstance(due, int) or isinstance(due, bool) or not 1 <= due <= DUE_DAYS_MAX:
        errors["due_days"] = f"People have between 1 and {DUE_DAYS_MAX} days to acknowledge."
    return errors


def _clean_document_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    if "audience_values" in cleaned:
        cleaned["audience_values"] = clean_values(list(cleaned["audience_values"] or []))
    return cleaned


def document_create(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    kind: str,
    topic: Topic | None = None,
    audience: str = AudienceKind.EVERYONE,
    audience_values: Iterable[str] = (),
    due_days: int = 30,
) -> AckDocument:
    """A policy or quick-reference guide to be acknowledged; it has no version until one is written."""
    if kind == Kind.SANCTION_POLICY:
        raise ServiceError(
            "The sanction-policy document is made when the sanction policy is approved in the risk records; "
            "add a policy or a quick-reference guide here.",
            field="kind",
        )
    values = _clean_document_values(
        {"title": title, "kind": kind, "audience": audience, "audience_values": list(audience_values)}
    )
    document = AckDocument(organization=organization, topic=topic, due_days=due_days, created_by=actor.user, **values)
    with transaction.atomic():
        ServiceError.raise_first(_document_errors(organization, document))
        document.save()
        audit_record(
            actor=actor,
            action="training.ack_document.created",
            organization=organization,
            target=document,
            changes={name: [None, value] for name, value in snapshot(document, DOCUMENT_FIELDS).items()},
        )
    return document


def _locked_document(organization: Organization, document: AckDocument) -> AckDocument:
    return (
        AckDocument.objects.select_for_update(of=("self",))
        .select_related("topic")
        .get(pk=document.pk, organization=organization)
    )


def _refuse_retired(document: AckDocument) -> None:
    if document.retired_at is not None:
        raise ServiceError(f"“{document.title}” is retired: it no longer changes.")


def document_update(
    *, organization: Organization, actor: Actor, document: AckDocument, today: date | None = None, **values: Any
) -> AckDocument:
    """Change the title, kind, topic, audience or days to acknowledge; fields left out keep their value.

    People who join the audience are asked to acknowledge the current version at once; people who leave it no
    longer owe it (their earlier requests and acknowledgements stay on record). A new number of days applies to
    requests made from then on."""
    unknown = set(values) - set(DOCUMENT_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = _locked_document(organization, document)
        _refuse_retired(locked)
        before = snapshot(locked, DOCUMENT_FIELDS)
        cleaned = _clean_document_values(values)
        if locked.kind == Kind.SANCTION_POLICY:
            fixed = [name for name in ("kind", "audience", "audience_values") if name in cleaned]
            if any(cleaned[name] != before[name] for name in fixed):
                raise ServiceError(
                    "The sanction policy is for everyone on the roster: its kind and audience do not change.",
                    field="audience",
                )
        elif cleaned.get("kind") == Kind.SANCTION_POLICY:
            raise ServiceError("Only the approved sanction policy is a sanction-policy document.", field="kind")
        for name, value in cleaned.items():
            setattr(locked, name, value)
        ServiceError.raise_first(_document_errors(organization, locked))
        changes = field_changes(before, snapshot(locked, DOCUMENT_FIELDS))
        if not changes:
            return locked
        locked.save()
        if {"audience", "audience_values"} & set(changes):
            current = locked.versions.select_for_update().filter(status=Status.PUBLISHED).first()
            if current is not None:
                asked = _ask(current, today or timezone.localdate(), timezone.now())
                changes["requested"] = [None, len(asked)]
                _email_after_commit(current, asked)
        audit_record(
            actor=actor,
            action="training.ack_document.updated",
            organization=organization,
            target=locked,
            changes=changes,
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def document_retire(*, organization: Organization, actor: Actor, document: AckDocument) -> AckDocument:
    """Nobody is asked to acknowledge the document any more; its versions and acknowledgements stay on record."""
    with transaction.atomic():
        locked = _locked_document(organization, document)
        if locked.kind == Kind.SANCTION_POLICY:
            raise ServiceError(
                "The sanction policy stays in force while one is approved in the risk records: it is not retired here."
            )
        _refuse_retired(locked)
        locked.retired_at = timezone.now()
        locked.save(update_fields=["retired_at"])
        audit_record(
            actor=actor,
            action="training.ack_document.retired",
            organization=organization,
            target=locked,
            changes={"retired_at": [None, locked.retired_at]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


# ---- versions ----------------------------------------------------------------------------------------------------


def _check_file(organization: Organization, file: Evidence | None, upload: UploadedFile | None) -> None:
    if file is not None and upload is not None:
        raise ServiceError("Pick existing evidence or upload a file, not both.", field="file_upload")
    if file is not None and (file.organization_id != organization.pk or file.is_deleted):
        raise ServiceError("Pick evidence of this organization that was not deleted.", field="file")


def _check_text(body: str, summary: str) -> None:
    if not body:
        raise ServiceError("Write the document's text: it is what people read and acknowledge.", field="body")
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(f"The summary of changes has at most {SUMMARY_MAX} characters.", field="summary")


def _stored(
    organization: Organization, actor: Actor, document: AckDocument, number: int, upload: UploadedFile | None
) -> Evidence | None:
    if upload is None:
        return None
    try:
        return evidence_upload(
            organization=organization,
            actor=actor,
            title=f"{document.title} v{number}"[:200],
            upload=upload,
            effective_date=timezone.localdate(),
        )
    except ServiceError as error:
        raise ServiceError(error.message, field="file_upload") from None


def version_changes(version: AckDocumentVersion) -> dict[str, list[Any]]:
    return {
        "number": [None, version.number],
        **{name: [None, value] for name, value in snapshot(version, VERSION_FIELDS).items()},
    }


def version_create(
    *,
    organization: Organization,
    actor: Actor,
    document: AckDocument,
    body: str,
    summary: str = "",
    file: Evidence | None = None,
    file_upload: UploadedFile | None = None,
) -> AckDocumentVersion:
    """A new draft, numbered after the document's highest version. One draft at a time."""
    body, summary = body.strip(), summary.strip()
    _check_text(body, summary)
    _check_file(organization, file, file_upload)
    with transaction.atomic():
        locked = _locked_document(organization, document)
        if locked.kind == Kind.SANCTION_POLICY:
            raise ServiceError(SANCTION_VERSIONS)
        _refuse_retired(locked)
        draft = locked.versions.filter(status=Status.DRAFT).first()
        if draft is not None:
            raise ServiceError(f"Version {draft.number} is still a draft: edit or publish it before starting another.")
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = AckDocumentVersion.objects.create(
            organization=organization,
            document=locked,
            number=number,
            body=body,
            summary=summary,
            file=file or _stored(organization, actor, locked, number, file_upload),
        )
        audit_record(
            actor=actor,
            action="training.ack_version.created",
            organization=organization,
            target=version,
            object_repr=version_name(version),
            changes=version_changes(version),
        )
    return version


def _locked_version(organization: Organization, version: AckDocumentVersion) -> AckDocumentVersion:
    return (
        AckDocumentVersion.objects.select_for_update(of=("self",))
        .select_related("document")
        .get(pk=version.pk, organization=organization)
    )


def version_update(
    *,
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    file_upload: UploadedFile | None = None,
    **values: Any,
) -> AckDocumentVersion:
    """Change a draft's text, summary of changes or file (`file=None` removes it). Published versions are frozen:
    people acknowledged exactly that text."""
    unknown = set(values) - set(VERSION_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = _locked_version(organization, version)
        if locked.status != Status.DRAFT:
            raise ServiceError(
                f"Version {locked.number} is {locked.get_status_display().lower()}: only a draft can be edited. "
                "Start a new version instead."
            )
        before = snapshot(locked, VERSION_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        _check_text(locked.body, locked.summary)
        _check_file(organization, values.get("file"), file_upload)
        if file_upload is not None:
            locked.file = _stored(organization, actor, locked.document, locked.number, file_upload)
        changes = field_changes(before, snapshot(locked, VERSION_FIELDS))
        if changes:
            locked.save()
            audit_record(
                actor=actor,
                action="training.ack_version.updated",
                organization=organization,
                target=locked,
                object_repr=version_name(locked),
                changes=changes,
            )
    return locked


# ---- publishing and asking ---------------------------------------------------------------------------------------


def _ask(version: AckDocumentVersion, today: date, now: datetime) -> list[AckRequest]:
    """Requests for the audience's current people not yet asked and not yet acknowledged. The caller holds the
    version's lock, so two runs cannot ask the same person twice."""
    asked = AckRequest.objects.filter(version=version).values("person_id")
    signed = Acknowledgement.objects.filter(version=version).values("person_id")
    people = audience_people(version.document).exclude(pk__in=asked).exclude(pk__in=signed)
    due_on = today + timedelta(days=version.document.due_days)
    made = [
        AckRequest(
            organization_id=version.organization_id, version=version, person_id=pk, requested_at=now, due_on=due_on
        )
        for pk in people.order_by("pk").values_list("pk", flat=True)
    ]
    AckRequest.objects.bulk_create(made, batch_size=1000)
    return made


def _email_after_commit(version: AckDocumentVersion, asked: list[AckRequest]) -> None:
    if not asked:
        return

    def enqueue() -> None:
        from safeguard.training.tasks_acks import send_ack_requests

        send_ack_requests.enqueue(version_id=version.pk)

    transaction.on_commit(enqueue)


@dataclass(frozen=True)
class Published:
    version: AckDocumentVersion
    requested: int  # people asked to acknowledge it
    superseded: int | None  # the number of the version it replaced


def publish_locked(
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    today: date,
    now: datetime,
    trigger: str = TRIGGER,
) -> Published:
    """Publish a draft whose row (and document) the caller locked: shared with the sanction-policy mirror, which
    names the approval as the evaluation's trigger."""
    document = version.document
    if version.status != Status.DRAFT:
        raise ServiceError(
            f"Version {version.number} is {version.get_status_display().lower()}: only a draft can be published."
        )
    _refuse_retired(document)
    _check_text(version.body, version.summary)
    current = list(document.versions.select_for_update().filter(status=Status.PUBLISHED))
    newer = [v.number for v in current if v.number > version.number]
    if newer:
        raise ServiceError(f"Version {max(newer)} is already published and is newer than this draft.")
    AckDocumentVersion.objects.filter(pk__in=[v.pk for v in current]).update(status=Status.SUPERSEDED)
    version.status, version.published_at, version.published_by = Status.PUBLISHED, now, actor.user
    version.save(update_fields=["status", "published_at", "published_by"])
    asked = _ask(version, today, now)
    replaced = current[0].number if current else None
    audit_record(
        actor=actor,
        action="training.ack_version.published",
        organization=organization,
        target=version,
        object_repr=version_name(version),
        changes={
            "status": [Status.DRAFT, Status.PUBLISHED],
            "published_at": [None, now],
            "requested": [None, len(asked)],
            **({"supersedes": [None, f"v{replaced}"]} if replaced is not None else {}),
        },
    )
    _email_after_commit(version, asked)
    request_evaluation_on_commit(organization, trigger)
    return Published(version, len(asked), replaced)


def version_publish(
    *,
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    today: date | None = None,
    now: datetime | None = None,
) -> Published:
    """Publish a draft: the version published before it is superseded, and everyone in the audience today is asked
    to acknowledge this one by `today` + the document's days (acknowledgements of earlier versions do not count for
    it). The emails go out after the commit."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_version(organization, version)
        _locked_document(organization, locked.document)
        return publish_locked(organization, actor, locked, today or timezone.localdate(now), now)


def ack_requests_create(
    *,
    organization: Organization,
    actor: Actor,
    version: AckDocumentVersion,
    today: date | None = None,
    now: datetime | None = None,
) -> list[AckRequest]:
    """Ask the people who joined the audience since the version was published (new hires, movers), once each; a
    version no longer current asks nobody. Returns the new requests; their emails are the caller's to send."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_version(organization, version)
        if locked.status != Status.PUBLISHED or locked.document.retired_at is not None:
            return []
        asked = _ask(locked, today or timezone.localdate(now), now)
        if asked:
            audit_record(
                actor=actor,
                action="training.ack_version.requested",
                organization=organization,
                target=locked,
                object_repr=version_name(locked),
                changes={"requested": [None, len(asked)]},
            )
    return asked
