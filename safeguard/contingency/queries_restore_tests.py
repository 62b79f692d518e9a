"""Where each asset stands with its restore tests: the last test, the last one that met the objectives, and when
the next is due (the last test's date plus the asset's cadence; never tested: due now). Read by the schedule
page, the readiness dashboard and the (ii)(D) check, in a constant number of queries however many assets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from safeguard.contingency import readiness_rules
from safeguard.contingency.models import RecoveryProfile, RestoreOutcome, RestoreTest
from safeguard.contingency.readiness_rules import cadence_months
from safeguard.contingency.services.settings import contingency_settings, restore_cadence
from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.risk.models import Asset


@dataclass(frozen=True)
class AssetRestoreStatus:
    profile: RecoveryProfile
    cadence: str
    last_test: RestoreTest | None
    last_passed_on: date | None  # the day (local) of the latest test that met the objectives
    next_due: date
    overdue: bool

    @property
    def asset(self) -> Asset:
        return self.profile.asset

    @property
    def outcome(self) -> str | None:
        return self.last_test.outcome if self.last_test is not None else None

    @property
    def last_tested_on(self) -> date | None:
        return timezone.localdate(self.last_test.started_at) if self.last_test is not None else None

    @property
    def pass_lapses_on(self) -> date | None:
        return readiness_rules.pass_lapses_on(self.last_passed_on, self.cadence)

    def passed_within_period(self, today: date) -> bool:
        return readiness_rules.passed_within_period(self.last_passed_on, self.cadence, today)


def restore_status(
    organization: Organization, *, today: date, asset: Asset | None = None
) -> dict[int, AssetRestoreStatus]:
    """Asset id → its restore test status, for every asset of the criticality analysis in service (a planned one
    is not judged yet), in scope or not: callers filter with queries_criticality.is_critical or profile.in_scope.
    With `asset`, only that one (the asset page's panel), in the same queries."""
    settings = contingency_settings(organization)
    tests = RestoreTest.objects.filter(asset=OuterRef("asset_id")).order_by("-started_at", "-pk")
    scope = RecoveryProfile.objects.filter(organization=organization, asset__status=Asset.Status.IN_SERVICE)
    if asset is not None:
        scope = scope.filter(asset=asset)
    profiles = list(
        scope.select_related("asset", "asset__owner")
        .annotate(
            last_test_id=Subquery(tests.values("pk")[:1]),
            last_passed_at=Subquery(tests.filter(outcome=RestoreOutcome.MET).values("started_at")[:1]),
        )
        .order_by("tier", "asset__name")
    )
    last_ids = [profile.last_test_id for profile in profiles if profile.last_test_id]
    last_tests = RestoreTest.objects.select_related("performed_by").in_bulk(last_ids) if last_ids else {}
    statuses = {}
    for profile in profiles:
        cadence = profile.restore_test_cadence or restore_cadence(settings, profile.tier)
        last_test = last_tests.get(profile.last_test_id)
        passed_at = profile.last_passed_at
        if last_test is None:
            next_due = today
        else:
            next_due = add_months(timezone.localdate(last_test.started_at), cadence_months(cadence))
        statuses[profile.asset_id] = AssetRestoreStatus(
            profile=profile,
            cadence=cadence,
            last_test=last_test,
            last_passed_on=timezone.localdate(passed_at) if passed_at is not None else None,
            next_due=next_due,
            overdue=last_test is None or next_due < today,
        )
    return statuses


def restore_schedule_rows(organization: Organization, *, today: date) -> list[AssetRestoreStatus]:
    """The schedule's order, shared by its page and the API: overdue first, then the next due, then the name. The
    order rests on each asset's cadence, so it is sorted here rather than in SQL; the read stays constant in
    queries and the callers page the sorted list."""
    return sorted(
        restore_status(organization, today=today).values(),
        key=lambda status: (not status.overdue, status.next_due, status.asset.name.lower()),
    )
