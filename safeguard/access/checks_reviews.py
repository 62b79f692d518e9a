"""Tracker checks of access reviews: 164.308(a)(4)(ii)(B) access authorization and (C) access establishment and
modification, judged by the same three facts.

Met needs all three:
1. every ePHI system (its asset not retired) was in a campaign closed within the review interval (92 days by
   default). A campaign covers the systems whose account lists it froze; one recorded without a frozen list
   covers all systems or its chosen ones;
2. no revocation decided in a review is overdue;
3. no current account holds access beyond its holder's role profile without a valid exception.
`lapses_on` is the day the oldest of the systems' latest reviews runs out: the first day not met.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import islice
from uuid import UUID

from django.db.models.fields.json import KeyTransform
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safeguard.access.models import AccountSnapshot, ReviewCampaign, ReviewItem, System
from safeguard.access.queries import access_settings
from safeguard.access.reconcile import beyond_profile
from safeguard.core.models import Organization
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.workforce.models import Person

CAMPAIGN_TYPE = "access.reviewcampaign"
LISTED = 10


def campaign_url(organization: Organization, campaign: ReviewCampaign) -> str:
    try:
        return reverse("access:review_detail", args=[organization.slug, campaign.public_id])
    except NoReverseMatch:  # the review pages are optional to this check
        return ""


def _campaign_ref(organization: Organization, campaign: ReviewCampaign) -> RecordRef:
    closed = f", closed {timezone.localdate(campaign.closed_at):%Y-%m-%d}" if campaign.closed_at else ""
    return RecordRef(
        CAMPAIGN_TYPE, str(campaign.public_id), f"{campaign.title}{closed}", campaign_url(organization, campaign)
    )


def _listed(names: list[str], total: int) -> str:
    more = f" and {total - len(names)} more" if total > len(names) else ""
    return ", ".join(names) + more


def _latest_reviews(
    organization: Organization, systems: list[System], today: date
) -> dict[int, tuple[date, ReviewCampaign]]:
    """System id → the day its latest covering campaign closed, and that campaign."""
    found = (
        ReviewCampaign.objects.filter(
            organization=organization, status=ReviewCampaign.Status.CLOSED, closed_at__isnull=False
        )
        .prefetch_related("systems")
        .order_by("closed_at")
        .annotate(frozen_systems=KeyTransform("systems", "frozen"))
        .only("pk", "public_id", "title", "all_systems", "closed_at")  # the frozen record can be large
    )
    campaigns = [campaign for campaign in found if timezone.localdate(campaign.closed_at) <= today]
    # The frozen record names each list by its snapshot's public id, which survives an archive's import; the
    # systems' row ids do not.
    frozen_ids = {
        entry["snapshot"] for campaign in campaigns for entry in (campaign.frozen_systems or []) if "snapshot" in entry
    }
    system_of = dict(
        AccountSnapshot.objects.filter(organization=organization, public_id__in=frozen_ids).values_list(
            "public_id", "system_id"
        )
    )
    known = {system.pk for system in systems}
    latest: dict[int, tuple[date, ReviewCampaign]] = {}
    for campaign in campaigns:
        closed_on = timezone.localdate(campaign.closed_at)
        frozen = campaign.frozen_systems
        if frozen is not None:
            covered = {system_of[UUID(entry["snapshot"])] for entry in frozen if UUID(entry["snapshot"]) in system_of}
        elif campaign.all_systems:
            covered = known
        else:
            covered = {system.pk for system in campaign.systems.all()}
        for system_id in covered & known:
            latest[system_id] = (closed_on, campaign)  # closed_at ascending: the last write is the latest
    return latest


def _overdue(organization: Organization, today: date) -> tuple[int, list[ReviewItem]]:
    overdue = ReviewItem.objects.filter(
        organization=organization,
        decision=ReviewItem.Decision.REVOKE,
        revoked_at__isnull=True,
        revoke_due_on__lt=today,
    )
    first = list(overdue.select_related("system__asset", "campaign").order_by("revoke_due_on", "username")[:LISTED])
    return (overdue.count() if len(first) == LISTED else len(first)), first


def _excess(organization: Organization, today: date) -> tuple[int, list[str]]:
    found = beyond_profile(organization, today)
    first = list(islice(found, LISTED))
    total = len(first) + sum(1 for _ in found)
    people = {person.pk: person.full_name for person in Person.objects.filter(pk__in=[e.person_id for e in first])}
    systems = dict(System.objects.filter(pk__in=[e.system_id for e in first]).values_list("pk", "asset__name"))
    described = [
        f"{systems.get(e.system_id, '?')} account {e.username} of {people.get(e.person_id, '?')} "
        f"({', '.join(e.missing)})"
        for e in first
    ]
    return total, described


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s'[: number != 1]}"


def _lapses(closed_on: date, interval: int) -> date:
    """The first day a review closed on `closed_on` no longer counts."""
    return closed_on + timedelta(days=interval)


def _lacking_problem(
    lacking: list[System], latest: dict[int, tuple[date, ReviewCampaign]], total: int, interval: int
) -> tuple[str, str] | None:
    if not lacking:
        return None
    described = [
        f"{system.asset.name} (last reviewed {latest[system.pk][0]:%Y-%m-%d})"
        if system.pk in latest
        else f"{system.asset.name} (never reviewed)"
        for system in lacking[:LISTED]
    ]
    names = _listed([system.asset.name for system in lacking[:LISTED]], len(lacking))
    return (
        f"{len(lacking)} of {_count(total, 'ePHI system')} had no access review closed in the last {interval} days: "
        f"{_listed(described, len(lacking))}",
        f"start an access review of {names} and close it",
    )


def _overdue_problem(count: int, overdue: list[ReviewItem]) -> tuple[str, str] | None:
    if not count:
        return None
    described = [
        f"{item.system.asset.name} account {item.username} (due {item.revoke_due_on:%Y-%m-%d})" for item in overdue
    ]
    return (
        f"{_count(count, 'revocation')} decided in a review {'is' if count == 1 else 'are'} overdue: "
        f"{_listed(described, count)}",
        "carry out the overdue revocations and record them",
    )


def _excess_problem(count: int, excess: list[str]) -> tuple[str, str] | None:
    if not count:
        return None
    return (
        f"{_count(count, 'current account')} with access beyond profile and no valid exception: "
        f"{_listed(excess, count)}",
        "remove the access beyond profile or approve an exception for it",
    )


@check("164.308(a)(4)(ii)(B)", name="access.reviews_authorization")
@check("164.308(a)(4)(ii)(C)", name="access.reviews_establishment")
def access_reviews(organization: Organization, today: date) -> CheckResult:
    systems = list(
        System.objects.filter(organization=organization)
        .exclude(asset__status=Asset.Status.RETIRED)
        .select_related("asset")
        .order_by("asset__name")
    )
    if not systems:
        return CheckResult(
            Status.UNKNOWN,
            "No ePHI system is registered, so there is no access to review.",
            next_action="Register your ePHI systems and import their account lists.",
        )
    interval = access_settings(organization).review_interval_days
    latest = _latest_reviews(organization, systems, today)
    lacking = [
        system for system in systems if system.pk not in latest or _lapses(latest[system.pk][0], interval) <= today
    ]
    overdue_count, overdue = _overdue(organization, today)
    excess_count, excess = _excess(organization, today)
    refs = {campaign.pk: _campaign_ref(organization, campaign) for _, campaign in latest.values()}
    refs.update({item.campaign_id: _campaign_ref(organization, item.campaign) for item in overdue})
    failures = [
        found
        for found in (
            _lacking_problem(lacking, latest, len(systems), interval),
            _overdue_problem(overdue_count, overdue),
            _excess_problem(excess_count, excess),
        )
        if found is not None
    ]
    oldest_on = min((latest[system.pk][0] for system in systems if system.pk in latest), default=None)
    lapses_on = _lapses(oldest_on, interval) if oldest_on is not None and not lacking else None
    if failures:
        action = "; ".join(action for _, action in failures)
        return CheckResult(
            Status.NOT_MET,
            "; ".join(problem for problem, _ in failures) + ".",
            tuple(refs.values()),
            lapses_on=lapses_on,
            next_action=action[0].upper() + action[1:] + ".",
        )
    oldest = min(systems, key=lambda system: latest[system.pk][0])
    oldest_on = latest[oldest.pk][0]
    if len(systems) == 1:
        reviewed = (
            f"The only ePHI system, {oldest.asset.name}, had its access reviewed in a review closed "
            f"{oldest_on:%Y-%m-%d}"
        )
    else:
        reviewed = (
            f"Each of the {len(systems)} ePHI systems had its access reviewed within the last {interval} days (the "
            f"oldest review: {oldest.asset.name}, closed {oldest_on:%Y-%m-%d})"
        )
    return CheckResult(
        Status.MET,
        f"{reviewed}; no revocation is overdue; no account holds access beyond profile without a valid exception.",
        tuple(refs.values()),
        lapses_on=_lapses(oldest_on, interval),
        next_action=f"Review {oldest.asset.name}'s access again by "
        f"{_lapses(oldest_on, interval) - timedelta(days=1):%Y-%m-%d}, and every system each {interval} days.",
    )
