"""The minimum-necessary rule (access/rules.py uncovered()): which of one account's entitlements nothing allows."""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.access.rules import NO_ROLE, PRIVILEGED, split_roles, uncovered


@dataclass
class Allow:
    role: str
    privileged: bool = False


def test_roles_the_grants_name_are_covered() -> None:
    assert uncovered(roles=["Clinician", "Scheduler"], privileged=False, grants=[Allow("clinician")]) == ["scheduler"]


def test_roles_compare_without_case_or_surrounding_space() -> None:
    assert uncovered(roles=["  CLINICIAN "], privileged=False, grants=[Allow(" Clinician ")]) == []


def test_an_account_listing_no_role_is_covered_by_any_grant_on_the_system() -> None:
    assert uncovered(roles=[], privileged=False, grants=[Allow("viewer")]) == []
    assert uncovered(roles=["", "  "], privileged=False, grants=[Allow("viewer")]) == []


def test_an_account_listing_no_role_with_nothing_allowed_is_plain_access() -> None:
    assert uncovered(roles=[], privileged=False, grants=[]) == [NO_ROLE]


def test_star_covers_any_role_of_an_account_that_is_not_privileged() -> None:
    assert uncovered(roles=["anything", "else"], privileged=False, grants=[Allow("*")]) == []


def test_star_does_not_cover_a_privileged_account() -> None:
    assert uncovered(roles=["admin"], privileged=True, grants=[Allow("*")]) == [PRIVILEGED]


def test_a_privileged_account_needs_a_privileged_grant_even_when_its_role_is_named() -> None:
    assert uncovered(roles=["admin"], privileged=True, grants=[Allow("admin")]) == [PRIVILEGED]
    assert uncovered(roles=["admin"], privileged=True, grants=[Allow("admin", privileged=True)]) == []


def test_a_privileged_account_listing_no_role_misses_both() -> None:
    assert uncovered(roles=[], privileged=True, grants=[]) == [NO_ROLE, PRIVILEGED]


def test_a_privileged_grant_on_another_role_still_allows_the_privilege() -> None:
    grants = [Allow("clinician"), Allow("sysadmin", privileged=True)]
    assert uncovered(roles=["clinician"], privileged=True, grants=grants) == []


def test_an_exception_covers_its_one_role_only() -> None:
    missing = uncovered(
        roles=["clinician", "billing", "refunds"],
        privileged=False,
        grants=[Allow("clinician")],
        exceptions=[Allow("Billing")],
    )
    assert missing == ["refunds"]


def test_a_privileged_exception_allows_the_privilege() -> None:
    missing = uncovered(
        roles=["clinician"], privileged=True, grants=[Allow("clinician")], exceptions=[Allow("dba", privileged=True)]
    )
    assert missing == []


def test_an_exception_alone_covers_an_account_listing_no_role() -> None:
    assert uncovered(roles=[], privileged=False, grants=[], exceptions=[Allow("temp")]) == []


def test_split_roles_reads_every_separator_and_drops_duplicates_by_case() -> None:
    assert split_roles("Clinician; billing|Billing\nadmin, ,") == ["Clinician", "billing", "admin"]
