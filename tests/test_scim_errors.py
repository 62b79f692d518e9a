"""Requests that break the schema or a roster rule get a SCIM error (status, scimType, detail) and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler

from safeguard.core.models import AuditEvent
from safeguard.workforce.models import Person
from tests.conftest import Cast
from tests.test_scim_support import CORE, ENTERPRISE, PATCH_OP, in_process_django, make_token, raw

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


@pytest.fixture
def secret(cast: Cast) -> str:
    return make_token(cast.org, cast.owner)[1]


@pytest.fixture
def dana(cast: Cast, wsgi_app: WSGIHandler, secret: str) -> dict[str, Any]:
    body = {"schemas": [CORE], "userName": "dana", ENTERPRISE: {"employeeNumber": "E-1"}}
    created: dict[str, Any] = raw(wsgi_app, "POST", "/Users", secret=secret, body=body).json()
    return created


def user(**values: Any) -> dict[str, Any]:
    return {"schemas": [CORE, ENTERPRISE], "userName": "sam", **values}


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def unchanged() -> tuple[list[tuple[Any, ...]], int]:
    return list(Person.objects.order_by("pk").values_list()), AuditEvent.objects.count()


BAD_CREATIONS = [
    ({"schemas": [CORE]}, 400, "invalidValue", "Field 'userName' is required"),
    (user(userName="   "), 400, "invalidValue", "userName is required."),
    (user(userName="x" * 201), 400, "invalidValue", "userName has at most 200 characters."),
    (user(externalId="x" * 256), 400, "invalidValue", "externalId has at most 255 characters."),
    (user(emails=[{"value": "a" * 250 + "@x.example"}]), 400, "invalidValue", "emails.value has at most 254 char"),
    (user(active="maybe"), 400, "invalidValue", "valid boolean"),
    (user(userType="Robot"), 400, "invalidValue", "userType 'Robot' is not one of Employee, Contractor, Volunteer"),
    (user(emails=[{"value": "nope", "type": "work"}]), 400, "invalidValue", "emails.value: 'nope' is not an email"),
    (user(name={"givenName": "x" * 101}), 400, "invalidValue", "name.givenName: At most 100 characters."),
    (user(**{ENTERPRISE: {"employeeNumber": "x" * 65}}), 400, "invalidValue", "employeeNumber: An employee id has"),
    (user(**{ENTERPRISE: {"manager": {"value": "not-a-person"}}}), 400, "invalidValue", "manager.value 'not-a-"),
    (user(userName="DANA"), 409, "uniqueness", "userName 'DANA' is already taken."),
    (user(**{ENTERPRISE: {"employeeNumber": "E-1"}}), 409, "uniqueness", "employeeNumber 'E-1' belongs to another"),
]


@pytest.mark.parametrize(("body", "status", "scim_type", "detail"), BAD_CREATIONS)
def test_a_bad_creation_is_a_scim_error_and_creates_nobody(
    wsgi_app: WSGIHandler,
    secret: str,
    dana: dict[str, Any],
    body: dict[str, Any],
    status: int,
    scim_type: str,
    detail: str,
) -> None:
    before = unchanged()

    response = raw(wsgi_app, "POST", "/Users", secret=secret, body=body)

    error = response.json()
    assert response.status_code == status and response.headers["Content-Type"] == "application/scim+json"
    assert (error["schemas"], error["status"], error["scimType"]) == ([ERROR], str(status), scim_type)
    assert detail in error["detail"]
    assert unchanged() == before


def test_bad_json_and_a_wrong_media_type(wsgi_app: WSGIHandler, secret: str) -> None:
    broken = raw(wsgi_app, "POST", "/Users", secret=secret, body=b"{not json")
    text = raw(wsgi_app, "POST", "/Users", secret=secret, body=b"userName=x", content_type="text/plain")

    assert (broken.status_code, broken.json()["scimType"]) == (400, "invalidSyntax")
    assert (text.status_code, text.json()["status"]) == (415, "415")
    assert not Person.objects.exists()


BAD_PATCHES = [
    (patch({"op": "bogus", "path": "title", "value": "x"}), 400, "invalidValue", "'bogus' is not a PATCH operation"),
    (patch({"op": "replace", "path": "userType", "value": "Robot"}), 400, "invalidValue", "userType 'Robot'"),
    (patch({"op": "replace", "path": "id", "value": "x"}), 400, "mutability", ""),
]


@pytest.mark.parametrize(("body", "status", "scim_type", "detail"), BAD_PATCHES)
def test_a_bad_patch_is_a_scim_error_and_changes_nothing(
    wsgi_app: WSGIHandler,
    secret: str,
    dana: dict[str, Any],
    body: dict[str, Any],
    status: int,
    scim_type: str,
    detail: str,
) -> None:
    before = unchanged()

    response = raw(wsgi_app, "PATCH", f"/Users/{dana['id']}", secret=secret, body=body)

    assert (response.status_code, response.json()["scimType"]) == (status, scim_type)
    assert detail in response.json()["detail"]
    assert unchanged() == before


def test_a_person_cannot_manage_themselves(wsgi_app: WSGIHandler, secret: str, dana: dict[str, Any]) -> None:
    before = unchanged()
    body = patch({"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": dana["id"]}})

    response = raw(wsgi_app, "PATCH", f"/Users/{dana['id']}", secret=secret, body=body)

    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")
    assert response.json()["detail"] == "manager: A person cannot be their own manager."
    assert unchanged() == before


def test_a_replace_taking_someone_elses_user_name_conflicts(
    wsgi_app: WSGIHandler,
    secret: str,
    dana: dict[str, Any],
) -> None:
    sam = raw(wsgi_app, "POST", "/Users", secret=secret, body=user()).json()
    before = unchanged()

    response = raw(wsgi_app, "PUT", f"/Users/{sam['id']}", secret=secret, body=user(userName="Dana"))

    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
    assert unchanged() == before


def test_a_stale_version_is_refused(wsgi_app: WSGIHandler, secret: str, dana: dict[str, Any]) -> None:
    stale = dana["meta"]["version"]
    raw(
        wsgi_app,
        "PATCH",
        f"/Users/{dana['id']}",
        secret=secret,
        body=patch({"op": "add", "path": "title", "value": "x"}),
    )
    before = unchanged()
    client_headers = {"If-Match": stale}

    response = raw(
        wsgi_app, "PUT", f"/Users/{dana['id']}", secret=secret, body=user(userName="dana"), headers=client_headers
    )

    assert response.status_code == 412
    assert unchanged() == before


@pytest.mark.parametrize(
    ("method", "path", "status", "scim_type"),
    [
        ("GET", "/Users/not-an-id", 404, None),
        ("GET", "/Users/6f1d0a8e-8f7c-4d59-9f8a-2a3c1a0b9c11", 404, None),
        ("DELETE", "/Users/6f1d0a8e-8f7c-4d59-9f8a-2a3c1a0b9c11", 404, None),
        ("GET", "/Groups", 404, None),
        ("GET", "/Users?filter=userName%20eq", 400, "invalidFilter"),
        ("GET", "/Users?filter=nickName%20eq%20%22x%22", 400, "invalidFilter"),
        ("GET", "/Users?filter=id%20co%20%221%22", 400, "invalidFilter"),
        ("GET", "/Users?filter=meta.version%20eq%20%22x%22", 400, "invalidFilter"),
        ("GET", "/Users?sortBy=meta.location", 400, "invalidFilter"),
        ("POST", "/ServiceProviderConfig", 405, None),
        ("DELETE", "/Schemas", 405, None),
        ("PUT", "/ResourceTypes", 405, None),
        ("POST", "/Bulk", 501, None),
        ("GET", "/Me", 501, None),
    ],
)
def test_other_protocol_errors(
    wsgi_app: WSGIHandler,
    secret: str,
    method: str,
    path: str,
    status: int,
    scim_type: str | None,
) -> None:
    response = raw(wsgi_app, method, path, secret=secret, body={} if method in ("POST", "PUT") else None)

    error = response.json()
    assert (response.status_code, error["status"], error.get("scimType")) == (status, str(status), scim_type)
    if status == 405:
        assert response.headers["Allow"] == "GET"
