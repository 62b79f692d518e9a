"""Closing an access review and what follows: what still blocks closing, the close itself, the evidence package
(requested again after a failure), and in the background the authorizations from managers' keep decisions.

Closing needs every item decided and every reviewer attested; the rest goes to a background task, because a
campaign can hold a hundred thousand accounts.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.services.review_guards import check_in, emails, locked_open, plural, require_manager
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Authorization, Person
from safeguard.workforce.services.tasks import authorization_record

Decision = ReviewItem.Decision
Status = ReviewCampaign.Status
MANAGER_BASIS = "manager"
AUTHORIZED_ACTION = "access.review.authorizations_recorded"


def close_blockers(campaign: ReviewCampaign) -> list[str]:
    """What stands between the campaign and closing, one sentence each; empty when it may close."""
    problems = []
    items = ReviewItem.objects.filter(campaign=campaign)
    undecided = list(
        items.filter(decision="").values("reviewer_id").annotate(n=Count("pk")).order_by("-n", "reviewer_id")
    )
    if undecided:
        total = sum(row["n"] for row in undecided)
        problems.append(
            f"{plural(total, 'item')} {'is' if total == 1 else 'are'} undecided; waiting for "
            f"{emails([row['reviewer_id'] for row in undecided])}."
        )
    unassigned = items.filter(reviewer__isnull=True).count()
    if unassigned:
        problems.append(
            f"{plural(unassigned, 'item')} {'has' if unassigned == 1 else 'have'} no reviewer: assign them."
        )
    attested = ReviewerAttestation.objects.filter(campaign=campaign).values("reviewer_id")
    missing = list(
        items.filter(reviewer__isnull=False)
        .exclude(reviewer_id__in=attested)
        .values_list("reviewer_id", flat=True)
        .distinct()
        .order_by("reviewer_id")
    )
    if missing:
        problems.append(f"Waiting for the attestation of {emails(missing)}.")
    return problems


def campaign_close(*, organization: Organization, actor: Actor, campaign: ReviewCampaign) -> ReviewCampaign:
    """Close a fully decided and attested campaign; authorizations and the evidence package follow in the
    background."""
    check_in(organization, campaign)
    require_manager(organization, actor, "close an access review")
    with transaction.atomic():
        locked = locked_open(campaign)
        problems = close_blockers(locked)
        if problems:
            raise ServiceError("The review cannot close yet. " + " ".join(problems))
        locked.status = Status.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = actor.user
        locked.failure = ""
        locked.save(update_fields=["status", "closed_at", "closed_by", "failure"])
        audit_record(
            actor=actor,
            action="access.review.closed",
            organization=organization,
            target=locked,
            changes={"status": [Status.OPEN, Status.CLOSED], "decided_count": [None, locked.decided_count]},
        )
        request_evaluation_on_commit(organization, "access.review_closed")
        campaign_id = locked.pk
        transaction.on_commit(lambda: _enqueue_finish(campaign_id))
    return locked


def campaign_package_request(*, organization: Organization, actor: Actor, campaign: ReviewCampaign) -> None:
    """Build the evidence package again after a failure (the first build is requested by closing)."""
    check_in(organization, campaign)
    require_manager(organization, actor, "build an evidence package")
    with transaction.atomic():
        locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Status.CLOSED:
            raise ServiceError("The evidence package is built once the review is closed.")
        if locked.package_evidence_id is not None:
            raise ServiceError("The evidence package is already built.")
        before = locked.failure
        locked.failure = ""
        locked.save(update_fields=["failure"])
        audit_record(
            actor=actor,
            action="access.review.package_requested",
            organization=organization,
            target=locked,
            changes={"failure": [before, ""]} if before else {},
        )
        campaign_id = locked.pk
        transaction.on_commit(lambda: _enqueue_finish(campaign_id))


def _enqueue_finish(campaign_id: int) -> None:
    # Imported here: the task module imports these services (through decisions.py).
    from safeguard.access.tasks_reviews import finish_campaign

    finish_campaign.enqueue(campaign_id)


# ---- after closing (background) ---------------------------------------------------------------------------------


def kept_by_manager(campaign: ReviewCampaign) -> dict[int, int]:
    """Person id → their manager's user id, for each person all of whose items their manager kept."""
    people = (
        ReviewItem.objects.filter(campaign=campaign, person__isnull=False)
        .values("person_id")
        .annotate(
            total=Count("pk"),
            kept=Count(
                "pk",
                filter=Q(decision=Decision.KEEP, reviewer_basis=MANAGER_BASIS, decided_by_id=F("reviewer_id")),
            ),
            first_reviewer=Min("reviewer_id"),
            last_reviewer=Max("reviewer_id"),
        )
        .order_by("person_id")
    )
    return {
        row["person_id"]: row["first_reviewer"]
        for row in people
        if row["total"] == row["kept"] and row["first_reviewer"] == row["last_reviewer"]
    }


def campaign_authorizations_record(*, campaign: ReviewCampaign) -> int:
    """Record an authorization (basis: access review) for each active person whose manager kept all their access.
    Idempotent: a marker event in the same transaction says it was done. Returns how many were recorded."""
    if campaign.status != Status.CLOSED or campaign.closed_by is None:
        return 0
    actor = Actor(user=campaign.closed_by)
    organization = campaign.organization
    with transaction.atomic():
        locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        marker = AuditEvent.objects.filter(
            organization=organization, action=AUTHORIZED_ACTION, object_id=str(locked.public_id)
        )
        if marker.exists():
            return 0
        managers = kept_by_manager(locked)
        people = Person.objects.filter(pk__in=list(managers)).exclude(status=Person.Status.TERMINATED).order_by("pk")
        reviewers = User.objects.in_bulk(list(set(managers.values())))
        note = f"All access kept by their manager in the access review “{locked.title}”."
        count = 0
        for person in people.iterator(chunk_size=2000):
            authorization_record(
                organization=organization,
                actor=actor,
                person=person,
                basis=Authorization.Basis.REVIEW,
                authorized_by=reviewers[managers[person.pk]],
                authorized_at=locked.closed_at,
                note=note,
            )
            count += 1
        audit_record(
            actor=actor,
            action=AUTHORIZED_ACTION,
            organization=organization,
            target=locked,
            changes={"authorizations": [None, count]},
        )
    return count


def campaign_finish(*, campaign_id: int) -> None:
    """After closing: the authorizations, then the evidence package. Safe to run twice."""
    from safeguard.access.reports.package import package_build

    campaign = ReviewCampaign.objects.select_related("organization", "closed_by").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Status.CLOSED:
        return
    campaign_authorizations_record(campaign=campaign)
    package_build(campaign_id=campaign_id)
