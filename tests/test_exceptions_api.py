"""Access exceptions over the API: list with filters, request, read, approve, reject, revoke; who may do each,
isolation, the error envelope, audit events and flat query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.access.models import AccessException
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, error_of
from tests.test_profiles_support import TODAY, Team, events, requested, team, who

BASE = "/api/v1/orgs/clinic/exceptions/"
Status = AccessException.Status


@pytest.fixture
def crew(cast: Cast) -> Team:
    return team(cast)


def client(cast: Cast, crew: Team, name: str) -> object:
    return api_client(None if name == "anonymous" else who(cast, crew, name))


def detail(exception: AccessException) -> str:
    return f"{BASE}{exception.public_id}/"


def body(crew: Team, **values: object) -> dict[str, object]:
    return {
        "person_id": str(crew.dana.public_id),
        "system_id": str(crew.ehr.public_id),
        "role": "billing",
        "justification": "Month-end close.",
        "expires_on": (TODAY + timedelta(days=10)).isoformat(),
        **values,
    }


READERS = [
    ("owner", 200),
    ("maria", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
    ("anonymous", 401),
]


@pytest.mark.parametrize(("name", "expected"), READERS)
def test_list_and_detail_matrix(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = requested(cast, crew)
    make.exception(
        cast.other_org,
        make.person(cast.other_org, "X-1"),
        make.system(cast.other_org, "T"),
        "x",
        approver=cast.outsider,
        expires_on=TODAY,
    )
    caller = client(cast, crew, name)

    listed = caller.get(BASE)  # type: ignore[attr-defined]
    one = caller.get(detail(exception))  # type: ignore[attr-defined]

    assert (listed.status_code, one.status_code) == (expected, expected)
    if expected == 200:
        assert [row["public_id"] for row in listed.json()["results"]] == [str(exception.public_id)]
        assert one.json()["person"]["employee_id"] == "E-200"
        assert one.json()["expired"] is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("maria", 201),
        ("reviewer", 201),
        ("privacy", 201),
        ("auditor", 403),
        ("workforce", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_request_matrix(cast: Cast, crew: Team, name: str, expected: int) -> None:
    before = audit_count()

    response = client(cast, crew, name).post(BASE, body(crew), format="json")  # type: ignore[attr-defined]

    assert response.status_code == expected
    if expected == 201:
        assert response.json()["status"] == "requested"
        assert response.json()["requested_by"]["email"] == who(cast, crew, name).email
        assert events("access.exception.requested")[0].object_id == response.json()["public_id"]
    else:
        assert not AccessException.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"expires_on": (TODAY + timedelta(days=366)).isoformat()},
            "expires_on",
            f"An exception may last at most 365 days: pick a date on or before {TODAY + timedelta(days=365):%Y-%m-%d}"
            ", and request a new one when it runs out.",
        ),
        ({"expires_on": TODAY.isoformat()}, "expires_on", f"An exception must expire after today ({TODAY:%Y-%m-%d})."),
        ({"justification": " "}, "justification", "This field may not be blank."),
        ({"role": "*"}, "role", "Name one role: “*” (any role) belongs in a role profile, not in an exception."),
    ],
)
def test_bad_requests_name_the_field(
    cast: Cast, crew: Team, values: dict[str, object], field: str, message: str
) -> None:
    response = api_client(cast.owner).post(BASE, body(crew, **values), format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: [message]}


def test_a_person_or_system_of_another_organization_is_a_bad_input(cast: Cast, crew: Team) -> None:
    stranger = make.person(cast.other_org, "X-1")
    theirs = make.system(cast.other_org, "Theirs")
    caller = api_client(cast.owner)

    person = caller.post(BASE, body(crew, person_id=str(stranger.public_id)), format="json")
    system = caller.post(BASE, body(crew, system_id=str(theirs.public_id)), format="json")

    assert error_of(person)["fields"] == {"person_id": ["No such person in this organization."]}
    assert error_of(system)["fields"] == {"system_id": ["No such system in this organization."]}


def test_another_organizations_exception_is_not_found(cast: Cast, crew: Team) -> None:
    theirs = make.exception(
        cast.other_org,
        make.person(cast.other_org, "X-1"),
        make.system(cast.other_org, "T"),
        "x",
        approver=cast.outsider,
        expires_on=TODAY + timedelta(days=3),
        status=Status.REQUESTED,
    )
    caller = api_client(cast.owner)

    for path in ("", "approve/", "reject/", "revoke/"):
        response = caller.get(detail(theirs)) if not path else caller.post(f"{detail(theirs)}{path}", {"note": "x"})
        assert response.status_code == 404, path
    theirs.refresh_from_db()
    assert theirs.status == Status.REQUESTED


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("maria", 200),
        ("official", 200),
        ("omar", 403),
        ("reviewer", 403),
        ("privacy", 403),
        ("auditor", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_approve_matrix(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = requested(cast, crew, by=cast.owner)
    before = audit_count()

    response = client(cast, crew, name).post(f"{detail(exception)}approve/", {"note": "ok"}, format="json")  # type: ignore[attr-defined]

    assert response.status_code == expected
    exception.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == "approved"
        assert response.json()["approver"]["email"] == who(cast, crew, name).email
        assert len(events("access.exception.approved")) == 1
    else:
        assert exception.status == Status.REQUESTED
        assert audit_count() == before


def test_the_requester_is_refused_with_the_reason(cast: Cast, crew: Team) -> None:
    exception = requested(cast, crew, by=cast.official)

    response = api_client(cast.official).post(f"{detail(exception)}approve/", {}, format="json")

    assert response.status_code == 403
    assert error_of(response)["message"].startswith("You requested this exception")


def test_approving_twice_is_a_bad_request(cast: Cast, crew: Team) -> None:
    exception = requested(cast, crew, by=cast.owner)
    caller = api_client(crew.maria)
    caller.post(f"{detail(exception)}approve/", {}, format="json")

    again = caller.post(f"{detail(exception)}approve/", {}, format="json")

    assert again.status_code == 400
    assert error_of(again)["message"] == "This exception is already approved: nothing to decide."


@pytest.mark.parametrize(("name", "expected"), [("maria", 200), ("official", 200), ("omar", 403), ("auditor", 403)])
def test_reject_matrix(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = requested(cast, crew, by=cast.owner)

    response = client(cast, crew, name).post(f"{detail(exception)}reject/", {"note": "No."}, format="json")  # type: ignore[attr-defined]

    assert response.status_code == expected
    exception.refresh_from_db()
    assert (exception.status == Status.REJECTED) is (expected == 200)


def test_reject_needs_a_note(cast: Cast, crew: Team) -> None:
    exception = requested(cast, crew, by=cast.owner)
    response = api_client(crew.maria).post(f"{detail(exception)}reject/", {}, format="json")
    assert list(error_of(response)["fields"]) == ["note"]


@pytest.mark.parametrize(
    ("name", "expected"), [("owner", 200), ("privacy", 200), ("maria", 403), ("auditor", 403), ("anonymous", 401)]
)
def test_revoke_matrix(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = make.exception(cast.org, crew.dana, crew.ehr, "billing", approver=crew.maria, expires_on=TODAY)
    before = audit_count()

    response = client(cast, crew, name).post(f"{detail(exception)}revoke/", {"note": "Gone."}, format="json")  # type: ignore[attr-defined]

    assert response.status_code == expected
    exception.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == "revoked"
        assert events("access.exception.revoked")[0].changes["status"] == ["approved", "revoked"]
    else:
        assert exception.status == Status.APPROVED
        assert audit_count() == before


def test_list_filters(cast: Cast, crew: Team) -> None:
    lab = make.system(cast.org, "Lab")
    pending = requested(cast, crew, by=cast.owner)
    current = make.exception(cast.org, crew.dana, lab, "results", approver=crew.maria, expires_on=TODAY)
    lapsed = make.exception(cast.org, crew.sam, crew.ehr, "old", approver=crew.omar, expires_on=TODAY - timedelta(1))
    caller = api_client(cast.owner)

    def shown(**query: str) -> set[str]:
        response = caller.get(BASE, query)
        assert response.status_code == 200, response.json()
        return {row["public_id"] for row in response.json()["results"]}

    ids = {e.pk: str(e.public_id) for e in (pending, current, lapsed)}
    assert shown() == set(ids.values())
    assert shown(expired="true") == {ids[lapsed.pk]}
    assert shown(expired="false") == {ids[pending.pk], ids[current.pk]}
    assert shown(status="requested") == {ids[pending.pk]}
    assert shown(system_id=str(lab.public_id)) == {ids[current.pk]}
    assert shown(person_id=str(crew.sam.public_id)) == {ids[lapsed.pk]}
    assert caller.get(BASE, {"status": "bogus"}).status_code == 400
    assert caller.get(BASE, {"expired": "true"}).json()["results"][0]["expired"] is True


def test_list_query_count_does_not_grow_with_rows(cast: Cast, crew: Team) -> None:
    caller = api_client(cast.owner)

    def add(start: int, end: int) -> None:
        for n in range(start, end):
            person = make.person(cast.org, f"P-{n}")
            system = make.system(cast.org, f"S-{n}")
            make.exception(cast.org, person, system, "r", approver=[crew.maria, crew.omar][n % 2], expires_on=TODAY)

    add(0, 3)
    with CaptureQueriesContext(connection) as few:
        assert len(caller.get(BASE).json()["results"]) == 3
    add(3, 30)
    with CaptureQueriesContext(connection) as many:
        assert len(caller.get(BASE).json()["results"]) == 30

    assert len(many) == len(few)
