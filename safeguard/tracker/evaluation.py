"""Run every check for an organization and store the verdicts, the roll-up and today's snapshot."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.tracker.models import AddressableDecision, Attestation, DailySnapshot, Status, Verdict
from safeguard.tracker.queries import attestation_evidence
from safeguard.tracker.registry import CheckResult, RecordRef, checks_for
from safeguard.tracker.rules import AttestationFact, DecisionFact, Outcome, decide_leaf, progress, roll_up


@dataclass(frozen=True)
class EvaluationSummary:
    evaluated: int
    changed: int
    overall_percent: float
    by_safeguard: dict[str, float | None]
    counts: dict[str, int]


def _attestation_facts(
    organization: Organization, today: date
) -> tuple[dict[int, AttestationFact], dict[int, AttestationFact]]:
    """Per requirement id: the current attestation (latest to expire) and, failing that, the latest expired one."""
    rows = list(
        Attestation.objects.filter(organization=organization, withdrawn_at__isnull=True)
        .select_related("attested_by")
        .order_by("expires_on")
    )
    linked = attestation_evidence(organization, [row.public_id for row in rows])
    current: dict[int, AttestationFact] = {}
    expired: dict[int, AttestationFact] = {}
    for row in rows:
        fact = AttestationFact(
            public_id=str(row.public_id),
            statement=row.statement,
            attested_by=str(row.attested_by),
            attested_on=timezone.localdate(row.attested_at),
            expires_on=row.expires_on,
            evidence=tuple(
                RecordRef("core.evidence", str(e.public_id), e.title) for e in linked.get(str(row.public_id), [])
            ),
        )
        (current if row.expires_on >= today else expired)[row.requirement_id] = fact
    return current, expired


def _decision_facts(organization: Organization) -> dict[int, DecisionFact]:
    facts = {}
    rows = (
        AddressableDecision.objects.filter(organization=organization, superseded_at__isnull=True)
        .select_related("signature__signer")
        .order_by("created_at")
    )
    for row in rows:
        signature = row.signature
        facts[row.requirement_id] = DecisionFact(
            public_id=str(row.public_id),
            decision=row.decision,
            label=row.get_decision_display(),
            rationale=row.rationale,
            alternative_measure=row.alternative_measure,
            review_on=row.review_on,
            signed_by=str(signature.signer) if signature else None,
            signed_on=timezone.localdate(signature.signed_at) if signature else None,
        )
    return facts


def _run_checks(organization: Organization, citation: str, today: date) -> tuple[list[str], list[CheckResult]]:
    registered = checks_for(citation)
    return [c.name for c in registered], [c.function(organization, today) for c in registered]


def compute_outcomes(organization: Organization, today: date) -> dict[str, tuple[Requirement, Outcome]]:
    """Every requirement's outcome, leaves first, then standards rolled up. Reads only."""
    requirements = list(Requirement.objects.order_by("position"))
    children: dict[int, list[Requirement]] = defaultdict(list)
    for requirement in requirements:
        if requirement.parent_id:
            children[requirement.parent_id].append(requirement)
    attestations, expired = _attestation_facts(organization, today)
    decisions = _decision_facts(organization)

    outcomes: dict[str, tuple[Requirement, Outcome]] = {}
    for requirement in requirements:
        if requirement.kind == Requirement.Kind.SPECIFICATION or not children[requirement.pk]:
            names, results = _run_checks(organization, requirement.citation, today)
            outcomes[requirement.citation] = (
                requirement,
                decide_leaf(
                    addressable=requirement.is_addressable,
                    check_names=names,
                    results=results,
                    attestation=attestations.get(requirement.pk),
                    expired_attestation=expired.get(requirement.pk),
                    decision=decisions.get(requirement.pk),
                    today=today,
                ),
            )
    for requirement in requirements:
        kids = children[requirement.pk]
        if requirement.kind == Requirement.Kind.STANDARD and kids:
            names, results = _run_checks(organization, requirement.citation, today)
            own = None
            if names:
                own = decide_leaf(
                    addressable=False,
                    check_names=names,
                    results=results,
                    attestation=None,
                    expired_attestation=None,
                    decision=None,
                    today=today,
                )
            outcomes[requirement.citation] = (
                requirement,
                roll_up([(k.citation, k.title, outcomes[k.citation][1]) for k in kids], own),
            )
    return outcomes


def summarize(
    outcomes: dict[str, tuple[Requirement, Outcome]],
) -> tuple[float, dict[str, float | None], dict[str, int]]:
    leaves = [
        (r, o)
        for r, o in outcomes.values()
        if r.kind == Requirement.Kind.SPECIFICATION or not any(c.parent_id == r.pk for c, _ in outcomes.values())
    ]
    by_safeguard: dict[str, list[Status]] = defaultdict(list)
    for requirement, outcome in leaves:
        by_safeguard[requirement.safeguard].append(outcome.status)
    overall = progress([o.status for _, o in leaves]) or 0.0
    counts = Counter(o.status.value for _, o in leaves)
    return overall, {k: progress(v) for k, v in by_safeguard.items()}, {s.value: counts.get(s.value, 0) for s in Status}


def tracker_evaluate(*, organization: Organization, actor: Actor, today: date | None = None) -> EvaluationSummary:
    """Evaluate every requirement, store verdicts and today's snapshot, and audit the verdicts that changed."""
    today = today or timezone.localdate()
    outcomes = compute_outcomes(organization, today)
    overall, by_safeguard, counts = summarize(outcomes)
    now = timezone.now()
    with transaction.atomic():
        previous = {v.requirement_id: v.status for v in Verdict.objects.filter(organization=organization)}
        rows = [
            Verdict(
                organization=organization,
                requirement=requirement,
                status=outcome.status,
                basis=outcome.basis,
                reason=outcome.reason,
                records=[r.as_dict() for r in outcome.records],
                lapses_on=outcome.lapses_on,
                next_action=outcome.next_action,
                checks=list(outcome.checks),
                evaluated_at=now,
            )
            for requirement, outcome in outcomes.values()
        ]
        Verdict.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["organization", "requirement"],
            update_fields=[
                "status",
                "basis",
                "reason",
                "records",
                "lapses_on",
                "next_action",
                "checks",
                "evaluated_at",
            ],
        )
        changes = {
            requirement.citation: [previous.get(requirement.pk), outcome.status.value]
            for requirement, outcome in outcomes.values()
            if previous.get(requirement.pk) != outcome.status.value
        }
        DailySnapshot.objects.update_or_create(
            organization=organization,
            day=today,
            defaults={"overall_percent": overall, "by_safeguard": by_safeguard, "counts": counts},
        )
        if changes:
            audit_record(
                actor=actor,
                action="tracker.verdicts_changed",
                organization=organization,
                object_type="tracker.verdict",
                object_id=organization.slug,
                object_repr=f"{len(changes)} verdicts changed; progress {overall:.0f}%",
                changes=changes,
            )
    return EvaluationSummary(len(rows), len(changes), overall, by_safeguard, counts)
