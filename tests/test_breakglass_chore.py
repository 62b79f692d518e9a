"""The daily escalation of overdue break-glass reviews: once per use, to the security official and the account's
custodians, audited, and safe to run again."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail

from safeguard.access.chores import escalate_overdue_reviews
from safeguard.core.chores import registered_chores
from safeguard.core.models import AuditEvent, Membership
from safeguard.core.roles import Role
from tests.conftest import Cast, make_member
from tests.test_breakglass_support import account, at, orm_use

NOW = at(20)
TODAY = NOW.date()


def escalations() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="access.breakglass_activation.escalated"))


def test_an_overdue_review_is_escalated_once_to_the_official_and_the_custodians(cast: Cast) -> None:
    bg = account(cast, custodians=(cast.owner,))
    activation = orm_use(bg, NOW - timedelta(hours=30))

    first = escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False)
    second = escalate_overdue_reviews(now=NOW + timedelta(hours=5), today=TODAY, dry_run=False)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["so@clinic.test", "owner@clinic.test"]
    assert message.subject == "Overdue break-glass review: bg-ehr-1 on EHR (Riverside Clinic)"
    assert "Dr Robin Lee" in message.body
    assert "(6 hours ago)" in message.body
    assert f"/o/clinic/access/break-glass/uses/{activation.public_id}/" in message.body
    activation.refresh_from_db()
    assert activation.escalated_at == NOW
    [event] = escalations()
    assert event.actor_label == "system:scheduler"
    assert event.changes["recipients"] == [None, ["so@clinic.test", "owner@clinic.test"]]
    assert len(first) == 1 and "escalated to so@clinic.test, owner@clinic.test" in first[0]
    assert second == []


def test_uses_reviewed_or_still_within_their_limit_are_left_alone(cast: Cast) -> None:
    bg = account(cast)
    orm_use(bg, NOW - timedelta(hours=23))
    orm_use(bg, NOW - timedelta(hours=24))  # due exactly now: not yet overdue
    orm_use(bg, NOW - timedelta(hours=40), reviewed_at=NOW - timedelta(hours=1), justified=True)

    assert escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False) == []
    assert mail.outbox == []
    assert escalations() == []


def test_a_custodian_who_left_is_not_told(cast: Cast) -> None:
    bg = account(cast, custodians=(cast.owner,))
    Membership.objects.filter(user=cast.owner).update(is_active=False)
    orm_use(bg, NOW - timedelta(hours=30))

    escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False)

    assert mail.outbox[0].to == ["so@clinic.test"]


def test_without_a_security_official_the_owners_are_told(cast: Cast) -> None:
    Membership.objects.filter(user=cast.official).update(role=Role.PRIVACY_OFFICER)
    second_owner = make_member(cast.org, "owner2@clinic.test", Role.OWNER).user
    orm_use(account(cast, custodians=()), NOW - timedelta(hours=30))

    escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False)

    assert mail.outbox[0].to == [second_owner.email, "owner@clinic.test"]


def test_a_dry_run_says_what_it_would_do_and_does_nothing(cast: Cast) -> None:
    activation = orm_use(account(cast), NOW - timedelta(hours=30))

    lines = escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=True)

    assert lines == [
        "clinic: use of bg-ehr-1 on EHR at 2025-03-19 06:00 (review due 2025-03-20 06:00) would be escalated to "
        "so@clinic.test"
    ]
    assert mail.outbox == []
    activation.refresh_from_db()
    assert activation.escalated_at is None


def test_a_failed_send_leaves_the_use_for_the_next_run(cast: Cast) -> None:
    activation = orm_use(account(cast), NOW - timedelta(hours=30))

    with mock.patch("safeguard.access.chores.send_mail", side_effect=smtplib.SMTPException("down")):
        lines = escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False)
    activation.refresh_from_db()
    assert activation.escalated_at is None
    assert escalations() == []
    assert lines[0].endswith("the escalation could not be sent; it will be tried again")

    escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False)
    assert len(mail.outbox) == 1


def test_nobody_to_tell_is_reported_and_retried(cast: Cast) -> None:
    other_bg = account(cast, target=None, custodians=())
    Membership.objects.filter(organization=cast.org, role__in=[Role.OWNER, Role.SECURITY_OFFICIAL]).update(
        is_active=False
    )
    activation = orm_use(other_bg, NOW - timedelta(hours=30))

    lines = escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=False)

    assert lines[0].endswith("is overdue but nobody can be told: no security official, owner or custodian")
    activation.refresh_from_db()
    assert activation.escalated_at is None


def test_the_chore_is_registered_and_judges_a_past_day_at_its_end(cast: Cast) -> None:
    chore = registered_chores()["access.break_glass_overdue"]
    orm_use(account(cast), at(19, hour=23))  # due 2025-03-20 23:00 UTC

    assert chore(TODAY - timedelta(days=1), False) == []
    assert len(chore(TODAY, False)) == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("count", [2, 12])
def test_the_run_reads_the_people_in_a_fixed_number_of_queries(
    cast: Cast, count: int, django_assert_max_num_queries: object
) -> None:
    bg = account(cast, custodians=(cast.owner,))
    for hours in range(count):
        orm_use(bg, NOW - timedelta(hours=30 + hours))

    with django_assert_max_num_queries(3):  # type: ignore[operator]
        lines = escalate_overdue_reviews(now=NOW, today=TODAY, dry_run=True)
    assert len(lines) == count
