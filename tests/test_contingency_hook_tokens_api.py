"""Backup hook tokens over the API, and the post-job hook called with one.

A token records backup runs for its own organization and does nothing else: a revoked one is 401, another
organization's is 403 (as activity's ingestion endpoint answers a token for another source) with nothing stored,
and every other endpoint answers 401. A member's personal token with manage-program still works on the hook.
Program viewers list the tokens (never a key), program managers make and revoke them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from safeguard.contingency.models import BackupHookToken, BackupImport, BackupPolicy, BackupResult
from safeguard.contingency.services.hook_tokens import hook_token_create, hook_token_revoke
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_backup_factories import asset, policy
from tests.test_api_support import api_client, audit_count, error_of

BASE = "/api/v1/orgs/clinic/contingency"
RUN = {
    "asset": "EHR",
    "job": "nightly",
    "started": "2026-03-01T01:00:00Z",
    "finished": "2026-03-01T01:30:00Z",
    "status": "success",
    "run_id": "job-77",
}


@pytest.fixture
def nightly(cast: Cast) -> BackupPolicy:
    return policy(asset(cast.org, "EHR", rpo=1440), "nightly")


def token_client(key: str) -> APIClient:
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def make(cast: Cast, *, org: Any = None) -> tuple[BackupHookToken, str]:
    organization = org or cast.org
    person = cast.official if organization == cast.org else cast.outsider
    return hook_token_create(organization=organization, actor=Actor(user=person), name="Veeam on backup01")


# ---- the hook with a token -----------------------------------------------------------------------------------------


def test_the_hook_records_runs_with_a_token_naming_it_as_the_actor(cast: Cast, nightly: BackupPolicy) -> None:
    token, key = make(cast)
    response = token_client(key).post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["inserted"], body["channel"]) == (1, "hook")
    assert body["hook_token"] == {
        "public_id": str(token.public_id),
        "name": "Veeam on backup01",
        "prefix": token.prefix,
    }
    batch = BackupImport.objects.get()
    assert (batch.hook_token, batch.created_by) == (token, None)
    assert BackupResult.objects.get().run_id == "job-77"
    event = AuditEvent.objects.get(action="contingency.backup_import.done")
    assert event.actor is None and event.actor_label == f"backup-hook-token:{token.prefix} (Veeam on backup01)"
    assert event.ip_address == "10.0.0.9"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_refused_delivery_by_a_token_is_recorded_and_stores_nothing(cast: Cast, nightly: BackupPolicy) -> None:
    token, key = make(cast)
    response = token_client(key).post(f"{BASE}/backup-results/", [{**RUN, "status": "maybe"}], format="json")
    assert response.status_code == 400 and "runs[0].status" in error_of(response)["fields"]
    assert BackupImport.objects.get().hook_token == token and not BackupResult.objects.exists()


def test_a_revoked_token_is_401_with_a_clear_message(cast: Cast, nightly: BackupPolicy) -> None:
    token, key = make(cast)
    hook_token_revoke(organization=cast.org, actor=Actor(user=cast.owner), token=token)
    before = audit_count()
    response = token_client(key).post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 401
    assert "revoked on" in error_of(response)["message"] and "Backup tool tokens" in error_of(response)["message"]
    assert not BackupImport.objects.exists() and audit_count() == before


def test_an_unknown_sgb_key_is_401(cast: Cast, nightly: BackupPolicy) -> None:
    response = token_client("sgb_not-a-key").post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 401 and "Unknown backup hook token" in error_of(response)["message"]
    assert not BackupImport.objects.exists()


def test_another_organizations_token_is_refused_and_stores_nothing(cast: Cast, nightly: BackupPolicy) -> None:
    policy(asset(cast.other_org, "EHR"), "nightly")
    theirs, key = make(cast, org=cast.other_org)
    before = audit_count()
    response = token_client(key).post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 403
    assert error_of(response)["message"] == "This backup hook token is for another organization."
    assert not BackupImport.objects.exists() and not BackupResult.objects.exists() and audit_count() == before
    theirs.refresh_from_db()
    assert theirs.last_used_at is None
    unknown = token_client(key).post("/api/v1/orgs/nowhere/contingency/backup-results/", RUN, format="json")
    assert unknown.status_code == 403


def test_a_token_opens_no_other_endpoint(cast: Cast, nightly: BackupPolicy) -> None:
    token, key = make(cast)
    client = token_client(key)
    batch = BackupImport.objects.create(organization=cast.org, channel="api")
    refused = [
        client.get(f"{BASE}/readiness/"),
        client.get(f"{BASE}/backup-results/"),
        client.get(f"{BASE}/backup-policies/"),
        client.get(f"{BASE}/backup-imports/{batch.public_id}/"),
        client.post(f"{BASE}/backup-imports/", {}, format="json"),
        client.get(f"{BASE}/backup-hook-tokens/"),
        client.post(f"{BASE}/backup-hook-tokens/", {"name": "Another"}, format="json"),
        client.post(f"{BASE}/backup-hook-tokens/{token.public_id}/revoke/"),
        client.get("/api/v1/orgs/"),
    ]
    assert [response.status_code for response in refused] == [401] * len(refused)
    assert BackupHookToken.objects.count() == 1 and BackupImport.objects.count() == 1


def test_a_members_personal_token_still_records_runs(cast: Cast, nightly: BackupPolicy) -> None:
    response = api_client(cast.official).post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 201 and response.json()["hook_token"] is None
    batch = BackupImport.objects.get()
    assert (batch.created_by, batch.hook_token) == (cast.official, None)
    assert AuditEvent.objects.get(action="contingency.backup_import.done").actor == cast.official


@pytest.mark.parametrize(("who", "code"), [("auditor", 403), ("workforce", 403), ("outsider", 404), ("nobody", 401)])
def test_without_a_token_the_hook_still_needs_manage_program(
    cast: Cast, nightly: BackupPolicy, who: str, code: int
) -> None:
    user = {"auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider, "nobody": None}[who]
    before = audit_count()
    assert api_client(user).post(f"{BASE}/backup-results/", RUN, format="json").status_code == code
    assert not BackupImport.objects.exists() and audit_count() == before


def test_the_schema_offers_the_token_on_the_hook_only() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    scheme = schema["components"]["securitySchemes"]["backupHookToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "sgb_" in scheme["bearerFormat"]
    runs = schema["paths"]["/api/v1/orgs/{org_slug}/contingency/backup-results/"]
    assert {"backupHookToken": []} in runs["post"]["security"] and {"apiToken": []} in runs["post"]["security"]
    assert {"backupHookToken": []} not in runs["get"]["security"]
    others = [
        operation
        for path, operations in schema["paths"].items()
        if not path.endswith("/contingency/backup-results/")
        for operation in operations.values()
    ]
    assert all({"backupHookToken": []} not in operation.get("security", []) for operation in others)


# ---- the token API -------------------------------------------------------------------------------------------------


def test_a_manager_makes_a_token_and_gets_its_key_once(cast: Cast) -> None:
    response = api_client(cast.official).post(f"{BASE}/backup-hook-tokens/", {"name": "restic on nas1"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"].startswith("sgb_") and body["prefix"] == body["key"][:12]
    assert "no-store" in response["Cache-Control"]  # the answer holding the key is kept by no cache
    assert (body["created_by"], body["revoked_at"], body["last_used_at"]) == ("so@clinic.test", None, None)
    listed = api_client(cast.auditor).get(f"{BASE}/backup-hook-tokens/").json()
    assert listed["count"] == 1 and "key" not in listed["results"][0]
    assert listed["results"][0]["public_id"] == body["public_id"]


def test_a_bad_name_is_400_naming_the_field_and_makes_nothing(cast: Cast) -> None:
    response = api_client(cast.official).post(f"{BASE}/backup-hook-tokens/", {"name": "  "}, format="json")
    assert response.status_code == 400 and "name" in error_of(response)["fields"]
    assert not BackupHookToken.objects.exists() and audit_count() == 0


def test_a_manager_revokes_a_token_and_the_hook_refuses_it(cast: Cast, nightly: BackupPolicy) -> None:
    token, key = make(cast)
    response = api_client(cast.owner).post(f"{BASE}/backup-hook-tokens/{token.public_id}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked_by"] == "owner@clinic.test" and response.json()["revoked_at"]
    again = api_client(cast.owner).post(f"{BASE}/backup-hook-tokens/{token.public_id}/revoke/")
    assert again.status_code == 400 and "already revoked" in error_of(again)["message"]
    assert token_client(key).post(f"{BASE}/backup-results/", RUN, format="json").status_code == 401


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_readers_and_workforce_cannot_make_or_revoke_tokens(cast: Cast, who: str) -> None:
    token, _ = make(cast)
    client = api_client(cast.auditor if who == "auditor" else cast.workforce)
    before = audit_count()
    assert client.post(f"{BASE}/backup-hook-tokens/", {"name": "Mine"}, format="json").status_code == 403
    assert client.post(f"{BASE}/backup-hook-tokens/{token.public_id}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and BackupHookToken.objects.count() == 1 and audit_count() == before
    listed = client.get(f"{BASE}/backup-hook-tokens/").status_code
    assert listed == (200 if who == "auditor" else 403)


def test_another_organizations_tokens_are_404_and_not_listed(cast: Cast) -> None:
    theirs, _ = make(cast, org=cast.other_org)
    client = api_client(cast.owner)
    assert client.get(f"{BASE}/backup-hook-tokens/").json()["count"] == 0
    assert client.post(f"{BASE}/backup-hook-tokens/{theirs.public_id}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert api_client(cast.outsider).get(f"{BASE}/backup-hook-tokens/").status_code == 404


def test_the_token_list_query_count_is_flat(cast: Cast) -> None:
    def add(count: int) -> None:
        for n in range(count):
            made, _ = hook_token_create(
                organization=cast.org, actor=Actor(user=cast.owner if n % 2 else cast.official), name=f"Tool {n}"
            )
            if n % 3 == 0:
                hook_token_revoke(organization=cast.org, actor=Actor(user=cast.owner), token=made)

    client = api_client(cast.auditor)
    add(2)
    client.get(f"{BASE}/backup-hook-tokens/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}/backup-hook-tokens/")
    add(30)
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"{BASE}/backup-hook-tokens/").json()
    assert body["count"] == 32 and len(body["results"]) == 32
    assert len(many) == len(few)


def test_the_import_pages_name_the_token_that_delivered_the_runs(cast: Cast, nightly: BackupPolicy) -> None:
    token, key = make(cast)
    assert token_client(key).post(f"{BASE}/backup-results/", RUN, format="json").status_code == 201
    batch = BackupImport.objects.get()
    pages = client_for(cast.auditor)
    listing = pages.get(reverse("contingency:backup_import_list", args=["clinic"])).content.decode()
    detail = pages.get(reverse("contingency:backup_import_detail", args=["clinic", batch.public_id])).content.decode()
    assert f"token Veeam on backup01 ({token.prefix}…)" in listing
    assert f"by the backup tool token Veeam on backup01 ({token.prefix}…)" in detail
