"""Reads of a campaign that the package files are made of, and that the pages and the API share for item lists:
the scope, the frozen snapshots with their file hashes, counts of findings and decisions, the items with
everything a row shows (and their filters), revocations and attestations.

Every read is a handful of queries; item rows are streamed in chunks with their findings prefetched per chunk,
so a campaign of a hundred thousand accounts is read in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from safeguard.access.models import AccountSnapshot, Finding, ReviewCampaign, ReviewerAttestation, ReviewItem, System
from safeguard.core.services.signatures import content_hash

CHUNK = 2000
Decision = ReviewItem.Decision
UNDECIDED = "undecided"
ANY_FINDING = "any"
NO_FINDING = "none"


@dataclass(frozen=True)
class FrozenSnapshot:
    system: str
    taken_at: datetime | None
    file_name: str
    sha256: str
    account_count: int
    items: int


@dataclass(frozen=True)
class Tally:
    items: int
    kept: int
    revoked: int
    undecided: int
    revocations_done: int
    revocations_overdue: int


def scope_label(campaign: ReviewCampaign) -> str:
    if campaign.all_systems:
        return "All systems"
    names = sorted(System.objects.filter(pk__in=campaign.systems.values("pk")).values_list("asset__name", flat=True))
    return ", ".join(names) or "No system"


def frozen_sha256(campaign: ReviewCampaign) -> str:
    """SHA-256 of the record of what the campaign froze (snapshots, profiles, exceptions), canonical JSON."""
    return content_hash(campaign.frozen or {})


def frozen_snapshots(campaign: ReviewCampaign) -> list[FrozenSnapshot]:
    """Each system's snapshot the campaign's items were taken from, with the imported file's hash."""
    counts = (
        ReviewItem.objects.filter(campaign=campaign)
        .values("account__snapshot_id")
        .annotate(n=Count("pk"))
        .order_by("account__snapshot_id")
    )
    per_snapshot = {row["account__snapshot_id"]: row["n"] for row in counts}
    snapshots = AccountSnapshot.objects.filter(pk__in=list(per_snapshot)).select_related("system__asset")
    rows = [
        FrozenSnapshot(
            system=snapshot.system.asset.name,
            taken_at=snapshot.taken_at,
            file_name=snapshot.file_name,
            sha256=snapshot.sha256,
            account_count=snapshot.account_count,
            items=per_snapshot[snapshot.pk],
        )
        for snapshot in snapshots
    ]
    return sorted(rows, key=lambda row: (row.system.lower(), row.taken_at or timezone.now()))


def finding_counts(campaign: ReviewCampaign) -> list[tuple[str, str, int]]:
    """(kind, label, count) for every kind found, in the kinds' order."""
    found = dict(
        Finding.objects.filter(campaign=campaign).values("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    return [(kind, label, found[kind]) for kind, label in Finding.Kind.choices if found.get(kind)]


def tally(campaign: ReviewCampaign, today: date) -> Tally:
    counts = ReviewItem.objects.filter(campaign=campaign).aggregate(
        items=Count("pk"),
        kept=Count("pk", filter=Q(decision=Decision.KEEP)),
        revoked=Count("pk", filter=Q(decision=Decision.REVOKE)),
        done=Count("pk", filter=Q(decision=Decision.REVOKE, revoked_at__isnull=False)),
        overdue=Count("pk", filter=Q(decision=Decision.REVOKE, revoked_at__isnull=True, revoke_due_on__lt=today)),
    )
    return Tally(
        items=counts["items"],
        kept=counts["kept"],
        revoked=counts["revoked"],
        undecided=counts["items"] - counts["kept"] - counts["revoked"],
        revocations_done=counts["done"],
        revocations_overdue=counts["overdue"],
    )


def item_rows(campaign: ReviewCampaign) -> QuerySet[ReviewItem]:
    """Items with what a row shows; iterate with `.iterator(chunk_size=CHUNK)` for the findings to come per chunk."""
    return (
        ReviewItem.objects.filter(campaign=campaign)
        .select_related("system__asset", "person", "reviewer", "decided_by", "revoked_by")
        .prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("kind", "pk")))
        .order_by("system__asset__name", "system_id", "username", "pk")
    )


def stream(rows: QuerySet[ReviewItem]) -> Iterator[ReviewItem]:
    return rows.iterator(chunk_size=CHUNK)


def attestations(campaign: ReviewCampaign) -> QuerySet[ReviewerAttestation]:
    return (
        ReviewerAttestation.objects.filter(campaign=campaign)
        .select_related("reviewer", "signature")
        .order_by("reviewer__email", "pk")
    )


def person_fields(item: ReviewItem) -> dict[str, str]:
    """The person as the campaign froze them; blank when the account matched nobody."""
    frozen: dict[str, Any] = item.person_snapshot or {}
    owner = frozen.get("owner")
    return {
        "name": str(frozen.get("name") or (f"Owner: {owner}" if owner else "")),
        "employee_id": str(frozen.get("employee_id") or ""),
        "department": str(frozen.get("department") or ""),
        "job_role": str(frozen.get("job_role") or ""),
        "status": str(frozen.get("status") or ""),
    }


def email(user: Any) -> str:
    return "" if user is None else str(user.email)


def filter_items(
    rows: QuerySet[ReviewItem],
    *,
    system: str = "",
    reviewer: str = "",
    decision: str = "",
    finding: str = "",
) -> QuerySet[ReviewItem]:
    """Narrow item rows by system and reviewer (public ids), decision ("undecided" for none yet) and finding
    ("any", "none" or a kind). Values were validated by the caller's form or serializer."""
    if system:
        rows = rows.filter(system__public_id=system)
    if reviewer:
        rows = rows.filter(reviewer__public_id=reviewer)
    if decision:
        rows = rows.filter(decision="" if decision == UNDECIDED else decision)
    if finding == ANY_FINDING:
        rows = rows.filter(finding_count__gt=0)
    elif finding == NO_FINDING:
        rows = rows.filter(finding_count=0)
    elif finding:
        rows = rows.filter(pk__in=Finding.objects.filter(kind=finding).values("item_id"))
    return rows
