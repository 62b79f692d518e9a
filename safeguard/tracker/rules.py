"""How verdicts combine: pure functions over check results, attestations, decisions and child verdicts.

No database access here, so the rules are unit-testable on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from safeguard.tracker.models import Basis, Status
from safeguard.tracker.registry import CheckResult, RecordRef

# Counted in progress: met is 1, partially met a half; not applicable is left out of the denominator.
SCORE = {Status.MET: 1.0, Status.PARTIALLY_MET: 0.5, Status.NOT_MET: 0.0, Status.UNKNOWN: 0.0}
SEVERITY = [Status.NOT_MET, Status.UNKNOWN, Status.PARTIALLY_MET, Status.MET, Status.NOT_APPLICABLE]
RENEW_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class Outcome:
    status: Status
    basis: Basis
    reason: str
    records: tuple[RecordRef, ...] = ()
    lapses_on: date | None = None
    next_action: str = ""
    checks: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class AttestationFact:
    public_id: str
    statement: str
    attested_by: str
    attested_on: date
    expires_on: date
    evidence: tuple[RecordRef, ...] = ()


@dataclass(frozen=True)
class DecisionFact:
    public_id: str
    decision: str  # implemented / alternative / not_reasonable
    label: str
    rationale: str
    alternative_measure: str
    review_on: date
    signed_by: str | None
    signed_on: date | None


def _earliest(dates: Sequence[date | None]) -> date | None:
    present = [d for d in dates if d is not None]
    return min(present) if present else None


def combine_checks(results: Sequence[CheckResult]) -> tuple[Status, str, tuple[RecordRef, ...], date | None, str]:
    statuses = {r.status for r in results}
    records = tuple(ref for r in results for ref in r.records)
    lapses = _earliest([r.lapses_on for r in results])
    if statuses == {Status.NOT_APPLICABLE}:
        return Status.NOT_APPLICABLE, results[0].reason, records, None, ""
    applicable = [r for r in results if r.status != Status.NOT_APPLICABLE]
    statuses = {r.status for r in applicable}
    failing = [r for r in applicable if r.status != Status.MET]
    if statuses == {Status.MET}:
        status = Status.MET
    elif statuses == {Status.NOT_MET}:
        status = Status.NOT_MET
    else:
        status = Status.PARTIALLY_MET
    reason = " ".join(r.reason for r in (failing or applicable))
    next_action = next((r.next_action for r in failing if r.next_action), "")
    if not next_action and lapses:
        next_action = next((r.next_action for r in applicable if r.next_action), "")
    return status, reason, records, lapses, next_action


def decide_leaf(
    *,
    addressable: bool,
    check_names: Sequence[str],
    results: Sequence[CheckResult],
    attestation: AttestationFact | None,
    expired_attestation: AttestationFact | None,
    decision: DecisionFact | None,
    today: date,
) -> Outcome:
    """The verdict on one specification (or a standard without specifications).

    Order: not applicable by records; a signed addressable decision not to implement as specified; automated
    checks; a current attestation; an expired attestation (not met); nothing recorded (unknown).
    """
    names = tuple(check_names)
    known = [r for r in results if r.status != Status.UNKNOWN]
    if known and all(r.status == Status.NOT_APPLICABLE for r in known):
        return Outcome(
            Status.NOT_APPLICABLE,
            Basis.RECORDS,
            known[0].reason,
            tuple(x for r in known for x in r.records),
            checks=names,
        )

    if addressable and decision is not None and decision.decision != "implemented":
        return _decision_outcome(decision, today, names)

    if known:
        status, reason, records, lapses, next_action = combine_checks(known)
        return Outcome(status, Basis.RECORDS, reason, records, lapses, next_action, names)

    if attestation is not None:
        record = RecordRef("tracker.attestation", attestation.public_id, f"Attestation by {attestation.attested_by}")
        said = f"Attested by {attestation.attested_by} on {attestation.attested_on:%Y-%m-%d}: {attestation.statement}"
        if not attestation.evidence:
            # A statement alone proves nothing to an auditor: it counts half until evidence backs it.
            return Outcome(
                Status.PARTIALLY_MET,
                Basis.ATTESTATION,
                f"{said} No evidence is attached.",
                (record,),
                attestation.expires_on,
                "Attach evidence to the attestation (a document or record showing it is in place).",
                names,
            )
        next_action = ""
        if attestation.expires_on - today <= RENEW_WARNING:
            next_action = f"Renew the attestation before it lapses on {attestation.expires_on:%Y-%m-%d}."
        return Outcome(
            Status.MET,
            Basis.ATTESTATION,
            said,
            (record, *attestation.evidence),
            attestation.expires_on,
            next_action,
            names,
        )

    hint = next((r.next_action for r in results if r.next_action), "")
    if expired_attestation is not None:
        record = RecordRef(
            "tracker.attestation",
            expired_attestation.public_id,
            f"Expired attestation by {expired_attestation.attested_by}",
        )
        return Outcome(
            Status.NOT_MET,
            Basis.ATTESTATION,
            f"The attestation by {expired_attestation.attested_by} "
            f"expired on {expired_attestation.expires_on:%Y-%m-%d}.",
            (record, *expired_attestation.evidence),
            expired_attestation.expires_on,
            hint or "Review the requirement and record a new attestation with current evidence.",
            names,
        )

    unknown_reasons = " ".join(r.reason for r in results if r.status == Status.UNKNOWN)
    reason = unknown_reasons or (
        "No automated check covers this yet and nothing is recorded."
        if not names
        else "The automated checks found no records to judge yet."
    )
    if addressable:
        fallback = "Record an attestation with evidence, or a signed addressable decision (164.306(d)(3))."
    else:
        fallback = "Record an attestation with evidence that the requirement is met."
    return Outcome(Status.UNKNOWN, Basis.NONE, reason, (), None, hint or fallback, names)


def _decision_outcome(decision: DecisionFact, today: date, names: tuple[str, ...]) -> Outcome:
    record = RecordRef("tracker.addressabledecision", decision.public_id, f"Decision: {decision.label}")
    if decision.signed_by is None:
        return Outcome(
            Status.NOT_MET,
            Basis.DECISION,
            f"The decision '{decision.label}' is recorded but not signed by an approver.",
            (record,),
            None,
            "Have the security official or an owner sign the addressable decision.",
            names,
        )
    if not decision.alternative_measure.strip():
        return Outcome(
            Status.NOT_MET,
            Basis.DECISION,
            f"The decision '{decision.label}' names no alternative measure.",
            (record,),
            None,
            "Document the equivalent alternative measure, or why none is reasonable.",
            names,
        )
    if decision.review_on < today:
        return Outcome(
            Status.NOT_MET,
            Basis.DECISION,
            f"The decision '{decision.label}' was due for review on {decision.review_on:%Y-%m-%d}.",
            (record,),
            decision.review_on,
            "Review the addressable decision and sign it again.",
            names,
        )
    next_action = ""
    if decision.review_on - today <= RENEW_WARNING:
        next_action = f"Review the addressable decision before {decision.review_on:%Y-%m-%d}."
    return Outcome(
        Status.MET,
        Basis.DECISION,
        f"{decision.label}, signed by {decision.signed_by} on {decision.signed_on:%Y-%m-%d}: "
        f"{decision.rationale} Alternative: {decision.alternative_measure}",
        (record,),
        decision.review_on,
        next_action,
        names,
    )


def roll_up(children: Sequence[tuple[str, str, Outcome]], own: Outcome | None) -> Outcome:
    """A standard's verdict from its specifications' verdicts (citation, title, outcome) and its own checks."""
    parts = [(c, t, o) for c, t, o in children]
    if own is not None and own.status != Status.UNKNOWN:
        # Named by its own reason: the checks' finding (who lacks training…) must show on the standard's page.
        parts.append(("(standard)", f"the standard's own checks: {own.reason.rstrip('.')}", own))
    applicable = [(c, t, o) for c, t, o in parts if o.status != Status.NOT_APPLICABLE]
    names = own.checks if own else ()
    if not applicable:
        return Outcome(Status.NOT_APPLICABLE, Basis.RECORDS, "None of its specifications applies.", checks=names)
    met = [p for p in applicable if p[2].status == Status.MET]
    statuses = {o.status for _, _, o in applicable}
    if statuses == {Status.MET}:
        status = Status.MET
    elif statuses == {Status.UNKNOWN}:
        status = Status.UNKNOWN
    elif not met and Status.PARTIALLY_MET not in statuses:
        status = Status.NOT_MET
    else:
        status = Status.PARTIALLY_MET
    worst = sorted(applicable, key=lambda p: SEVERITY.index(p[2].status))
    open_items = [f"{c} {t} ({o.status.label.lower()})" for c, t, o in worst if o.status != Status.MET]
    reason = f"{len(met)} of {len(applicable)} applicable specifications met."
    if open_items:
        reason += " Open: " + "; ".join(open_items) + "."
    bases = {o.basis for _, _, o in applicable}
    basis = next((b for b in (Basis.RECORDS, Basis.ATTESTATION, Basis.DECISION) if b in bases), Basis.NONE)
    next_action = next((o.next_action for _, _, o in worst if o.next_action), "")
    lapses = _earliest([o.lapses_on for _, _, o in applicable])
    records = own.records if own is not None and own.status not in (Status.MET, Status.UNKNOWN) else ()
    return Outcome(status, basis, reason, records, lapses, next_action, names)


def progress(statuses: Sequence[Status]) -> float | None:
    """Percent of applicable leaves met (partial counts half); None when nothing applies."""
    scored = [SCORE[s] for s in statuses if s != Status.NOT_APPLICABLE]
    if not scored:
        return None
    return round(100 * sum(scored) / len(scored), 1)
