"""Who may call the SCIM endpoint: only a live token of the organization in the URL. Anything else is a 401 with
a SCIM error body, before anything is read or written; and one organization's token never reaches another's
people, even with their ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.workforce.models import Person, ScimToken
from safeguard.workforce.services.scim_tokens import TOUCH_INTERVAL, scim_token_for_secret, scim_token_revoke
from tests.conftest import Cast
from tests.test_scim_support import CORE, PATCH_OP, in_process_django, make_token, raw

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


def snapshot() -> tuple[list[tuple[Any, ...]], int]:
    return list(Person.objects.order_by("pk").values_list()), AuditEvent.objects.count()


@pytest.fixture
def other_person(cast: Cast, wsgi_app: WSGIHandler) -> dict[str, Any]:
    """Someone the other practice provisioned with its own token."""
    _, secret = make_token(cast.other_org, cast.outsider, name="Other IdP")
    body = {"schemas": [CORE], "userName": "pat@other.example"}
    created: dict[str, Any] = raw(wsgi_app, "POST", "/Users", secret=secret, body=body, org="other").json()
    return created


def revoked_secret(cast: Cast) -> str:
    token, secret = make_token(cast.org, cast.owner, name="Old")
    scim_token_revoke(organization=cast.org, actor=Actor(user=cast.owner), token=token)
    return secret


CREDENTIALS = {
    "none": lambda cast: None,
    "unknown": lambda cast: "scim_" + "x" * 43,
    "not a scim token": lambda cast: "sg_" + "x" * 43,
    "revoked": revoked_secret,
    "other organization's": lambda cast: make_token(cast.other_org, cast.outsider)[1],
}
REQUESTS = [
    ("GET", "/Users", None),
    ("POST", "/Users", {"schemas": [CORE], "userName": "mallory"}),
    ("GET", "/ServiceProviderConfig", None),
    ("GET", "/Schemas", None),
    ("GET", "/Nowhere", None),
]


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_anything_but_this_organizations_live_token_is_refused(
    cast: Cast,
    wsgi_app: WSGIHandler,
    credential: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    secret = CREDENTIALS[credential](cast)
    before = snapshot()

    response = raw(wsgi_app, method, path, secret=secret, body=body)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="SCIM"'
    assert response.json() == {
        "schemas": [ERROR],
        "status": "401",
        "detail": "Send this organization's SCIM token: 'Authorization: Bearer scim_…'.",
    }
    assert snapshot() == before


def test_a_basic_scheme_is_refused(cast: Cast, wsgi_app: WSGIHandler) -> None:
    _, secret = make_token(cast.org, cast.owner)
    client_headers = {"Authorization": f"Basic {secret}"}

    response = raw(wsgi_app, "GET", "/Users", secret=None, headers=client_headers)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("GET", None),
        ("PUT", {"schemas": [CORE], "userName": "hijacked"}),
        ("PATCH", {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}),
        ("DELETE", None),
    ],
)
def test_a_token_reaches_no_other_organizations_person_even_by_id(
    cast: Cast,
    wsgi_app: WSGIHandler,
    other_person: dict[str, Any],
    method: str,
    body: Any,
) -> None:
    _, secret = make_token(cast.org, cast.owner)
    before = snapshot()

    mine = raw(wsgi_app, method, f"/Users/{other_person['id']}", secret=secret, body=body)
    theirs = raw(wsgi_app, method, f"/Users/{other_person['id']}", secret=secret, body=body, org="other")

    assert (mine.status_code, mine.json()["detail"]) == (404, f"No user {other_person['id']}.")
    assert theirs.status_code == 401
    assert snapshot() == before


def test_searches_list_only_this_organizations_people(
    cast: Cast,
    wsgi_app: WSGIHandler,
    other_person: dict[str, Any],
) -> None:
    _, secret = make_token(cast.org, cast.owner)
    raw(wsgi_app, "POST", "/Users", secret=secret, body={"schemas": [CORE], "userName": "dana"})

    everyone = raw(wsgi_app, "GET", "/Users", secret=secret).json()
    by_name = raw(wsgi_app, "GET", '/Users?filter=userName eq "pat@other.example"', secret=secret).json()
    by_id = raw(wsgi_app, "GET", f'/Users?filter=id eq "{other_person["id"]}"', secret=secret).json()

    mine = raw(wsgi_app, "GET", '/Users?filter=userName eq "DANA"', secret=secret).json()

    assert [user["userName"] for user in everyone["Resources"]] == ["dana"]
    assert by_name["totalResults"] == by_id["totalResults"] == 0 and mine["totalResults"] == 1


def test_the_same_user_name_may_exist_in_two_organizations(
    cast: Cast,
    wsgi_app: WSGIHandler,
    other_person: dict[str, Any],
) -> None:
    _, secret = make_token(cast.org, cast.owner)

    response = raw(wsgi_app, "POST", "/Users", secret=secret, body={"schemas": [CORE], "userName": "PAT@other.example"})

    assert response.status_code == 201
    assert Person.objects.filter(user_name__iexact="pat@other.example").count() == 2


def test_people_without_a_user_name_are_not_served(cast: Cast, wsgi_app: WSGIHandler) -> None:
    unlinked = Person.objects.create(organization=cast.org, employee_id="E-9", given_name="Roster only")
    _, secret = make_token(cast.org, cast.owner)

    listed = raw(wsgi_app, "GET", "/Users", secret=secret).json()
    fetched = raw(wsgi_app, "GET", f"/Users/{unlinked.public_id}", secret=secret)

    assert listed["totalResults"] == 0 and fetched.status_code == 404


def test_a_request_marks_the_token_used(cast: Cast, wsgi_app: WSGIHandler) -> None:
    token, secret = make_token(cast.org, cast.owner)
    assert token.last_used_at is None

    raw(wsgi_app, "GET", "/Users", secret=secret)

    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_last_used_is_written_at_most_once_a_minute(cast: Cast) -> None:
    token, secret = make_token(cast.org, cast.owner)
    first = timezone.now()

    scim_token_for_secret(secret, now=first)
    scim_token_for_secret(secret, now=first + TOUCH_INTERVAL - timedelta(seconds=1))
    token.refresh_from_db()
    assert token.last_used_at == first
    scim_token_for_secret(secret, now=first + TOUCH_INTERVAL)
    token.refresh_from_db()
    assert token.last_used_at == first + TOUCH_INTERVAL


def test_only_the_hash_of_a_token_is_stored(cast: Cast) -> None:
    token, secret = make_token(cast.org, cast.owner)

    stored = ScimToken.objects.values_list("prefix", "key_hash").get(pk=token.pk)

    assert secret.startswith("scim_") and len(secret) > 40
    assert secret not in stored and stored[0] == secret[:12]
