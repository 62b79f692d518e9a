"""Attesting and closing a review: what each requires (naming who is missing), the reviewer's signature over their
decisions, the authorizations managers' keep decisions give, and the background finish."""

from __future__ import annotations

import pytest
from django.utils import timezone

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.services import decisions as services
from safeguard.core.models import AuditEvent, Signature
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.signatures import content_hash
from safeguard.workforce.models import Authorization, Person
from tests import access_factories
from tests.conftest import Cast
from tests.test_reviews_decisions_support import (
    Status,
    actor,
    campaign,
    decide_all,
    items,
    manager,
    people,
    system,
)

KEEP, REVOKE = ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE


def attest(cast: Cast, user: object, review: ReviewCampaign) -> ReviewerAttestation:
    return services.reviewer_attest(organization=cast.org, actor=actor(user), campaign=review)  # type: ignore[arg-type]


def close(cast: Cast, review: ReviewCampaign, user: object = None) -> ReviewCampaign:
    return services.campaign_close(
        organization=cast.org,
        actor=actor(user or cast.official),  # type: ignore[arg-type]
        campaign=review,
    )


# ---- attesting ----------------------------------------------------------------------------------------------------


def test_attesting_needs_every_item_of_mine_decided(cast: Cast) -> None:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    made = items(review, system(cast.org), boss, 3)
    services.item_decide(organization=cast.org, actor=actor(boss), item=made[0], decision=KEEP)

    with pytest.raises(ServiceError) as refused:
        attest(cast, boss, review)

    assert refused.value.message == "2 items assigned to you are still undecided: decide every item before attesting."
    assert not ReviewerAttestation.objects.exists()
    assert not Signature.objects.exists()


def test_attesting_signs_a_hash_of_my_decisions(cast: Cast) -> None:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    items(review, system(cast.org), boss, 3)
    decide_all(review)

    attestation = attest(cast, boss, review)

    signature = attestation.signature
    assert attestation.item_count == 3
    assert (signature.signer, signature.signer_role, signature.meaning) == (boss, "manager", Signature.Meaning.ATTESTED)
    assert (signature.target_type, signature.target_id) == ("access.reviewcampaign", str(review.public_id))
    assert signature.content_sha256 == content_hash(services.attestation_content(review, boss))
    assert len(services.attestation_content(review, boss)["items"]) == 3
    assert "each of the 3 accounts assigned to me" in signature.statement
    assert AuditEvent.objects.filter(action="signature.signed", actor=boss).count() == 1
    assert AuditEvent.objects.get(action="access.review.attested").changes["item_count"] == [None, 3]

    with pytest.raises(ServiceError, match="You have already attested in this review."):
        attest(cast, boss, review)


def test_attesting_with_no_items_is_refused(cast: Cast) -> None:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    with pytest.raises(ServiceError, match="No item of this review is assigned to you: there is nothing to attest."):
        attest(cast, boss, review)


def test_attesting_is_for_reviewers_of_an_open_campaign(cast: Cast) -> None:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official, status=Status.CLOSED)
    items(review, system(cast.org), boss, 1)
    with pytest.raises(ServiceError, match="is closed"):
        attest(cast, boss, review)
    with pytest.raises(ServiceError, match="Only reviewers attest access reviews."):
        attest(cast, cast.auditor, review)


# ---- closing ------------------------------------------------------------------------------------------------------


def test_closing_names_the_undecided_and_the_unattested(cast: Cast) -> None:
    boss, other = manager(cast.org), manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    ehr = system(cast.org)
    mine = items(review, ehr, boss, 2)
    items(review, ehr, other, 3)
    services.item_decide(organization=cast.org, actor=actor(boss), item=mine[0], decision=KEEP)
    services.item_decide(organization=cast.org, actor=actor(boss), item=mine[1], decision=KEEP)
    attest(cast, boss, review)

    with pytest.raises(ServiceError) as refused:
        close(cast, review)

    assert refused.value.message == (
        "The review cannot close yet. 3 items are undecided; waiting for otherboss@clinic.test. "
        "Waiting for the attestation of otherboss@clinic.test."
    )
    review.refresh_from_db()
    assert review.status == Status.OPEN
    assert not AuditEvent.objects.filter(action="access.review.closed").exists()


def test_closing_waits_for_attestations_even_when_all_is_decided(cast: Cast) -> None:
    boss, other = manager(cast.org), manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    ehr = system(cast.org)
    items(review, ehr, boss, 2)
    items(review, ehr, other, 1)
    decide_all(review)
    attest(cast, other, review)

    with pytest.raises(ServiceError) as refused:
        close(cast, review)

    assert refused.value.message == "The review cannot close yet. Waiting for the attestation of boss@clinic.test."


def test_closing_needs_every_item_assigned(cast: Cast) -> None:
    review = campaign(cast.org, cast.official)
    items(review, system(cast.org), None, 2)
    decide_all(review)
    with pytest.raises(ServiceError, match="2 items have no reviewer: assign them."):
        close(cast, review)


def test_only_program_managers_close(cast: Cast) -> None:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    items(review, system(cast.org), boss, 1)
    decide_all(review)
    attest(cast, boss, review)
    for someone in (boss, cast.auditor, cast.workforce):
        with pytest.raises(ServiceError, match="Only those who manage the compliance program can close"):
            close(cast, review, someone)
    with pytest.raises(ServiceError, match="No such access review in this organization."):
        services.campaign_close(organization=cast.other_org, actor=actor(cast.outsider), campaign=review)


def test_closing_a_complete_review_closes_it_and_finishes_in_the_background(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    boss_user = manager(cast.org)
    boss = access_factories.person(cast.org, "M001", email=boss_user.email)
    team = people(cast.org, 3, manager=boss)
    review = campaign(cast.org, cast.official)
    ehr, billing = system(cast.org), system(cast.org, "Billing")
    items(review, ehr, boss_user, 3, people=team)
    billing_items = items(review, billing, boss_user, 2, people=team[:2])
    decide_all(review)
    # The second person loses billing access: not everything of theirs was kept, so no authorization for them.
    ReviewItem.objects.filter(pk=billing_items[1].pk).update(decision=REVOKE)
    attest(cast, boss_user, review)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        closed = close(cast, review)

    assert (closed.status, closed.closed_by) == (Status.CLOSED, cast.official)
    assert closed.closed_at is not None
    assert any(getattr(c, "once_key", None) == ("evaluation", cast.org.pk) for c in callbacks)
    assert AuditEvent.objects.get(action="access.review.closed").changes["status"] == [Status.OPEN, Status.CLOSED]
    authorized = Authorization.objects.filter(basis=Authorization.Basis.REVIEW)
    assert sorted(a.person.employee_id for a in authorized) == [team[0].employee_id, team[2].employee_id]
    assert {a.authorized_by for a in authorized} == {boss_user}
    assert AuditEvent.objects.filter(action="workforce.authorization.recorded").count() == 2
    closed.refresh_from_db()
    assert closed.package_evidence is not None


def test_kept_by_an_official_or_a_reassigned_reviewer_is_no_managers_authorization(cast: Cast) -> None:
    boss = manager(cast.org)
    team = people(cast.org, 3)
    review = campaign(cast.org, cast.official)
    made = items(review, system(cast.org), boss, 3, people=team)
    decide_all(review)
    ReviewItem.objects.filter(pk=made[0].pk).update(decided_by=cast.official)
    ReviewItem.objects.filter(pk=made[1].pk).update(reviewer_basis="reassigned")

    assert services.kept_by_manager(review) == {team[2].pk: boss.pk}


def test_the_finish_is_idempotent_and_skips_leavers(cast: Cast) -> None:
    boss = manager(cast.org)
    team = people(cast.org, 2)
    Person.objects.filter(pk=team[1].pk).update(status=Person.Status.TERMINATED, termination_at=timezone.now())
    review = campaign(cast.org, cast.official)
    items(review, system(cast.org), boss, 2, people=team)
    decide_all(review)
    attest(cast, boss, review)
    close(cast, review)

    services.campaign_finish(campaign_id=review.pk)
    services.campaign_finish(campaign_id=review.pk)

    assert list(Authorization.objects.values_list("person__employee_id", flat=True)) == [team[0].employee_id]
    assert AuditEvent.objects.filter(action=services.AUTHORIZED_ACTION).count() == 1
    review.refresh_from_db()
    assert review.package_evidence is not None
    assert AuditEvent.objects.filter(action="access.review.package_built").count() == 1


def test_a_closed_review_cannot_close_again(cast: Cast) -> None:
    review = campaign(cast.org, cast.official, status=Status.CLOSED)
    with pytest.raises(ServiceError, match="is closed: its decisions are final"):
        close(cast, review)
