"""164.308(a)(7)(ii)(D) testing and revision procedures: every in-scope tier 1–2 asset has a restore test that met
its objectives within its cadence period, a contingency exercise was completed in the last 12 months, and every
exercise of those months that taught something (lessons learned or corrective actions) led to an approved plan
revision. Periods include their anniversary day (docs/contingency.md, Dates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef

from safeguard.contingency.checks_common import listing, record_url
from safeguard.contingency.models import CorrectiveAction, Exercise, PlanVersion
from safeguard.contingency.queries_criticality import is_critical
from safeguard.contingency.queries_restore_tests import AssetRestoreStatus, restore_status
from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

CITATION = "164.308(a)(7)(ii)(D)"
EXERCISE_MONTHS = 12


def _asset_ref(organization: Organization, status: AssetRestoreStatus) -> RecordRef:
    asset = status.asset
    return RecordRef(
        "risk.asset",
        str(asset.public_id),
        f"Asset: {asset.name} (tier {status.profile.tier})",
        record_url("contingency:restore_schedule", organization),
    )


def _exercise_ref(organization: Organization, exercise: Exercise) -> RecordRef:
    return RecordRef(
        "contingency.exercise",
        str(exercise.public_id),
        f"Exercise: {exercise.title} ({exercise.held_on:%Y-%m-%d})",
        record_url("contingency:exercise_detail", organization, exercise_id=exercise.public_id),
    )


@dataclass(frozen=True)
class Findings:
    critical: list[AssetRestoreStatus]
    untested: list[AssetRestoreStatus]
    latest_exercise: Exercise | None
    unrevised: Sequence[Exercise]


def _findings(organization: Organization, today: date) -> Findings:
    statuses = restore_status(organization, today=today).values()
    critical = [s for s in statuses if is_critical(s.profile)]
    since = add_months(today, -EXERCISE_MONTHS)
    # A draft is only a promise to revise: the revision counts once it is approved (or approved and since replaced).
    revised = PlanVersion.objects.filter(
        caused_by_exercise=OuterRef("pk"),
        created_at__date__gte=OuterRef("held_on"),
        status__in=(PlanVersion.Status.APPROVED, PlanVersion.Status.SUPERSEDED),
    )
    recent = list(
        Exercise.objects.filter(organization=organization, completed=True, held_on__gte=since, held_on__lte=today)
        .annotate(
            revised=Exists(revised),
            has_actions=Exists(CorrectiveAction.objects.filter(exercise=OuterRef("pk"))),
        )
        .order_by("-held_on", "-pk")
    )
    unrevised = [
        exercise
        for exercise in recent
        if (exercise.lessons_learned.strip() or exercise.has_actions) and not exercise.revised
    ]
    return Findings(
        critical=critical,
        untested=[s for s in critical if not s.passed_within_period(today)],
        latest_exercise=recent[0] if recent else None,
        unrevised=unrevised,
    )


def _lapse(findings: Findings) -> date | None:
    dates = [s.pass_lapses_on for s in findings.critical if s.pass_lapses_on is not None]
    if findings.latest_exercise is not None:
        dates.append(add_months(findings.latest_exercise.held_on, EXERCISE_MONTHS) + timedelta(days=1))
    return min(dates, default=None)


def _gaps(findings: Findings) -> list[str]:
    gaps = []
    if findings.untested:
        names = [s.asset.name for s in findings.untested]
        gaps.append(f"no restore test met the objectives within its period for {listing(names)}")
    if findings.latest_exercise is None:
        gaps.append(f"no exercise was completed in the last {EXERCISE_MONTHS} months")
    if findings.unrevised:
        titles = [f"“{exercise.title}”" for exercise in findings.unrevised]
        gaps.append(f"no plan revision records the findings of {listing(titles)}")
    return gaps


@check(CITATION, name="contingency.testing_restore_and_exercise")
def restore_tests_and_exercises(organization: Organization, today: date) -> CheckResult:
    findings = _findings(organization, today)
    records = tuple(_asset_ref(organization, s) for s in findings.untested)
    records += tuple(_exercise_ref(organization, e) for e in findings.unrevised)
    if findings.latest_exercise is not None:
        records = (_exercise_ref(organization, findings.latest_exercise), *records)
    passed = len(findings.critical) - len(findings.untested)
    if passed == 0 and findings.latest_exercise is None:
        return CheckResult(
            Status.NOT_MET,
            "No tier 1–2 asset has a passed restore test within its period and no contingency exercise was "
            f"completed in the last {EXERCISE_MONTHS} months.",
            records,
            next_action="Restore each tier 1–2 asset from backup and time it, and hold a tabletop exercise.",
        )
    if not findings.critical:
        return CheckResult(
            Status.PARTIALLY_MET,
            "No in-scope asset is in tier 1 or 2 of the criticality analysis, so no restore test shows that the "
            "most critical systems can be recovered.",
            records,
            lapses_on=_lapse(findings),
            next_action="Set the tier, RTO and RPO of each critical asset, then test restoring it.",
        )
    gaps = _gaps(findings)
    if gaps:
        return CheckResult(
            Status.PARTIALLY_MET,
            f"{passed} of {len(findings.critical)} tier 1–2 assets passed a restore test within the period, but "
            f"{'; '.join(gaps)}.",
            records,
            lapses_on=_lapse(findings),
            next_action="Test the assets listed, hold an exercise, and revise the plans after findings.",
        )
    lapses_on = _lapse(findings)
    return CheckResult(
        Status.MET,
        f"All {len(findings.critical)} tier 1–2 assets passed a restore test within their period and an exercise "
        f"was completed on {_held(findings)}; every exercise's findings led to a plan revision.",
        records,
        lapses_on=lapses_on,
        next_action=f"Test again before {lapses_on:%Y-%m-%d}." if lapses_on else "",
    )


def _held(findings: Findings) -> str:
    return f"{findings.latest_exercise.held_on:%Y-%m-%d}" if findings.latest_exercise else ""
