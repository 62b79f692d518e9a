"""The rules deciding and closing an access review share: who may act, the campaign row locked while it is open,
whether a reviewer has attested, and whether the actor holds the account under review (nobody decides their own
access)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Q

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person

Status = ReviewCampaign.Status
NAMES_SHOWN = 5


def acting_membership(organization: Organization, actor: Actor) -> Membership:
    if actor.user is None:
        raise ServiceError("Only a person can do this in an access review.")
    membership = Membership.objects.current().filter(organization=organization, user=actor.user).first()
    if membership is None:
        raise ServiceError("You are not a member of this organization.")
    return membership


def sees_every_item(membership: Membership) -> bool:
    """Those who run the program, and read-only viewers such as auditors, see every item of a campaign; a
    reviewer (a manager) sees the items assigned to them."""
    return membership.has(Perm.MANAGE_PROGRAM) or (
        membership.has(Perm.VIEW_PROGRAM) and not membership.has(Perm.REVIEW_ACCESS)
    )


def require_manager(organization: Organization, actor: Actor, what: str) -> Membership:
    membership = acting_membership(organization, actor)
    if not membership.has(Perm.MANAGE_PROGRAM):
        raise ServiceError(f"Only those who manage the compliance program can {what}.")
    return membership


def check_in(organization: Organization, campaign: ReviewCampaign) -> None:
    if campaign.organization_id != organization.pk:
        raise ServiceError("No such access review in this organization.")


def locked_open(campaign: ReviewCampaign) -> ReviewCampaign:
    """The campaign row, locked so decisions and closing take turns, and still open for decisions."""
    locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != Status.OPEN:
        raise ServiceError(not_open(locked))
    return locked


def not_open(campaign: ReviewCampaign) -> str:
    if campaign.status == Status.CLOSED:
        return f"The review “{campaign.title}” is closed: its decisions are final."
    if campaign.status == Status.PREPARING:
        return f"The review “{campaign.title}” is still being prepared; decisions open when it is ready."
    return f"The review “{campaign.title}” could not be prepared; it takes no decisions."


def attested(campaign: ReviewCampaign, reviewer_id: int | None) -> bool:
    return (
        reviewer_id is not None
        and ReviewerAttestation.objects.filter(campaign=campaign, reviewer_id=reviewer_id).exists()
    )


def held_by(user: User) -> Q:
    """Review items whose account belongs to `user`'s roster person (same email, in any letter case)."""
    if not user.email:
        return Q(pk__in=[])
    return Q(person__email__iexact=user.email)


def holds(user: User, item: ReviewItem) -> bool:
    """Whether `user` is the roster person the item's account belongs to (same email, in any letter case)."""
    if item.person_id is None or not user.email:
        return False
    return Person.objects.filter(pk=item.person_id, email__iexact=user.email).exists()


def add_decided(campaign: ReviewCampaign, delta: int) -> None:
    if delta:
        ReviewCampaign.objects.filter(pk=campaign.pk).update(decided_count=F("decided_count") + delta)


def emails(user_ids: Sequence[int | None]) -> str:
    """The users' emails for a sentence: the first few, then how many more."""
    found = dict(User.objects.filter(pk__in=[pk for pk in user_ids if pk is not None]).values_list("pk", "email"))
    names = [found.get(pk, "(unknown)") if pk is not None else "(no reviewer)" for pk in user_ids]
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
