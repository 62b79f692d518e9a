"""Starting and preparing access review campaigns: validation, the frozen snapshot, findings, reviewers, failure,
audit events and query counts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from safeguard.access.models import (
    AccessSettings,
    Account,
    AccountSnapshot,
    AccountStatus,
    Classification,
    Finding,
    MatchMethod,
    ReviewCampaign,
    ReviewItem,
    System,
)
from safeguard.access.services import campaign_preparation as preparation
from safeguard.access.services.campaigns import campaign_prepare_run, campaign_start
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from tests import access_factories as make
from tests.conftest import Cast, make_member
from tests.test_reviews_campaigns_support import NOW, TODAY, ago, ehr_with, nurse, start

Status = ReviewCampaign.Status
Kind = Finding.Kind


def refused(cast: Cast, field: str, **values: object) -> str:
    arguments: dict[str, object] = {
        "title": "Q3 access review",
        "system_ids": None,
        "roster_as_of": TODAY,
        "now": NOW,
        **values,
    }
    with pytest.raises(ServiceError) as error:
        campaign_start(organization=cast.org, actor=Actor(user=cast.owner), **arguments)  # type: ignore[arg-type]
    assert error.value.field == field
    assert not ReviewCampaign.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="access.review").exists()
    return error.value.message


# ---- starting ----------------------------------------------------------------------------------------------------


def test_no_system_registered_is_refused(cast: Cast) -> None:
    assert refused(cast, "systems") == ("Register an ePHI system and import its account list before starting a review.")


def test_no_system_with_an_account_list_is_refused(cast: Cast) -> None:
    make.system(cast.org, "EHR")
    assert refused(cast, "systems") == "No system has an account list yet: import one before starting a review."


def test_a_chosen_system_without_an_account_list_is_named(cast: Cast) -> None:
    ehr = ehr_with(cast.org, [{"username": "pat"}])
    billing = make.system(cast.org, "Billing")
    message = refused(cast, "systems", system_ids=[ehr.pk, billing.pk])
    assert message == "No account list has been imported for Billing: import one or leave it out."


def test_an_empty_choice_of_systems_is_refused(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    assert refused(cast, "systems", system_ids=[]) == "Choose at least one system, or review all of them."


def test_another_organizations_system_is_refused(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    theirs = make.system(cast.other_org, "Their EHR")
    make.snapshot(theirs, [{"username": "x"}])
    message = refused(cast, "systems", system_ids=[theirs.pk])
    assert message == "Some of the chosen systems do not exist in this organization."


def test_a_roster_date_in_the_future_is_refused(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    tomorrow = TODAY + timedelta(days=1)
    message = refused(cast, "roster_as_of", roster_as_of=tomorrow)
    assert message == f"The roster date {tomorrow:%Y-%m-%d} is in the future: use today or earlier."


def test_a_due_date_today_is_refused(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    assert refused(cast, "due_on", due_on=TODAY) == f"The due date must be after today ({TODAY:%Y-%m-%d})."


@pytest.mark.parametrize("days", [0, 3651])
def test_inactivity_out_of_range_is_refused(cast: Cast, days: int) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    assert refused(cast, "inactive_days", inactive_days=days) == "Count inactivity in days, from 1 to 3650."


def test_a_blank_title_is_refused(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    assert refused(cast, "title", title="   ") == "Give the review a title."


def test_starting_records_a_preparing_campaign_with_the_settings_defaults(cast: Cast) -> None:
    AccessSettings.objects.create(organization=cast.org, review_due_days=21, inactive_days=60)
    ehr_with(cast.org, [{"username": "pat"}])
    campaign = start(cast.org, cast.owner, prepare=False)
    assert (campaign.status, campaign.all_systems) == (Status.PREPARING, True)
    assert (campaign.due_on, campaign.inactive_days) == (TODAY + timedelta(days=21), 60)
    event = AuditEvent.objects.get(action="access.review.started")
    assert (event.actor, event.object_id) == (cast.owner, str(campaign.public_id))
    assert event.changes["systems"] == [None, "all"]
    assert event.changes["due_on"] == [None, (TODAY + timedelta(days=21)).isoformat()]


def test_chosen_systems_are_recorded(cast: Cast) -> None:
    ehr = ehr_with(cast.org, [{"username": "pat"}])
    make.snapshot(make.system(cast.org, "Billing"), [{"username": "pat"}])
    campaign = start(cast.org, cast.owner, systems=[ehr], prepare=False)
    assert not campaign.all_systems
    assert list(campaign.systems.all()) == [ehr]
    assert AuditEvent.objects.get(action="access.review.started").changes["systems"] == [None, ["EHR"]]


def test_the_preparation_runs_once_the_start_commits(cast: Cast, django_capture_on_commit_callbacks) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    with django_capture_on_commit_callbacks(execute=True):
        campaign = start(cast.org, cast.owner, prepare=False)
        assert ReviewCampaign.objects.get(pk=campaign.pk).status == Status.PREPARING
    campaign.refresh_from_db()
    assert (campaign.status, campaign.item_count, campaign.progress) == (Status.OPEN, 1, 100)


# ---- preparing: items, snapshot of the roster, findings -----------------------------------------------------------


def test_each_account_becomes_an_item_with_a_frozen_copy(cast: Cast) -> None:
    boss = nurse(cast.org, "E-0", name="Robin Chief")
    pat = nurse(cast.org, manager=boss)
    login = ago(3)
    ehr = ehr_with(
        cast.org,
        [
            {
                "username": "pat",
                "person": pat,
                "display_name": "Pat Lee",
                "roles": ["clinician"],
                "last_login_at": login,
                "mfa_enabled": True,
            },
            {"username": "ghost", "status": AccountStatus.DISABLED},
        ],
    )
    campaign = start(cast.org, cast.owner)
    assert (campaign.status, campaign.item_count, campaign.failure) == (Status.OPEN, 2, "")
    item = ReviewItem.objects.get(campaign=campaign, username="pat")
    account = Account.objects.get(username="pat")
    assert (item.system, item.account, item.person, item.display_name) == (ehr, account, pat, "Pat Lee")
    assert (item.roles, item.status, item.last_login_at, item.mfa_enabled) == (["clinician"], "active", login, True)
    assert item.person_snapshot == {
        "name": "Pat Lee",
        "employee_id": "E-1",
        "department": "Nursing",
        "job_role": "Nurse",
        "status": "active",
        "terminated_at": None,
        "manager": "Robin Chief",
    }
    assert ReviewItem.objects.get(campaign=campaign, username="ghost").person_snapshot == {}


def test_the_frozen_record_names_snapshots_profiles_and_exceptions(cast: Cast) -> None:
    pat = nurse(cast.org)
    ehr = ehr_with(cast.org, [{"username": "pat", "person": pat, "roles": ["clinician"]}])
    make.system(cast.org, "Fax server")  # no account list: left out, and said so
    profile = make.profile(cast.org, "Nurse", job_role="Nurse", grants=[(ehr, "clinician", False)])
    valid = make.exception(cast.org, pat, ehr, "billing", approver=cast.official, expires_on=TODAY)
    make.exception(cast.org, pat, ehr, "refunds", approver=cast.official, expires_on=TODAY - timedelta(days=1))
    make.exception(
        cast.org, pat, ehr, "admin", approver=cast.official, expires_on=TODAY, status="requested"
    )  # never approved: not frozen
    campaign = start(cast.org, cast.owner)
    snapshot_id = Account.objects.get(username="pat").snapshot_id
    assert campaign.frozen["snapshots"] == {str(ehr.pk): snapshot_id}
    assert campaign.frozen["skipped"] == ["Fax server"]
    assert [system["name"] for system in campaign.frozen["systems"]] == ["EHR"]
    assert campaign.frozen["profiles"] == [
        {
            "id": profile.pk,
            "name": "Nurse",
            "department": "",
            "job_role": "Nurse",
            "grants": [{"system_id": ehr.pk, "role": "clinician", "privileged": False}],
        }
    ]
    assert [(e["role"], e["valid"]) for e in campaign.frozen["exceptions"]] == [("billing", True), ("refunds", False)]
    assert campaign.frozen["exceptions"][0]["public_id"] == str(valid.public_id)
    assert campaign.frozen["counts"] == {"items": 1, "findings": 0, "by_kind": {}}


def test_findings_are_written_per_item_and_counted(cast: Cast) -> None:
    left = nurse(cast.org, "E-2", name="Sam Gone", termination_at=ago(40))
    ehr_with(
        cast.org,
        [
            {"username": "sam", "person": left, "privileged": True, "mfa_enabled": False},
            {"username": "frontdesk", "classification": Classification.SHARED},
            {"username": "old", "last_login_at": ago(200)},
        ],
    )
    campaign = start(cast.org, cast.owner)
    found = set(Finding.objects.filter(campaign=campaign).values_list("item__username", "kind"))
    assert found == {
        ("sam", Kind.TERMINATED_ACTIVE),
        ("sam", Kind.BEYOND_PROFILE),
        ("sam", Kind.PRIVILEGED_NO_MFA),
        ("frontdesk", Kind.SHARED_NO_OWNER),
        ("old", Kind.ORPHAN),
        ("old", Kind.INACTIVE),
    }
    counts = dict(ReviewItem.objects.filter(campaign=campaign).values_list("username", "finding_count"))
    assert counts == {"sam": 3, "frontdesk": 1, "old": 2}
    inactive = Finding.objects.get(campaign=campaign, kind=Kind.INACTIVE)
    assert inactive.detail == f"Last login {ago(200):%Y-%m-%d}, 200 days before the review (limit 90)."
    assert campaign.frozen["counts"]["findings"] == 6


def test_a_system_limit_overrides_the_campaigns(cast: Cast) -> None:
    ehr = ehr_with(cast.org, [{"username": "old", "last_login_at": ago(40), "classification": Classification.SERVICE}])
    ehr.inactive_days = 30
    ehr.save()
    campaign = start(cast.org, cast.owner)
    assert Finding.objects.get(campaign=campaign).detail == (
        f"Last login {ago(40):%Y-%m-%d}, 40 days before the review (limit 30)."
    )


def test_the_roster_is_read_as_of_its_date(cast: Cast) -> None:
    roster_day = TODAY - timedelta(days=10)
    left_before = nurse(cast.org, "E-2", name="Ana Before", termination_at=ago(20))
    left_after = nurse(cast.org, "E-3", name="Bo After", termination_at=ago(5))
    ehr_with(cast.org, [{"username": "ana", "person": left_before}, {"username": "bo", "person": left_after}])
    campaign = start(cast.org, cast.owner, roster_as_of=roster_day)
    items = {item.username: item for item in ReviewItem.objects.filter(campaign=campaign)}
    assert items["ana"].person_snapshot["status"] == "terminated"
    assert items["ana"].person_snapshot["terminated_at"] == ago(20).isoformat()
    assert (items["bo"].person_snapshot["status"], items["bo"].person_snapshot["terminated_at"]) == ("active", None)
    assert list(Finding.objects.filter(kind=Kind.TERMINATED_ACTIVE).values_list("item__username", flat=True)) == ["ana"]


def test_a_termination_at_2359_local_time_of_the_roster_date_counts(cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"
    zone = ZoneInfo("America/New_York")
    roster_day = TODAY - timedelta(days=5)
    last_minute = datetime.combine(roster_day, time(23, 59), tzinfo=zone)  # 03:59 or 04:59 the next day in UTC
    ana = nurse(cast.org, "E-2", name="Ana Late", termination_at=last_minute)
    bo = nurse(cast.org, "E-3", name="Bo Midnight", termination_at=last_minute + timedelta(minutes=1))
    ehr_with(cast.org, [{"username": "ana", "person": ana}, {"username": "bo", "person": bo}])
    campaign = start(cast.org, cast.owner, roster_as_of=roster_day)
    found = list(
        Finding.objects.filter(campaign=campaign, kind=Kind.TERMINATED_ACTIVE).values_list("item__username", "detail")
    )
    assert found == [
        (
            "ana",
            f"Ana Late was terminated on {roster_day:%Y-%m-%d} 23:59, on or before the roster date "
            f"{roster_day:%Y-%m-%d}, and the account is still enabled.",
        )
    ]


def test_an_exception_expiring_on_the_roster_date_is_still_valid(cast: Cast) -> None:
    pat = nurse(cast.org)
    ehr = ehr_with(cast.org, [{"username": "pat", "person": pat, "roles": ["clinician", "billing"]}])
    make.profile(cast.org, "Nurse", job_role="Nurse", grants=[(ehr, "clinician", False)])
    make.exception(cast.org, pat, ehr, "billing", approver=cast.official, expires_on=TODAY - timedelta(days=3))
    on_the_day = start(cast.org, cast.owner, roster_as_of=TODAY - timedelta(days=3))
    assert not Finding.objects.filter(campaign=on_the_day).exists()
    day_after = start(cast.org, cast.owner, roster_as_of=TODAY - timedelta(days=2))
    found = dict(Finding.objects.filter(campaign=day_after).values_list("kind", "detail"))
    expired_on = TODAY - timedelta(days=3)
    assert found == {
        Kind.BEYOND_PROFILE: f"Beyond Pat Lee's access (profile Nurse), with no exception valid on "
        f"{TODAY - timedelta(days=2):%Y-%m-%d}: billing.",
        Kind.EXPIRED_EXCEPTION: f"The exception for billing expired on {expired_on:%Y-%m-%d}; the account still "
        "holds it.",
    }


def test_disabled_accounts_raise_no_finding(cast: Cast) -> None:
    left = nurse(cast.org, "E-2", termination_at=ago(40))
    ehr_with(
        cast.org,
        [
            {"username": "a", "person": left, "status": AccountStatus.DISABLED, "privileged": True},
            {"username": "b", "status": AccountStatus.LOCKED, "last_login_at": ago(400)},
            {"username": "c", "classification": Classification.SHARED, "status": AccountStatus.DISABLED},
        ],
    )
    campaign = start(cast.org, cast.owner)
    assert campaign.item_count == 3
    assert not Finding.objects.filter(campaign=campaign).exists()


# ---- reviewers ----------------------------------------------------------------------------------------------------


def reviewers(campaign: ReviewCampaign) -> dict[str, tuple[object, str]]:
    items = ReviewItem.objects.filter(campaign=campaign).select_related("reviewer")
    return {item.username: (item.reviewer, item.reviewer_basis) for item in items}


def test_reviewer_is_the_manager_then_the_system_owner_then_the_official(cast: Cast) -> None:
    manager = make_member(cast.org, "robin@clinic.test", Role.MANAGER).user
    bystander = make_member(cast.org, "casey@clinic.test", Role.WORKFORCE).user  # may not review access
    owner = make_member(cast.org, "it@clinic.test", Role.REVIEWER).user
    robin = nurse(cast.org, "E-10", name="Robin Chief", email="robin@clinic.test")
    casey = nurse(cast.org, "E-11", name="Casey Lead", email="casey@clinic.test")
    offline = nurse(cast.org, "E-12", name="Lou Paper", email="lou@clinic.test")  # not a Safeguard user
    ehr = ehr_with(
        cast.org,
        [
            {"username": "managed", "person": nurse(cast.org, "E-1", manager=robin)},
            {"username": "unreviewable", "person": nurse(cast.org, "E-2", manager=casey)},
            {"username": "paper", "person": nurse(cast.org, "E-3", manager=offline)},
            {"username": "orphan"},
        ],
        owner=owner,
    )
    billing = make.system(cast.org, "Billing")  # no owner
    make.snapshot(billing, [{"username": "orphan2"}])
    campaign = start(cast.org, cast.owner)
    assert reviewers(campaign) == {
        "managed": (manager, "manager"),
        "unreviewable": (owner, "system owner"),
        "paper": (owner, "system owner"),
        "orphan": (owner, "system owner"),
        "orphan2": (cast.official, "security official"),
    }
    assert bystander not in {reviewer for reviewer, _ in reviewers(campaign).values()}
    assert ehr.asset.owner == owner


def test_a_system_owner_does_not_review_their_own_account(cast: Cast) -> None:
    owner = make_member(cast.org, "it@clinic.test", Role.REVIEWER).user
    it = nurse(cast.org, "E-5", name="Ira Tech", email="IT@clinic.test")
    ehr_with(cast.org, [{"username": "ira", "person": it}, {"username": "svc"}], owner=owner)
    campaign = start(cast.org, cast.owner)
    assert reviewers(campaign) == {
        "ira": (cast.official, "security official"),
        "svc": (owner, "system owner"),
    }


def test_without_anyone_to_review_an_item_is_left_unassigned(cast: Cast) -> None:
    cast.org.memberships.filter(role=Role.SECURITY_OFFICIAL).update(is_active=False)
    ehr_with(cast.org, [{"username": "svc"}])
    campaign = start(cast.org, cast.owner)
    assert reviewers(campaign) == {"svc": (None, "")}


def test_a_shared_account_shows_its_owner(cast: Cast) -> None:
    keeper = nurse(cast.org, "E-7", name="Kim Keeper")
    ehr_with(cast.org, [{"username": "frontdesk", "classification": Classification.SHARED, "owner": keeper}])
    campaign = start(cast.org, cast.owner)
    item = ReviewItem.objects.get(campaign=campaign)
    assert item.person_snapshot == {"owner": "Kim Keeper (E-7)"}
    assert not Finding.objects.filter(campaign=campaign).exists()


# ---- the freeze holds ---------------------------------------------------------------------------------------------


def test_later_imports_and_roster_changes_leave_the_review_as_it_was(cast: Cast) -> None:
    pat = nurse(cast.org)
    ehr = ehr_with(cast.org, [{"username": "pat", "person": pat, "roles": ["clinician"], "last_login_at": ago(2)}])
    make.profile(cast.org, "Nurse", job_role="Nurse", grants=[(ehr, "clinician", False)])
    campaign = start(cast.org, cast.owner)
    before = list(ReviewItem.objects.filter(campaign=campaign).values())
    frozen = dict(campaign.frozen)

    make.snapshot(ehr, [{"username": "pat", "person": pat, "roles": ["clinician", "admin"], "privileged": True}])
    make.snapshot(ehr, [{"username": "newbie"}])
    pat.department, pat.job_role, pat.termination_at = "Billing", "Clerk", ago(1)
    pat.save()
    make.exception(cast.org, pat, ehr, "admin", approver=cast.official, expires_on=TODAY)
    campaign_prepare_run(campaign_id=campaign.pk)  # a second run of the task changes nothing

    campaign.refresh_from_db()
    assert list(ReviewItem.objects.filter(campaign=campaign).values()) == before
    assert campaign.frozen == frozen
    assert not Finding.objects.filter(campaign=campaign).exists()
    assert AuditEvent.objects.filter(action="access.review.prepared").count() == 1


# ---- failure -------------------------------------------------------------------------------------------------------


def test_an_error_while_writing_leaves_nothing_half_written(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    ehr_with(cast.org, [{"username": f"user{n}"} for n in range(7)])  # orphans: each has a finding
    campaign = start(cast.org, cast.owner, prepare=False)
    monkeypatch.setattr(preparation, "BATCH", 3)
    written: list[int] = []
    real_insert = preparation._insert

    def failing(model: type[Model], rows: list[dict[str, Any]]) -> None:
        if model is Finding and len(written) == 4:
            raise RuntimeError("disk full")
        written.append(len(rows))
        real_insert(model, rows)

    monkeypatch.setattr(preparation, "_insert", failing)
    with pytest.raises(RuntimeError):
        campaign_prepare_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert written == [3, 3, 1, 3]  # every item and the first findings had gone in before the failure…
    assert (campaign.status, campaign.frozen, campaign.item_count) == (Status.FAILED, {}, 0)
    assert campaign.failure == "An unexpected error stopped the preparation; nothing of the review was written."
    assert not ReviewItem.objects.exists() and not Finding.objects.exists()  # …and is gone with the rest
    assert not AuditEvent.objects.filter(action="access.review.prepared").exists()
    failed = AuditEvent.objects.get(action="access.review.failed")
    assert failed.changes["status"] == [Status.PREPARING, Status.FAILED]


def test_a_campaign_whose_account_lists_vanished_fails_with_the_reason(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    campaign = start(cast.org, cast.owner, prepare=False)
    AccountSnapshot.objects.all().delete()  # its accounts go with it
    campaign_prepare_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == Status.FAILED
    assert campaign.failure == "None of the review's systems has an account list any more: nothing to review."


def test_only_a_preparing_campaign_is_prepared(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    campaign = start(cast.org, cast.owner, prepare=False)
    ReviewCampaign.objects.filter(pk=campaign.pk).update(status=Status.FAILED)
    campaign_prepare_run(campaign_id=campaign.pk)
    campaign_prepare_run(campaign_id=campaign.pk + 1000)  # gone: nothing to do
    assert not ReviewItem.objects.exists()


# ---- audit and scale -----------------------------------------------------------------------------------------------


def test_the_preparation_is_one_audit_event_with_the_counts(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "a"}, {"username": "b", "classification": Classification.SHARED}])
    campaign = start(cast.org, cast.owner)
    event = AuditEvent.objects.get(action="access.review.prepared")
    assert (event.actor, event.actor_label, event.object_id) == (
        None,
        "system:access.review_prepare",
        str(campaign.public_id),
    )
    assert event.changes == {
        "status": ["preparing", "open"],
        "systems": [None, 1],
        "items": [None, 2],
        "findings": [None, 2],
        "findings_by_kind": [None, {"orphan": 1, "shared_no_owner": 1}],
    }


def prepare_queries(cast: Cast, accounts: int) -> int:
    ReviewItem.objects.all().delete()
    ReviewCampaign.objects.all().delete()
    Account.objects.all().delete()
    AccountSnapshot.objects.all().delete()
    team = [nurse(cast.org, f"E-{cast.org.people.count() + n}") for n in range(3)]
    rows = [
        {"username": f"u{n}", "person": team[n % 3], "roles": ["clinician", "billing"], "last_login_at": ago(200)}
        if n % 2
        else {"username": f"u{n}", "classification": Classification.SHARED}
        for n in range(accounts)
    ]
    ehr = System.objects.filter(organization=cast.org).first() or make.system(cast.org, "EHR")
    make.snapshot(ehr, rows)
    campaign = start(cast.org, cast.owner, prepare=False)
    with CaptureQueriesContext(connection) as queries:
        campaign_prepare_run(campaign_id=campaign.pk)
    assert ReviewItem.objects.filter(campaign=campaign).count() == accounts
    return len(queries)


def test_query_count_does_not_grow_with_accounts(cast: Cast) -> None:
    # 30 items stay within one insert on every engine (SQLite splits an insert at 999 parameters).
    assert prepare_queries(cast, 5) == prepare_queries(cast, 30)


def test_query_count_grows_per_batch_not_per_account(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preparation, "BATCH", 10)
    one_batch = prepare_queries(cast, 10)
    assert prepare_queries(cast, 40) == one_batch + 3 * 2  # each batch: one insert of items, one of findings


def test_progress_is_written_every_few_thousand_accounts(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preparation, "PROGRESS_EVERY", 4)
    ehr_with(cast.org, [{"username": f"u{n}"} for n in range(10)])
    campaign = start(cast.org, cast.owner, prepare=False)
    with CaptureQueriesContext(connection) as queries:
        campaign_prepare_run(campaign_id=campaign.pk)
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "access_reviewcampaign" SET "progress"')]
    assert len(updates) == 2  # after 4 and 8 accounts; the final 100% goes with the rest
    assert '"progress" = 36 ' in updates[0]  # 4 of 10 read: 40% of the reading phase's 90
    campaign.refresh_from_db()
    assert campaign.progress == 100


def test_a_date_type_is_frozen_as_text(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "pat"}])
    campaign = start(cast.org, cast.owner, roster_as_of=date(2026, 1, 15))
    assert (campaign.frozen["roster_as_of"], campaign.frozen["review_on"]) == ("2026-01-15", TODAY.isoformat())


def test_a_name_match_is_unconfirmed_and_reviewed_by_that_persons_manager(cast: Cast) -> None:
    manager = make_member(cast.org, "robin@clinic.test", Role.MANAGER).user
    robin = nurse(cast.org, "E-10", name="Robin Chief", email="robin@clinic.test")
    guess = nurse(cast.org, "E-2", name="Jo Guess", manager=robin)
    ehr_with(
        cast.org,
        [
            {
                "username": "jguess",
                "person": guess,
                "classification": Classification.PENDING,
                "match_method": MatchMethod.NAME,
            }
        ],
    )
    campaign = start(cast.org, cast.owner)
    assert reviewers(campaign) == {"jguess": (manager, "manager")}
    assert list(Finding.objects.filter(campaign=campaign).values_list("kind", flat=True)) == [Kind.UNCONFIRMED_MATCH]
