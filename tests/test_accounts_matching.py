"""Matching accounts to people, as plain functions: the order (designation, account type, employee id, email,
name), name-only matches waiting for confirmation, ambiguity, and how unmatched accounts are classified."""

from __future__ import annotations

from typing import Any

import pytest

from safeguard.access.matching import (
    Designated,
    Match,
    PeopleIndex,
    looks_like_service,
    looks_like_shared,
    match_account,
    normalize_name,
    parse_account_type,
)
from safeguard.access.models import Classification, MatchMethod

DANA, SAM, ALEX, ALEX_TWIN = 1, 2, 3, 4
ROSTER = [
    (DANA, "E-1", "dreyes@clinic.test", "Dana", "Reyes"),
    (SAM, "E-2", "sam@clinic.test", "Sam", "O'Neil"),
    (ALEX, "E-3", "shared@clinic.test", "Alex", "Kim"),
    (ALEX_TWIN, "E-4", "shared@clinic.test", "Alex", "Kim"),
]


def match(designations: dict[str, Designated] | None = None, **row: Any) -> Match:
    values = {"username": "someone", "email": "", "employee_id": "", "display_name": "", "account_type": "", **row}
    return match_account(people=PeopleIndex(ROSTER), designations=designations or {}, **values)


# ---- the order ------------------------------------------------------------------------------------------------


def test_employee_id_wins_over_email_and_name() -> None:
    found = match(employee_id="e-1", email="sam@clinic.test", display_name="Sam O'Neil")
    assert found == Match(Classification.PERSON, MatchMethod.EMPLOYEE_ID, DANA)


def test_an_unknown_employee_id_falls_through_to_email() -> None:
    found = match(employee_id="E-404", email="SAM@Clinic.Test")
    assert found == Match(Classification.PERSON, MatchMethod.EMAIL, SAM)


def test_email_wins_over_name() -> None:
    assert match(email="dreyes@clinic.test", display_name="Sam O'Neil").person_id == DANA


def test_a_username_that_is_an_email_matches_when_the_list_has_no_email() -> None:
    assert match(username="DReyes@clinic.test") == Match(Classification.PERSON, MatchMethod.EMAIL, DANA)


def test_a_name_only_match_waits_for_confirmation() -> None:
    found = match(username="reyesd", display_name="Reyes, Dana M.")
    assert found == Match(Classification.PENDING, MatchMethod.NAME, DANA)


def test_a_designation_wins_over_every_match() -> None:
    designations = {"dreyes": Designated(Classification.PERSON, person_id=SAM)}
    found = match(designations, username="DReyes", employee_id="E-1")
    assert found == Match(Classification.PERSON, MatchMethod.MANUAL, SAM)


def test_a_designation_as_shared_keeps_its_owner() -> None:
    designations = {"frontdesk": Designated(Classification.SHARED, owner_id=DANA)}
    assert match(designations, username="frontdesk") == Match(Classification.SHARED, MatchMethod.NONE, None, DANA)


def test_a_designation_as_orphan_overrides_a_matching_employee_id() -> None:
    designations = {"old": Designated(Classification.ORPHAN)}
    assert match(designations, username="old", employee_id="E-1") == Match(Classification.ORPHAN)


def test_an_explicit_service_type_makes_the_matched_person_its_owner() -> None:
    found = match(username="ehr-sync", email="dreyes@clinic.test", account_type="service")
    assert found == Match(Classification.SERVICE, MatchMethod.NONE, None, DANA)


def test_an_explicit_user_type_is_an_orphan_even_with_a_service_like_name() -> None:
    assert match(username="svc_backup", account_type="user").classification == Classification.ORPHAN


# ---- ambiguity ------------------------------------------------------------------------------------------------


def test_a_name_two_people_share_matches_nobody() -> None:
    assert match(username="akim", display_name="Alex Kim") == Match(Classification.ORPHAN)


def test_an_email_two_people_share_matches_nobody() -> None:
    assert match(username="akim", email="shared@clinic.test").classification == Classification.ORPHAN


def test_an_ambiguous_email_still_lets_a_unique_employee_id_match() -> None:
    assert match(employee_id="E-4", email="shared@clinic.test").person_id == ALEX_TWIN


def test_a_single_word_name_matches_nobody() -> None:
    assert match(username="dana", display_name="Dana").classification == Classification.ORPHAN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dana Reyes", "dana reyes"),
        ("Reyes, Dana", "dana reyes"),
        ("  REYES ,  Dana  Maria ", "dana reyes"),
        ("Sam O'Neil", "sam oneil"),
        ("José Núñez-Ortiz", "jose ortiz"),
        ("Dana", ""),
        ("", ""),
    ],
)
def test_names_are_normalized(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


# ---- unmatched accounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    ["svc_backup", "svcEHR", "EHR-Service", "api-client", "batch.nightly", "hl7", "HL7-interface", "WS01$", "noreply"],
)
def test_service_accounts_are_recognised(username: str) -> None:
    assert looks_like_service(username)
    assert match(username=username).classification == Classification.SERVICE


@pytest.mark.parametrize(
    "username", ["frontdesk", "front.desk", "reception", "nurse1", "station-3", "kiosk", "lab2", "temp", "training"]
)
def test_shared_accounts_are_recognised(username: str) -> None:
    assert looks_like_shared(username)
    assert match(username=username).classification == Classification.SHARED


@pytest.mark.parametrize("username", ["apinto", "jbatchelor", "tess.temple", "mlabrador", "dtest1ng"])
def test_people_whose_names_contain_those_words_are_orphans(username: str) -> None:
    assert match(username=username).classification == Classification.ORPHAN


def test_an_explicit_shared_type_wins_over_the_name() -> None:
    assert match(username="jdoe", account_type="shared").classification == Classification.SHARED


@pytest.mark.parametrize(
    ("text", "expected"),
    [("User", "user"), ("Service Account", "service"), ("generic", "shared"), ("", ""), ("robot", None)],
)
def test_account_types(text: str, expected: str | None) -> None:
    assert parse_account_type(text) == expected
