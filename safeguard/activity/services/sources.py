"""Log sources: creating, changing and deactivating them, the ingestion tokens shippers use, and uploads.

A source is never deleted: its events and reviews point at it. Every change reaches the event store's copy of
the sources (names, zones, the assets the account registry joins through) by raising the reference version.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.activity.enrichment import reference_changed
from safeguard.activity.models import IngestBatch, IngestToken, LogSource, SourceFormat, SourceKind
from safeguard.activity.parsers import ehr_csv_mapping as csv_mapping
from safeguard.activity.services.ingestion import batch_create
from safeguard.activity.uploads import kept_upload
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.time_zones import is_time_zone
from safeguard.risk.models import Asset

NAME_MAX = 100
EDITABLE = (
    "name",
    "kind",
    "format",
    "asset",
    "contains_ephi",
    "time_zone",
    "mapping",
    "expected_daily_events",
    "silent_after_hours",
    "review_every_days",
    "review_grace_days",
    "reviewer",
)
TOKEN_PREFIX = "sgi_"  # noqa: S105  (a marker that makes leaked keys findable, not a secret)


# ---- validation ---------------------------------------------------------------------------------------------------


def check_time_zone(name: str) -> str:
    name = name.strip()
    if not is_time_zone(name):
        raise ServiceError(
            f"{name!r} is not a time zone: use an IANA name such as America/New_York.", field="time_zone"
        )
    return name


def check_mapping(source_format: str, mapping: Any) -> dict[str, Any]:
    """A CSV source's mapping as the parser reads it (ehr_csv_mapping.check_mapping); other formats keep none."""
    if source_format != SourceFormat.EHR_CSV:
        return {}
    try:
        return csv_mapping.check_mapping(mapping)
    except csv_mapping.MappingError as error:
        raise ServiceError(error.message, field="mapping") from None


def _check(organization: Organization, values: dict[str, Any], but: LogSource | None = None) -> dict[str, Any]:
    name = str(values.get("name", "")).strip()
    if not name:
        raise ServiceError("Name the source, e.g. “EHR” or “Okta”.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"A source name has at most {NAME_MAX} characters.", field="name")
    same = LogSource.objects.filter(organization=organization, name__iexact=name)
    if (same.exclude(pk=but.pk) if but else same).exists():
        raise ServiceError(f"Another source is already named “{name}”: pick another name.", field="name")
    if values.get("kind") not in SourceKind.values:
        raise ServiceError(f"Choose the kind: {', '.join(SourceKind.values)}.", field="kind")
    if values.get("format") not in SourceFormat.values:
        raise ServiceError(f"Choose the format: {', '.join(SourceFormat.values)}.", field="format")
    asset = values.get("asset")
    if asset is not None and (not isinstance(asset, Asset) or asset.organization_id != organization.pk):
        raise ServiceError("No such asset in this organization's inventory.", field="asset")
    reviewer = values.get("reviewer")
    if reviewer is not None and not _is_member(organization, reviewer):
        raise ServiceError("The reviewer must be a current member of this organization.", field="reviewer")
    silent = values.get("silent_after_hours", 24)
    if not isinstance(silent, int) or not 1 <= silent <= 24 * 30:
        raise ServiceError("Silent after 1 to 720 hours.", field="silent_after_hours")
    every = values.get("review_every_days")
    if every is not None and not 1 <= every <= 366:
        raise ServiceError("Review every 1 to 366 days, or leave it blank.", field="review_every_days")
    return {
        **values,
        "name": name,
        "time_zone": check_time_zone(str(values.get("time_zone", ""))),
        "mapping": check_mapping(values["format"], values.get("mapping", {})),
    }


def _is_member(organization: Organization, user: User) -> bool:
    return Membership.objects.current().filter(organization=organization, user=user).exists()


# ---- sources ------------------------------------------------------------------------------------------------------


def source_create(*, organization: Organization, actor: Actor, **values: Any) -> LogSource:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"Unknown source fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        cleaned = _check(organization, {"time_zone": settings.TIME_ZONE, **values})
        source = LogSource.objects.create(organization=organization, **cleaned)
        audit_record(
            actor=actor,
            action="activity.source_created",
            organization=organization,
            target=source,
            changes={key: [None, value] for key, value in snapshot(source, EDITABLE).items()},
        )
        reference_changed(organization)
    return source


def source_update(*, organization: Organization, actor: Actor, source: LogSource, **values: Any) -> LogSource:
    """Change the fields given; the others keep their value."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"Unknown source fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        source = LogSource.objects.select_for_update().get(pk=source.pk, organization=organization)
        before = snapshot(source, EDITABLE)
        current = {name: getattr(source, name) for name in EDITABLE}
        cleaned = _check(organization, {**current, **values}, but=source)
        for name in values:
            setattr(source, name, cleaned[name])
        if "format" in values:
            source.mapping = cleaned["mapping"]
        source.updated_at = timezone.now()
        source.save()
        changes = field_changes(before, snapshot(source, EDITABLE))
        if changes:
            audit_record(
                actor=actor, action="activity.source_updated", organization=organization, target=source, changes=changes
            )
            reference_changed(organization)
    return source


def source_set_active(*, organization: Organization, actor: Actor, source: LogSource, active: bool) -> LogSource:
    """A deactivated source takes no events (uploads and tokens are refused) and raises no silent alert."""
    with transaction.atomic():
        source = LogSource.objects.select_for_update().get(pk=source.pk, organization=organization)
        if source.is_active == active:
            return source
        source.is_active, source.updated_at = active, timezone.now()
        source.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="activity.source_activated" if active else "activity.source_deactivated",
            organization=organization,
            target=source,
            changes={"is_active": [not active, active]},
        )
    return source


# ---- ingestion tokens ---------------------------------------------------------------------------------------------


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, organization: Organization, actor: Actor, source: LogSource, name: str) -> tuple[IngestToken, str]:
    """A token and its key, which is shown this once: only its SHA-256 is kept."""
    name = name.strip()
    if not name:
        raise ServiceError(
            "Name the token after the shipper that will use it, e.g. “Fluent Bit on ehr-01”.", field="name"
        )
    if len(name) > 100:
        raise ServiceError("A token name has at most 100 characters.", field="name")
    if not source.is_active:
        raise ServiceError("The source is deactivated: reactivate it before giving a shipper a token.")
    if actor.user is None:
        raise ServiceError("A token is made by a person.")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = IngestToken.objects.create(
            organization=organization,
            source=source,
            name=name,
            prefix=key[:12],
            key_hash=token_hash(key),
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="activity.ingest_token_created",
            organization=organization,
            target=token,
            changes={"source": [None, source.name], "name": [None, name], "prefix": [None, token.prefix]},
        )
    return token, key


def token_revoke(*, organization: Organization, actor: Actor, token: IngestToken) -> IngestToken:
    with transaction.atomic():
        token = IngestToken.objects.select_for_update().get(pk=token.pk, organization=organization)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="activity.ingest_token_revoked",
            organization=organization,
            target=token,
            changes={"revoked_at": [None, token.revoked_at]},
        )
    return token


# ---- uploads ------------------------------------------------------------------------------------------------------


def upload_start(*, organization: Organization, actor: Actor, source: LogSource, upload: UploadedFile) -> IngestBatch:
    """Keep the file and queue its reading in the background; the batch page shows the progress."""
    from safeguard.activity.tasks_ingestion import ingest_upload

    limit = settings.ACTIVITY_UPLOAD_MAX_BYTES
    if source.organization_id != organization.pk:
        raise ServiceError("No such source in this organization.", field="source")
    if not source.is_active:
        raise ServiceError("The source is deactivated: reactivate it to add events.", field="source")
    if (upload.size or 0) > limit:
        raise ServiceError(f"The file is larger than the {limit // 2**20} MB an upload may be.", field="file")
    if not upload.size:
        raise ServiceError("The file is empty.", field="file")
    with kept_upload(organization, upload, default_name="upload") as kept, transaction.atomic():
        batch = batch_create(
            source,
            channel=IngestBatch.Channel.UPLOAD,
            actor=actor,
            file_name=kept.file_name,
            stored_name=kept.stored_name,
            sha256=kept.sha256,
            size_bytes=kept.size_bytes,
        )
        audit_record(
            actor=actor,
            action="activity.upload_received",
            organization=organization,
            target=batch,
            changes={
                "source": [None, source.name],
                "file_name": [None, kept.file_name],
                "sha256": [None, batch.sha256],
            },
        )
        batch_id = batch.pk
        transaction.on_commit(lambda: ingest_upload.enqueue(batch_id=batch_id))
    return batch
