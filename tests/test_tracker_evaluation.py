"""Evaluation end to end: checks, attestations and decisions through the services, verdicts and snapshots stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, EvidenceLink
from safeguard.core.services.errors import ServiceError
from safeguard.tracker import registry
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import (
    AddressableDecision,
    Attestation,
    DailySnapshot,
    EvaluationRun,
    Status,
    Verdict,
)
from safeguard.tracker.registry import CheckResult, RegisteredCheck
from safeguard.tracker.services import (
    attestation_record,
    attestation_withdraw,
    decision_record,
    decision_sign,
    evaluation_request,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
ADDRESSABLE = "164.312(a)(2)(iii)"  # automatic logoff
REQUIRED_SPEC = "164.312(a)(2)(i)"  # unique user identification


@pytest.fixture
def no_checks(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[RegisteredCheck]]:
    """An empty check registry for the test; checks registered through it disappear afterwards."""
    fresh: dict[str, list[RegisteredCheck]] = {}
    monkeypatch.setattr(registry, "_checks", fresh)
    return fresh


def returns(status: Status, reason: str = "", **extra: object) -> registry.CheckFunction:
    def function(organization: object, today: date) -> CheckResult:
        return CheckResult(status, reason or f"Check says {status.value}.", **extra)  # type: ignore[arg-type]

    return function


def verdict(cast: Cast, citation: str) -> Verdict:
    return Verdict.objects.get(organization=cast.org, requirement__citation=citation)


def evaluate(cast: Cast, today: date = TODAY) -> None:
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"), today=today)


def owner(cast: Cast) -> Actor:
    return Actor(user=cast.owner)


# Evaluation with the checks the apps register ------------------------------------------------------------------


def test_evaluation_stores_a_verdict_per_requirement_and_todays_snapshot(cast: Cast) -> None:
    summary = tracker_evaluate(organization=cast.org, actor=Actor.system("test"))

    assert summary.evaluated == 68 == Verdict.objects.filter(organization=cast.org).count()
    # The cast has exactly one security official; it is not a clearinghouse nor a group health plan.
    assert (verdict(cast, "164.308(a)(2)").status, verdict(cast, "164.308(a)(2)").basis) == ("met", "records")
    assert verdict(cast, "164.308(a)(4)(ii)(A)").status == "not_applicable"
    assert verdict(cast, "164.314(b)(1)").status == "not_applicable"  # all four specifications n/a
    assert verdict(cast, "164.308(a)(4)").status == "unknown"
    # 53 leaves: 1 met, 5 not applicable, 13 not met (the risk checks find no analysis, risks or sanction
    # policy; the training checks find no security reminder and no course on malicious software, log-in
    # monitoring or passwords; activity review finds no log source; the five contingency specifications find no
    # criticality analysis), 34 unknown → 1 / 48.
    snapshot = DailySnapshot.objects.get(organization=cast.org, day=TODAY)
    assert snapshot.overall_percent == summary.overall_percent == 2.1
    assert snapshot.counts == {"met": 1, "partially_met": 0, "not_met": 13, "not_applicable": 5, "unknown": 34}
    assert snapshot.by_safeguard["organizational"] == 0.0
    assert not Verdict.objects.filter(organization=cast.other_org).exists()


def test_only_changed_verdicts_are_audited(cast: Cast) -> None:
    evaluate(cast)
    first = AuditEvent.objects.get(organization=cast.org, action="tracker.verdicts_changed")
    assert len(first.changes) == 68

    evaluate(cast)
    assert AuditEvent.objects.filter(organization=cast.org, action="tracker.verdicts_changed").count() == 1


def test_roll_up_from_specification_to_standard_to_safeguard_and_overall(cast: Cast, no_checks: object) -> None:
    registry.check("164.308(a)(1)(ii)(A)", name="t.a")(returns(Status.MET))
    registry.check("164.308(a)(1)(ii)(B)", name="t.b")(returns(Status.NOT_MET, next_action="Manage the risks."))
    registry.check("164.308(a)(1)(ii)(C)", name="t.c")(returns(Status.MET))
    registry.check("164.308(a)(1)(ii)(D)", name="t.d")(
        returns(Status.PARTIALLY_MET, lapses_on=TODAY + timedelta(days=9))
    )
    registry.check("164.310(b)", name="t.workstation")(returns(Status.NOT_APPLICABLE))

    summary = tracker_evaluate(organization=cast.org, actor=Actor.system("test"))

    standard = verdict(cast, "164.308(a)(1)")
    assert (standard.status, standard.basis) == ("partially_met", "records")
    assert standard.reason.startswith("2 of 4 applicable specifications met. Open: 164.308(a)(1)(ii)(B)")
    assert standard.next_action == "Manage the risks."
    assert standard.lapses_on == TODAY + timedelta(days=9)
    assert verdict(cast, "164.308(a)(1)(ii)(A)").checks == ["t.a"]
    # Administrative: 23 leaves (21 specifications, 2 standards without any) → (1 + 1 + 0.5) / 23.
    assert summary.by_safeguard["administrative"] == 10.9
    # Physical: 10 leaves; 164.310(b) is not applicable and left out.
    assert summary.by_safeguard["physical"] == 0.0
    # Overall: 53 leaves, one not applicable → 2.5 / 52.
    assert summary.overall_percent == 4.8
    assert summary.counts["partially_met"] == 1 and summary.counts["not_applicable"] == 1


# Attestations -----------------------------------------------------------------------------------------------------


def test_attestation_meets_a_requirement_until_it_expires(cast: Cast, no_checks: object) -> None:
    attestation_record(
        organization=cast.org,
        actor=owner(cast),
        citation="164.310(b)",
        statement="Workstation use policy issued to every workstation user.",
        expires_on=TODAY + timedelta(days=30),
        evidence_file=SimpleUploadedFile("policy.txt", b"policy", content_type="text/plain"),
    )
    evaluate(cast)
    met = verdict(cast, "164.310(b)")
    assert (met.status, met.basis, met.lapses_on) == ("met", "attestation", TODAY + timedelta(days=30))
    assert met.next_action.startswith("Renew the attestation")

    evaluate(cast, today=TODAY + timedelta(days=31))
    lapsed = verdict(cast, "164.310(b)")
    assert (lapsed.status, lapsed.basis) == ("not_met", "attestation")
    assert "expired on" in lapsed.reason


def test_attestation_without_evidence_counts_only_half(cast: Cast, no_checks: object) -> None:
    attestation_record(
        organization=cast.org,
        actor=owner(cast),
        citation="164.310(b)",
        statement="Workstation use policy issued.",
        expires_on=TODAY + timedelta(days=90),
    )
    evaluate(cast)
    half = verdict(cast, "164.310(b)")
    assert (half.status, half.basis) == ("partially_met", "attestation")
    assert half.reason.endswith("No evidence is attached.")
    assert half.next_action.startswith("Attach evidence")


def test_attestation_with_evidence_links_the_file_and_reevaluates_on_commit(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    upload = SimpleUploadedFile("policy.txt", b"Workstation policy v3", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        attestation = attestation_record(
            organization=cast.org,
            actor=owner(cast),
            citation="164.310(b)",
            statement="Policy in place.",
            expires_on=TODAY + timedelta(days=200),
            evidence_file=upload,
            evidence_title="Workstation policy",
        )

    link = EvidenceLink.objects.get(target_type="tracker.attestation", target_id=str(attestation.public_id))
    assert link.evidence.title == "Workstation policy"
    stored = verdict(cast, "164.310(b)")
    assert stored.status == "met"
    assert [r["type"] for r in stored.records] == ["tracker.attestation", "core.evidence"]
    assert EvaluationRun.objects.get(organization=cast.org).state == EvaluationRun.State.DONE
    actions = set(AuditEvent.objects.filter(organization=cast.org).values_list("action", flat=True))
    assert {"attestation.recorded", "evidence.uploaded", "evidence.linked", "tracker.verdicts_changed"} <= actions


def test_withdrawn_attestation_no_longer_counts(cast: Cast, no_checks: object) -> None:
    attestation = attestation_record(
        organization=cast.org,
        actor=owner(cast),
        citation="164.310(b)",
        statement="Policy in place.",
        expires_on=TODAY + timedelta(days=200),
    )
    attestation_withdraw(organization=cast.org, actor=owner(cast), attestation=attestation)
    evaluate(cast)
    assert verdict(cast, "164.310(b)").status == "unknown"
    with pytest.raises(ServiceError):
        attestation_withdraw(organization=cast.org, actor=owner(cast), attestation=attestation)


@pytest.mark.parametrize("citation", ["164.999(z)", "", "164.308(a)(1)(ii)(Z)"])
def test_unknown_citation_is_refused(cast: Cast, citation: str) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        attestation_record(
            organization=cast.org,
            actor=owner(cast),
            citation=citation,
            statement="x",
            expires_on=TODAY + timedelta(days=10),
        )
    assert refused.value.field == "citation"
    assert not Attestation.objects.exists()
    assert AuditEvent.objects.count() == before


def test_standard_with_specifications_takes_no_attestation(cast: Cast) -> None:
    with pytest.raises(ServiceError) as refused:
        attestation_record(
            organization=cast.org,
            actor=owner(cast),
            citation="164.308(a)(1)",
            statement="All good.",
            expires_on=TODAY + timedelta(days=10),
        )
    assert refused.value.field == "citation"
    assert "implementation specifications" in refused.value.message
    assert not Attestation.objects.exists()


@pytest.mark.parametrize(
    ("expires_in", "field"),
    [(0, "expires_on"), (-3, "expires_on"), (366 * 3 + 1, "expires_on")],
)
def test_attestation_expiry_must_be_in_the_future_and_within_three_years(
    cast: Cast, expires_in: int, field: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        attestation_record(
            organization=cast.org,
            actor=owner(cast),
            citation="164.310(b)",
            statement="ok",
            expires_on=TODAY + timedelta(days=expires_in),
        )
    assert refused.value.field == field


# Addressable decisions --------------------------------------------------------------------------------------------


def record_decision(
    cast: Cast,
    *,
    review_in: int = 180,
    decision: str = "not_reasonable",
    rationale: str = "Kiosk workstations are single-purpose and in a locked room.",
    alternative_measure: str = "Room access badge and a 5-minute screen lock at the OS level.",
) -> AddressableDecision:
    return decision_record(
        organization=cast.org,
        actor=owner(cast),
        citation=ADDRESSABLE,
        decision=decision,
        rationale=rationale,
        alternative_measure=alternative_measure,
        review_on=TODAY + timedelta(days=review_in),
    )


def test_signed_not_reasonable_decision_with_alternative_counts_as_met(cast: Cast, no_checks: object) -> None:
    decision = record_decision(cast)
    signature = decision_sign(organization=cast.org, actor=Actor(user=cast.official), decision=decision)
    evaluate(cast)

    stored = verdict(cast, ADDRESSABLE)
    assert (stored.status, stored.basis) == ("met", "decision")
    assert stored.lapses_on == decision.review_on
    assert signature.signer == cast.official
    assert verdict(cast, "164.312(a)(1)").basis == "decision"  # the standard's only non-unknown leaf


def test_unsigned_decision_does_not_count(cast: Cast, no_checks: object) -> None:
    record_decision(cast)
    evaluate(cast)
    stored = verdict(cast, ADDRESSABLE)
    assert (stored.status, stored.basis) == ("not_met", "decision")
    assert "not signed" in stored.reason


def test_decision_past_its_review_date_does_not_count(cast: Cast, no_checks: object) -> None:
    decision = record_decision(cast, review_in=30)
    decision_sign(organization=cast.org, actor=owner(cast), decision=decision)
    evaluate(cast, today=TODAY + timedelta(days=31))
    stored = verdict(cast, ADDRESSABLE)
    assert (stored.status, stored.basis) == ("not_met", "decision")
    assert "due for review" in stored.reason


def test_new_decision_supersedes_the_old_and_needs_its_own_signature(cast: Cast, no_checks: object) -> None:
    first = record_decision(cast)
    decision_sign(organization=cast.org, actor=owner(cast), decision=first)
    second = record_decision(cast, decision="alternative")
    first.refresh_from_db()
    assert first.superseded_at is not None
    evaluate(cast)
    assert verdict(cast, ADDRESSABLE).status == "not_met"
    with pytest.raises(ServiceError, match="replaced by a newer one"):
        decision_sign(organization=cast.org, actor=owner(cast), decision=first)
    decision_sign(organization=cast.org, actor=owner(cast), decision=second)
    with pytest.raises(ServiceError, match="already signed"):
        decision_sign(organization=cast.org, actor=owner(cast), decision=second)


def test_required_specification_refuses_a_decision_with_a_field_error(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        decision_record(
            organization=cast.org,
            actor=owner(cast),
            citation=REQUIRED_SPEC,
            decision="not_reasonable",
            rationale="We share one login.",
            alternative_measure="Paper sign-in sheet.",
            review_on=TODAY + timedelta(days=100),
        )
    assert refused.value.field == "citation"
    assert "required, not addressable" in refused.value.message
    assert not AddressableDecision.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"alternative_measure": "  "}, "alternative_measure"),
        ({"rationale": ""}, "rationale"),
        ({"decision": "maybe"}, "decision"),
    ],
)
def test_decision_input_rules(cast: Cast, extra: dict[str, str], field: str) -> None:
    with pytest.raises(ServiceError) as refused:
        record_decision(cast, **extra)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_only_signers_can_sign_a_decision(cast: Cast) -> None:
    from tests.conftest import make_member

    privacy = make_member(cast.org, "privacy@clinic.test", "privacy_officer").user
    decision = record_decision(cast)
    with pytest.raises(ServiceError, match="Only the security official or an owner"):
        decision_sign(organization=cast.org, actor=Actor(user=privacy), decision=decision)
    decision.refresh_from_db()
    assert decision.signature is None


# Evaluation runs --------------------------------------------------------------------------------------------------


def test_evaluation_request_by_a_person_is_audited_and_one_queued_run_suffices(cast: Cast) -> None:
    first = evaluation_request(organization=cast.org, trigger="manual", actor=owner(cast))
    again = evaluation_request(organization=cast.org, trigger="manual again", actor=owner(cast))
    assert again == first
    assert EvaluationRun.objects.filter(organization=cast.org).count() == 1
    event = AuditEvent.objects.get(organization=cast.org, action="evaluation.requested")
    assert event.object_id == str(first.public_id)


def test_queued_run_evaluates_when_the_transaction_commits(cast: Cast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_request(organization=cast.org, trigger="test")
    run.refresh_from_db()
    assert (run.state, run.evaluated) == (EvaluationRun.State.DONE, 68)
    assert run.started_at is not None and run.finished_at is not None


def test_requirement_catalog_is_the_one_evaluated(cast: Cast) -> None:
    evaluate(cast)
    assert set(Verdict.objects.values_list("requirement__citation", flat=True)) == set(
        Requirement.objects.values_list("citation", flat=True)
    )
