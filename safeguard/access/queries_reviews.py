"""Reads of access review campaigns that pages, widgets, the API and checks share: progress, findings by kind,
revocations still to carry out. Each answers in a few grouped queries, whatever the campaign's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from safeguard.access.models import Finding, ReviewCampaign, ReviewItem, System
from safeguard.core.models import Organization, User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

DECIDED = ~Q(decision="")


@dataclass(frozen=True)
class Tally:
    decided: int
    total: int

    @property
    def percent(self) -> int:
        return self.decided * 100 // self.total if self.total else 100

    @property
    def remaining(self) -> int:
        return self.total - self.decided


@dataclass(frozen=True)
class ReviewerTally(Tally):
    reviewer: User | None  # None: items nobody was assigned


@dataclass(frozen=True)
class SystemTally(Tally):
    system: System


@dataclass(frozen=True)
class CampaignProgress(Tally):
    by_reviewer: list[ReviewerTally]  # most to do first
    by_system: list[SystemTally]  # by system name


def campaign_progress(campaign: ReviewCampaign) -> CampaignProgress:
    items = ReviewItem.objects.filter(campaign=campaign).order_by()
    reviewers = list(items.values("reviewer_id").annotate(total=Count("pk"), decided=Count("pk", filter=DECIDED)))
    systems = list(items.values("system_id").annotate(total=Count("pk"), decided=Count("pk", filter=DECIDED)))
    users = User.objects.in_bulk([row["reviewer_id"] for row in reviewers if row["reviewer_id"] is not None])
    found = System.objects.select_related("asset").in_bulk([row["system_id"] for row in systems])
    by_reviewer = [ReviewerTally(row["decided"], row["total"], users.get(row["reviewer_id"])) for row in reviewers]
    by_reviewer.sort(key=lambda tally: (-tally.remaining, str(tally.reviewer or "")))
    by_system = [SystemTally(row["decided"], row["total"], found[row["system_id"]]) for row in systems]
    by_system.sort(key=lambda tally: tally.system.asset.name.lower())
    return CampaignProgress(
        decided=sum(tally.decided for tally in by_system),
        total=sum(tally.total for tally in by_system),
        by_reviewer=by_reviewer,
        by_system=by_system,
    )


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    total: int
    open: int  # on items not decided yet


def findings_by_kind(campaign: ReviewCampaign) -> list[KindCount]:
    """Each kind the campaign found, in the order Finding.Kind declares them; kinds with none are left out."""
    rows = (
        Finding.objects.filter(campaign=campaign)
        .order_by()
        .values("kind")
        .annotate(total=Count("pk"), open=Count("pk", filter=Q(item__decision="")))
    )
    counts = {row["kind"]: row for row in rows}
    return [
        KindCount(kind.value, str(kind.label), counts[kind]["total"], counts[kind]["open"])
        for kind in Finding.Kind
        if kind in counts
    ]


class Overdue(TypedDict):
    overdue: bool


def open_revocations(organization: Organization, today: date) -> QuerySet[WithAnnotations[ReviewItem, Overdue]]:
    """Items decided "revoke" whose access has not been recorded as removed, soonest due first, annotated with
    `overdue` (due before today)."""
    return (
        ReviewItem.objects.filter(
            organization=organization, decision=ReviewItem.Decision.REVOKE, revoked_at__isnull=True
        )
        .select_related("campaign", "system__asset", "person", "decided_by")
        .annotate(overdue=ExpressionWrapper(Q(revoke_due_on__lt=today), output_field=BooleanField()))
        .order_by("revoke_due_on", "system__asset__name", "username", "pk")
    )
