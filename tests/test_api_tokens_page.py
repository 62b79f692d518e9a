"""The API tokens page: list your own, create (secret shown once), revoke; MFA before creating where required."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from safeguard.core.api_auth import hash_token
from safeguard.core.audit import Actor
from safeguard.core.models import ApiToken, AuditEvent
from safeguard.core.services.api_tokens import api_token_create
from tests.conftest import Cast, client_for
from tests.test_auth_support import enroll

PAGE = "/accounts/api-tokens/"


def test_routes_are_named() -> None:
    assert reverse("api_tokens") == PAGE
    token_id = "00000000-0000-0000-0000-000000000001"
    assert reverse("api_token_revoke", args=[token_id]) == f"{PAGE}{token_id}/revoke/"


def test_anonymous_is_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lists_only_my_tokens(cast: Cast) -> None:
    api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="Mine", mfa_verified=False)
    api_token_create(user=cast.outsider, actor=Actor(user=cast.outsider), name="Theirs", mfa_verified=False)
    response = client_for(cast.owner).get(PAGE)
    assert response.status_code == 200
    assert "Mine" in response.content.decode()
    assert "Theirs" not in response.content.decode()


def test_create_shows_the_secret_once_and_it_works(cast: Cast) -> None:
    client = client_for(cast.owner)
    response = client.post(PAGE, {"name": "Backup monitor", "lifetime": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = re.search(r'value="(sg_[A-Za-z0-9_-]+)"', response.content.decode())
    assert match is not None
    secret = match.group(1)
    token = ApiToken.objects.get(user=cast.owner)
    assert token.key_hash == hash_token(secret)
    assert token.expires_at is not None
    assert AuditEvent.objects.filter(action="api_token.created", actor=cast.owner).count() == 1
    assert secret not in client.get(PAGE).content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/orgs/").status_code == 200


def test_create_with_blank_name_shows_the_error_and_creates_nothing(cast: Cast) -> None:
    response = client_for(cast.owner).post(PAGE, {"name": " ", "lifetime": "never"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_create_needs_a_verified_session_when_an_org_requires_mfa(cast: Cast) -> None:
    cast.org.mfa_required = True
    cast.org.save(update_fields=["mfa_required"])
    response = client_for(cast.owner).post(PAGE, {"name": "CI", "lifetime": "30"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_token_made_without_mfa_is_marked_so_and_the_page_says_what_it_cannot_reach(cast: Cast) -> None:
    client = client_for(cast.owner)
    response = client.post(PAGE, {"name": "CI", "lifetime": "30"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=cast.owner).mfa_verified is False
    page = response.content.decode()
    assert "will be refused by any organization that requires MFA" in page
    assert f'href="{reverse("mfa_verify")}?next={PAGE.replace("/", "%2F")}"' in page
    assert "No <span" in page, "the list marks the token as made without MFA"


def test_a_token_made_in_a_verified_session_is_marked_verified(cast: Cast) -> None:
    cast.org.mfa_required = True
    cast.org.save(update_fields=["mfa_required"])
    client, _, _ = enroll(cast.owner)  # enrolling verifies the session
    response = client.post(PAGE, {"name": "CI", "lifetime": "30"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=cast.owner).mfa_verified is True
    assert "will be refused by any organization" not in response.content.decode()
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.changes["mfa_verified"] == [None, True]


def test_revoke_my_token(cast: Cast) -> None:
    token, _ = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    response = client_for(cast.owner).post(reverse("api_token_revoke", args=[token.public_id]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_revoke_needs_post(cast: Cast) -> None:
    token, _ = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    assert client_for(cast.owner).get(reverse("api_token_revoke", args=[token.public_id])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_someone_elses_token_is_404_and_untouched(cast: Cast) -> None:
    token, _ = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    before = AuditEvent.objects.count()
    response = client_for(cast.outsider).post(reverse("api_token_revoke", args=[token.public_id]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditEvent.objects.count() == before


def test_list_query_count_is_flat(cast: Cast) -> None:
    client = client_for(cast.owner)

    def count_for(n: int) -> int:
        ApiToken.objects.all().delete()
        for i in range(n):
            api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name=f"t{i}", mfa_verified=False)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)


def test_account_page_links_here(cast: Cast) -> None:
    assert f'href="{PAGE}"' in client_for(cast.workforce).get("/accounts/").content.decode()
