"""Business associates' recovery commitments: recording what a business associate states for an asset it runs
(RTO, RPO), the evidence behind it and when and by whom it was verified. The gaps against our objectives are
read in queries_vendors.py; here are the rules for what may be stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.contingency.models import VendorRecovery
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_link, evidence_upload, linkable, uuid_or_none
from safeguard.risk.models import Asset

EVIDENCE_TYPE = "contingency.vendorrecovery"
FIELDS = (
    "business_associate",
    "stated_rto_minutes",
    "stated_rpo_minutes",
    "evidence_kind",
    "evidence",
    "verified_on",
    "verified_by",
    "notes",
)
NAME_MAX = 200


@linkable(EVIDENCE_TYPE)
def _record_exists(organization: Organization, target_id: str) -> bool:
    public_id = uuid_or_none(target_id)
    return (
        public_id is not None and VendorRecovery.objects.filter(organization=organization, public_id=public_id).exists()
    )


def _check(organization: Organization, values: dict[str, Any], today: date) -> None:
    name = values["business_associate"]
    if not name:
        raise ServiceError("Name the business associate that runs the asset.", field="business_associate")
    if len(name) > NAME_MAX:
        raise ServiceError(f"A name has at most {NAME_MAX} characters.", field="business_associate")
    for field in ("stated_rto_minutes", "stated_rpo_minutes"):
        if values[field] is not None and values[field] < 1:
            raise ServiceError(
                "A stated objective is at least one minute; leave it blank if none is stated.", field=field
            )
    if values["evidence_kind"] and values["evidence_kind"] not in VendorRecovery.EvidenceKind.values:
        raise ServiceError(f"Choose a kind: {', '.join(VendorRecovery.EvidenceKind.values)}.", field="evidence_kind")
    evidence: Evidence | None = values["evidence"]
    if evidence is not None and (evidence.organization_id != organization.pk or evidence.is_deleted):
        raise ServiceError("No such evidence in this organization.", field="evidence")
    verified_on: date | None = values["verified_on"]
    if verified_on is not None:
        if not EARLIEST <= verified_on <= today:
            raise ServiceError(
                f"The verification date must be between {EARLIEST:%Y-%m-%d} and today.", field="verified_on"
            )
        if not values["evidence_kind"]:
            raise ServiceError("Say what the commitment was verified against.", field="evidence_kind")
    elif values["verified_by"] is not None:
        raise ServiceError("Give the date it was verified.", field="verified_on")
    person: User | None = values["verified_by"]
    if person is not None and not Membership.objects.filter(organization=organization, user=person).exists():
        raise ServiceError("The verifier must be a member of this organization.", field="verified_by")


def _normalized(values: dict[str, Any], actor: Actor) -> dict[str, Any]:
    values = dict(values)
    values["business_associate"] = str(values["business_associate"]).strip()
    values["notes"] = str(values["notes"]).strip()
    if values["verified_on"] is not None and values["verified_by"] is None:
        values["verified_by"] = actor.user
    return values


def _attach(organization: Organization, actor: Actor, record: VendorRecovery, upload: UploadedFile | None) -> None:
    """Store an uploaded file as the record's evidence, or link the chosen one; the caller saves."""
    target = (EVIDENCE_TYPE, str(record.public_id))
    if upload is not None:
        try:
            record.evidence = evidence_upload(
                organization=organization,
                actor=actor,
                title=f"{record.business_associate}: recovery commitment for {record.asset.name}"[:200],
                upload=upload,
                effective_date=record.verified_on or timezone.localdate(),
                link_to=target,
            )
        except ServiceError as error:
            raise ServiceError(error.message, field="evidence_file") from None
    elif record.evidence is not None:
        evidence_link(organization=organization, actor=actor, evidence=record.evidence, target=target)


def vendor_recovery_create(
    *,
    organization: Organization,
    actor: Actor,
    asset: Asset,
    business_associate: str = "",
    stated_rto_minutes: int | None = None,
    stated_rpo_minutes: int | None = None,
    evidence_kind: str = "",
    evidence: Evidence | None = None,
    evidence_file: UploadedFile | None = None,
    verified_on: date | None = None,
    verified_by: User | None = None,
    notes: str = "",
    today: date | None = None,
) -> VendorRecovery:
    """Record a commitment for an asset; the business associate defaults to the one the asset names."""
    today = today or timezone.localdate()
    if asset.organization_id != organization.pk:
        raise ServiceError("No such asset in this organization.", field="asset")
    if evidence is not None and evidence_file is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence_file")
    values = _normalized(
        {
            "business_associate": business_associate or asset.business_associate,
            "stated_rto_minutes": stated_rto_minutes,
            "stated_rpo_minutes": stated_rpo_minutes,
            "evidence_kind": evidence_kind,
            "evidence": evidence,
            "verified_on": verified_on,
            "verified_by": verified_by,
            "notes": notes,
        },
        actor,
    )
    _check(organization, values, today)
    with transaction.atomic():
        if VendorRecovery.objects.filter(asset=asset).exists():
            raise ServiceError(f"{asset.name} already has a recovery commitment recorded: edit it.", field="asset")
        record = VendorRecovery.objects.create(organization=organization, asset=asset, **values)
        _attach(organization, actor, record, evidence_file)
        record.save()
        audit_record(
            actor=actor,
            action="contingency.vendor_recovery.created",
            organization=organization,
            target=record,
            changes={"asset": [None, asset.name], **field_changes({}, snapshot(record, FIELDS))},
        )
    return record


def vendor_recovery_update(
    *,
    organization: Organization,
    actor: Actor,
    record: VendorRecovery,
    evidence_file: UploadedFile | None = None,
    today: date | None = None,
    **values: Any,
) -> VendorRecovery:
    """Change any of FIELDS; the ones not given stay as they are. A new file becomes the evidence."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ServiceError(f"These cannot be changed: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if values.get("evidence") is not None and evidence_file is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence_file")
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = (
            VendorRecovery.objects.select_for_update()
            .select_related("asset")
            .get(pk=record.pk, organization=organization)
        )
        before = snapshot(locked, FIELDS)
        if "business_associate" in values and not str(values["business_associate"]).strip():
            values["business_associate"] = locked.asset.business_associate
        if "verified_on" in values and values["verified_on"] != before["verified_on"] and "verified_by" not in values:
            # A new verification date is a new verification: by whoever records it, unless named.
            values["verified_by"] = None
        merged = _normalized(before | values, actor)
        _check(organization, merged, today)
        for name in FIELDS:
            setattr(locked, name, merged[name])
        _attach(organization, actor, locked, evidence_file)
        changes = field_changes(before, snapshot(locked, FIELDS))
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="contingency.vendor_recovery.updated",
            organization=organization,
            target=locked,
            changes=changes,
        )
    return locked
