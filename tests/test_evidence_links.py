"""Evidence links: only registered record types, only records of the same organization; refusals write nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Obligation, Organization
from safeguard.core.services import evidence as evidence_services
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import LINKABLE, evidence_link, evidence_upload, linkable
from safeguard.tracker.models import AddressableDecision, Attestation
from safeguard.tracker.services import attestation_record, decision_record
from tests.conftest import Cast


def stored(cast: Cast, organization: Organization | None = None) -> Evidence:
    return evidence_upload(
        organization=organization or cast.org,
        actor=Actor(user=cast.owner),
        title="Backup log",
        effective_date=date(2025, 1, 1),
        upload=SimpleUploadedFile("backup.txt", b"backup ok", content_type="text/plain"),
    )


def attestation_in(cast: Cast, organization: Organization) -> Attestation:
    return attestation_record(
        organization=organization,
        actor=Actor(user=cast.owner),
        citation="164.310(b)",
        statement="Workstation use policy issued.",
        expires_on=timezone.localdate() + timedelta(days=90),
    )


def decision_in(cast: Cast, organization: Organization) -> AddressableDecision:
    return decision_record(
        organization=organization,
        actor=Actor(user=cast.owner),
        citation="164.312(a)(2)(iv)",
        decision="implemented",
        rationale="Full-disk encryption everywhere.",
        review_on=timezone.localdate() + timedelta(days=365),
    )


def obligation_in(cast: Cast, organization: Organization) -> Obligation:
    return Obligation.objects.create(
        organization=organization, title="Restore test", owner=cast.owner, due_on=timezone.localdate()
    )


def link(cast: Cast, evidence: Evidence, target: tuple[str, str]) -> EvidenceLink:
    return evidence_link(organization=cast.org, actor=Actor(user=cast.owner), evidence=evidence, target=target)


def test_the_core_and_the_tracker_register_their_linkable_types() -> None:
    assert {"core.obligation", "catalog.requirement", "tracker.attestation", "tracker.addressabledecision"} <= set(
        LINKABLE
    )


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("tracker.attestation", attestation_in),
        ("tracker.addressabledecision", decision_in),
        ("core.obligation", obligation_in),
    ],
)
def test_a_record_of_the_same_organization_is_linked_and_audited(cast: Cast, kind: str, make) -> None:
    evidence = stored(cast)
    record = make(cast, cast.org)

    created = link(cast, evidence, (kind, str(record.public_id)))

    assert (created.target_type, created.target_id) == (kind, str(record.public_id))
    event = AuditEvent.objects.get(action="evidence.linked")
    assert event.changes == {"linked_to": [None, f"{kind}:{record.public_id}"]}


def test_a_requirement_is_linked_by_its_citation(cast: Cast) -> None:
    evidence = stored(cast)

    created = link(cast, evidence, ("catalog.requirement", "164.308(a)(1)(ii)(A)"))

    assert created.target_id == "164.308(a)(1)(ii)(A)"
    assert AuditEvent.objects.filter(action="evidence.linked").count() == 1


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("tracker.attestation", attestation_in),
        ("tracker.addressabledecision", decision_in),
        ("core.obligation", obligation_in),
    ],
)
def test_another_organizations_record_is_refused(cast: Cast, kind: str, make) -> None:
    evidence = stored(cast)
    foreign = make(cast, cast.other_org)
    events = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        link(cast, evidence, (kind, str(foreign.public_id)))

    assert refused.value.message == f"No record in this organization matches '{foreign.public_id}'."
    assert refused.value.field == "target"
    assert not EvidenceLink.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (("tracker.attestation", str(uuid.uuid4())), "No record in this organization matches"),
        (("tracker.attestation", "abc"), "No record in this organization matches 'abc'."),
        (("catalog.requirement", "164.999(z)"), "No requirement in the catalog matches '164.999(z)'."),
        (("risk.unknown", "1"), "Evidence cannot be linked to records of type 'risk.unknown'."),
        (("", "1"), "Evidence cannot be linked to records of type ''."),
    ],
)
def test_a_missing_record_or_an_unknown_type_is_refused(cast: Cast, target: tuple[str, str], message: str) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        link(cast, evidence, target)

    assert refused.value.message.startswith(message)
    assert not EvidenceLink.objects.exists()
    assert AuditEvent.objects.count() == events


def test_deleted_evidence_is_not_linked(cast: Cast) -> None:
    evidence = stored(cast)
    Evidence.objects.filter(pk=evidence.pk).update(is_deleted=True)
    evidence.refresh_from_db()

    with pytest.raises(ServiceError, match="was deleted"):
        link(cast, evidence, ("catalog.requirement", "164.312(b)"))

    assert not EvidenceLink.objects.exists()


def test_another_organizations_evidence_is_not_linked(cast: Cast) -> None:
    foreign = stored(cast, cast.other_org)

    with pytest.raises(ServiceError, match="another organization"):
        link(cast, foreign, ("catalog.requirement", "164.312(b)"))

    assert not EvidenceLink.objects.exists()


def test_an_upload_with_a_bad_link_keeps_nothing(cast: Cast, settings: SettingsWrapper) -> None:
    foreign = attestation_in(cast, cast.other_org)
    events = AuditEvent.objects.count()

    with pytest.raises(ServiceError):
        evidence_upload(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            title="Orphan",
            effective_date=date(2025, 1, 1),
            upload=SimpleUploadedFile("o.txt", b"orphan", content_type="text/plain"),
            link_to=("tracker.attestation", str(foreign.public_id)),
        )

    assert not Evidence.objects.filter(organization=cast.org).exists()
    assert AuditEvent.objects.count() == events
    root = Path(settings.MEDIA_ROOT)
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_another_app_registers_its_own_type(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence_services, "LINKABLE", dict(LINKABLE))
    asked: list[tuple[str, str]] = []

    @linkable("risk.assessment")
    def assessment_exists(organization: Organization, target_id: str) -> bool:
        asked.append((organization.slug, target_id))
        return target_id == "ra-2026"

    evidence = stored(cast)
    assert link(cast, evidence, ("risk.assessment", "ra-2026")).target_type == "risk.assessment"
    with pytest.raises(ServiceError):
        link(cast, evidence, ("risk.assessment", "ra-1999"))
    assert asked == [("clinic", "ra-2026"), ("clinic", "ra-1999")]
    assert "risk.assessment" not in LINKABLE  # the test's registration stayed in its own copy
