"""Account pages over HTTP: a snapshot's accounts with filters, one account and the decision about it, the queue of
name matches to confirm, and a person's accounts across systems; who may do what; flat queries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.access.models import Account, AccountDesignation, AccountSnapshot, Classification, MatchMethod, System
from safeguard.core.models import AuditEvent
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests.conftest import Cast, client_for
from tests.test_accounts_support import ehr
from tests.test_systems_views import READERS, WRITERS, url, user_of


@pytest.fixture
def dana(cast: Cast) -> Person:
    return make.person(cast.org, "E-1", name="Dana Reyes")


def name_match(system: System, person: Person, username: str = "reyesd") -> Account:
    values = {"username": username, "person": person, "match_method": MatchMethod.NAME, "classification": "pending"}
    return make.snapshot(system, [values]).accounts.get()


def accounts(system: System, count: int, start: int = 0) -> AccountSnapshot:
    people = [make.person(system.organization, f"P-{start + n}") for n in range(count)]
    return make.snapshot(system, [{"username": f"user{start + n}", "person": people[n]} for n in range(count)])


# ---- who may reach what -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_program_viewers_read_the_account_pages(cast: Cast, dana: Person, who: str, expected: int) -> None:
    account = name_match(ehr(cast), dana)
    client = client_for(user_of(cast, who))

    pages = [
        url("snapshot_detail", account.snapshot.public_id),
        url("account_detail", account.public_id),
        url("account_pending"),
        url("person_accounts", dana.public_id),
    ]

    assert {client.get(page).status_code for page in pages} == {expected}


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_only_program_managers_decide_about_accounts(cast: Cast, dana: Person, who: str, expected: int) -> None:
    account = name_match(ehr(cast), dana)
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    designated = client.post(url("account_designate", account.public_id), {"classification": "orphan"})
    confirmed = client.post(url("account_confirm", account.public_id))
    rejected = client.post(url("account_reject", account.public_id))

    if expected == 200:
        assert designated.status_code == 302
        assert AccountDesignation.objects.exists()
        return
    assert (designated.status_code, confirmed.status_code, rejected.status_code) == (expected, expected, expected)
    assert not AccountDesignation.objects.exists()
    account.refresh_from_db()
    assert account.classification == Classification.PENDING
    assert AuditEvent.objects.count() == before


def test_another_organizations_records_are_not_found(cast: Cast) -> None:
    theirs = make.person(cast.other_org, "X-1")
    account = name_match(make.system(cast.other_org, "Theirs"), theirs)
    client = client_for(cast.owner)

    found = [
        client.get(url("snapshot_detail", account.snapshot.public_id)).status_code,
        client.get(url("account_detail", account.public_id)).status_code,
        client.get(url("person_accounts", theirs.public_id)).status_code,
        client.post(url("account_confirm", account.public_id)).status_code,
        client.post(url("account_designate", account.public_id), {"classification": "orphan"}).status_code,
    ]

    assert found == [404] * 5
    assert not AccountDesignation.objects.exists()


def test_the_queue_never_lists_another_organizations_accounts(cast: Cast, dana: Person) -> None:
    name_match(make.system(cast.other_org, "Theirs"), make.person(cast.other_org, "X-1"), username="theirs")
    name_match(ehr(cast), dana)

    page = client_for(cast.owner).get(url("account_pending")).content.decode()

    assert "reyesd" in page and "theirs" not in page


# ---- the snapshot page ----------------------------------------------------------------------------------------------


def test_the_snapshot_filters_accounts(cast: Cast, dana: Person) -> None:
    snapshot = make.snapshot(
        ehr(cast),
        [
            {"username": "dreyes", "person": dana, "display_name": "Dana Reyes"},
            {"username": "admin1", "privileged": True, "mfa_enabled": False},
            {"username": "old", "status": "disabled", "mfa_enabled": False},
            {"username": "svc_x", "classification": "service", "mfa_enabled": None},
        ],
    )
    client = client_for(cast.owner)

    def shown(**filters: str) -> list[str]:
        response = client.get(url("snapshot_detail", snapshot.public_id), filters)
        return [account.username for account in response.context["page"].object_list]

    assert shown() == ["admin1", "dreyes", "old", "svc_x"]
    assert shown(classification="orphan") == ["admin1", "old"]
    assert shown(status="disabled") == ["old"]
    assert shown(privileged="yes") == ["admin1"]
    assert shown(no_mfa="on") == ["admin1", "svc_x"]
    assert shown(q="reyes") == ["dreyes"]


def test_the_snapshot_page_takes_the_same_queries_for_3_or_30_accounts(cast: Cast) -> None:
    client = client_for(cast.owner)
    counts = []
    for count, start in ((3, 0), (30, 100)):
        snapshot = accounts(ehr(cast, f"EHR {start}"), count, start)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("snapshot_detail", snapshot.public_id)).status_code == 200
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1]


# ---- one account ----------------------------------------------------------------------------------------------------


def test_designating_by_hand_from_the_account_page(cast: Cast, dana: Person) -> None:
    account = make.snapshot(ehr(cast), [{"username": "frontdesk"}]).accounts.get()

    response = client_for(cast.official).post(
        url("account_designate", account.public_id), {"classification": "shared", "owner": "E-1", "note": "Reception"}
    )

    assert response["Location"] == url("account_detail", account.public_id)
    account.refresh_from_db()
    assert (account.classification, account.owner) == (Classification.SHARED, dana)
    page = client_for(cast.official).get(response["Location"]).content.decode()
    assert "decided by so@clinic.test" in page


def test_an_unknown_person_is_shown_on_the_form(cast: Cast) -> None:
    account = make.snapshot(ehr(cast), [{"username": "x1"}]).accounts.get()

    response = client_for(cast.owner).post(
        url("account_designate", account.public_id), {"classification": "person", "person": "E-404"}
    )

    assert response.status_code == 200
    assert "Nobody on the roster has the id or email &#x27;E-404&#x27;." in response.content.decode()
    assert not AccountDesignation.objects.exists()


def test_confirming_from_the_queue(cast: Cast, dana: Person) -> None:
    account = name_match(ehr(cast), dana)

    response = client_for(cast.owner).post(url("account_confirm", account.public_id))

    assert response["Location"] == url("account_pending")
    account.refresh_from_db()
    assert (account.classification, account.person) == (Classification.PERSON, dana)


def test_rejecting_from_the_account_page_returns_to_it(cast: Cast, dana: Person) -> None:
    account = name_match(ehr(cast), dana)

    response = client_for(cast.owner).post(url("account_reject", account.public_id), {"back": "account"})

    assert response["Location"] == url("account_detail", account.public_id)
    account.refresh_from_db()
    assert (account.classification, account.person) == (Classification.ORPHAN, None)


def test_confirming_an_account_that_is_not_pending_says_why(cast: Cast, dana: Person) -> None:
    account = make.snapshot(ehr(cast), [{"username": "dreyes", "person": dana}]).accounts.get()
    client = client_for(cast.owner)

    response = client.post(url("account_confirm", account.public_id), follow=True)

    assert "dreyes is not waiting for a name match to be confirmed." in response.content.decode()
    assert not AccountDesignation.objects.exists()


# ---- the queue and a person's accounts ------------------------------------------------------------------------------


def _queries(cast: Cast, page: Callable[[], str], make_rows: Callable[[int, int], None]) -> tuple[int, int]:
    client = client_for(cast.owner)
    counts = []
    for count, start in ((3, 0), (30, 100)):
        make_rows(count, start)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page()).status_code == 200
        counts.append(len(queries.captured_queries))
    return counts[0], counts[1]


def test_the_queue_takes_the_same_queries_for_3_or_30_matches(cast: Cast, dana: Person) -> None:
    def rows(count: int, start: int) -> None:
        for n in range(start, start + count):
            name_match(ehr(cast, f"System {n}"), dana)

    small, large = _queries(cast, lambda: url("account_pending"), rows)

    assert small == large


def test_a_persons_accounts_across_systems_take_flat_queries(cast: Cast, dana: Person) -> None:
    def rows(count: int, start: int) -> None:
        for n in range(start, start + count):
            make.snapshot(ehr(cast, f"System {n}"), [{"username": "dreyes", "person": dana}])

    small, large = _queries(cast, lambda: url("person_accounts", dana.public_id), rows)

    assert small == large
    page = client_for(cast.owner).get(url("person_accounts", dana.public_id)).content.decode()
    assert page.count(">dreyes</a>") == 33
