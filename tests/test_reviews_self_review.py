"""Nobody reviews their own access: preparation never assigns an account to its holder, deciding and reassigning
refuse the holder, and a decision is checked against the reviewer the item has when it is written."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from safeguard.access.models import ReviewCampaign, ReviewItem
from safeguard.access.services.decisions import close_blockers, item_decide, item_reassign, items_decide_bulk
from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person
from tests import access_factories
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client, error_of
from tests.test_reviews_campaigns_support import ehr_with, nurse, start
from tests.test_reviews_decisions_support import actor, campaign, items, manager, system

KEEP, REVOKE = ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE
OWN_ACCOUNT = "You hold this account: someone else must decide whether it stays."
NOT_YOURS = "Only the item's reviewer or those who manage the program can decide it."


def holder_of(cast: Cast, user: User, employee_id: str = "E-50", **values: object) -> Person:
    """The roster person who is `user` (same email, in other letter case: the match ignores case)."""
    return access_factories.person(cast.org, employee_id, email=user.email.upper(), **values)


def reviewers(review: ReviewCampaign) -> dict[str, tuple[object, str]]:
    rows = ReviewItem.objects.filter(campaign=review).select_related("reviewer")
    return {item.username: (item.reviewer, item.reviewer_basis) for item in rows}


# ---- preparation ---------------------------------------------------------------------------------------------------


def test_the_officials_own_account_is_left_unassigned_rather_than_self_reviewed(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "so", "person": holder_of(cast, cast.official)}, {"username": "svc"}])

    review = start(cast.org, cast.owner)

    assert reviewers(review) == {"so": (None, ""), "svc": (cast.official, "security official")}


def test_the_officials_own_account_goes_to_the_system_owner_when_there_is_one(cast: Cast) -> None:
    owner = make_member(cast.org, "it@clinic.test", Role.REVIEWER).user
    ehr_with(cast.org, [{"username": "so", "person": holder_of(cast, cast.official)}], owner=owner)

    review = start(cast.org, cast.owner)

    assert reviewers(review) == {"so": (owner, "system owner")}


def test_a_manager_recorded_as_their_own_manager_does_not_review_themself(cast: Cast) -> None:
    boss = manager(cast.org)
    person = holder_of(cast, boss)
    Person.objects.filter(pk=person.pk).update(manager=person)  # a roster mistake the import may carry in
    ehr_with(cast.org, [{"username": "boss", "person": person}])

    review = start(cast.org, cast.owner)

    assert reviewers(review) == {"boss": (cast.official, "security official")}


def test_an_unassigned_own_account_blocks_closing_until_someone_is_assigned(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "so", "person": nurse(cast.org, "E-9", email="SO@clinic.test")}])
    review = start(cast.org, cast.owner)
    item = ReviewItem.objects.get(campaign=review)
    item.decision = KEEP
    item.save(update_fields=["decision"])

    assert close_blockers(review) == ["1 item has no reviewer: assign them."]


# ---- deciding ------------------------------------------------------------------------------------------------------


@pytest.fixture
def own_items(cast: Cast) -> tuple[ReviewCampaign, list[ReviewItem], User]:
    """Items of the manager "boss": the first is boss's own account (a data state preparation no longer makes, but
    an older campaign or a roster change can leave), the other two are their reports'."""
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    holders = [
        holder_of(cast, boss),
        access_factories.person(cast.org, "E-51"),
        access_factories.person(cast.org, "E-52"),
    ]
    return review, items(review, system(cast.org), boss, 3, people=holders), boss


def test_a_reviewer_cannot_decide_their_own_account(cast: Cast, own_items) -> None:
    review, made, boss = own_items
    with pytest.raises(ServiceError) as refused:
        services_decide(cast, boss, made[0])
    assert refused.value.message == OWN_ACCOUNT
    made[0].refresh_from_db()
    assert made[0].decision == ""
    assert not AuditEvent.objects.filter(action="access.review_item.decided").exists()


def test_the_official_cannot_decide_their_own_account_even_as_program_manager(cast: Cast) -> None:
    review = campaign(cast.org, cast.owner)
    [mine] = items(review, system(cast.org), cast.official, 1, people=[holder_of(cast, cast.official)])
    with pytest.raises(ServiceError) as refused:
        services_decide(cast, cast.official, mine)
    assert refused.value.message == OWN_ACCOUNT
    services_decide(cast, cast.owner, mine)  # someone else who manages the program may
    mine.refresh_from_db()
    assert (mine.decision, mine.decided_by) == (KEEP, cast.owner)


def test_bulk_refuses_chosen_items_that_are_the_reviewers_own(cast: Cast, own_items) -> None:
    review, made, boss = own_items
    with pytest.raises(ServiceError) as refused:
        items_decide_bulk(
            organization=cast.org, actor=actor(boss), campaign=review, item_ids=[made[0].public_id, made[1].public_id]
        )
    assert refused.value.message == "1 chosen item is your own account: someone else must decide it."
    assert not ReviewItem.objects.filter(campaign=review).exclude(decision="").exists()
    assert not AuditEvent.objects.filter(action="access.review.items_decided").exists()


def test_bulk_keep_of_every_clean_item_leaves_the_reviewers_own_undecided(cast: Cast, own_items) -> None:
    review, made, boss = own_items
    decided = items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=review)
    assert decided == 2
    assert dict(ReviewItem.objects.filter(campaign=review).values_list("pk", "decision")) == {
        made[0].pk: "",
        made[1].pk: KEEP,
        made[2].pk: KEEP,
    }


def test_an_item_cannot_be_reassigned_to_its_holder(cast: Cast) -> None:
    boss = manager(cast.org)
    other = manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    [item] = items(review, system(cast.org), boss, 1, people=[holder_of(cast, other)])
    with pytest.raises(ServiceError) as refused:
        item_reassign(organization=cast.org, actor=actor(cast.official), item=item, reviewer=other)
    assert (
        refused.value.message == "otherboss@clinic.test holds this account and cannot review it: choose someone else."
    )
    assert refused.value.field == "reviewer"
    item.refresh_from_db()
    assert item.reviewer == boss
    assert not AuditEvent.objects.filter(action="access.review_item.reassigned").exists()


# ---- the reviewer is the one the item has now ----------------------------------------------------------------------


def test_a_decision_from_a_page_loaded_before_a_reassignment_is_refused(cast: Cast) -> None:
    boss, other = manager(cast.org), manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    [loaded] = items(review, system(cast.org), boss, 1)  # boss opens the item's page…
    item_reassign(organization=cast.org, actor=actor(cast.official), item=loaded, reviewer=other)  # …it moves…

    with pytest.raises(ServiceError) as refused:
        services_decide(cast, boss, loaded)  # …and boss submits

    assert refused.value.message == NOT_YOURS
    fresh = ReviewItem.objects.get(pk=loaded.pk)
    assert (fresh.decision, fresh.reviewer) == ("", other)
    assert not AuditEvent.objects.filter(action="access.review_item.decided").exists()

    services_decide(cast, other, loaded, REVOKE)  # the new reviewer decides, whatever the stale copy says
    fresh.refresh_from_db()
    assert (fresh.decision, fresh.decided_by) == (REVOKE, other)


# ---- over HTTP -----------------------------------------------------------------------------------------------------


def test_the_item_page_shows_why_the_holder_cannot_decide(cast: Cast, own_items) -> None:
    review, made, boss = own_items
    address = reverse("access:review_item", args=["clinic", review.public_id, made[0].public_id])
    response = client_for(boss).post(address, {"decision": "keep"})
    assert response.status_code == 400
    assert escape(OWN_ACCOUNT) in response.content.decode()


def test_the_reassign_form_shows_why_the_holder_cannot_review(cast: Cast, own_items) -> None:
    review, made, boss = own_items
    other = manager(cast.org, "otherboss")
    ReviewItem.objects.filter(pk=made[0].pk).update(reviewer=other)
    address = reverse("access:review_item_reassign", args=["clinic", review.public_id, made[0].public_id])
    response = client_for(cast.official).post(address, {"reviewer": str(boss.public_id)})
    assert response.status_code == 400
    assert escape("boss@clinic.test holds this account and cannot review it") in response.content.decode()
    assert ReviewItem.objects.get(pk=made[0].pk).reviewer == other


def test_the_api_refuses_the_holders_decision(cast: Cast, own_items) -> None:
    review, made, boss = own_items
    address = f"/api/v1/orgs/clinic/reviews/{review.public_id}/items/{made[0].public_id}/decide/"
    response = api_client(boss).post(address, {"decision": "keep"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["message"] == OWN_ACCOUNT


def services_decide(cast: Cast, user: User, item: ReviewItem, decision: str = KEEP) -> ReviewItem:
    return item_decide(organization=cast.org, actor=actor(user), item=item, decision=decision)
