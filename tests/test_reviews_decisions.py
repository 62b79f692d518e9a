"""Deciding review items: keep or revoke with the rules on comments, ownership, open campaigns and finality;
bulk keep; reassignment; carried-out revocations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.access.models import AccessSettings, ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.services import decisions as services
from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast, make_member
from tests.test_reviews_decisions_support import TODAY, Status, actor, campaign, items, manager, system

KEEP, REVOKE = ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE


@pytest.fixture
def scene(cast: Cast) -> tuple[ReviewCampaign, list[ReviewItem], object]:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    made = items(review, system(cast.org), boss, 3, findings=1)
    return review, made, boss


def decide(cast: Cast, user: object, item: ReviewItem, decision: str = KEEP, comment: str = "", **kw: object) -> object:
    return services.item_decide(
        organization=cast.org,
        actor=actor(user),  # type: ignore[arg-type]
        item=item,
        decision=decision,
        comment=comment,
        **kw,  # type: ignore[arg-type]
    )


# ---- single decisions --------------------------------------------------------------------------------------------


def test_keeping_an_account_with_findings_needs_a_comment_saying_why(cast: Cast, scene) -> None:
    review, made, boss = scene
    flagged = made[0]

    with pytest.raises(ServiceError) as refused:
        decide(cast, boss, flagged, KEEP, "  ")

    assert refused.value.message == "This account has 1 finding: say why it should be kept."
    assert refused.value.field == "comment"
    flagged.refresh_from_db()
    assert flagged.decision == ""
    assert not AuditEvent.objects.filter(action="access.review_item.decided").exists()

    decide(cast, boss, flagged, KEEP, "On leave until next month; the account stays.")
    flagged.refresh_from_db()
    assert (flagged.decision, flagged.decided_by) == (KEEP, boss)


def test_a_decision_is_audited_and_counted_once_however_often_it_changes(cast: Cast, scene) -> None:
    review, made, boss = scene
    clean = made[1]

    decide(cast, boss, clean, KEEP)
    decide(cast, boss, clean, REVOKE, "Moved to billing")

    review.refresh_from_db()
    clean.refresh_from_db()
    assert review.decided_count == 1
    assert (clean.decision, clean.comment) == (REVOKE, "Moved to billing")
    events = AuditEvent.objects.filter(action="access.review_item.decided", object_id=str(clean.public_id))
    assert events.count() == 2
    last = events.order_by("-sequence")[0]
    assert last.actor == boss
    assert last.changes["decision"] == [KEEP, REVOKE]
    assert last.changes["comment"] == ["", "Moved to billing"]


def test_revoking_sets_the_due_date_from_the_organizations_setting(cast: Cast, scene) -> None:
    review, made, boss = scene
    AccessSettings.objects.create(organization=cast.org, revocation_due_days=3)

    decide(cast, boss, made[1], REVOKE, today=TODAY)
    made[1].refresh_from_db()
    assert made[1].revoke_due_on == TODAY + timedelta(days=3)

    # Deciding "revoke" again later does not move the deadline.
    decide(cast, boss, made[1], REVOKE, "still", today=TODAY + timedelta(days=2))
    made[1].refresh_from_db()
    assert made[1].revoke_due_on == TODAY + timedelta(days=3)

    decide(cast, boss, made[1], KEEP)
    made[1].refresh_from_db()
    assert made[1].revoke_due_on is None


def test_only_the_items_reviewer_or_a_program_manager_decides(cast: Cast, scene) -> None:
    review, made, boss = scene
    other = manager(cast.org, "otherboss")

    for intruder in (other, cast.auditor, cast.workforce):
        with pytest.raises(ServiceError):
            decide(cast, intruder, made[1])
    made[1].refresh_from_db()
    assert made[1].decision == ""

    decide(cast, cast.official, made[1], REVOKE)
    made[1].refresh_from_db()
    assert (made[1].decision, made[1].decided_by, made[1].reviewer) == (REVOKE, cast.official, boss)


def test_another_organizations_member_cannot_decide(cast: Cast, scene) -> None:
    review, made, boss = scene
    with pytest.raises(ServiceError, match="No such review item in this organization"):
        services.item_decide(
            organization=cast.other_org, actor=actor(cast.outsider), item=made[1], decision=KEEP, comment=""
        )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.CLOSED, "The review “Q3 access review” is closed: its decisions are final."),
        (Status.PREPARING, "The review “Q3 access review” is still being prepared; decisions open when it is ready."),
        (Status.FAILED, "The review “Q3 access review” could not be prepared; it takes no decisions."),
    ],
)
def test_a_campaign_that_is_not_open_refuses_decisions(cast: Cast, scene, status: str, message: str) -> None:
    review, made, boss = scene
    ReviewCampaign.objects.filter(pk=review.pk).update(status=status)

    with pytest.raises(ServiceError) as refused:
        decide(cast, boss, made[1])

    assert refused.value.message == message


def test_a_bad_decision_is_refused(cast: Cast, scene) -> None:
    review, made, boss = scene
    with pytest.raises(ServiceError) as refused:
        decide(cast, boss, made[1], "maybe")
    assert (refused.value.message, refused.value.field) == ("Choose keep or revoke.", "decision")
    with pytest.raises(ServiceError, match="within 2000 characters"):
        decide(cast, boss, made[1], KEEP, "x" * 2001)


def test_decisions_are_final_once_the_reviewer_attests(cast: Cast, scene) -> None:
    review, made, boss = scene
    decide(cast, boss, made[0], KEEP, "Needed for audits")
    decide(cast, boss, made[1], KEEP)
    decide(cast, boss, made[2], REVOKE)
    services.reviewer_attest(organization=cast.org, actor=actor(boss), campaign=review)

    with pytest.raises(ServiceError, match="attested this item's decision: it is final"):
        decide(cast, boss, made[1], REVOKE)
    with pytest.raises(ServiceError, match="attested this item's decision: it is final"):
        decide(cast, cast.official, made[1], REVOKE)
    made[1].refresh_from_db()
    assert made[1].decision == KEEP


# ---- bulk ---------------------------------------------------------------------------------------------------------


def test_bulk_keep_decides_my_undecided_items_without_findings(cast: Cast) -> None:
    boss, other = manager(cast.org), manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    ehr = system(cast.org)
    mine = items(review, ehr, boss, 6, findings=2)
    theirs = items(review, ehr, other, 2)
    decide(cast, boss, mine[5], REVOKE)

    count = services.items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=review)

    assert count == 3
    decisions = dict(ReviewItem.objects.filter(campaign=review).values_list("username", "decision"))
    assert [decisions[i.username] for i in mine] == ["", "", KEEP, KEEP, KEEP, REVOKE]
    assert [decisions[i.username] for i in theirs] == ["", ""]
    review.refresh_from_db()
    assert review.decided_count == 4
    event = AuditEvent.objects.get(action="access.review.items_decided")
    assert event.changes["count"] == [None, 3]
    assert sorted(event.changes["items"][1]) == sorted(str(i.public_id) for i in mine[2:5])


def test_bulk_keep_runs_the_same_queries_for_5_and_50_items(cast: Cast) -> None:
    boss = manager(cast.org)
    counts = []
    # The first audited write of an organization also starts its audit chain: warm up so both runs compare alike.
    warm_up = campaign(cast.org, cast.official, title="Warm-up")
    items(warm_up, system(cast.org, "Warm-up"), boss, 1)
    services.items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=warm_up)
    for size in (5, 50):
        review = campaign(cast.org, cast.official, title=f"Review of {size}")
        items(review, system(cast.org, f"System {size}"), boss, size)
        with CaptureQueriesContext(connection) as queries:
            decided = services.items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=review)
        assert decided == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 20


def test_bulk_of_chosen_items_with_findings_needs_a_comment(cast: Cast, scene) -> None:
    review, made, boss = scene
    chosen = [made[0].public_id, made[1].public_id]

    with pytest.raises(ServiceError) as refused:
        services.items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=review, item_ids=chosen)
    assert refused.value.message == (
        "1 chosen item has findings: say why they should be kept, or decide them one by one."
    )

    count = services.items_decide_bulk(
        organization=cast.org, actor=actor(boss), campaign=review, item_ids=chosen, comment="Both still needed"
    )
    assert count == 2


def test_bulk_revoke_of_chosen_items_sets_due_dates(cast: Cast, scene) -> None:
    review, made, boss = scene
    count = services.items_decide_bulk(
        organization=cast.org,
        actor=actor(boss),
        campaign=review,
        item_ids=[made[1].public_id, made[2].public_id],
        decision=REVOKE,
        today=TODAY,
    )
    assert count == 2
    assert set(ReviewItem.objects.filter(decision=REVOKE).values_list("revoke_due_on", flat=True)) == {
        TODAY + timedelta(days=7)
    }
    with pytest.raises(ServiceError, match="tick them first"):
        services.items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=review, decision=REVOKE)


def test_bulk_refuses_items_that_are_not_mine(cast: Cast, scene) -> None:
    review, made, boss = scene
    other = manager(cast.org, "otherboss")
    theirs = items(review, system(cast.org, "Billing"), other, 1)

    with pytest.raises(ServiceError) as refused:
        services.items_decide_bulk(
            organization=cast.org,
            actor=actor(boss),
            campaign=review,
            item_ids=[made[1].public_id, theirs[0].public_id],
        )

    assert refused.value.message == "1 chosen item are not yours to decide in this review."
    assert not ReviewItem.objects.exclude(decision="").exists()


def test_bulk_is_refused_after_attesting(cast: Cast, scene) -> None:
    review, made, boss = scene
    services.items_decide_bulk(
        organization=cast.org, actor=actor(boss), campaign=review, item_ids=[i.public_id for i in made], comment="ok"
    )
    services.reviewer_attest(organization=cast.org, actor=actor(boss), campaign=review)
    with pytest.raises(ServiceError, match="You have attested your decisions in this review: they are final."):
        services.items_decide_bulk(organization=cast.org, actor=actor(boss), campaign=review)


# ---- reassigning ----------------------------------------------------------------------------------------------------


def test_reassigning_gives_the_item_to_another_reviewer_undecided(cast: Cast, scene) -> None:
    review, made, boss = scene
    other = manager(cast.org, "otherboss")
    decide(cast, boss, made[1], KEEP)

    services.item_reassign(organization=cast.org, actor=actor(cast.official), item=made[1], reviewer=other)

    made[1].refresh_from_db()
    review.refresh_from_db()
    assert (made[1].reviewer, made[1].reviewer_basis, made[1].decision) == (other, "reassigned", "")
    assert review.decided_count == 0
    event = AuditEvent.objects.get(action="access.review_item.reassigned")
    assert event.changes["reviewer"] == [str(boss.public_id), str(other.public_id)]


def test_reassigning_needs_a_program_manager_and_a_reviewer(cast: Cast, scene) -> None:
    review, made, boss = scene
    other = manager(cast.org, "otherboss")
    with pytest.raises(ServiceError, match="Only those who manage the compliance program can reassign review items"):
        services.item_reassign(organization=cast.org, actor=actor(boss), item=made[1], reviewer=other)
    with pytest.raises(ServiceError) as refused:
        services.item_reassign(organization=cast.org, actor=actor(cast.official), item=made[1], reviewer=cast.auditor)
    assert refused.value.message == "auditor@firm.test cannot review access in this organization."
    made[1].refresh_from_db()
    assert made[1].reviewer == boss


def test_reassigning_to_a_reviewer_who_attested_is_refused(cast: Cast, scene) -> None:
    review, made, boss = scene
    other = manager(cast.org, "otherboss")
    theirs = items(review, system(cast.org, "Billing"), other, 1)
    decide(cast, other, theirs[0], KEEP)
    services.reviewer_attest(organization=cast.org, actor=actor(other), campaign=review)

    with pytest.raises(ServiceError, match="otherboss@clinic.test has already attested in this review."):
        services.item_reassign(organization=cast.org, actor=actor(cast.official), item=made[1], reviewer=other)


# ---- revocations ---------------------------------------------------------------------------------------------------


def test_recording_a_revocation_marks_the_access_removed(cast: Cast, scene, django_capture_on_commit_callbacks) -> None:
    review, made, boss = scene
    decide(cast, boss, made[1], REVOKE)
    removed_at = timezone.now() - timedelta(hours=1)

    with django_capture_on_commit_callbacks() as callbacks:
        services.revocation_done(
            organization=cast.org, actor=actor(cast.official), item=made[1], revoked_at=removed_at, note="Ticket 42"
        )

    made[1].refresh_from_db()
    assert (made[1].revoked_at, made[1].revoked_by, made[1].revocation_note) == (removed_at, cast.official, "Ticket 42")
    assert any(getattr(c, "once_key", None) == ("evaluation", cast.org.pk) for c in callbacks)
    assert AuditEvent.objects.get(action="access.review_item.revoked").changes["revocation_note"] == [
        "",
        "Ticket 42",
    ]
    with pytest.raises(ServiceError, match="Already recorded as removed"):
        services.revocation_done(organization=cast.org, actor=actor(cast.official), item=made[1], revoked_at=removed_at)
    with pytest.raises(ServiceError, match="This access was already removed; the decision to revoke stands."):
        decide(cast, boss, made[1], KEEP)


def test_a_revocation_is_refused_for_kept_items_future_times_and_non_managers(cast: Cast, scene) -> None:
    review, made, boss = scene
    decide(cast, boss, made[1], KEEP)
    decide(cast, boss, made[2], REVOKE)
    now = timezone.now()

    with pytest.raises(ServiceError, match="Only an account decided “revoke” has access to remove."):
        services.revocation_done(organization=cast.org, actor=actor(cast.official), item=made[1], revoked_at=now)
    with pytest.raises(ServiceError) as future:
        services.revocation_done(
            organization=cast.org, actor=actor(cast.official), item=made[2], revoked_at=now + timedelta(hours=2)
        )
    assert (future.value.message, future.value.field) == (
        "The access cannot have been removed in the future.",
        "revoked_at",
    )
    with pytest.raises(ServiceError, match="give the time the access was removed after that"):
        services.revocation_done(
            organization=cast.org, actor=actor(cast.official), item=made[2], revoked_at=now - timedelta(days=30)
        )
    with pytest.raises(ServiceError, match="Only those who manage the compliance program can record revocations"):
        services.revocation_done(organization=cast.org, actor=actor(boss), item=made[2], revoked_at=now)
    made[2].refresh_from_db()
    assert made[2].revoked_at is None


def test_a_revocation_can_be_recorded_after_the_campaign_closed(cast: Cast, scene) -> None:
    review, made, boss = scene
    decide(cast, boss, made[2], REVOKE)
    ReviewCampaign.objects.filter(pk=review.pk).update(status=Status.CLOSED)

    services.revocation_done(organization=cast.org, actor=actor(cast.official), item=made[2], revoked_at=timezone.now())

    made[2].refresh_from_db()
    assert made[2].revoked_at is not None


def test_an_owner_reviewer_role_member_counts_as_reviewer(cast: Cast) -> None:
    """The reviewer role (not only managers) decides and attests its own items."""
    checker = make_member(cast.org, "checker@clinic.test", Role.REVIEWER).user
    review = campaign(cast.org, cast.official)
    made = items(review, system(cast.org), checker, 1, basis="system_owner")
    decide(cast, checker, made[0], KEEP)
    services.reviewer_attest(organization=cast.org, actor=actor(checker), campaign=review)
    assert ReviewerAttestation.objects.get().reviewer == checker
