"""Organization archives leave backup hook tokens behind (a key's hash moved elsewhere would let the old tool in
there), and still carry the imports such a token delivered, without the link to it."""

from __future__ import annotations

import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from safeguard.catalog.loader import catalog_load
from safeguard.contingency.models import BackupHookToken, BackupImport, BackupResult
from safeguard.contingency.services.backup_import import backup_results_record
from safeguard.contingency.services.hook_tokens import hook_token_actor, hook_token_create
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Organization, User
from safeguard.core.portability import registered
from safeguard.core.portability.registry import register
from safeguard.core.roles import Role
from tests.contingency_backup_factories import asset, policy

RUN = {
    "asset": "EHR",
    "job": "nightly",
    "started": "2026-03-01T01:00:00Z",
    "finished": "2026-03-01T01:30:00Z",
    "status": "success",
}


@pytest.mark.django_db(transaction=True)
def test_an_import_by_a_token_travels_without_the_token(tmp_path: Path) -> None:
    catalog_load()
    org = Organization.objects.create(slug="clinic", name="Riverside Clinic", mfa_required=False)
    owner = User.objects.create_user(email="owner@clinic.test", password="correct horse battery 42")
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    policy(asset(org, "EHR"), "nightly")
    token, _ = hook_token_create(organization=org, actor=Actor(user=owner), name="Veeam on backup01")
    batch = backup_results_record(organization=org, actor=hook_token_actor(token, None), runs=[RUN], hook_token=token)
    assert batch.state == BackupImport.State.DONE
    archive = tmp_path / "clinic.zip"
    call_command("org_export", "--org", "clinic", "--output", str(archive), stdout=StringIO())
    with zipfile.ZipFile(archive) as opened:
        assert "data/contingency.backuphooktoken.jsonl" not in opened.namelist()
        row = json.loads(opened.read("data/contingency.backupimport.jsonl").splitlines()[0])
    assert "hook_token" not in row and row["public_id"] == str(batch.public_id)

    call_command("flush", interactive=False)
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    catalog_load()
    call_command("org_import", str(archive), stdout=StringIO(), stderr=StringIO())

    restored = BackupImport.objects.get(public_id=batch.public_id)
    assert restored.hook_token is None and restored.inserted == 1
    assert BackupResult.objects.get().batch == restored
    assert not BackupHookToken.objects.exists()


def test_tokens_are_not_registered_and_imports_leave_the_link_out() -> None:
    entries = {entry.model: entry for entry in registered()}
    assert BackupHookToken not in entries
    assert "hook_token" not in {f.name for f in entries[BackupImport].fields()}


def test_leaving_out_a_field_the_model_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no field"):
        register(BackupHookToken, "organization", omit=("no_such_field",))
    assert BackupHookToken not in {entry.model for entry in registered()}
