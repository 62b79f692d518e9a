"""164.308(a)(7)(ii)(B) disaster recovery plan and (ii)(C) emergency mode operation plan: an approved plan of the
kind, reviewed within its cadence (its next review date not passed), whose covered assets — together with those of
the other approved plans of the kind — include every critical asset (queries_criticality.critical_profiles: in scope,
tier 1–2, in service). No tier 1–2 asset at all is not met: the analysis comes first. A plan that was never
printed (no print of it done: a queued, rendering or failed one is no copy) is mentioned, not failed: printing is
how the plan survives an outage."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.contingency.checks_common import SHOWN, listing, record_url
from safeguard.contingency.models import ContingencyPlan, PlanKind, PlanPrint, PlanVersion
from safeguard.contingency.queries_criticality import critical_profiles
from safeguard.contingency.queries_plans import approved_versions, review_overdue
from safeguard.core.models import Organization
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

NOUNS = {PlanKind.DISASTER_RECOVERY: "disaster recovery plan", PlanKind.EMERGENCY_MODE: "emergency mode operation plan"}


def version_ref(version: PlanVersion) -> RecordRef:
    return RecordRef(
        "contingency.planversion",
        str(version.public_id),
        f"{version.plan.title} v{version.number} ({version.get_status_display().lower()})",
        record_url("contingency:plan_version_detail", version.plan.organization, version_id=version.public_id),
    )


def asset_ref(asset: Asset) -> RecordRef:
    return RecordRef(
        "risk.asset",
        str(asset.public_id),
        f"Asset: {asset.name}",
        record_url("risk:asset_detail", asset.organization, asset_id=asset.public_id),
    )


def critical_assets(organization: Organization) -> list[Asset]:
    profiles = critical_profiles(organization)
    return list(
        Asset.objects.filter(pk__in=profiles.values("asset_id")).select_related("organization").order_by("name")
    )


@check("164.308(a)(7)(ii)(B)", name="contingency.disaster_recovery_plan")
def disaster_recovery_plan(organization: Organization, today: date) -> CheckResult:
    return plan_check(organization, today, PlanKind.DISASTER_RECOVERY)


@check("164.308(a)(7)(ii)(C)", name="contingency.emergency_mode_plan")
def emergency_mode_plan(organization: Organization, today: date) -> CheckResult:
    return plan_check(organization, today, PlanKind.EMERGENCY_MODE)


def plan_check(organization: Organization, today: date, kind: str) -> CheckResult:
    noun = NOUNS[PlanKind(kind)]
    versions = approved_versions(organization, kind)
    if not versions:
        return _no_approved_plan(organization, kind, noun)
    records = tuple(version_ref(version) for version in versions)
    critical = critical_assets(organization)
    if not critical:
        # "Covers every tier 1–2 asset" would be vacuously true: the analysis decides what the plan must cover.
        return CheckResult(
            Status.NOT_MET,
            f"An approved {noun} exists, but there is no tier 1–2 asset in the criticality analysis: record the "
            "criticality analysis first.",
            records,
            next_action="Record the criticality analysis first: give each asset in service a tier, then cover the "
            f"tier 1–2 assets in the {noun}.",
        )
    overdue = [version for version in versions if review_overdue(version, today)]
    covered = {asset.pk for version in versions for asset in version.covered_assets.all()}
    uncovered = [asset for asset in critical if asset.pk not in covered]
    done = PlanPrint.objects.filter(version__in=versions, state=PlanPrint.State.DONE)
    printed = set(done.values_list("version_id", flat=True))
    unprinted = [f"{version.plan.title} v{version.number}" for version in versions if version.pk not in printed]
    note = f" {listing(unprinted)} {'has' if len(unprinted) == 1 else 'have'} never been printed." if unprinted else ""
    parts = []
    if overdue:
        late = [f"{v.plan.title} v{v.number} (review due {v.next_review_on})" for v in overdue]
        parts.append(f"the review is overdue for {listing(late)}")
    if uncovered:
        names = [asset.name for asset in uncovered]
        parts.append(
            f"{len(names)} tier 1–2 asset{'s are' if len(names) != 1 else ' is'} not covered: {listing(names)}"
        )
    if parts:
        return CheckResult(
            Status.PARTIALLY_MET,
            f"An approved {noun} exists, but {'; '.join(parts)}.{note}",
            records + tuple(asset_ref(asset) for asset in uncovered[:SHOWN]),
            next_action=_next_action(overdue, uncovered),
        )
    reviews = [version.next_review_on for version in versions if version.next_review_on is not None]
    lapses_on = min(reviews) + timedelta(days=1) if reviews else None
    titles = listing([f"{version.plan.title} v{version.number}" for version in versions])
    return CheckResult(
        Status.MET,
        f"The approved {noun} ({titles}) is current and covers every tier 1–2 asset.{note}",
        records,
        lapses_on=lapses_on,
        next_action=(
            f"Review the plan before {min(reviews)}, and print the approved version for use offline."
            if reviews and unprinted
            else (f"Review the plan before {min(reviews)}." if reviews else "Review the plan yearly.")
        ),
    )


def _next_action(overdue: list[PlanVersion], uncovered: list[Asset]) -> str:
    if uncovered:
        return "Start a new draft that covers the missing assets and have it approved."
    if overdue:
        return "Review the approved version and sign the review, or approve a revised version."
    return ""


def _no_approved_plan(organization: Organization, kind: str, noun: str) -> CheckResult:
    draft = (
        PlanVersion.objects.filter(organization=organization, plan__kind=kind, status=PlanVersion.Status.DRAFT)
        .select_related("plan__organization")
        .order_by("-created_at")
        .first()
    )
    if draft is not None:
        return CheckResult(
            Status.NOT_MET,
            f"No {noun} is approved; {draft.plan.title} v{draft.number} is a draft.",
            (version_ref(draft),),
            next_action="Complete the draft and have the security official or an owner approve it.",
        )
    exists = ContingencyPlan.objects.filter(organization=organization, kind=kind).exists()
    return CheckResult(
        Status.NOT_MET,
        f"No {noun} is approved{', and none has a version yet' if exists else ' or on record'}.",
        next_action=f"Write the {noun} under Contingency → Plans and have it approved.",
    )
