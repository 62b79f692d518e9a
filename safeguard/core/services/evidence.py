"""Evidence: immutable versions, links to records, retention-guarded deletion, audited downloads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import add_years, can_add_months, date_range
from safeguard.core.models import Evidence, EvidenceLink, EvidenceVersion, Obligation, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    sha256: str
    size: int
    content_type: str
    name: str


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def retention_floor(effective_date: date, uploaded_on: date) -> date:
    """The earliest allowed retention date (45 CFR 164.316(b)(2)(i)).

    Documentation is kept six years from its creation or from when it was last in effect, whichever is later:
    here, from the later of its effective date and its latest upload.
    """
    start, years = max(effective_date, uploaded_on), settings.EVIDENCE_RETENTION_YEARS
    if not can_add_months(start, 12 * years):
        return date.max  # only a stored date from before the range checks: keep it for good rather than fail
    return add_years(start, years)


# How far ahead a person may date a document, and set its retention date.
EFFECTIVE_YEARS_AHEAD = 5
RETENTION_YEARS_AHEAD = 100


def _check_dates(effective_date: date, retain_until: date | None, today: date) -> None:
    allowed = date_range(today, years_ahead=EFFECTIVE_YEARS_AHEAD)
    if effective_date not in allowed:
        raise ServiceError(f"The effective date must be {allowed.describe()}.", field="effective_date")
    latest = add_years(today, RETENTION_YEARS_AHEAD)
    if retain_until is not None and retain_until > latest:
        raise ServiceError(
            f"Retention can be set at most {RETENTION_YEARS_AHEAD} years ahead, to {latest:%Y-%m-%d}.",
            field="retain_until",
        )


# ---- what evidence may be linked to --------------------------------------------------------------------------

REQUIREMENT_TYPE = "catalog.requirement"  # target id: the citation
LinkTargetExists = Callable[[Organization, str], bool]
LINKABLE: dict[str, LinkTargetExists] = {}


def linkable(type_label: str) -> Callable[[LinkTargetExists], LinkTargetExists]:
    """Register a record type evidence may be linked to: the function says whether the record exists in the org.

    Apps register their own types (the tracker registers attestations and addressable decisions).
    """

    def register(exists: LinkTargetExists) -> LinkTargetExists:
        LINKABLE[type_label] = exists
        return exists

    return register


def uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@linkable("core.obligation")
def _obligation_exists(organization: Organization, target_id: str) -> bool:
    public_id = uuid_or_none(target_id)
    return public_id is not None and Obligation.objects.filter(organization=organization, public_id=public_id).exists()


@linkable(REQUIREMENT_TYPE)
def _requirement_exists(organization: Organization, target_id: str) -> bool:
    # The catalog is shared by every organization; a requirement is named by its citation.
    return Requirement.objects.filter(citation=target_id).exists()


def _check_file(upload: UploadedFile | None) -> CheckedFile:
    if upload is None:
        raise ServiceError("Choose a file to upload.", field="file")
    size = upload.size or 0
    if size == 0:
        raise ServiceError("The file is empty.", field="file")
    if size > settings.EVIDENCE_MAX_BYTES:
        raise ServiceError(
            f"The file is {human_size(size)}; the limit is {human_size(settings.EVIDENCE_MAX_BYTES)}.", field="file"
        )
    content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
    if content_type not in settings.EVIDENCE_ALLOWED_TYPES:
        raise ServiceError(
            f"Files of type {content_type} are not accepted. Allowed: {', '.join(settings.EVIDENCE_ALLOWED_TYPES)}.",
            field="file",
        )
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if len(head) < CONTENT_SNIFF_BYTES:
            head += chunk[: CONTENT_SNIFF_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)
    if not content_matches_type(head, content_type):
        raise ServiceError(
            f"The file's content does not look like {content_type}: it may be mislabelled or damaged.", field="file"
        )
    return CheckedFile(upload, digest.hexdigest(), size, content_type, display_name(upload.name))


# The browser's content type is only a claim; the first bytes must agree with it.
CONTENT_SNIFF_BYTES = 4096
MAGIC_NUMBERS = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
TEXT_TYPES = {"text/plain", "text/csv", "application/json"}


def content_matches_type(head: bytes, content_type: str) -> bool:
    if content_type in MAGIC_NUMBERS:
        return head.startswith(MAGIC_NUMBERS[content_type])
    if content_type in TEXT_TYPES:
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the sniffing limit is still text.
            return exc.start >= len(head) - 3
        return True
    return True  # a type an administrator allowed that we have no signature for


def display_name(raw: str | None) -> str:
    """The user's file name, kept only for display and downloads: no folders, no control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:255] or "upload"


def _store_version(
    evidence: Evidence, checked: CheckedFile, user: User, number: int, uploaded_at: datetime
) -> EvidenceVersion:
    version = EvidenceVersion(
        evidence=evidence,
        number=number,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
        uploaded_at=uploaded_at,
    )
    version.file.save("upload", checked.upload, save=False)
    try:
        version.save()
    except BaseException:
        version.file.delete(save=False)
        raise
    return version


@contextmanager
def _files_removed_on_failure(stored: list[EvidenceVersion]) -> Iterator[None]:
    """A failure after a file was stored must not leave the file behind (the rows roll back with it)."""
    try:
        yield
    except BaseException:
        for version in stored:
            version.file.delete(save=False)
        raise


def _person(actor: Actor) -> User:
    if actor.user is None:
        raise ServiceError("Evidence must be handled by a person, not a system process.")
    return actor.user


def evidence_upload(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    upload: UploadedFile | None,
    effective_date: date,
    description: str = "",
    retain_until: date | None = None,
    link_to: tuple[str, str] | None = None,
) -> Evidence:
    """Store a new evidence item with its first version; optionally link it to a record (type, id)."""
    if not title.strip():
        raise ServiceError("Give the evidence a title.", field="title")
    now = timezone.now()
    _check_dates(effective_date, retain_until, timezone.localdate(now))
    checked = _check_file(upload)
    floor = retention_floor(effective_date, timezone.localdate(now))
    if retain_until is not None and retain_until < floor:
        raise ServiceError(
            f"Retention must reach at least {floor:%Y-%m-%d}: six years after the later of the effective date "
            "and the upload date.",
            field="retain_until",
        )
    user = _person(actor)
    stored: list[EvidenceVersion] = []
    with _files_removed_on_failure(stored), transaction.atomic():
        evidence = Evidence.objects.create(
            organization=organization,
            title=title.strip(),
            description=description,
            effective_date=effective_date,
            retain_until=retain_until or floor,
            created_by=user,
            created_at=now,
        )
        version = _store_version(evidence, checked, user, 1, now)
        stored.append(version)
        audit_record(
            actor=actor,
            action="evidence.uploaded",
            organization=organization,
            target=evidence,
            changes={
                "title": [None, evidence.title],
                "effective_date": [None, effective_date],
                "retain_until": [None, evidence.retain_until],
                "version": [None, 1],
                "sha256": [None, version.sha256],
                "size": [None, version.size],
            },
        )
        if link_to is not None:
            evidence_link(organization=organization, actor=actor, evidence=evidence, target=link_to)
        request_evaluation(organization, "evidence uploaded")
    return evidence


def evidence_add_version(
    *, organization: Organization, actor: Actor, evidence: Evidence, upload: UploadedFile | None
) -> EvidenceVersion:
    """A new version beside the old ones: nothing is ever overwritten. Retention reaches six years past it."""
    checked = _check_file(upload)
    user = _person(actor)
    stored: list[EvidenceVersion] = []
    with _files_removed_on_failure(stored), transaction.atomic():
        locked = Evidence.objects.select_for_update().get(pk=evidence.pk, organization=organization)
        if locked.is_deleted:
            raise ServiceError("This evidence was deleted; it cannot take new versions.")
        latest = locked.versions.aggregate(n=models.Max("number"))["n"] or 0
        now = timezone.now()
        version = _store_version(locked, checked, user, latest + 1, now)
        stored.append(version)
        changes: dict[str, list[object]] = {
            "version": [latest, version.number],
            "sha256": [None, version.sha256],
            "size": [None, version.size],
        }
        floor = retention_floor(locked.effective_date, timezone.localdate(now))
        if locked.retain_until < floor:
            changes["retain_until"] = [locked.retain_until, floor]
            locked.retain_until = floor
            locked.save(update_fields=["retain_until"])
        audit_record(
            actor=actor, action="evidence.version_added", organization=organization, target=locked, changes=changes
        )
    return version


def evidence_link(
    *, organization: Organization, actor: Actor, evidence: Evidence, target: tuple[str, str]
) -> EvidenceLink:
    """Link evidence to a record named by (type label, public id or citation). Linking twice is a no-op.

    The type must be registered with @linkable and the record must exist in the same organization.
    """
    target_type, target_id = target[0], str(target[1]).strip()
    if evidence.organization_id != organization.pk:
        raise ServiceError("That evidence belongs to another organization.")
    if evidence.is_deleted:
        raise ServiceError("This evidence was deleted; it cannot be linked.")
    exists = LINKABLE.get(target_type)
    if exists is None:
        raise ServiceError(f"Evidence cannot be linked to records of type {target_type!r}.", field="target")
    if not exists(organization, target_id):
        noun = "requirement in the catalog" if target_type == REQUIREMENT_TYPE else "record in this organization"
        raise ServiceError(f"No {noun} matches {target_id!r}.", field="target")
    with transaction.atomic():
        link, created = EvidenceLink.objects.get_or_create(
            evidence=evidence, target_type=target_type, target_id=target_id
        )
        if created:
            audit_record(
                actor=actor,
                action="evidence.linked",
                organization=organization,
                target=evidence,
                changes={"linked_to": [None, f"{target_type}:{target_id}"]},
            )
            request_evaluation(organization, "evidence linked")
    return link


def evidence_delete(*, organization: Organization, actor: Actor, evidence: Evidence, today: date | None = None) -> None:
    """Soft-delete: refused before the retention date; the files stay until a purge after retention."""
    today = today or timezone.localdate()
    if evidence.retain_until > today:
        raise ServiceError(
            f"This evidence must be kept until {evidence.retain_until:%Y-%m-%d} "
            "(45 CFR 164.316(b)(2)(i): six years after it was created or last in effect, whichever is later); "
            "it cannot be deleted before then."
        )
    with transaction.atomic():
        updated = Evidence.objects.filter(pk=evidence.pk, organization=organization, is_deleted=False).update(
            is_deleted=True, deleted_at=timezone.now()
        )
        if not updated:
            raise ServiceError("This evidence is already deleted.")
        audit_record(
            actor=actor,
            action="evidence.deleted",
            organization=organization,
            target=evidence,
            changes={"is_deleted": [False, True]},
        )
        request_evaluation(organization, "evidence deleted")


def evidence_download_record(*, organization: Organization, actor: Actor, version: EvidenceVersion) -> None:
    """Downloads are recorded in the audit trail: who read which version, when."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="evidence.downloaded",
            organization=organization,
            target=version.evidence,
            changes={"version": [None, version.number], "sha256": [None, version.sha256]},
        )
