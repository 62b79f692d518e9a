"""The daily chore for revocations past their due date: noted once each in the audit trail, with a tracker
evaluation requested for the organization; idempotent, and a dry run writes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.access.chores_reviews import OVERDUE_ACTION, flag_overdue_revocations
from safeguard.access.models import ReviewItem
from safeguard.core.chores import registered_chores
from safeguard.core.models import AuditEvent
from tests.conftest import Cast
from tests.test_reviews_decisions_support import TODAY, campaign, items, manager, system

REVOKE = ReviewItem.Decision.REVOKE


def revocations(cast: Cast) -> list[ReviewItem]:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    made = items(review, system(cast.org), boss, 4, decision=REVOKE)
    due = [TODAY - timedelta(days=2), TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=5)]
    for item, due_on in zip(made, due, strict=True):
        ReviewItem.objects.filter(pk=item.pk).update(revoke_due_on=due_on, decided_by=boss)
    ReviewItem.objects.filter(pk=made[3].pk).update(revoked_at=timezone.now())
    return made


def test_the_chore_is_registered() -> None:
    assert registered_chores()["access.overdue_revocations"] is flag_overdue_revocations


def test_overdue_revocations_are_flagged_once(cast: Cast, django_capture_on_commit_callbacks) -> None:
    made = revocations(cast)

    with django_capture_on_commit_callbacks() as callbacks:
        lines = flag_overdue_revocations(TODAY, False)

    assert len(lines) == 2
    assert lines[0].startswith(f"clinic: revoking {made[0].username} on EHR")
    assert lines[0].endswith("; flagged overdue")
    flagged = AuditEvent.objects.filter(action=OVERDUE_ACTION)
    assert sorted(event.object_id for event in flagged) == sorted(str(i.public_id) for i in (made[0], made[2]))
    assert [getattr(c, "once_key", None) for c in callbacks] == [("evaluation", cast.org.pk)]

    assert flag_overdue_revocations(TODAY, False) == []
    assert flagged.count() == 2


def test_a_new_due_date_is_flagged_again(cast: Cast) -> None:
    made = revocations(cast)
    flag_overdue_revocations(TODAY, False)
    ReviewItem.objects.filter(pk=made[0].pk).update(revoke_due_on=TODAY - timedelta(days=1))

    lines = flag_overdue_revocations(TODAY, False)

    assert len(lines) == 1
    assert made[0].username in lines[0]


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(cast: Cast) -> None:
    revocations(cast)
    before = AuditEvent.objects.count()

    lines = flag_overdue_revocations(TODAY, True)

    assert len(lines) == 2
    assert all(line.endswith("and would be flagged overdue") for line in lines)
    assert AuditEvent.objects.count() == before
