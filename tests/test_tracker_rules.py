"""The verdict rules on their own: hand-built check results, attestations, decisions and outcomes, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from safeguard.tracker.models import Basis, Status
from safeguard.tracker.registry import CheckResult, RecordRef
from safeguard.tracker.rules import AttestationFact, DecisionFact, Outcome, decide_leaf, progress, roll_up

TODAY = date(2026, 3, 10)


def outcome(status: Status, basis: Basis = Basis.RECORDS, **extra: object) -> Outcome:
    return Outcome(status, basis, f"{status.value} reason.", **extra)  # type: ignore[arg-type]


def attestation(expires_on: date) -> AttestationFact:
    return AttestationFact(
        public_id="a1",
        statement="Backups run nightly.",
        attested_by="Sam Official",
        attested_on=TODAY - timedelta(days=10),
        expires_on=expires_on,
        evidence=(RecordRef("core.evidence", "e1", "Backup log"),),
    )


def decision(
    kind: str = "not_reasonable",
    *,
    signed: bool = True,
    alternative: str = "Screen locks after 5 minutes.",
    review_on: date = TODAY + timedelta(days=200),
) -> DecisionFact:
    return DecisionFact(
        public_id="d1",
        decision=kind,
        label={"not_reasonable": "Not reasonable and appropriate", "alternative": "Alternative"}.get(kind, kind),
        rationale="Single-user kiosk.",
        alternative_measure=alternative,
        review_on=review_on,
        signed_by="Olive Owner" if signed else None,
        signed_on=TODAY - timedelta(days=1) if signed else None,
    )


def leaf(
    *,
    addressable: bool = False,
    results: tuple[CheckResult, ...] = (),
    current: AttestationFact | None = None,
    expired: AttestationFact | None = None,
    decided: DecisionFact | None = None,
) -> Outcome:
    return decide_leaf(
        addressable=addressable,
        check_names=["test.check"] if results else [],
        results=results,
        attestation=current,
        expired_attestation=expired,
        decision=decided,
        today=TODAY,
    )


# Leaves ---------------------------------------------------------------------------------------------------------


def test_nothing_recorded_is_unknown_with_a_next_action() -> None:
    result = leaf(addressable=True)
    assert (result.status, result.basis) == (Status.UNKNOWN, Basis.NONE)
    assert "addressable decision" in result.next_action


def test_checks_decide_over_an_attestation() -> None:
    failing = CheckResult(Status.NOT_MET, "No risk analysis on file.", next_action="Run the risk analysis.")
    result = leaf(results=(failing,), current=attestation(TODAY + timedelta(days=90)))
    assert (result.status, result.basis) == (Status.NOT_MET, Basis.RECORDS)
    assert result.next_action == "Run the risk analysis."
    assert result.checks == ("test.check",)


def test_met_and_not_met_checks_combine_to_partially_met() -> None:
    results = (CheckResult(Status.MET, "Backups ran."), CheckResult(Status.NOT_MET, "No restore test."))
    result = leaf(results=results)
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == "No restore test."


def test_all_checks_not_applicable_is_not_applicable() -> None:
    result = leaf(results=(CheckResult(Status.NOT_APPLICABLE, "Not a clearinghouse."),))
    assert (result.status, result.basis) == (Status.NOT_APPLICABLE, Basis.RECORDS)


def test_current_attestation_is_met_until_it_lapses() -> None:
    expires = TODAY + timedelta(days=200)
    result = leaf(current=attestation(expires))
    assert (result.status, result.basis, result.lapses_on) == (Status.MET, Basis.ATTESTATION, expires)
    assert [r.type for r in result.records] == ["tracker.attestation", "core.evidence"]
    assert result.next_action == ""


def test_attestation_close_to_expiry_asks_for_renewal() -> None:
    result = leaf(current=attestation(TODAY + timedelta(days=20)))
    assert result.status == Status.MET
    assert result.next_action.startswith("Renew the attestation")


def test_expired_attestation_turns_not_met() -> None:
    expired_on = TODAY - timedelta(days=1)
    result = leaf(expired=attestation(expired_on))
    assert (result.status, result.basis, result.lapses_on) == (Status.NOT_MET, Basis.ATTESTATION, expired_on)
    assert "expired on 2026-03-09" in result.reason


# Addressable decisions -----------------------------------------------------------------------------------------


def test_signed_not_reasonable_decision_with_alternative_is_met() -> None:
    result = leaf(addressable=True, decided=decision())
    assert (result.status, result.basis) == (Status.MET, Basis.DECISION)
    assert result.lapses_on == TODAY + timedelta(days=200)


def test_unsigned_decision_is_not_met() -> None:
    result = leaf(addressable=True, decided=decision(signed=False))
    assert (result.status, result.basis) == (Status.NOT_MET, Basis.DECISION)
    assert "not signed" in result.reason


def test_decision_past_its_review_date_is_not_met() -> None:
    result = leaf(addressable=True, decided=decision(review_on=TODAY - timedelta(days=1)))
    assert (result.status, result.basis) == (Status.NOT_MET, Basis.DECISION)
    assert result.next_action == "Review the addressable decision and sign it again."


def test_decision_on_its_review_day_still_counts() -> None:
    assert leaf(addressable=True, decided=decision(review_on=TODAY)).status == Status.MET


def test_decision_without_alternative_measure_is_not_met() -> None:
    assert leaf(addressable=True, decided=decision(alternative="  ")).status == Status.NOT_MET


def test_implemented_decision_leaves_the_verdict_to_checks_and_attestations() -> None:
    result = leaf(addressable=True, decided=decision("implemented"))
    assert (result.status, result.basis) == (Status.UNKNOWN, Basis.NONE)


def test_decision_ignored_on_a_required_specification() -> None:
    assert leaf(addressable=False, decided=decision()).basis == Basis.NONE


# Roll-up --------------------------------------------------------------------------------------------------------


def children(*statuses: Status) -> list[tuple[str, str, Outcome]]:
    return [(f"x({i})", f"Spec {i}", outcome(s)) for i, s in enumerate(statuses)]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((Status.MET, Status.MET), Status.MET),
        ((Status.MET, Status.NOT_APPLICABLE), Status.MET),
        ((Status.MET, Status.NOT_MET), Status.PARTIALLY_MET),
        ((Status.MET, Status.UNKNOWN), Status.PARTIALLY_MET),
        ((Status.PARTIALLY_MET, Status.NOT_MET), Status.PARTIALLY_MET),
        ((Status.NOT_MET, Status.UNKNOWN), Status.NOT_MET),
        ((Status.UNKNOWN, Status.UNKNOWN), Status.UNKNOWN),
        ((Status.NOT_APPLICABLE, Status.NOT_APPLICABLE), Status.NOT_APPLICABLE),
    ],
)
def test_standard_rolls_up_from_its_specifications(statuses: tuple[Status, ...], expected: Status) -> None:
    assert roll_up(children(*statuses), None).status == expected


def test_roll_up_names_the_open_specifications_and_the_worst_next_action() -> None:
    parts = [
        ("a(1)", "Alpha", outcome(Status.MET)),
        ("a(2)", "Beta", outcome(Status.PARTIALLY_MET, next_action="Finish beta.")),
        ("a(3)", "Gamma", outcome(Status.NOT_MET, next_action="Start gamma.", lapses_on=TODAY)),
    ]
    result = roll_up(parts, None)
    assert result.reason == (
        "1 of 3 applicable specifications met. Open: a(3) Gamma (not met); a(2) Beta (partially met)."
    )
    assert result.next_action == "Start gamma."
    assert result.lapses_on == TODAY


def test_standard_own_failing_check_pulls_the_roll_up_down() -> None:
    own = outcome(Status.NOT_MET, checks=("std.check",))
    result = roll_up(children(Status.MET, Status.MET), own)
    assert result.status == Status.PARTIALLY_MET
    assert result.checks == ("std.check",)


def test_standard_own_failing_check_shows_its_reason_and_records_on_the_standard() -> None:
    late = RecordRef("training.person", "p1", "Lou Late")
    own = Outcome(Status.NOT_MET, Basis.RECORDS, "Lou Late is overdue.", records=(late,))
    result = roll_up(children(Status.MET), own)
    assert result.reason.endswith("Open: (standard) the standard's own checks: Lou Late is overdue (not met).")
    assert result.records == (late,)
    assert roll_up(children(Status.MET), outcome(Status.MET, records=(late,))).records == ()


def test_standard_own_unknown_check_is_ignored() -> None:
    assert roll_up(children(Status.MET), outcome(Status.UNKNOWN)).status == Status.MET


# Progress -------------------------------------------------------------------------------------------------------


def test_progress_counts_met_fully_partial_half_and_leaves_out_not_applicable() -> None:
    statuses = [Status.MET, Status.PARTIALLY_MET, Status.NOT_MET, Status.UNKNOWN, Status.NOT_APPLICABLE]
    assert progress(statuses) == 37.5


def test_progress_of_nothing_applicable_is_none() -> None:
    assert progress([Status.NOT_APPLICABLE]) is None
    assert progress([]) is None
