"""The access review check of 164.308(a)(4)(ii)(B) and (C): every ePHI system reviewed within the interval, no
revocation overdue, no access beyond profile without a valid exception; each condition failing alone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from safeguard.access.checks_reviews import access_reviews
from safeguard.access.models import AccessSettings, ReviewCampaign, ReviewItem, System
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_reviews_campaigns_support import TODAY, nurse, start

CampaignStatus = ReviewCampaign.Status


def close(campaign: ReviewCampaign, closed_on: date, user: User) -> ReviewCampaign:
    closed_at = datetime.combine(closed_on, time(15, 0), tzinfo=timezone.get_current_timezone())
    ReviewCampaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.CLOSED, closed_at=closed_at, closed_by=user
    )
    campaign.refresh_from_db()
    return campaign


def ehr_in_profile(organization: Organization) -> System:
    """A system whose only account is a person's, within their profile."""
    ehr = make.system(organization, "EHR")
    pat = nurse(organization)
    make.profile(organization, "Nurse", job_role="Nurse", grants=[(ehr, "clinician", False)])
    make.snapshot(ehr, [{"username": "pat", "person": pat, "roles": ["clinician"]}])
    return ehr


def reviewed(cast: Cast, days_ago: int, systems: list[System] | None = None) -> ReviewCampaign:
    campaign = start(cast.org, cast.owner, systems=systems, title=f"Review {days_ago} days ago")
    return close(campaign, TODAY - timedelta(days=days_ago), cast.owner)


def test_one_function_answers_both_citations() -> None:
    assert [check.name for check in checks_for("164.308(a)(4)(ii)(B)")] == ["access.reviews_authorization"]
    assert [check.name for check in checks_for("164.308(a)(4)(ii)(C)")] == ["access.reviews_establishment"]
    assert checks_for("164.308(a)(4)(ii)(B)")[0].function is checks_for("164.308(a)(4)(ii)(C)")[0].function


def test_no_system_is_unknown(cast: Cast) -> None:
    result = access_reviews(cast.org, TODAY)
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "No ePHI system is registered, so there is no access to review.",
    )
    assert result.next_action == "Register your ePHI systems and import their account lists."


def test_all_three_holding_is_met_until_the_interval_runs_out(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    campaign = reviewed(cast, 10)
    result = access_reviews(cast.org, TODAY)
    closed_on = TODAY - timedelta(days=10)
    assert result.status == Status.MET
    assert result.reason == (
        f"The only ePHI system, EHR, had its access reviewed in a review closed {closed_on:%Y-%m-%d}; no revocation "
        "is overdue; no account holds access beyond profile without a valid exception."
    )
    assert result.lapses_on == closed_on + timedelta(days=92)
    assert [(ref.type, ref.id) for ref in result.records] == [("access.reviewcampaign", str(campaign.public_id))]
    assert result.records[0].label == f"Review 10 days ago, closed {closed_on:%Y-%m-%d}"
    assert result.records[0].url == reverse("access:review_detail", args=[cast.org.slug, campaign.public_id])


def test_with_several_systems_the_oldest_review_sets_the_lapse(cast: Cast) -> None:
    ehr = ehr_in_profile(cast.org)
    billing = make.system(cast.org, "Billing")
    make.snapshot(billing, [{"username": "svc", "classification": "service"}])
    reviewed(cast, 30, systems=[billing])
    reviewed(cast, 40, systems=[ehr])
    reviewed(cast, 50)  # both, but older than each one's latest
    result = access_reviews(cast.org, TODAY)
    oldest = TODAY - timedelta(days=40)
    assert result.status == Status.MET
    assert result.reason.startswith(
        f"Each of the 2 ePHI systems had its access reviewed within the last 92 days (the oldest review: EHR, closed "
        f"{oldest:%Y-%m-%d});"
    )
    assert result.lapses_on == oldest + timedelta(days=92)
    assert [ref.label for ref in result.records] == [
        f"Review 40 days ago, closed {oldest:%Y-%m-%d}",
        f"Review 30 days ago, closed {TODAY - timedelta(days=30):%Y-%m-%d}",
    ]


def test_a_review_92_days_old_no_longer_counts(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    reviewed(cast, 92)
    result = access_reviews(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        f"1 of 1 ePHI system had no access review closed in the last 92 days: EHR (last reviewed "
        f"{TODAY - timedelta(days=92):%Y-%m-%d})."
    )
    assert result.next_action == "Start an access review of EHR and close it."
    assert result.lapses_on is None
    assert access_reviews(cast.org, TODAY - timedelta(days=1)).status == Status.MET


def test_the_interval_is_the_organizations(cast: Cast) -> None:
    AccessSettings.objects.create(organization=cast.org, review_interval_days=30)
    ehr_in_profile(cast.org)
    reviewed(cast, 31)
    assert access_reviews(cast.org, TODAY).status == Status.NOT_MET


def test_a_system_never_reviewed_is_named(cast: Cast) -> None:
    ehr = ehr_in_profile(cast.org)
    reviewed(cast, 5, systems=[ehr])
    make.system(cast.org, "Billing")  # no account list: it cannot have been reviewed
    result = access_reviews(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert (
        result.reason
        == "1 of 2 ePHI systems had no access review closed in the last 92 days: Billing (never reviewed)."
    )


def test_an_all_systems_review_covers_only_the_lists_it_froze(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    reviewed(cast, 5)
    make.snapshot(make.system(cast.org, "Billing"), [{"username": "svc", "classification": "service"}])
    result = access_reviews(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "Billing (never reviewed)" in result.reason


def test_coverage_follows_the_frozen_lists_not_row_ids_which_an_archive_import_renumbers(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    campaign = reviewed(cast, 5)
    frozen = dict(campaign.frozen)
    frozen["snapshots"] = {"999999": 999999}  # row ids as another database numbered them
    ReviewCampaign.objects.filter(pk=campaign.pk).update(frozen=frozen)
    assert access_reviews(cast.org, TODAY).status == Status.MET


def test_a_retired_system_needs_no_review(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    reviewed(cast, 5)
    old = make.system(cast.org, "Old PACS")
    Asset.objects.filter(pk=old.asset_id).update(status=Asset.Status.RETIRED)
    assert access_reviews(cast.org, TODAY).status == Status.MET


def test_an_open_campaign_does_not_count(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    start(cast.org, cast.owner)
    assert "EHR (never reviewed)" in access_reviews(cast.org, TODAY).reason


def test_a_campaign_recorded_without_a_frozen_list_covers_its_scope(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    campaign = ReviewCampaign.objects.create(
        organization=cast.org,
        title="Recorded review",
        roster_as_of=TODAY - timedelta(days=20),
        due_on=TODAY,
        started_by=cast.owner,
    )
    close(campaign, TODAY - timedelta(days=3), cast.owner)
    assert access_reviews(cast.org, TODAY).status == Status.MET


def test_another_organizations_review_does_not_count(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    theirs = make.system(cast.other_org, "EHR")
    make.snapshot(theirs, [{"username": "x", "classification": "service"}])
    close(start(cast.other_org, cast.outsider), TODAY - timedelta(days=1), cast.outsider)
    assert access_reviews(cast.org, TODAY).status == Status.NOT_MET


def revoke(campaign: ReviewCampaign, due_on: date, *, revoked: bool = False) -> ReviewItem:
    item = ReviewItem.objects.get(campaign=campaign)
    item.decision = ReviewItem.Decision.REVOKE
    item.revoke_due_on = due_on
    item.revoked_at = timezone.now() if revoked else None
    item.save()
    return item


def test_an_overdue_revocation_alone_fails(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    campaign = reviewed(cast, 10)
    revoke(campaign, TODAY - timedelta(days=1))
    result = access_reviews(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        f"1 revocation decided in a review is overdue: EHR account pat (due {TODAY - timedelta(days=1):%Y-%m-%d})."
    )
    assert result.next_action == "Carry out the overdue revocations and record them."
    assert result.lapses_on == TODAY - timedelta(days=10) + timedelta(days=92)
    assert [ref.id for ref in result.records] == [str(campaign.public_id)]


def test_a_revocation_due_today_or_done_is_not_overdue(cast: Cast) -> None:
    ehr_in_profile(cast.org)
    campaign = reviewed(cast, 10)
    revoke(campaign, TODAY)
    assert access_reviews(cast.org, TODAY).status == Status.MET
    revoke(campaign, TODAY - timedelta(days=5), revoked=True)
    assert access_reviews(cast.org, TODAY).status == Status.MET


def test_access_beyond_profile_alone_fails(cast: Cast) -> None:
    ehr = ehr_in_profile(cast.org)
    reviewed(cast, 10)
    billing = nurse(cast.org, "E-2", name="Bo Biller")
    make.snapshot(ehr, [{"username": "bo", "person": billing, "roles": ["clinician", "refunds"]}])
    result = access_reviews(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        "1 current account with access beyond profile and no valid exception: EHR account bo of Bo Biller (refunds)."
    )
    assert result.next_action == "Remove the access beyond profile or approve an exception for it."


def test_a_valid_exception_makes_the_access_acceptable(cast: Cast) -> None:
    ehr = ehr_in_profile(cast.org)
    reviewed(cast, 10)
    billing = nurse(cast.org, "E-2", name="Bo Biller")
    make.snapshot(ehr, [{"username": "bo", "person": billing, "roles": ["clinician", "refunds"]}])
    make.exception(cast.org, billing, ehr, "refunds", approver=cast.official, expires_on=TODAY)
    assert access_reviews(cast.org, TODAY).status == Status.MET
    assert access_reviews(cast.org, TODAY + timedelta(days=1)).status == Status.NOT_MET


def test_many_problems_are_counted_and_the_first_ten_named(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    people = [nurse(cast.org, f"E-{n:02}", name=f"Person {n:02}") for n in range(12)]
    make.snapshot(ehr, [{"username": f"u{n:02}", "person": people[n], "roles": ["x"]} for n in range(12)])
    result = access_reviews(cast.org, TODAY)
    assert result.reason.startswith("1 of 1 ePHI system had no access review closed in the last 92 days: EHR")
    assert "; 12 current accounts with access beyond profile and no valid exception: EHR account u00 of Person 00" in (
        result.reason
    )
    assert result.reason.endswith("EHR account u09 of Person 09 (x) and 2 more.")
    assert result.next_action == (
        "Start an access review of EHR and close it; remove the access beyond profile or approve an exception for it."
    )
