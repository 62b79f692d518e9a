"""Reads of a campaign shared by pages and widgets: progress by reviewer and system, findings by kind, and
revocations still to carry out."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.access.models import Classification, ReviewItem
from safeguard.access.queries_reviews import campaign_progress, findings_by_kind, open_revocations
from safeguard.core.roles import Role
from tests import access_factories as make
from tests.conftest import Cast, make_member
from tests.test_reviews_campaigns_support import TODAY, ago, ehr_with, nurse, start


def test_progress_counts_decided_items_by_reviewer_and_system(cast: Cast, django_assert_max_num_queries) -> None:
    manager = make_member(cast.org, "robin@clinic.test", Role.MANAGER).user
    robin = nurse(cast.org, "E-0", name="Robin Chief", email="robin@clinic.test")
    team = [nurse(cast.org, f"E-{n}", manager=robin) for n in range(1, 4)]
    ehr_with(cast.org, [{"username": f"t{n}", "person": person} for n, person in enumerate(team)])
    billing = make.system(cast.org, "Billing")
    make.snapshot(billing, [{"username": "svc"}, {"username": "t0", "person": team[0]}])
    campaign = start(cast.org, cast.owner)
    ReviewItem.objects.filter(campaign=campaign, username__in=["t0", "svc"]).update(decision=ReviewItem.Decision.KEEP)
    with django_assert_max_num_queries(4):
        progress = campaign_progress(campaign)
    assert (progress.decided, progress.total, progress.percent) == (3, 5, 60)
    assert [(tally.reviewer, tally.decided, tally.total) for tally in progress.by_reviewer] == [
        (manager, 2, 4),
        (cast.official, 1, 1),
    ]
    assert [(tally.system.asset.name, tally.decided, tally.total) for tally in progress.by_system] == [
        ("Billing", 2, 2),
        ("EHR", 1, 3),
    ]


def test_findings_by_kind_in_declared_order_with_what_is_still_open(cast: Cast) -> None:
    ehr_with(
        cast.org,
        [
            {"username": "a", "classification": Classification.SHARED, "privileged": True, "mfa_enabled": False},
            {"username": "b", "last_login_at": ago(300)},
        ],
    )
    campaign = start(cast.org, cast.owner)
    ReviewItem.objects.filter(campaign=campaign, username="b").update(decision=ReviewItem.Decision.REVOKE)
    assert [(kind.kind, kind.label, kind.total, kind.open) for kind in findings_by_kind(campaign)] == [
        ("orphan", "Orphan account", 1, 0),
        ("inactive", "Inactive beyond the limit", 1, 0),
        ("privileged_no_mfa", "Privileged account without MFA", 1, 1),
        ("shared_no_owner", "Shared account without an owner", 1, 1),
    ]


def test_open_revocations_are_those_not_carried_out_flagged_when_overdue(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": name} for name in ("late", "due", "done", "kept")])
    campaign = start(cast.org, cast.owner)
    items = {item.username: item for item in ReviewItem.objects.filter(campaign=campaign)}
    for name, due, revoked in (("late", -1, False), ("due", 0, False), ("done", -3, True)):
        item = items[name]
        item.decision, item.revoke_due_on = ReviewItem.Decision.REVOKE, TODAY + timedelta(days=due)
        item.revoked_at = timezone.now() if revoked else None
        item.save()
    ReviewItem.objects.filter(pk=items["kept"].pk).update(decision=ReviewItem.Decision.KEEP)
    assert [(item.username, item.overdue) for item in open_revocations(cast.org, TODAY)] == [
        ("late", True),
        ("due", False),
    ]
    assert not open_revocations(cast.other_org, TODAY).exists()
