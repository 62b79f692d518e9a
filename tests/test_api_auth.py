"""API authentication: bearer tokens (missing, wrong, revoked, expired), sessions and tokens under the MFA rule,
the tokens service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.core.api_auth import hash_token
from safeguard.core.audit import Actor
from safeguard.core.models import ApiToken, AuditEvent, Membership, Organization
from safeguard.core.roles import Role
from safeguard.core.services.api_tokens import api_token_create, api_token_revoke
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.organizations import org_update_settings
from tests.conftest import Cast, client_for
from tests.test_api_support import error_of, make_token

ORG_URL = "/api/v1/orgs/clinic/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_no_credentials_is_401_with_bearer_challenge_and_envelope(cast: Cast) -> None:
    response = APIClient().get(ORG_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    error = error_of(response)
    assert error["code"] == "not_authenticated"
    assert error["fields"] == {}


def test_unknown_token_is_401(cast: Cast) -> None:
    response = bearer("sg_" + "x" * 43).get(ORG_URL)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_malformed_authorization_header_is_401(cast: Cast) -> None:
    response = bearer("not-a-safeguard-token").get(ORG_URL)
    assert response.status_code == 401
    assert "Malformed" in str(error_of(response)["message"])


def test_revoked_token_is_401(cast: Cast) -> None:
    secret = make_token(cast.owner, revoked_at=timezone.now())
    assert bearer(secret).get(ORG_URL).status_code == 401


def test_expired_token_is_401(cast: Cast) -> None:
    secret = make_token(cast.owner, expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(secret).get(ORG_URL).status_code == 401


def test_token_of_deactivated_account_is_401(cast: Cast) -> None:
    secret = make_token(cast.owner)
    cast.owner.is_active = False
    cast.owner.save(update_fields=["is_active"])
    assert bearer(secret).get(ORG_URL).status_code == 401


def test_valid_token_is_accepted_and_marks_last_use(cast: Cast) -> None:
    secret = make_token(cast.owner, expires_at=timezone.now() + timedelta(days=1))
    response = bearer(secret).get(ORG_URL)
    assert response.status_code == 200
    assert response.json()["slug"] == "clinic"
    assert ApiToken.objects.get(key_hash=hash_token(secret)).last_used_at is not None


def test_session_works_for_reads(cast: Cast) -> None:
    response = client_for(cast.owner).get(ORG_URL)
    assert response.status_code == 200


def test_session_writes_need_the_csrf_token(cast: Cast) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    response = client.patch(ORG_URL, {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    cast.org.refresh_from_db()
    assert cast.org.name == "Riverside Clinic"


def require_mfa(organization: Organization) -> None:
    organization.mfa_required = True
    organization.save(update_fields=["mfa_required"])


def test_unverified_session_is_refused_where_the_org_requires_mfa(cast: Cast) -> None:
    require_mfa(cast.org)
    response = client_for(cast.owner).get(ORG_URL)
    assert response.status_code == 403
    assert error_of(response)["code"] == "mfa_required"
    assert "one-time code" in str(error_of(response)["message"])


def test_token_made_without_mfa_is_refused_where_the_org_requires_mfa(cast: Cast) -> None:
    require_mfa(cast.org)
    client = bearer(make_token(cast.owner, mfa_verified=False))

    read = client.get(ORG_URL)
    write = client.patch(ORG_URL, {"name": "Renamed"}, format="json")

    assert read.status_code == write.status_code == 403
    error = error_of(write)
    assert error["code"] == "mfa_required"
    assert "create a new token" in str(error["message"])
    cast.org.refresh_from_db()
    assert cast.org.name == "Riverside Clinic"
    assert not AuditEvent.objects.exists()


def test_token_made_without_mfa_stops_working_when_the_org_turns_mfa_on(cast: Cast) -> None:
    _, secret = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    assert bearer(secret).get(ORG_URL).status_code == 200

    org_update_settings(organization=cast.org, actor=Actor(user=cast.owner), mfa_required=True)

    response = bearer(secret).get(ORG_URL)
    assert response.status_code == 403
    assert error_of(response)["code"] == "mfa_required"


def test_token_made_without_mfa_is_refused_by_an_mfa_org_joined_later(cast: Cast) -> None:
    _, secret = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    require_mfa(cast.other_org)
    Membership.objects.create(organization=cast.other_org, user=cast.owner, role=Role.OWNER)

    assert bearer(secret).get(ORG_URL).status_code == 200, "the org without MFA still answers"
    response = bearer(secret).get("/api/v1/orgs/other/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "mfa_required"


def test_token_made_with_mfa_reaches_an_org_that_requires_it(cast: Cast) -> None:
    require_mfa(cast.org)
    client = bearer(make_token(cast.owner, mfa_verified=True))

    assert client.get(ORG_URL).status_code == 200
    assert client.patch(ORG_URL, {"name": "Renamed"}, format="json").status_code == 200
    cast.org.refresh_from_db()
    assert cast.org.name == "Renamed"


def test_unknown_org_and_foreign_org_look_the_same(cast: Cast) -> None:
    client = bearer(make_token(cast.outsider))
    foreign, missing = client.get(ORG_URL), client.get("/api/v1/orgs/no-such-org/")
    assert foreign.status_code == missing.status_code == 404
    assert error_of(foreign) == error_of(missing)
    assert error_of(foreign)["code"] == "not_found"


# ---- the token service ---------------------------------------------------------------------------------------


def test_create_stores_only_a_hash_and_audits_outside_any_org(cast: Cast) -> None:
    token, secret = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name=" CI ", mfa_verified=False)
    assert secret.startswith("sg_") and len(secret) > 40
    assert token.prefix == secret[:10]
    assert token.key_hash == hash_token(secret)
    assert token.name == "CI"
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in {str(v) for v in stored.values()}
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.organization is None
    assert event.object_id == str(token.public_id)
    assert secret not in str(event.changes)


@pytest.mark.parametrize("verified", [True, False])
def test_create_records_whether_the_session_passed_mfa(cast: Cast, verified: bool) -> None:
    token, _ = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=verified)
    token.refresh_from_db()
    assert token.mfa_verified is verified
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.changes["mfa_verified"] == [None, verified]


def test_create_without_mfa_is_refused_when_an_org_of_the_user_requires_it(cast: Cast) -> None:
    require_mfa(cast.other_org)
    with pytest.raises(ServiceError) as refused:
        api_token_create(user=cast.outsider, actor=Actor(user=cast.outsider), name="CI", mfa_verified=False)
    assert "one-time code" in refused.value.message
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()
    token, _ = api_token_create(user=cast.outsider, actor=Actor(user=cast.outsider), name="CI", mfa_verified=True)
    assert token.mfa_verified is True


def test_create_refuses_blank_name_and_past_expiry(cast: Cast) -> None:
    with pytest.raises(ServiceError) as blank:
        api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="  ", mfa_verified=False)
    assert blank.value.field == "name"
    with pytest.raises(ServiceError) as past:
        api_token_create(
            user=cast.owner,
            actor=Actor(user=cast.owner),
            name="x",
            mfa_verified=False,
            expires_at=timezone.now() - timedelta(days=1),
        )
    assert past.value.field == "expires_at"
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_revoke_stops_the_token_and_is_audited(cast: Cast) -> None:
    token, secret = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    assert bearer(secret).get(ORG_URL).status_code == 200
    api_token_revoke(user=cast.owner, actor=Actor(user=cast.owner), token=token)
    assert bearer(secret).get(ORG_URL).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", organization=None).count() == 1
    with pytest.raises(ServiceError):
        api_token_revoke(user=cast.owner, actor=Actor(user=cast.owner), token=token)


def test_revoke_refuses_someone_elses_token(cast: Cast) -> None:
    token, _ = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="CI", mfa_verified=False)
    with pytest.raises(ServiceError):
        api_token_revoke(user=cast.outsider, actor=Actor(user=cast.outsider), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
