"""Approving the criticality analysis and the 164.308(a)(7)(ii)(E) verdicts at their edges."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from safeguard.contingency.checks_criticality import criticality_analysis_check
from safeguard.contingency.models import CriticalityApproval, RecoveryProfile
from safeguard.contingency.services.criticality_approval import criticality_approve
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Signature
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.signatures import content_hash
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from tests.contingency_criticality_factories import needs, plain_asset, profiled

pytestmark = pytest.mark.django_db


def approve(cast, on: date | None = None, user=None) -> CriticalityApproval:
    approval = criticality_approve(organization=cast.org, actor=Actor(user or cast.official), today=on)
    if on is not None:
        moment = datetime.combine(on, time(12), tzinfo=timezone.get_current_timezone())
        CriticalityApproval.objects.filter(pk=approval.pk).update(approved_at=moment)
        approval.refresh_from_db()
    return approval


def test_approval_signs_the_in_scope_profiles_and_dependencies(cast):
    ehr = profiled(cast.org, "EHR", tier=1)
    db = profiled(cast.org, "DB", tier=1)
    profiled(cast.org, "Kiosk", in_scope=False)
    needs(ehr, db)
    approval = approve(cast, date(2026, 3, 31))
    assert set(p["name"] for p in approval.content["profiles"].values()) == {"EHR", "DB"}
    assert approval.content["profiles"][str(ehr.public_id)]["depends_on"] == [str(db.public_id)]
    assert approval.next_review_on == date(2027, 3, 31)
    assert approval.content_sha256 == content_hash(approval.content) == approval.signature.content_sha256
    assert approval.signature.meaning == Signature.Meaning.APPROVED
    assert approval.approved_by == cast.official
    assert "2 in-scope assets" in approval.statement
    assert AuditEvent.objects.filter(action="contingency.criticality.approved").count() == 1


def test_approval_on_a_month_end_reviews_at_the_month_end(cast):
    profiled(cast.org, "EHR")
    assert approve(cast, date(2028, 2, 29)).next_review_on == date(2029, 2, 28)


@pytest.mark.parametrize("who", ["workforce", "auditor"])
def test_only_signers_may_approve(cast, who):
    profiled(cast.org, "EHR")
    with pytest.raises(ServiceError, match="security official or an owner"):
        criticality_approve(organization=cast.org, actor=Actor(getattr(cast, who)))
    assert not CriticalityApproval.objects.exists()
    assert not Signature.objects.exists()


def test_nothing_to_approve_is_refused(cast):
    plain_asset(cast.org, "EHR")
    with pytest.raises(ServiceError, match="nothing to approve"):
        approve(cast)


def test_approval_refused_while_a_cycle_exists(cast):
    a, b = profiled(cast.org, "A"), profiled(cast.org, "B")
    needs(a, b)
    needs(b, a)
    with pytest.raises(ServiceError, match="A needs B needs A"):
        approve(cast)
    assert not Signature.objects.exists()


# --- the tracker check ---------------------------------------------------------------------------------------------


def test_never_approved_is_not_met(cast):
    plain_asset(cast.org, "EHR")
    result = criticality_analysis_check(cast.org, date(2026, 6, 1))
    assert result.status == Status.NOT_MET
    assert "never been approved" in result.reason
    assert [r.label for r in result.records] == ["Asset without a recovery profile: EHR"]


def test_approved_and_unchanged_is_met_through_the_review_date(cast):
    profiled(cast.org, "EHR")
    approve(cast, date(2026, 1, 15))
    result = criticality_analysis_check(cast.org, date(2027, 1, 15))
    assert result.status == Status.MET
    assert result.lapses_on == date(2027, 1, 16)
    assert "1 in-scope asset was approved on 2026-01-15" in result.reason


def test_the_day_after_the_review_date_it_is_partially_met(cast):
    profiled(cast.org, "EHR")
    approve(cast, date(2026, 1, 15))
    result = criticality_analysis_check(cast.org, date(2027, 1, 16))
    assert result.status == Status.PARTIALLY_MET
    assert "annual review was due on 2027-01-15" in result.reason
    assert result.next_action.startswith("Review the analysis")


def test_changed_added_and_removed_profiles_are_partially_met(cast):
    ehr = profiled(cast.org, "EHR", rto=60)
    lab = profiled(cast.org, "Lab")
    approve(cast, date(2026, 1, 15))
    RecoveryProfile.objects.filter(asset=ehr).update(rto_minutes=30)
    RecoveryProfile.objects.filter(asset=lab).update(in_scope=False)
    profiled(cast.org, "Billing")
    result = criticality_analysis_check(cast.org, date(2026, 6, 1))
    assert result.status == Status.PARTIALLY_MET
    assert "3 profiles not as approved (Billing, EHR, Lab)" in result.reason
    labels = [r.label for r in result.records]
    assert "Not as approved: EHR: rto" in labels
    assert "Not as approved: Billing: added since the approval" in labels
    assert "Not as approved: Lab: no longer in scope" in labels


def test_new_dependency_counts_as_a_change(cast):
    ehr, db = profiled(cast.org, "EHR"), profiled(cast.org, "DB")
    approve(cast, date(2026, 1, 15))
    needs(ehr, db)
    result = criticality_analysis_check(cast.org, date(2026, 6, 1))
    assert result.status == Status.PARTIALLY_MET
    assert "Not as approved: EHR: depends on" in [r.label for r in result.records]


def test_asset_without_profile_is_partially_met(cast):
    profiled(cast.org, "EHR")
    approve(cast, date(2026, 1, 15))
    plain_asset(cast.org, "New scanner")
    plain_asset(cast.org, "Gone", status=Asset.Status.RETIRED)
    result = criticality_analysis_check(cast.org, date(2026, 6, 1))
    assert result.status == Status.PARTIALLY_MET
    assert "1 asset in service without a profile (New scanner)" in result.reason


def test_out_of_scope_profile_counts_as_profiled(cast):
    profiled(cast.org, "EHR")
    profiled(cast.org, "Kiosk", in_scope=False)
    approve(cast, date(2026, 1, 15))
    assert criticality_analysis_check(cast.org, date(2026, 6, 1)).status == Status.MET


def test_renaming_an_asset_is_not_a_change(cast):
    ehr = profiled(cast.org, "EHR")
    approve(cast, date(2026, 1, 15))
    Asset.objects.filter(pk=ehr.pk).update(name="Epic EHR")
    assert criticality_analysis_check(cast.org, date(2026, 6, 1)).status == Status.MET


def test_latest_approval_counts(cast):
    ehr = profiled(cast.org, "EHR", rto=60)
    approve(cast, date(2025, 1, 15))
    RecoveryProfile.objects.filter(asset=ehr).update(rto_minutes=30)
    approve(cast, date(2026, 1, 15))
    result = criticality_analysis_check(cast.org, date(2026, 6, 1))
    assert result.status == Status.MET
    assert result.lapses_on == date(2027, 1, 16)


def test_check_reads_a_constant_number_of_queries(cast, django_assert_max_num_queries):
    for index in range(3):
        profiled(cast.org, f"System {index}")
    approve(cast, date(2026, 1, 15))
    with django_assert_max_num_queries(6) as small:
        criticality_analysis_check(cast.org, date(2026, 6, 1))
    for index in range(3, 30):
        profiled(cast.org, f"System {index}")
        plain_asset(cast.org, f"Bare {index}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        criticality_analysis_check(cast.org, date(2026, 6, 1))
