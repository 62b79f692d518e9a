"""The SCIM token pages: only those who manage the organization reach them; a token's secret is shown once and
only its hash is kept; creating and revoking are audited; the page gives the base URL to paste into the IdP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from safeguard.workforce.models import ScimToken
from tests.conftest import Cast, client_for, make_member
from tests.test_scim_support import in_process_django, make_token, raw


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"workforce:{name}", args=[org, *args])


def user_of(cast: Cast, who: str) -> User:
    if who in ("manager", "reviewer", "privacy_officer"):
        return make_member(cast.org, f"{who}@clinic.test", who).user
    user: User = getattr(cast, who)
    return user


WHO = [
    ("owner", True),
    ("official", False),
    ("privacy_officer", False),
    ("manager", False),
    ("reviewer", False),
    ("auditor", False),
    ("workforce", False),
]


def state() -> tuple[list[tuple[object, ...]], int]:
    return list(ScimToken.objects.order_by("pk").values_list()), AuditEvent.objects.count()


@pytest.mark.parametrize(("who", "allowed"), WHO)
def test_only_organization_managers_reach_the_pages(cast: Cast, who: str, allowed: bool) -> None:
    token, _ = make_token(cast.org, cast.owner)
    client = client_for(user_of(cast, who))
    before = state()

    listing = client.get(url("scim_token_list"))
    form = client.get(url("scim_token_create"))
    created = client.post(url("scim_token_create"), {"name": "Entra ID"})
    revoked = client.post(url("scim_token_revoke", token.public_id))

    if allowed:
        assert (listing.status_code, form.status_code, created.status_code, revoked.status_code) == (200, 200, 200, 302)
        return
    assert {listing.status_code, form.status_code, created.status_code, revoked.status_code} == {403}
    assert state() == before


def test_outsiders_and_other_organizations_tokens_get_404(cast: Cast) -> None:
    theirs, _ = make_token(cast.other_org, cast.outsider, name="Theirs")
    mine, _ = make_token(cast.org, cast.owner)
    before = state()

    outsider = client_for(cast.outsider)
    owner = client_for(cast.owner)

    assert outsider.get(url("scim_token_list")).status_code == 404
    assert outsider.post(url("scim_token_revoke", mine.public_id)).status_code == 404
    assert owner.post(url("scim_token_revoke", theirs.public_id)).status_code == 404
    assert owner.post(url("scim_token_revoke", theirs.public_id, org="other")).status_code == 404
    assert state() == before


def test_a_new_token_is_shown_once_stored_as_a_hash_and_works(cast: Cast, wsgi_app: WSGIHandler) -> None:
    client = client_for(cast.owner)

    response = client.post(url("scim_token_create"), {"name": "  Entra ID  "})

    secret = response.context["secret"]
    token = ScimToken.objects.get()
    assert secret.startswith("scim_") and secret in response.content.decode()
    assert (token.name, token.organization, token.created_by) == ("Entra ID", cast.org, cast.owner)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest() and token.prefix == secret[:12]
    assert "http://testserver/scim/v2/clinic" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="workforce.scim_token.created")
    assert (event.actor, event.organization, event.object_id) == (cast.owner, cast.org, str(token.public_id))
    assert secret not in str(event.changes)
    assert raw(wsgi_app, "GET", "/Users", secret=secret).status_code == 200
    listing = client.get(url("scim_token_list")).content.decode()
    assert token.prefix in listing and secret not in listing


def test_a_token_needs_a_name(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("scim_token_create"), {"name": "   "})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert (
        not ScimToken.objects.exists() and not AuditEvent.objects.filter(action__startswith="workforce.scim").exists()
    )


def test_revoking_refuses_the_identity_provider_from_then_on(cast: Cast, wsgi_app: WSGIHandler) -> None:
    token, secret = make_token(cast.org, cast.owner)
    client = client_for(cast.owner)

    response = client.post(url("scim_token_revoke", token.public_id), follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked “Okta”" in response.content.decode()
    event = AuditEvent.objects.get(action="workforce.scim_token.revoked")
    assert (event.actor, event.object_id, event.changes) == (
        cast.owner,
        str(token.public_id),
        {"revoked": [False, True]},
    )
    assert raw(wsgi_app, "GET", "/Users", secret=secret).status_code == 401

    again = client.post(url("scim_token_revoke", token.public_id), follow=True)

    assert "already revoked" in again.content.decode()
    assert AuditEvent.objects.filter(action="workforce.scim_token.revoked").count() == 1


def test_revoking_needs_a_post(cast: Cast) -> None:
    token, _ = make_token(cast.org, cast.owner)

    assert client_for(cast.owner).get(url("scim_token_revoke", token.public_id)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_list_costs_the_same_queries_for_3_and_30_tokens(cast: Cast) -> None:
    client = client_for(cast.owner)

    def add(count: int) -> None:
        for n in range(count):
            make_token(cast.org, make_member(cast.org, f"m{n}-{count}@clinic.test", Role.MANAGER).user, name=f"T{n}")

    add(3)
    client.get(url("scim_token_list"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("scim_token_list")).status_code == 200
    add(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("scim_token_list"))
    assert response.content.decode().count("<code>scim_") == 30
    assert len(many.captured_queries) == len(few.captured_queries)
