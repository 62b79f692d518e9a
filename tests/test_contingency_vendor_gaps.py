"""Business associates' recovery: the gap rules at their edges (equal objectives meet ours, a verification counts
through the day 12 months later) and the service's rules for what may be stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.contingency.models import VendorRecovery
from safeguard.contingency.queries_vendors import vendor_gaps
from safeguard.contingency.services.vendors import vendor_recovery_create, vendor_recovery_update
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, EvidenceLink
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast
from tests.contingency_exercise_factories import HOUR, asset, profile, vendor

TODAY = date(2026, 3, 10)


@pytest.fixture
def ehr(cast: Cast):
    return asset(cast.org, "Cloud EHR", business_associate="Cloud EHR Inc.")


def gaps_of(ehr, *, rto: int | None = 4 * HOUR, rpo: int | None = 24 * HOUR, verified_on=TODAY, ours=True):
    ours_profile = profile(ehr, rto_minutes=4 * HOUR, rpo_minutes=24 * HOUR) if ours else None
    return vendor_gaps(vendor(ehr, rto_minutes=rto, rpo_minutes=rpo, verified_on=verified_on), ours_profile, TODAY)


def test_objectives_equal_to_ours_and_a_fresh_verification_leave_no_gap(ehr):
    assert gaps_of(ehr) == []


def test_a_stated_objective_one_minute_longer_than_ours_is_a_gap(ehr):
    assert gaps_of(ehr, rto=4 * HOUR + 1) == ["Their RTO (4 h 01 min) is longer than ours (4 h)."]


def test_a_longer_rpo_is_a_gap(ehr):
    assert gaps_of(ehr, rpo=2 * 24 * HOUR) == ["Their RPO (2 d) is longer than ours (1 d)."]


def test_a_missing_stated_objective_is_a_gap(ehr):
    assert gaps_of(ehr, rto=None, rpo=None) == ["They state no RTO.", "They state no RPO."]


def test_without_our_objectives_nothing_can_be_compared(ehr):
    assert gaps_of(ehr, ours=False) == [
        "Our own RTO and RPO are not set (criticality analysis): nothing to compare with."
    ]


def test_never_verified_is_a_gap(ehr):
    assert gaps_of(ehr, verified_on=None) == ["Never verified."]


def test_verified_exactly_twelve_months_ago_still_counts(ehr):
    assert gaps_of(ehr, verified_on=date(2025, 3, 10)) == []


def test_verified_twelve_months_and_a_day_ago_is_a_gap(ehr):
    assert gaps_of(ehr, verified_on=date(2025, 3, 9)) == ["Last verified 2025-03-09, more than 12 months ago."]


def test_no_record_at_all_is_a_gap():
    assert vendor_gaps(None, None, TODAY) == ["No recovery commitment recorded."]


def test_create_takes_the_assets_business_associate_and_the_recorder_as_verifier(cast: Cast, ehr):
    record = vendor_recovery_create(
        organization=cast.org,
        actor=Actor(user=cast.official),
        asset=ehr,
        stated_rto_minutes=2 * HOUR,
        evidence_kind="report",
        verified_on=TODAY,
        today=TODAY,
    )
    assert (record.business_associate, record.verified_by) == ("Cloud EHR Inc.", cast.official)
    event = AuditEvent.objects.get(action="contingency.vendor_recovery.created")
    assert event.changes["stated_rto_minutes"] == [None, 120]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"verified_on": TODAY + timedelta(days=1), "evidence_kind": "report"}, "verified_on"),
        ({"verified_on": TODAY}, "evidence_kind"),
        ({"stated_rto_minutes": 0}, "stated_rto_minutes"),
        ({"evidence_kind": "rumour"}, "evidence_kind"),
    ],
)
def test_bad_input_is_refused_on_its_field(cast: Cast, ehr, values: dict[str, object], field: str):
    with pytest.raises(ServiceError) as refused:
        vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=ehr, today=TODAY, **values)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert not VendorRecovery.objects.exists()


def test_an_asset_without_a_named_business_associate_needs_one(cast: Cast):
    server = asset(cast.org, "Server")
    with pytest.raises(ServiceError) as refused:
        vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=server)
    assert refused.value.field == "business_associate"


def test_one_commitment_per_asset_and_only_this_organizations_assets(cast: Cast, ehr):
    vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=ehr)
    with pytest.raises(ServiceError) as refused:
        vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=ehr)
    assert refused.value.field == "asset"
    theirs = asset(cast.other_org, "Their EHR", business_associate="X")
    with pytest.raises(ServiceError) as refused:
        vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=theirs)
    assert refused.value.field == "asset"


def test_update_with_a_file_stores_and_links_evidence_and_audits_the_change(cast: Cast, ehr):
    record = vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=ehr)
    upload = SimpleUploadedFile("soc2.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    vendor_recovery_update(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        record=record,
        evidence_file=upload,
        evidence_kind="report",
        verified_on=TODAY,
        today=TODAY,
    )
    record.refresh_from_db()
    assert record.evidence is not None and record.verified_by == cast.owner
    assert EvidenceLink.objects.filter(
        evidence=record.evidence, target_type="contingency.vendorrecovery", target_id=str(record.public_id)
    ).exists()
    event = AuditEvent.objects.get(action="contingency.vendor_recovery.updated")
    assert {"evidence", "evidence_kind", "verified_on", "verified_by"} <= set(event.changes)


def test_update_without_changes_writes_no_audit_event(cast: Cast, ehr):
    record = vendor_recovery_create(organization=cast.org, actor=Actor(user=cast.owner), asset=ehr)
    vendor_recovery_update(organization=cast.org, actor=Actor(user=cast.owner), record=record, notes="")
    assert not AuditEvent.objects.filter(action="contingency.vendor_recovery.updated").exists()


def test_clearing_the_name_falls_back_to_the_assets_business_associate(cast: Cast, ehr):
    record = vendor_recovery_create(
        organization=cast.org, actor=Actor(user=cast.owner), asset=ehr, business_associate="Reseller LLC"
    )
    vendor_recovery_update(organization=cast.org, actor=Actor(user=cast.owner), record=record, business_associate=" ")
    record.refresh_from_db()
    assert record.business_associate == "Cloud EHR Inc."
