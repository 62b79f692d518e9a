"""Tracker checks the core answers from its own records."""

from datetime import UTC, date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.checks import clearinghouse_applicability, evidence_retention, one_security_official
from safeguard.core.dates import add_years
from safeguard.core.models import Evidence, EvidenceVersion, Membership
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_upload
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import Status, Verdict
from tests.conftest import Cast, make_member

TODAY = date(2026, 12, 4)


def test_single_security_official_meets_assigned_responsibility(cast: Cast) -> None:
    result = one_security_official(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason == f"{cast.official} is the designated security official."
    assert [r.type for r in result.records] == ["core.membership"]


def test_no_security_official_fails_with_next_action(cast: Cast) -> None:
    Membership.objects.filter(organization=cast.org, role=Role.SECURITY_OFFICIAL).update(role=Role.MANAGER)
    result = one_security_official(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "Designate one security official" in result.next_action


def test_two_security_officials_is_only_partially_met(cast: Cast) -> None:
    make_member(cast.org, "second@clinic.test", Role.SECURITY_OFFICIAL)
    result = one_security_official(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "2 members" in result.reason


def test_expired_security_official_membership_does_not_count(cast: Cast) -> None:
    Membership.objects.filter(organization=cast.org, role=Role.SECURITY_OFFICIAL).update(
        access_ends_on=TODAY - timedelta(days=1)
    )
    assert one_security_official(cast.org, TODAY).status == Status.NOT_MET


def test_clearinghouse_isolation_not_applicable_unless_profile_says_so(cast: Cast) -> None:
    assert clearinghouse_applicability(cast.org, TODAY).status == Status.NOT_APPLICABLE
    cast.org.is_clearinghouse = True
    assert clearinghouse_applicability(cast.org, TODAY).status == Status.UNKNOWN


def test_group_health_plan_standard_rolls_up_not_applicable(cast: Cast) -> None:
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"), today=TODAY)
    verdict = Verdict.objects.get(organization=cast.org, requirement__citation="164.314(b)(1)")
    assert verdict.status == Status.NOT_APPLICABLE


def test_evidence_retention_unknown_without_evidence_then_met(cast: Cast) -> None:
    assert evidence_retention(cast.org, TODAY).status == Status.UNKNOWN
    evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Security policy",
        upload=SimpleUploadedFile("policy.txt", b"policy text", content_type="text/plain"),
        effective_date=timezone.localdate(),
    )
    result = evidence_retention(cast.org, TODAY)
    assert result.status == Status.MET
    assert "All 1 evidence items" in result.reason


def old_log(cast: Cast, effective: date = date(2024, 2, 29)) -> Evidence:
    return evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Old log",
        upload=SimpleUploadedFile("log.txt", b"log", content_type="text/plain"),
        effective_date=effective,
    )


def test_evidence_kept_too_short_fails(cast: Cast) -> None:
    evidence = old_log(cast)
    Evidence.objects.filter(pk=evidence.pk).update(retain_until=date(2029, 1, 1))
    result = evidence_retention(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.records[0].id == str(evidence.public_id)


def test_backdated_evidence_kept_six_years_from_its_effective_date_only_fails(cast: Cast) -> None:
    # Six years after the 2024 effective date is not enough: it was uploaded later, so the six years count from then.
    evidence = old_log(cast)
    assert evidence.retain_until == add_years(timezone.localdate(), 6)
    assert evidence_retention(cast.org, TODAY).status == Status.MET
    Evidence.objects.filter(pk=evidence.pk).update(retain_until=date(2030, 2, 28))
    result = evidence_retention(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "six years" in result.next_action


def test_retention_counts_from_the_latest_version(cast: Cast) -> None:
    evidence = old_log(cast, effective=date(2020, 1, 1))
    long_ago = datetime(2020, 1, 1, 12, tzinfo=UTC)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=long_ago, retain_until=date(2026, 1, 1))
    EvidenceVersion.objects.filter(evidence=evidence).update(uploaded_at=long_ago)
    assert evidence_retention(cast.org, TODAY).status == Status.MET  # six years after its only upload
    first = evidence.versions.get()
    EvidenceVersion.objects.create(  # a newer version, stored without the service that extends retention
        evidence=evidence,
        number=2,
        file=first.file.name,
        original_name="log.txt",
        content_type="text/plain",
        size=3,
        sha256=first.sha256,
        uploaded_by=cast.owner,
    )
    result = evidence_retention(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert [r.id for r in result.records] == [str(evidence.public_id)]


def test_evidence_changes_queue_a_reevaluation(cast: Cast, django_capture_on_commit_callbacks) -> None:
    from safeguard.tracker.models import EvaluationRun

    with django_capture_on_commit_callbacks(execute=True):
        evidence_upload(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            title="Security policy",
            upload=SimpleUploadedFile("policy.txt", b"policy text", content_type="text/plain"),
            effective_date=timezone.localdate(),
        )
    run = EvaluationRun.objects.get(organization=cast.org)
    assert (run.trigger, run.state) == ("evidence uploaded", EvaluationRun.State.DONE)
    verdict = Verdict.objects.get(organization=cast.org, requirement__citation="164.316(b)(2)(i)")
    assert verdict.status == Status.MET
