"""Backup hook tokens, the service and the pages: the key is shown once and only its SHA-256 is kept; revoking is
recorded with who and when; both are audited. Program viewers (auditors too) read the list, program managers make
and revoke tokens; workforce members are refused; another organization's token is 404."""

from __future__ import annotations

import hashlib
import html
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.contingency.models import BackupHookToken
from safeguard.contingency.services.hook_tokens import (
    hook_token_actor,
    hook_token_create,
    hook_token_find,
    hook_token_revoke,
    hook_token_used,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, User
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast, client_for
from tests.contingency_backup_factories import asset, policy


def url(name: str, **ids: Any) -> str:
    return reverse(f"contingency:{name}", kwargs={"org_slug": "clinic", **ids})


def make(cast: Cast, name: str = "Veeam on backup01", *, by: User | None = None) -> tuple[BackupHookToken, str]:
    return hook_token_create(organization=cast.org, actor=Actor(user=by or cast.official), name=name)


def audit_count() -> int:
    return AuditEvent.objects.count()


# ---- the service ---------------------------------------------------------------------------------------------------


def test_only_the_keys_hash_is_kept_and_the_key_has_its_own_prefix(cast: Cast) -> None:
    token, key = make(cast)
    assert key.startswith("sgb_") and len(key) > 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:12]
    stored = BackupHookToken.objects.filter(pk=token.pk).values()[0]
    assert key not in {str(value) for value in stored.values()}
    assert hook_token_find(key) == token
    assert hook_token_find(key + "x") is None


def test_making_a_token_is_audited_without_its_key(cast: Cast) -> None:
    token, key = make(cast)
    event = AuditEvent.objects.get(action="contingency.backup_hook_token.created")
    assert (event.organization, event.actor, event.object_id) == (cast.org, cast.official, str(token.public_id))
    assert event.changes == {"name": [None, "Veeam on backup01"], "prefix": [None, token.prefix]}
    assert key not in str(event.changes)


@pytest.mark.parametrize(("name", "field"), [("  ", "name"), ("x" * 101, "name")])
def test_a_token_needs_a_name_of_at_most_100_characters(cast: Cast, name: str, field: str) -> None:
    with pytest.raises(ServiceError) as refused:
        make(cast, name)
    assert refused.value.field == field
    assert not BackupHookToken.objects.exists() and audit_count() == 0


def test_a_token_is_made_by_a_person(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="made by a person"):
        hook_token_create(organization=cast.org, actor=Actor.system("test"), name="Veeam")
    assert not BackupHookToken.objects.exists()


def test_revoking_records_who_and_when_and_is_audited_once(cast: Cast) -> None:
    token, _ = make(cast)
    revoked = hook_token_revoke(organization=cast.org, actor=Actor(user=cast.owner), token=token)
    assert revoked.revoked_by == cast.owner and revoked.revoked_at is not None
    assert AuditEvent.objects.filter(action="contingency.backup_hook_token.revoked", actor=cast.owner).count() == 1
    before = audit_count()
    with pytest.raises(ServiceError, match="already revoked"):
        hook_token_revoke(organization=cast.org, actor=Actor(user=cast.official), token=token)
    token.refresh_from_db()
    assert token.revoked_by == cast.owner and audit_count() == before


def test_another_organizations_token_cannot_be_revoked_through_this_one(cast: Cast) -> None:
    elsewhere, _ = hook_token_create(organization=cast.other_org, actor=Actor(user=cast.outsider), name="Theirs")
    with pytest.raises(BackupHookToken.DoesNotExist):
        hook_token_revoke(organization=cast.org, actor=Actor(user=cast.owner), token=elsewhere)
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_last_use_is_stamped_and_the_actor_names_the_token(cast: Cast) -> None:
    token, _ = make(cast)
    assert token.last_used_at is None
    hook_token_used(token)
    token.refresh_from_db()
    assert token.last_used_at is not None
    actor = hook_token_actor(token, "10.0.0.5")
    assert actor.user is None and actor.ip == "10.0.0.5"
    assert actor.display == f"backup-hook-token:{token.prefix} (Veeam on backup01)"


# ---- the pages -----------------------------------------------------------------------------------------------------


def test_a_manager_makes_a_token_and_sees_its_key_once_with_an_example_hook_call(cast: Cast) -> None:
    policy(asset(cast.org, "EHR database"), "ehr-nightly")
    client = client_for(cast.official)
    response = client.post(url("backup_token_create"), {"name": "Veeam on backup01"})
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    key = response.context["key"]
    page = html.unescape(response.content.decode())
    assert '"$SAFEGUARD_URL/api/v1/orgs/clinic/contingency/backup-results/"' in page
    assert f'-H "Authorization: Bearer {key}"' in page
    assert """-d '{"asset": "EHR database", "job": "ehr-nightly", "started": """ in page
    assert BackupHookToken.objects.get().key_hash == hashlib.sha256(key.encode()).hexdigest()
    listed = client.get(url("backup_token_list")).content.decode()
    assert "Veeam on backup01" in listed and key[:12] in listed and key not in listed


def test_the_example_call_quotes_a_name_for_the_shell(cast: Cast) -> None:
    policy(asset(cast.org, "O'Neil EHR"), "nightly")
    response = client_for(cast.official).post(url("backup_token_create"), {"name": "Veeam"})
    assert """-d '{"asset": "O'\\''Neil EHR", """ in html.unescape(response.content.decode())


def test_a_bad_name_is_shown_on_the_form_and_makes_nothing(cast: Cast) -> None:
    response = client_for(cast.official).post(url("backup_token_create"), {"name": "   "})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    assert not BackupHookToken.objects.exists() and audit_count() == 0


def test_revoking_asks_for_a_confirmation_then_revokes(cast: Cast) -> None:
    token, _ = make(cast)
    client = client_for(cast.owner)
    confirm = client.get(url("backup_token_revoke", token_id=token.public_id))
    assert confirm.status_code == 200 and "Revoke the token" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(url("backup_token_revoke", token_id=token.public_id))
    assert response.status_code == 302 and response["Location"] == url("backup_token_list")
    token.refresh_from_db()
    assert token.revoked_by == cast.owner
    listed = client.get(url("backup_token_list")).content.decode()
    assert "Revoked" in listed and "owner@clinic.test" in listed


def test_revoking_twice_says_so_and_changes_nothing(cast: Cast) -> None:
    token, _ = make(cast)
    client = client_for(cast.owner)
    client.post(url("backup_token_revoke", token_id=token.public_id))
    before = audit_count()
    response = client.post(url("backup_token_revoke", token_id=token.public_id), follow=True)
    assert "already revoked" in response.content.decode()
    assert audit_count() == before


def test_an_auditor_reads_the_list_but_cannot_make_or_revoke(cast: Cast) -> None:
    token, _ = make(cast)
    client = client_for(cast.auditor)
    page = client.get(url("backup_token_list"))
    assert page.status_code == 200 and "Veeam on backup01" in page.content.decode()
    assert "Make a token" not in page.content.decode() and "Revoke" not in page.content.decode()
    before = audit_count()
    assert client.post(url("backup_token_create"), {"name": "Mine"}).status_code == 403
    assert client.get(url("backup_token_revoke", token_id=token.public_id)).status_code == 403
    assert client.post(url("backup_token_revoke", token_id=token.public_id)).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and BackupHookToken.objects.count() == 1 and audit_count() == before


def test_workforce_members_cannot_see_or_change_tokens(cast: Cast) -> None:
    token, _ = make(cast)
    client = client_for(cast.workforce)
    before = audit_count()
    assert client.get(url("backup_token_list")).status_code == 403
    assert client.post(url("backup_token_create"), {"name": "Mine"}).status_code == 403
    assert client.post(url("backup_token_revoke", token_id=token.public_id)).status_code == 403
    assert BackupHookToken.objects.count() == 1 and audit_count() == before


def test_another_organizations_token_is_404_and_not_listed(cast: Cast) -> None:
    elsewhere, _ = hook_token_create(organization=cast.other_org, actor=Actor(user=cast.outsider), name="Theirs")
    client = client_for(cast.owner)
    assert "Theirs" not in client.get(url("backup_token_list")).content.decode()
    assert client.get(url("backup_token_revoke", token_id=elsewhere.public_id)).status_code == 404
    assert client.post(url("backup_token_revoke", token_id=elsewhere.public_id)).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_the_backup_pages_link_to_the_tokens(cast: Cast) -> None:
    page = client_for(cast.auditor).get(url("backup_status")).content.decode()
    assert url("backup_token_list") in page


def test_the_list_is_paginated_with_a_flat_query_count(cast: Cast) -> None:
    def add(count: int) -> None:
        for n in range(count):
            made, _ = make(cast, f"Tool {n}", by=cast.owner if n % 2 else cast.official)
            if n % 3 == 0:
                hook_token_revoke(organization=cast.org, actor=Actor(user=cast.owner), token=made)

    client = client_for(cast.auditor)
    add(2)
    client.get(url("backup_token_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("backup_token_list"))
    add(53)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("backup_token_list"))
    assert response.context["page"].paginator.count == 55
    assert len(response.context["page"].object_list) == 50 and response.context["page"].has_next()
    assert len(many) == len(few)
