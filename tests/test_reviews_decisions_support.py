"""Review campaigns made straight through the ORM, as the campaign engine leaves them once prepared: items frozen
from a system's snapshot, assigned to reviewers, with findings. Tests of deciding, attesting, closing and the
package start from these."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from safeguard.access.models import Account, Finding, ReviewCampaign, ReviewItem, System
from safeguard.core.audit import Actor
from safeguard.core.models import Organization, User
from safeguard.core.roles import Role
from safeguard.workforce.models import Person
from tests import access_factories
from tests.conftest import make_member

TODAY = timezone.localdate()
Status = ReviewCampaign.Status
_counter = {"n": 0}


def actor(user: User) -> Actor:
    return Actor(user=user)


def manager(org: Organization, name: str = "boss") -> User:
    return make_member(org, f"{name}@clinic.test", Role.MANAGER).user


def campaign(
    org: Organization, started_by: User, *, status: str = Status.OPEN, title: str = "Q3 access review"
) -> ReviewCampaign:
    return ReviewCampaign.objects.create(
        organization=org,
        title=title,
        status=status,
        roster_as_of=TODAY - timedelta(days=1),
        due_on=TODAY + timedelta(days=14),
        started_by=started_by,
        started_at=timezone.now() - timedelta(days=2),
        frozen={"snapshots": [], "profiles": 0, "exceptions": 0},
    )


def system(org: Organization, name: str = "EHR", owner: User | None = None) -> System:
    return access_factories.system(org, name, owner=owner)


def items(
    review: ReviewCampaign,
    target: System,
    reviewer: User | None,
    count: int,
    *,
    findings: int = 0,
    people: list[Person] | None = None,
    basis: str = "manager",
    **values: Any,
) -> list[ReviewItem]:
    """`count` items on `target` for `reviewer`; the first `findings` of them get an inactive-account finding.
    `people`, when given, are matched to the accounts one by one."""
    _counter["n"] += 1
    batch = _counter["n"]
    names = [f"user{batch}-{number:04d}" for number in range(count)]
    holders: list[Person | None] = list(people) if people else [None] * count
    snap = access_factories.snapshot(
        target, [{"username": name, "person": holder} for name, holder in zip(names, holders, strict=True)]
    )
    accounts = {account.username: account for account in Account.objects.filter(snapshot=snap)}
    made = ReviewItem.objects.bulk_create(
        [
            ReviewItem(
                organization=review.organization,
                campaign=review,
                system=target,
                account=accounts[name],
                username=name,
                display_name=name.title(),
                roles=["clinician"],
                status=accounts[name].status,
                classification=accounts[name].classification,
                person=holder,
                person_snapshot=_person_snapshot(holder),
                reviewer=reviewer,
                reviewer_basis=basis if reviewer else "",
                finding_count=1 if number < findings else 0,
                **values,
            )
            for number, (name, holder) in enumerate(zip(names, holders, strict=True))
        ]
    )
    Finding.objects.bulk_create(
        [
            Finding(
                organization=review.organization,
                campaign=review,
                item=item,
                kind=Finding.Kind.INACTIVE,
                detail=f"Last login 2020-01-01, more than 90 days before the review ({item.username}).",
            )
            for item in made[:findings]
        ]
    )
    ReviewCampaign.objects.filter(pk=review.pk).update(item_count=ReviewItem.objects.filter(campaign=review).count())
    review.refresh_from_db()
    return made


def _person_snapshot(holder: Person | None) -> dict[str, Any]:
    if holder is None:
        return {}
    return {
        "name": holder.full_name,
        "employee_id": holder.employee_id,
        "department": holder.department,
        "job_role": holder.job_role,
        "status": holder.status,
    }


def people(org: Organization, count: int, *, prefix: str = "E", manager: Person | None = None) -> list[Person]:
    return [access_factories.person(org, f"{prefix}{n:03d}", manager=manager) for n in range(count)]


def decide_all(review: ReviewCampaign, decision: str = ReviewItem.Decision.KEEP, comment: str = "Fine") -> None:
    """Mark every item decided by its reviewer (ORM), keeping the campaign's count right."""
    for item in ReviewItem.objects.filter(campaign=review):
        item.decision, item.comment = decision, comment
        item.decided_by_id, item.decided_at = item.reviewer_id, timezone.now()
        item.save()
    ReviewCampaign.objects.filter(pk=review.pk).update(decided_count=ReviewItem.objects.filter(campaign=review).count())
    review.refresh_from_db()
