"""Re-analysis triggers: what calls an approved risk analysis into question, each raising an obligation.

Asset services call `reanalysis_flag` when an asset enters service or changes materially after approval; users
record significant changes; the daily chore flags an analysis about to lapse; the incidents module will flag a
closed incident. Approving a new analysis resolves every open trigger and completes its obligation.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.chores import daily_chore
from safeguard.core.models import Obligation, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.core.services.obligations import obligation_complete, obligation_create
from safeguard.risk.models import Asset, ReanalysisTrigger, RiskAnalysis
from safeguard.risk.queries import analysis_lapses_on, latest_approved_analysis, program_lead

RISK_ANALYSIS = "164.308(a)(1)(ii)(A)"
UPDATE_WITHIN_DAYS = 30  # how long after a trigger the analysis update falls due
LAPSE_NOTICE_DAYS = 60  # how long before an analysis lapses its re-analysis obligation is raised
SYSTEM = Actor.system("risk")

Kind = ReanalysisTrigger.Kind


def reanalysis_flag(
    *,
    organization: Organization,
    actor: Actor,
    kind: str,
    reason: str,
    asset: Asset | None = None,
    due_on: date | None = None,
    today: date | None = None,
) -> ReanalysisTrigger | None:
    """Record that the approved analysis needs updating, with an obligation to do it.

    Returns None (and writes nothing) when there is no approved analysis yet — the first analysis is then the
    open duty — or when the same unresolved trigger already stands for this asset (one obligation per cause;
    triggers without an asset, such as one per imported file, each stand on their own).
    Must be called inside the caller's transaction when it is part of a larger change.
    """
    if kind not in Kind.values:
        raise ServiceError(f"Trigger kind must be one of: {', '.join(Kind.values)}.", field="kind")
    if not reason.strip():
        raise ServiceError("Say what changed.", field="reason")
    today = today or timezone.localdate()
    analysis = latest_approved_analysis(organization)
    if analysis is None and kind != Kind.SIGNIFICANT_CHANGE:
        return None
    with transaction.atomic():
        # Serializes concurrent changes to the same asset, so one cause raises one obligation.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if (
            asset is not None
            and ReanalysisTrigger.objects.filter(
                organization=organization, kind=kind, asset=asset, resolved_by__isnull=True
            ).exists()
        ):
            return None
        obligation = _obligation(
            organization, actor, reason, due_on or today + timedelta(days=UPDATE_WITHIN_DAYS), today
        )
        trigger = ReanalysisTrigger.objects.create(
            organization=organization,
            kind=kind,
            reason=reason.strip(),
            asset=asset,
            analysis=analysis,
            recorded_by=actor.user,
            obligation=obligation,
        )
        audit_record(
            actor=actor,
            action="risk.reanalysis.flagged",
            organization=organization,
            target=trigger,
            changes={
                "kind": [None, kind],
                "reason": [None, trigger.reason],
                "obligation": [None, str(obligation.public_id) if obligation else None],
            },
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.reanalysis_flagged"))
    return trigger


def _obligation(organization: Organization, actor: Actor, reason: str, due_on: date, today: date) -> Obligation | None:
    owner = program_lead(organization, today)
    if owner is None:
        return None
    return obligation_create(
        organization=organization,
        actor=actor,
        title="Update the risk analysis",
        description=reason.strip(),
        citation=RISK_ANALYSIS,
        owner=owner,
        due_on=max(due_on, today),
        source="risk.reanalysis",
        today=today,
    )


def triggers_resolve(*, organization: Organization, actor: Actor, analysis: RiskAnalysis) -> int:
    """Mark the open triggers `analysis` answers and complete the obligations they raised. Called by analysis
    approval, inside its transaction.

    A trigger is answered when it was recorded before the analysis went to review (a later change is news to
    it); a trigger about an asset, only when that asset is in the analysis's scope. Others stay open.
    """
    cutoff = analysis.submitted_at or analysis.approved_at or timezone.now()
    scoped = analysis.scope_items.values("asset_id")
    answered = list(
        ReanalysisTrigger.objects.select_for_update(of=("self",))  # the obligation join is nullable
        .filter(organization=organization, resolved_by__isnull=True, occurred_at__lte=cutoff)
        .filter(Q(asset__isnull=True) | Q(asset_id__in=scoped))
        .select_related("obligation")
    )
    approved_on = timezone.localdate(analysis.approved_at) if analysis.approved_at else timezone.localdate()
    for trigger in answered:
        trigger.resolved_by = analysis
        obligation = trigger.obligation
        if obligation is not None and obligation.status == Obligation.Status.OPEN:
            obligation_complete(
                organization=organization,
                actor=actor,
                obligation=obligation,
                note=f"Answered by the risk analysis “{analysis.title}” approved on {approved_on}.",
            )
    ReanalysisTrigger.objects.bulk_update(answered, ["resolved_by"])
    if answered:
        audit_record(
            actor=actor,
            action="risk.reanalysis.resolved",
            organization=organization,
            target=analysis,
            changes={"triggers": [None, [str(trigger.public_id) for trigger in answered]]},
        )
    return len(answered)


@daily_chore("risk.analysis_lapse")
def flag_lapsing_analyses(today: date, dry_run: bool) -> list[str]:
    """Raise the re-analysis obligation LAPSE_NOTICE_DAYS before the latest approved analysis lapses."""
    lines = []
    for organization in Organization.objects.order_by("slug"):
        analysis = latest_approved_analysis(organization)
        lapses_on = analysis_lapses_on(analysis) if analysis else None
        if analysis is None or lapses_on is None or lapses_on - timedelta(days=LAPSE_NOTICE_DAYS) > today:
            continue
        if ReanalysisTrigger.objects.filter(
            organization=organization, kind=Kind.LAPSED, analysis=analysis, resolved_by__isnull=True
        ).exists():
            continue
        lines.append(f"{organization.slug}: analysis of {analysis.approved_at:%Y-%m-%d} lapses on {lapses_on}")
        if not dry_run:
            reanalysis_flag(
                organization=organization,
                actor=SYSTEM,
                kind=Kind.LAPSED,
                reason=f"The risk analysis approved on {analysis.approved_at:%Y-%m-%d} lapses on {lapses_on}.",
                due_on=lapses_on,
                today=today,
            )
    return lines
