"""Deciding about an account: confirming or rejecting a name match, assigning a person by hand, classifying a
service or shared account with its owner. The decision is audited, corrects the system's latest snapshot at once
and decides every later list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeguard.access.models import Account, AccountDesignation, Classification, MatchMethod, System
from safeguard.access.services.designations import (
    account_confirm,
    account_designate,
    account_reject,
    designation_set,
    find_person,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_accounts_support import TAKEN_AT, commit, ehr, lines


@pytest.fixture
def dana(cast: Cast) -> Person:
    return make.person(cast.org, "E-1", name="Dana Reyes")


def pending(system: System, person: Person, username: str = "reyesd") -> Account:
    snapshot = make.snapshot(
        system,
        [{"username": username, "person": person, "match_method": MatchMethod.NAME, "classification": "pending"}],
        taken_at=TAKEN_AT - timedelta(days=1),
    )
    return snapshot.accounts.get()


def test_confirming_a_name_match_makes_it_the_persons_account_in_every_later_list(cast: Cast, dana: Person) -> None:
    system = ehr(cast)
    account = pending(system, dana)

    account_confirm(organization=cast.org, actor=Actor(user=cast.owner), account=account)

    account.refresh_from_db()
    assert (account.classification, account.person, account.match_method) == ("person", dana, MatchMethod.MANUAL)
    designation = AccountDesignation.objects.get()
    assert (designation.username_key, designation.person, designation.decided_by) == ("reyesd", dana, cast.owner)
    event = AuditEvent.objects.get(action="access.designation.confirmed")
    assert event.changes["classification"] == [None, "person"]
    assert event.changes["accounts_updated"] == [None, 1]

    commit(cast, lines("ReyesD,,,Dana Reyes", header="username,email,employee_id,display_name"))

    newest = Account.objects.get(username="ReyesD")
    assert (newest.classification, newest.person, newest.match_method) == ("person", dana, MatchMethod.MANUAL)


def test_rejecting_a_name_match_classifies_the_account_as_unmatched(cast: Cast, dana: Person) -> None:
    system = ehr(cast)
    orphan = pending(system, dana)
    shared = pending(ehr(cast, "Lab system"), dana, username="lab2")

    account_reject(organization=cast.org, actor=Actor(user=cast.owner), account=orphan)
    account_reject(organization=cast.org, actor=Actor(user=cast.owner), account=shared)

    orphan.refresh_from_db()
    shared.refresh_from_db()
    assert (orphan.classification, orphan.person) == (Classification.ORPHAN, None)
    assert (shared.classification, shared.person) == (Classification.SHARED, None)
    assert AuditEvent.objects.filter(action="access.designation.rejected").count() == 2


def test_only_a_pending_account_can_be_confirmed(cast: Cast, dana: Person) -> None:
    snapshot = make.snapshot(ehr(cast), [{"username": "dreyes", "person": dana}])

    with pytest.raises(ServiceError, match="dreyes is not waiting for a name match to be confirmed."):
        account_confirm(organization=cast.org, actor=Actor(user=cast.owner), account=snapshot.accounts.get())
    assert not AccountDesignation.objects.exists()


def test_classifying_a_shared_account_with_an_owner_updates_only_the_latest_snapshot(cast: Cast, dana: Person) -> None:
    system = ehr(cast)
    old = make.snapshot(system, [{"username": "FrontDesk"}]).accounts.get()
    current = make.snapshot(system, [{"username": "frontdesk"}]).accounts.get()

    account_designate(
        organization=cast.org,
        actor=Actor(user=cast.official),
        account=old,
        classification=Classification.SHARED,
        owner=dana,
        note="Reception's login; Dana answers for it.",
    )

    current.refresh_from_db()
    old.refresh_from_db()
    assert (current.classification, current.owner) == (Classification.SHARED, dana)
    assert (old.classification, old.owner) == (Classification.ORPHAN, None)
    event = AuditEvent.objects.get(action="access.designation.set")
    assert event.changes["owner"] == [None, str(dana.public_id)]


def test_a_second_decision_replaces_the_first(cast: Cast, dana: Person) -> None:
    system = ehr(cast)
    account = make.snapshot(system, [{"username": "x1"}]).accounts.get()
    actor = Actor(user=cast.owner)
    account_designate(organization=cast.org, actor=actor, account=account, classification="service")

    account_designate(organization=cast.org, actor=actor, account=account, classification="person", person=dana)

    designation = AccountDesignation.objects.get()
    assert (designation.classification, designation.person) == ("person", dana)
    event = AuditEvent.objects.filter(action="access.designation.set").latest("sequence")
    assert event.changes["classification"] == ["service", "person"]


@pytest.mark.parametrize(
    ("classification", "with_person", "with_owner", "field", "message"),
    [
        ("pending", False, False, "classification", "Choose one of person, service, shared, orphan."),
        ("person", False, False, "person", "Name the person the account belongs to."),
        ("shared", True, False, "person", "Only a person's account names a person"),
        ("orphan", False, True, "owner", "Only a service or shared account has an owner."),
    ],
)
def test_inconsistent_decisions_are_refused(
    cast: Cast, dana: Person, classification: str, with_person: bool, with_owner: bool, field: str, message: str
) -> None:
    account = make.snapshot(ehr(cast), [{"username": "x1"}]).accounts.get()

    with pytest.raises(ServiceError) as refused:
        account_designate(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            account=account,
            classification=classification,
            person=dana if with_person else None,
            owner=dana if with_owner else None,
        )

    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    assert not AccountDesignation.objects.exists()


def test_a_person_of_another_organization_is_refused(cast: Cast) -> None:
    stranger = make.person(cast.other_org, "X-1", name="Stranger Danger")
    account = make.snapshot(ehr(cast), [{"username": "x1"}]).accounts.get()

    with pytest.raises(ServiceError, match="No such person on the roster."):
        account_designate(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            account=account,
            classification="person",
            person=stranger,
        )


def test_a_system_of_another_organization_is_refused(cast: Cast, dana: Person) -> None:
    theirs = make.system(cast.other_org, "Theirs")

    with pytest.raises(ServiceError, match="No such system."):
        designation_set(
            organization=cast.org, actor=Actor(user=cast.owner), system=theirs, username="x", classification="orphan"
        )


def test_people_are_found_by_public_id_employee_id_or_unique_email(cast: Cast, dana: Person) -> None:
    make.person(cast.org, "E-2", name="Twin One", email="twins@clinic.test")
    make.person(cast.org, "E-3", name="Twin Two", email="twins@clinic.test")

    assert find_person(cast.org, str(dana.public_id)) == dana
    assert find_person(cast.org, "e-1") == dana
    assert find_person(cast.org, "E-1@CLINIC.TEST") == dana
    with pytest.raises(ServiceError, match="Nobody on the roster has the id or email 'twins@clinic.test'."):
        find_person(cast.org, "twins@clinic.test")
    with pytest.raises(ServiceError) as refused:
        find_person(cast.other_org, "E-1", field="owner")
    assert refused.value.field == "owner"
