"""Dashboard widgets of contingency planning: recovery readiness of the tier 1–2 assets, and the open and overdue
corrective actions. Each answers in at most two queries (tracker/widgets.py's budget is four).

The readiness widget reads the same facts as the readiness dashboard (queries_overview.readiness) but only for
tiers 1–2 and in one annotated query, since the full view takes about nine: latest good restore point, last test
and last passed test come as subqueries. Both judge the facts with readiness_rules and queries_vendors.vendor_gaps;
tests/test_contingency_widgets.py checks that both give the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from safeguard.contingency.models import (
    BackupPolicy,
    BackupResult,
    BackupStatus,
    ContingencySettings,
    CorrectiveAction,
    RecoveryProfile,
    RestoreOutcome,
    RestoreTest,
    Tier,
)
from safeguard.contingency.queries_criticality import critical_profiles
from safeguard.contingency.queries_vendors import vendor_gaps
from safeguard.contingency.readiness_rules import fresh_backup, passed_within_period
from safeguard.contingency.services.actions import OPEN_STATUSES
from safeguard.contingency.services.settings import restore_cadence
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget

CRITICAL_TIERS = (Tier.PATIENT_SAFETY, Tier.CRITICAL)


@dataclass(frozen=True)
class TierReadiness:
    tier: int
    assets: int
    ready: int

    @property
    def all_ready(self) -> bool:
        return self.ready == self.assets


def _critical_profiles(organization: Organization, today: date) -> list[RecoveryProfile]:
    now = as_of(today)
    points = BackupResult.objects.filter(
        policy__asset=OuterRef("asset_id"),
        status__in=(BackupStatus.SUCCESS, BackupStatus.WARNING),
        restore_point_at__lte=now,
    ).order_by("-restore_point_at")
    tests = RestoreTest.objects.filter(asset=OuterRef("asset_id")).order_by("-started_at", "-pk")
    return list(
        critical_profiles(organization)
        .select_related("asset", "asset__vendor_recovery")
        .annotate(
            latest_good_at=Subquery(points.values("restore_point_at")[:1]),
            has_policy=Exists(BackupPolicy.objects.filter(asset=OuterRef("asset_id"), active=True)),
            last_outcome=Subquery(tests.values("outcome")[:1]),
            last_passed_at=Subquery(tests.filter(outcome=RestoreOutcome.MET).values("started_at")[:1]),
        )
    )


def _ready(profile: RecoveryProfile, cadence: str, today: date) -> bool:
    passed_at = getattr(profile, "last_passed_at", None)
    record = getattr(profile.asset, "vendor_recovery", None)
    # As queries_vendors.vendor_assets: critical assets are in service, so a named associate or a record suffices.
    run_by_vendor = bool(profile.asset.business_associate) or record is not None
    return (
        fresh_backup(
            has_active_policy=getattr(profile, "has_policy", False),
            latest_good_at=getattr(profile, "latest_good_at", None),
            rpo_minutes=profile.rpo_minutes,
            now=as_of(today),
        )
        and passed_within_period(timezone.localdate(passed_at) if passed_at else None, cadence, today)
        and getattr(profile, "last_outcome", None) == RestoreOutcome.MET
        and not (run_by_vendor and vendor_gaps(record, profile, today))
    )


def tier_readiness(organization: Organization, today: date) -> list[TierReadiness]:
    """Per tier 1 and 2: in-scope assets and how many are ready. Two queries."""
    profiles = _critical_profiles(organization, today)
    if not profiles:
        return []
    # Unsaved defaults when never set: a dashboard read should not write (contingency_settings would).
    settings = ContingencySettings.objects.filter(organization=organization).first() or ContingencySettings()
    counts: dict[int, list[int]] = {int(tier): [0, 0] for tier in CRITICAL_TIERS}
    for profile in profiles:
        cadence = profile.restore_test_cadence or restore_cadence(settings, profile.tier)
        counts[profile.tier][0] += 1
        counts[profile.tier][1] += _ready(profile, cadence, today)
    return [TierReadiness(tier, assets, ready) for tier, (assets, ready) in counts.items()]


@dashboard_widget(order=90)
def recovery_readiness_widget(organization: Organization, today: date) -> Widget | None:
    tiers = tier_readiness(organization, today)
    if not tiers:
        return None
    return Widget(
        title="Recovery readiness",
        template="contingency/widget_readiness.html",
        context={
            "tiers": tiers,
            "assets": sum(tier.assets for tier in tiers),
            "ready": sum(tier.ready for tier in tiers),
            "org_slug": organization.slug,
        },
        link=reverse("contingency:home", args=[organization.slug]),
    )


@dashboard_widget(order=91)
def corrective_actions_widget(organization: Organization, today: date) -> Widget | None:
    counts = CorrectiveAction.objects.filter(organization=organization).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
    )
    if not counts["total"]:
        return None
    return Widget(
        title="Contingency corrective actions",
        template="contingency/widget_actions.html",
        context={**counts, "org_slug": organization.slug},
        link=reverse("contingency:action_list", args=[organization.slug]),
    )
