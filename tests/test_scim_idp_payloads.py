"""The payloads Microsoft Entra ID and Okta actually send, written out by hand as their documentation shows them:
extra attributes we do not keep, capitalised operations, booleans as strings, the manager as a bare id, the work
email addressed through a filter, PATCH without a path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler

from safeguard.workforce.models import Person, Workflow
from tests.conftest import Cast
from tests.test_scim_support import CORE, ENTERPRISE, PATCH_OP, in_process_django, make_token, person, raw

ENTRA_USER = {
    "schemas": [CORE, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User@clinic.example",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User@clinic.example"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
    "displayName": "Test User",
    "phoneNumbers": [{"type": "work", "value": "555-0100"}],
    "roles": [],
    ENTERPRISE: {"employeeNumber": "701", "department": "Radiology"},
}
OKTA_USER = {
    "schemas": [CORE],
    "userName": "test.user@clinic.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@clinic.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


@pytest.fixture
def secret(cast: Cast) -> str:
    return make_token(cast.org, cast.owner, name="Entra ID")[1]


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def provision(app: WSGIHandler, secret: str, body: dict[str, Any]) -> dict[str, Any]:
    response = raw(app, "POST", "/Users", secret=secret, body=body)
    assert response.status_code == 201, response.content
    created: dict[str, Any] = response.json()
    return created


def test_entra_creates_and_what_we_do_not_keep_is_left_out(wsgi_app: WSGIHandler, secret: str) -> None:
    created = provision(wsgi_app, secret, ENTRA_USER)

    test = person("test_user@clinic.example")
    assert (test.given_name, test.family_name, test.employee_id, test.department) == (
        "Test",
        "User",
        "701",
        "Radiology",
    )
    assert "displayName" not in created and "phoneNumbers" not in created
    assert created["emails"] == [{"value": "Test_User@clinic.example", "type": "work"}]


def test_okta_creates_with_a_local_domain_and_no_employee_number(wsgi_app: WSGIHandler, secret: str) -> None:
    created = provision(wsgi_app, secret, OKTA_USER)

    test = person("test.user@clinic.local")
    assert (test.email, test.employee_id) == ("test.user@clinic.local", "00ujl29u0le5T6Aj10h7")
    assert created[ENTERPRISE]["employeeNumber"] == "00ujl29u0le5T6Aj10h7"
    assert "password" not in created


def test_without_employee_number_or_usable_external_id_an_id_is_made_up(
    wsgi_app: WSGIHandler,
    secret: str,
) -> None:
    created = provision(wsgi_app, secret, {"schemas": [CORE], "userName": "nobody", "externalId": "x" * 80})

    assert created[ENTERPRISE]["employeeNumber"].startswith("scim-")
    assert person("nobody").employee_id == created[ENTERPRISE]["employeeNumber"]


def test_entra_matches_users_by_user_name_and_external_id(wsgi_app: WSGIHandler, secret: str) -> None:
    created = provision(wsgi_app, secret, ENTRA_USER)

    by_name = raw(wsgi_app, "GET", '/Users?filter=userName eq "test_user@clinic.example"', secret=secret).json()
    by_external = raw(
        wsgi_app, "GET", '/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', secret=secret
    ).json()
    wrong_case = raw(
        wsgi_app, "GET", '/Users?filter=externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"', secret=secret
    ).json()

    assert [user["id"] for user in by_name["Resources"]] == [created["id"]]
    assert [user["id"] for user in by_external["Resources"]] == [created["id"]]
    assert wrong_case["totalResults"] == 0  # externalId is caseExact


def test_entra_disables_with_a_capitalised_replace_and_a_string_boolean(
    wsgi_app: WSGIHandler,
    secret: str,
) -> None:
    created = provision(wsgi_app, secret, ENTRA_USER)

    response = raw(
        wsgi_app,
        "PATCH",
        f"/Users/{created['id']}",
        secret=secret,
        body=patch({"op": "Replace", "path": "active", "value": "False"}),
    )

    assert response.status_code == 204
    test = person("test_user@clinic.example")
    assert test.status == Person.Status.TERMINATED
    leaver = Workflow.objects.get(person=test, kind=Workflow.Kind.LEAVER)
    assert leaver.trigger == "SCIM (Entra ID)"


def test_entra_updates_the_work_email_through_a_filter_and_the_name(
    wsgi_app: WSGIHandler,
    secret: str,
) -> None:
    created = provision(wsgi_app, secret, {**ENTRA_USER, "emails": []})

    response = raw(
        wsgi_app,
        "PATCH",
        f"/Users/{created['id']}",
        secret=secret,
        body=patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@clinic.example"},
            {"op": "Replace", "path": "name.familyName", "value": "Renamed"},
            {"op": "Replace", "path": "displayName", "value": "Not kept"},
        ),
    )

    assert response.status_code == 204
    test = person("test_user@clinic.example")
    assert (test.email, test.family_name) == ("new@clinic.example", "Renamed")


@pytest.mark.parametrize("value", ["{id}", {"value": "{id}"}])
def test_entra_sets_and_removes_the_manager(wsgi_app: WSGIHandler, secret: str, value: Any) -> None:
    boss = provision(wsgi_app, secret, {"schemas": [CORE], "userName": "boss"})
    created = provision(wsgi_app, secret, ENTRA_USER)
    manager = f"{ENTERPRISE}:manager"
    given = value.format(id=boss["id"]) if isinstance(value, str) else {"value": boss["id"]}

    raw(
        wsgi_app,
        "PATCH",
        f"/Users/{created['id']}",
        secret=secret,
        body=patch({"op": "Add", "path": manager, "value": given}),
    )

    test = person("test_user@clinic.example")
    assert test.manager == person("boss")
    fetched = raw(wsgi_app, "GET", f"/Users/{created['id']}", secret=secret).json()
    assert fetched[ENTERPRISE]["manager"] == {
        "value": boss["id"],
        "$ref": f"http://testserver/scim/v2/clinic/Users/{boss['id']}",
    }
    assert Workflow.objects.filter(person=test, kind=Workflow.Kind.MOVER).exists()

    raw(wsgi_app, "PATCH", f"/Users/{created['id']}", secret=secret, body=patch({"op": "Remove", "path": manager}))

    test.refresh_from_db()
    assert test.manager is None


def test_okta_deactivates_with_a_patch_without_path_and_replaces_with_put(
    wsgi_app: WSGIHandler,
    secret: str,
) -> None:
    created = provision(wsgi_app, secret, OKTA_USER)

    raw(
        wsgi_app,
        "PATCH",
        f"/Users/{created['id']}",
        secret=secret,
        body=patch({"op": "replace", "value": {"active": False}}),
    )
    assert person("test.user@clinic.local").status == Person.Status.TERMINATED

    replaced = raw(
        wsgi_app, "PUT", f"/Users/{created['id']}", secret=secret, body={**OKTA_USER, "active": True, "title": "Nurse"}
    )

    assert replaced.status_code == 200 and replaced.json()["active"] is True
    test = person("test.user@clinic.local")
    assert (test.status, test.job_role, test.termination_at) == (Person.Status.ACTIVE, "Nurse", None)


def test_a_put_without_active_keeps_the_person_as_they_are(wsgi_app: WSGIHandler, secret: str) -> None:
    created = provision(wsgi_app, secret, OKTA_USER)
    body = {key: value for key, value in OKTA_USER.items() if key != "active"}

    raw(wsgi_app, "PUT", f"/Users/{created['id']}", secret=secret, body=body)

    assert person("test.user@clinic.local").status == Person.Status.ACTIVE


def test_a_patch_removing_active_deactivates(wsgi_app: WSGIHandler, secret: str) -> None:
    created = provision(wsgi_app, secret, OKTA_USER)

    response = raw(
        wsgi_app, "PATCH", f"/Users/{created['id']}", secret=secret, body=patch({"op": "remove", "path": "active"})
    )

    assert response.status_code == 204
    assert person("test.user@clinic.local").status == Person.Status.TERMINATED


@pytest.mark.parametrize(
    ("given", "stored"), [("Intern", "trainee"), ("temp", "contractor"), ("VOLUNTEER", "volunteer")]
)
def test_user_types_map_to_worker_types(wsgi_app: WSGIHandler, secret: str, given: str, stored: str) -> None:
    created = provision(wsgi_app, secret, {**OKTA_USER, "userType": given})

    assert person("test.user@clinic.local").worker_type == stored
    assert created["userType"] == stored.title()
