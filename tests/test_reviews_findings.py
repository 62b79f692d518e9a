"""The finding rules of access reviews, one kind at a time, with their edge cases: plain values, no database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from safeguard.access.findings import (
    AccountFacts,
    HolderFacts,
    Lapsed,
    Review,
    account_findings,
    beyond_profile,
    expired_exception,
    inactive,
    never_used,
    orphan,
    privileged_no_mfa,
    roster_end,
    shared_no_owner,
    terminated_active,
    unconfirmed_match,
)
from safeguard.access.models import Classification, Finding

Kind = Finding.Kind
ROSTER_DAY = date(2026, 6, 30)
REVIEW_DAY = date(2026, 7, 6)
NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Role:
    """A grant or an exception as the rules see it."""

    role: str
    privileged: bool = False


def review(inactive_days: int = 90) -> Review:
    return Review(
        roster_as_of=ROSTER_DAY,
        roster_end=roster_end(ROSTER_DAY),
        review_on=REVIEW_DAY,
        inactive_days=inactive_days,
    )


def account(**values: object) -> AccountFacts:
    defaults: dict[str, object] = {
        "username": "pat",
        "enabled": True,
        "classification": Classification.PERSON,
        "roles": ("clinician",),
        "last_login_on": REVIEW_DAY - timedelta(days=1),
        "mfa_enabled": True,
        "created_on": date(2024, 1, 2),
    }
    defaults.update(values)
    return AccountFacts(**defaults)  # type: ignore[arg-type]


def holder(**values: object) -> HolderFacts:
    defaults: dict[str, object] = {"name": "Pat Lee", "profile_names": ("Nurse",), "grants": (Role("clinician"),)}
    defaults.update(values)
    return HolderFacts(**defaults)  # type: ignore[arg-type]


def kinds(found: list[tuple[str, str]]) -> list[str]:
    return [kind for kind, _ in found]


# ---- orphan and unconfirmed match --------------------------------------------------------------------------------


def test_an_enabled_orphan_names_what_the_list_gave() -> None:
    found = orphan(account(classification=Classification.ORPHAN, email="x@clinic.test", employee_id="E-9"))
    assert found == "Nobody on the roster matches this account (email x@clinic.test, employee id E-9)."


def test_an_orphan_with_nothing_to_match_on_says_so() -> None:
    found = orphan(account(classification=Classification.ORPHAN))
    assert found == "Nobody on the roster matches this account, and the list gives no email or employee id for it."


def test_a_matched_account_is_no_orphan() -> None:
    assert orphan(account()) is None


def test_a_pending_name_match_is_unconfirmed() -> None:
    found = unconfirmed_match(account(classification=Classification.PENDING), holder())
    assert found == "Matched to Pat Lee by name only; nobody has confirmed the account is theirs."
    assert unconfirmed_match(account(), holder()) is None


# ---- terminated but active ---------------------------------------------------------------------------------------


def test_a_termination_at_2359_of_the_roster_day_counts() -> None:
    with timezone.override(NEW_YORK):
        day = review()
        ended = datetime(2026, 6, 30, 23, 59, tzinfo=NEW_YORK)  # 03:59 the next day in UTC
        found = terminated_active(account(), holder(terminated_at=ended), day)
    assert found == (
        "Pat Lee was terminated on 2026-06-30 23:59, on or before the roster date 2026-06-30, and the account is "
        "still enabled."
    )


def test_a_termination_the_next_midnight_does_not_count() -> None:
    with timezone.override(NEW_YORK):
        ended = datetime(2026, 7, 1, 0, 0, tzinfo=NEW_YORK)
        assert terminated_active(account(), holder(terminated_at=ended), review()) is None


def test_a_person_still_employed_raises_nothing() -> None:
    assert terminated_active(account(), holder(), review()) is None


def test_a_name_match_to_a_leaver_is_flagged_as_unconfirmed() -> None:
    ended = datetime(2026, 5, 1, 17, 0, tzinfo=ZoneInfo("UTC"))
    found = terminated_active(account(classification=Classification.PENDING), holder(terminated_at=ended), review())
    assert found is not None and found.startswith("Pat Lee (matched by name, unconfirmed) was terminated on 2026-05-01")


def test_a_shared_account_is_not_judged_by_its_owner_leaving() -> None:
    ended = datetime(2026, 5, 1, tzinfo=ZoneInfo("UTC"))
    shared = account(classification=Classification.SHARED)
    assert terminated_active(shared, holder(terminated_at=ended), review()) is None


# ---- inactive and never used -------------------------------------------------------------------------------------


def test_exactly_the_limit_is_not_inactive() -> None:
    assert inactive(account(last_login_on=REVIEW_DAY - timedelta(days=90)), review(90)) is None


def test_one_day_beyond_the_limit_is_inactive() -> None:
    found = inactive(account(last_login_on=REVIEW_DAY - timedelta(days=91)), review(90))
    assert found == "Last login 2026-04-06, 91 days before the review (limit 90)."


def test_the_systems_limit_is_the_one_applied() -> None:
    login = account(last_login_on=REVIEW_DAY - timedelta(days=40))
    assert inactive(login, review(30)) == "Last login 2026-05-27, 40 days before the review (limit 30)."
    assert inactive(login, review(45)) is None


def test_never_logged_in_since_creation_beyond_the_limit() -> None:
    found = never_used(account(last_login_on=None, created_on=REVIEW_DAY - timedelta(days=187)), review(90))
    assert found == "Never logged in; created 2025-12-31, 187 days before the review (limit 90)."


def test_never_logged_in_but_created_within_the_limit_is_fine() -> None:
    assert never_used(account(last_login_on=None, created_on=REVIEW_DAY - timedelta(days=90)), review(90)) is None


def test_never_logged_in_with_no_creation_date_is_flagged() -> None:
    found = never_used(account(last_login_on=None, created_on=None), review())
    assert found == "Never logged in, and the list gives no creation date."


def test_a_login_means_it_was_used() -> None:
    assert never_used(account(created_on=None), review()) is None


def test_a_service_account_without_logins_is_not_never_used() -> None:
    assert never_used(account(classification=Classification.SERVICE, last_login_on=None), review()) is None


# ---- beyond profile and expired exceptions -----------------------------------------------------------------------


def test_roles_beyond_the_profile_are_named() -> None:
    found = beyond_profile(account(roles=("clinician", "billing", "refunds")), holder(), review())
    assert found == (
        "Beyond Pat Lee's access (profile Nurse), with no exception valid on 2026-06-30: billing, refunds."
    )


def test_a_valid_exception_covers_its_role() -> None:
    covered = holder(exceptions=(Role("billing"),))
    assert beyond_profile(account(roles=("clinician", "billing")), covered, review()) is None


def test_privileged_access_needs_a_privileged_grant() -> None:
    found = beyond_profile(account(privileged=True), holder(), review())
    assert found is not None and found.endswith(": privileged access.")
    granted = holder(grants=(Role("clinician", privileged=True),))
    assert beyond_profile(account(privileged=True), granted, review()) is None


def test_a_person_with_no_profile_has_everything_beyond_it() -> None:
    found = beyond_profile(account(), holder(profile_names=(), grants=()), review())
    assert found == "Beyond Pat Lee's access (no role profile), with no exception valid on 2026-06-30: clinician."


def test_only_a_persons_account_is_judged_against_a_profile() -> None:
    pending = account(classification=Classification.PENDING, roles=("billing",))
    assert beyond_profile(pending, holder(), review()) is None
    assert beyond_profile(account(roles=("billing",)), None, review()) is None


def test_an_expired_exception_for_a_role_still_held_is_found() -> None:
    expired = holder(lapsed=(Lapsed("Billing", False, date(2026, 6, 29)),))
    found = expired_exception(account(roles=("clinician", "billing")), expired)
    assert found == "The exception for billing expired on 2026-06-29; the account still holds it."


def test_the_latest_of_several_expired_exceptions_is_named() -> None:
    expired = holder(lapsed=(Lapsed("billing", False, date(2025, 1, 31)), Lapsed("billing", False, date(2026, 3, 31))))
    found = expired_exception(account(roles=("billing",)), expired)
    assert found == "The exception for billing expired on 2026-03-31; the account still holds it."


def test_an_expired_exception_for_a_role_no_longer_held_is_not_found() -> None:
    expired = holder(lapsed=(Lapsed("billing", False, date(2026, 6, 29)),))
    assert expired_exception(account(roles=("clinician",)), expired) is None


def test_a_renewed_exception_answers_for_the_expired_one() -> None:
    renewed = holder(lapsed=(Lapsed("billing", False, date(2026, 3, 31)),), exceptions=(Role("billing"),))
    assert expired_exception(account(roles=("billing",)), renewed) is None


def test_an_expired_privileged_exception_is_found_for_privileged_access() -> None:
    expired = holder(lapsed=(Lapsed("admin", True, date(2026, 6, 1)),))
    found = expired_exception(account(privileged=True), expired)
    assert found == "The exception for privileged access expired on 2026-06-01; the account still holds it."


# ---- privileged without MFA and shared without owner -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mfa", "expected"),
    [
        (False, "Privileged account with MFA off."),
        (None, "Privileged account; the list does not say whether MFA is on."),
        (True, None),
    ],
)
def test_privileged_accounts_need_mfa(mfa: bool | None, expected: str | None) -> None:
    assert privileged_no_mfa(account(privileged=True, mfa_enabled=mfa)) == expected


def test_an_ordinary_account_without_mfa_is_not_this_finding() -> None:
    assert privileged_no_mfa(account(mfa_enabled=False)) is None


def test_a_shared_account_needs_an_owner() -> None:
    assert shared_no_owner(account(classification=Classification.SHARED)) == (
        "Shared account with no owner: nobody on the roster answers for its use."
    )
    assert shared_no_owner(account(classification=Classification.SHARED, has_owner=True)) is None
    assert shared_no_owner(account(classification=Classification.SERVICE)) is None


# ---- all together ------------------------------------------------------------------------------------------------


def test_an_account_in_order_raises_nothing() -> None:
    assert account_findings(account(), holder(), review()) == []


def test_every_finding_of_a_bad_account_in_a_fixed_order() -> None:
    bad = account(
        roles=("clinician", "billing"),
        privileged=True,
        mfa_enabled=False,
        last_login_on=REVIEW_DAY - timedelta(days=200),
    )
    ended = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    who = holder(terminated_at=ended, lapsed=(Lapsed("billing", False, date(2026, 6, 1)),))
    assert kinds(account_findings(bad, who, review())) == [
        Kind.TERMINATED_ACTIVE,
        Kind.INACTIVE,
        Kind.BEYOND_PROFILE,
        Kind.EXPIRED_EXCEPTION,
        Kind.PRIVILEGED_NO_MFA,
    ]


@pytest.mark.parametrize(
    "facts",
    [
        {"classification": Classification.ORPHAN},
        {"classification": Classification.PENDING},
        {"classification": Classification.SHARED},
        {"last_login_on": date(2020, 1, 1)},
        {"last_login_on": None, "created_on": None},
        {"roles": ("billing",), "privileged": True, "mfa_enabled": False},
    ],
)
@pytest.mark.parametrize("status", ["disabled", "locked"])
def test_a_disabled_account_raises_nothing(facts: dict[str, object], status: str) -> None:
    enabled = account(**facts)
    ended = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    who = holder(terminated_at=ended, lapsed=(Lapsed("billing", False, date(2026, 1, 1)),))
    assert account_findings(enabled, who, review()) != []  # the same account, enabled, is found wanting
    assert account_findings(replace(enabled, enabled=False), who, review()) == []


def test_a_very_long_detail_is_cut_to_the_field() -> None:
    many = account(roles=tuple(f"role-number-{n}" for n in range(60)))
    [(kind, detail)] = account_findings(many, holder(), review())
    assert kind == Kind.BEYOND_PROFILE and len(detail) == 500
