"""164.308(a)(1)(ii)(A) risk analysis: an approved analysis, younger than the organization's re-analysis
interval, whose frozen scope covers every asset in service and that nothing since has called into question."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.risk.models import Asset, ReanalysisTrigger, RiskAnalysis
from safeguard.risk.queries import analysis_lapses_on, latest_approved_analysis
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

SHOWN = 5  # names listed in a reason before "and N more"


def record_url(name: str, organization: Organization, **ids: object) -> str:
    try:
        return reverse(f"risk:{name}", kwargs={"org_slug": organization.slug, **ids})
    except NoReverseMatch:
        return ""


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def listing(names: list[str], total: int) -> str:
    shown = ", ".join(names[:SHOWN])
    return f"{shown} and {total - SHOWN} more" if total > SHOWN else shown


def analysis_ref(analysis: RiskAnalysis) -> RecordRef:
    return RecordRef(
        "risk.riskanalysis",
        str(analysis.public_id),
        f"Risk analysis: {analysis.title} ({analysis.get_status_display().lower()})",
        record_url("analysis_detail", analysis.organization, analysis_id=analysis.public_id),
    )


def asset_ref(asset: Asset) -> RecordRef:
    return RecordRef(
        "risk.asset",
        str(asset.public_id),
        f"Asset: {asset.name}",
        record_url("asset_detail", asset.organization, asset_id=asset.public_id),
    )


@check("164.308(a)(1)(ii)(A)", name="risk.analysis_current_and_complete")
def analysis_current_and_complete(organization: Organization, today: date) -> CheckResult:
    analysis = latest_approved_analysis(organization)
    if analysis is None or analysis.approved_at is None:
        return _no_approved_analysis(organization)
    approved_on = timezone.localdate(analysis.approved_at)
    lapses_on = analysis_lapses_on(analysis)
    months = int(analysis.method.get("reanalysis_months", 12))
    records = (analysis_ref(analysis),)
    if lapses_on is not None and today >= lapses_on:
        return CheckResult(
            Status.NOT_MET,
            f"The risk analysis approved on {approved_on} is {months} months old: it lapsed on {lapses_on}.",
            records,
            next_action="Start a new risk analysis, assess the risks and have the security official approve it.",
        )
    gaps = _gaps(organization, analysis)
    if gaps:
        reason, gap_records = gaps
        return CheckResult(
            Status.PARTIALLY_MET,
            reason,
            records + gap_records,
            lapses_on=lapses_on,
            next_action="Start a new risk analysis that covers these changes and have it approved.",
        )
    return CheckResult(
        Status.MET,
        f"The risk analysis approved on {approved_on} covers every asset in service; it is current until {lapses_on}.",
        records,
        lapses_on=lapses_on,
        next_action=f"Repeat the analysis before {lapses_on}, or sooner if the environment changes significantly.",
    )


def _no_approved_analysis(organization: Organization) -> CheckResult:
    open_analysis = (
        RiskAnalysis.objects.filter(organization=organization)
        .exclude(status=RiskAnalysis.Status.APPROVED)
        .order_by("-started_at")
        .first()
    )
    if open_analysis is not None:
        return CheckResult(
            Status.NOT_MET,
            f"No risk analysis has been approved; “{open_analysis.title}” is "
            f"{open_analysis.get_status_display().lower()}.",
            (analysis_ref(open_analysis),),
            next_action="Rate every risk, submit the analysis for review and have the security official approve it.",
        )
    in_service = Asset.objects.in_service().filter(organization=organization).count()
    inventory = f"{counted(in_service, 'asset')} in service" if in_service else "the asset inventory is empty"
    return CheckResult(
        Status.NOT_MET,
        f"No risk analysis is on record, and {inventory}.",
        next_action="List every system that holds or moves ePHI in the inventory, then start a risk analysis.",
    )


def _gaps(organization: Organization, analysis: RiskAnalysis) -> tuple[str, tuple[RecordRef, ...]] | None:
    """What the approved analysis misses: assets in service outside its scope, scoped assets changed
    materially since approval, and significant changes or incidents recorded since."""
    approved_on = timezone.localdate(analysis.approved_at) if analysis.approved_at else None
    in_service = Asset.objects.in_service().filter(organization=organization)
    unscoped = list(in_service.exclude(pk__in=analysis.scope_items.values("asset_id")).order_by("name"))
    changed = list(
        in_service.filter(
            pk__in=analysis.scope_items.values("asset_id"), material_change_at__gt=analysis.approved_at
        ).order_by("name")
    )
    other_triggers = list(
        ReanalysisTrigger.objects.filter(organization=organization, resolved_by__isnull=True)
        .filter(Q(kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE) | Q(kind=ReanalysisTrigger.Kind.INCIDENT_CLOSED))
        .order_by("occurred_at")
    )
    parts, records = [], []
    if unscoped:
        names = [asset.name for asset in unscoped]
        parts.append(
            f"{counted(len(unscoped), 'asset')} added since the analysis of {approved_on}: {listing(names, len(names))}"
        )
        records += [asset_ref(asset) for asset in unscoped[:SHOWN]]
    if changed:
        names = [asset.name for asset in changed]
        parts.append(f"{counted(len(changed), 'asset')} changed materially since then: {listing(names, len(names))}")
        records += [asset_ref(asset) for asset in changed[:SHOWN]]
    if other_triggers:
        reasons = [trigger.reason.rstrip(".") for trigger in other_triggers]
        parts.append(f"{counted(len(other_triggers), 'change')} recorded since then: {listing(reasons, len(reasons))}")
        records += [
            RecordRef("risk.reanalysistrigger", str(t.public_id), f"Re-analysis trigger: {t.reason}")
            for t in other_triggers[:SHOWN]
        ]
    if not parts:
        return None
    return "; ".join(parts) + ".", tuple(records)
