"""org_export / org_import: a portable archive of one organization that imports whole, or not at all."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import uuid
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.catalog.loader import catalog_load
from safeguard.core.audit import Actor, audit_verify_chain
from safeguard.core.demo import demo_seed
from safeguard.core.models import AuditEvent, Evidence, EvidenceVersion, Organization, User
from safeguard.core.portability import importing, registered
from safeguard.core.services.evidence import evidence_upload
from safeguard.tracker.evaluation import compute_outcomes
from safeguard.tracker.models import Verdict
from tests.conftest import Cast


def _export(slug: str, output: Path) -> str:
    out = StringIO()
    call_command("org_export", "--org", slug, "--output", str(output), stdout=out)
    return out.getvalue()


def _import(archive: Path, *args: str) -> str:
    out = StringIO()
    call_command("org_import", str(archive), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _tracker_report(organization: Organization, today: date) -> dict[str, Any]:
    """What the tracker says, computed afresh from the records, and what it stored."""
    outcomes = {
        citation: (
            outcome.status,
            outcome.basis,
            outcome.reason,
            outcome.lapses_on,
            outcome.next_action,
            [(r.type, r.id, r.label) for r in outcome.records],
        )
        for citation, (_, outcome) in compute_outcomes(organization, today).items()
    }
    stored = {
        v["requirement__citation"]: v
        for v in Verdict.objects.filter(organization=organization).values(
            "requirement__citation", "status", "basis", "reason", "records", "lapses_on", "next_action", "evaluated_at"
        )
    }
    return {"outcomes": outcomes, "verdicts": stored}


def _tracker_report_json(slug: str) -> str:
    out = StringIO()
    call_command("tracker_report", "--org", slug, "--format", "json", stdout=out, stderr=StringIO())
    return out.getvalue()


def _evidence_files(organization: Organization) -> list[tuple[str, int, str, str]]:
    rows = []
    for version in EvidenceVersion.objects.filter(evidence__organization=organization).order_by("public_id"):
        with version.file.open("rb") as stored:
            content = stored.read()
        rows.append((str(version.public_id), version.number, version.sha256, hashlib.sha256(content).hexdigest()))
    return rows


def _counts(organization: Organization) -> dict[str, int]:
    return {
        entry.label: entry.model._default_manager.filter(**{entry.org_path: organization}).count()
        for entry in registered()
    }


@pytest.mark.django_db(transaction=True)
def test_an_exported_organization_imports_identically_into_an_empty_database(tmp_path: Path) -> None:
    catalog_load()
    demo_seed()
    organization = Organization.objects.get(slug="demo")
    today = timezone.localdate()
    report, files, counts = _tracker_report(organization, today), _evidence_files(organization), _counts(organization)
    report_json = _tracker_report_json("demo")
    events = list(
        AuditEvent.objects.filter(organization=organization).order_by("sequence").values_list("sequence", "hash")
    )
    users = list(User.objects.filter(memberships__organization=organization).values_list("email", "password"))
    archive = tmp_path / "demo.zip"

    output = _export("demo", archive)
    assert "Exported 'demo'" in output and "MFA devices are not included" in output
    assert AuditEvent.objects.filter(organization=organization, action="organization.exported").exists()

    call_command("flush", interactive=False)
    shutil.rmtree(settings.MEDIA_ROOT)
    catalog_load()
    output = _import(archive)

    imported = Organization.objects.get(slug="demo")
    assert imported.public_id == organization.public_id and imported.name == "Demo Family Clinic"
    assert _tracker_report(imported, today) == report
    assert _tracker_report_json("demo") == report_json
    assert _evidence_files(imported) == files
    assert all(recorded == actual for _, _, recorded, actual in files)
    # The export event stays in the source's chain (written after the archive); the import appends its own.
    assert _counts(imported) == {**counts, "core.auditevent": counts["core.auditevent"] + 1}
    chain = list(AuditEvent.objects.filter(organization=imported).order_by("sequence").values_list("sequence", "hash"))
    assert chain[:-1] == events  # every archived event with its hash unchanged
    assert AuditEvent.objects.filter(organization=imported).latest("sequence").action == "organization.imported"
    assert sorted(User.objects.values_list("email", "password")) == sorted(users)
    assert not TOTPDevice.objects.exists()  # members enrol their authenticator again
    assert audit_verify_chain(imported).ok
    assert f"Audit chain of 'demo' verified: {len(chain)} events" in output
    verify = StringIO()
    call_command("audit_verify", "--org", "demo", stdout=verify)
    assert f"verified: {len(chain)} events" in verify.getvalue()


@pytest.fixture
def archive(cast: Cast, tmp_path: Path) -> Path:
    evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.official),
        title="Policy",
        upload=SimpleUploadedFile("policy.txt", b"We protect ePHI.\n", content_type="text/plain"),
        effective_date=timezone.localdate(),
    )
    path = tmp_path / "clinic.zip"
    _export("clinic", path)
    return path


def _rewrite(
    source: Path,
    target: Path,
    *,
    member: Callable[[str, bytes], bytes] = lambda name, data: data,
    manifest: Callable[[dict[str, Any]], None] = lambda m: None,
    fix_checksums: bool = True,
) -> Path:
    with zipfile.ZipFile(source) as old:
        contents = {name: old.read(name) for name in old.namelist() if name != "manifest.json"}
        data = json.loads(old.read("manifest.json"))
    contents = {name: member(name, body) for name, body in contents.items()}
    if fix_checksums:
        data["files"] = {name: hashlib.sha256(body).hexdigest() for name, body in contents.items()}
    manifest(data)
    with zipfile.ZipFile(target, "w") as new:
        for name, body in contents.items():
            new.writestr(name, body)
        new.writestr("manifest.json", json.dumps(data))
    return target


def _database_state() -> tuple[int, ...]:
    return (
        Organization.objects.count(),
        User.objects.count(),
        AuditEvent.objects.count(),
        Evidence.objects.count(),
        EvidenceVersion.objects.count(),
    )


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_archive_has_a_manifest_with_checksums_and_no_mfa_secrets(cast: Cast, tmp_path: Path) -> None:
    device = TOTPDevice.objects.create(user=cast.owner, name="app", confirmed=True)
    evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.official),
        title="Policy",
        upload=SimpleUploadedFile("policy.txt", b"We protect ePHI.\n", content_type="text/plain"),
        effective_date=timezone.localdate(),
    )
    path = tmp_path / "clinic.zip"
    _export("clinic", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format_version"] == 1 and manifest["organization"] == "clinic"
        assert manifest["counts"]["core.membership"] == 4 and manifest["counts"]["files"] == 1
        assert datetime.fromisoformat(manifest["exported_at"]).tzinfo is not None
        for name, checksum in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == checksum
        everything = b"".join(archive.read(name) for name in archive.namelist())
        users = [json.loads(line) for line in archive.read("data/users.jsonl").splitlines()]
    assert device.key.encode() not in everything
    assert b"owner@other.test" not in everything  # another organization's people stay out
    assert {u["email"] for u in users} == {
        "owner@clinic.test",
        "so@clinic.test",
        "nurse@clinic.test",
        "auditor@firm.test",
    }
    assert set(users[0]) == {"public_id", "email", "first_name", "last_name", "password", "is_active", "date_joined"}


def test_export_refuses_to_overwrite_a_file(cast: Cast, tmp_path: Path) -> None:
    target = tmp_path / "exists.zip"
    target.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists; choose another file name"):
        _export("clinic", target)
    assert target.read_bytes() == b"keep me"


def test_export_of_an_unknown_organization_is_refused(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No organization with the slug 'nope'."):
        _export("nope", tmp_path / "x.zip")


def test_export_refuses_an_evidence_file_that_no_longer_matches_its_hash(cast: Cast, tmp_path: Path) -> None:
    evidence = evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.official),
        title="Policy",
        upload=SimpleUploadedFile("policy.txt", b"original", content_type="text/plain"),
        effective_date=timezone.localdate(),
    )
    version = evidence.versions.get()
    Path(version.file.path).write_bytes(b"altered")
    with pytest.raises(CommandError, match="does not match its recorded SHA-256"):
        _export("clinic", tmp_path / "x.zip")
    assert not list(tmp_path.glob("*.zip"))


def test_import_refuses_a_taken_slug_and_writes_nothing(archive: Path) -> None:
    before, files = _database_state(), _stored_files()
    with pytest.raises(CommandError, match="An organization with the slug 'clinic' already exists here") as refusal:
        _import(archive)
    assert refusal.value.returncode == 1
    assert (_database_state(), _stored_files()) == (before, files)


def test_import_refuses_an_organization_already_in_this_database(archive: Path) -> None:
    before = _database_state()
    with pytest.raises(CommandError, match="already exists here as 'clinic' \\(same public id\\)"):
        _import(archive, "--slug", "clinic-copy")
    assert _database_state() == before


def test_import_refuses_an_altered_member(archive: Path, tmp_path: Path) -> None:
    def edit(name: str, data: bytes) -> bytes:
        return data.replace(b"Riverside Clinic", b"Evil Clinic") if name == "data/organization.jsonl" else data

    altered = _rewrite(archive, tmp_path / "altered.zip", member=edit, fix_checksums=False)
    before = _database_state()
    with pytest.raises(CommandError, match="checksum of data/organization.jsonl does not match the manifest"):
        _import(altered, "--slug", "evil")
    assert _database_state() == before


def test_import_refuses_an_unknown_format_version(archive: Path, tmp_path: Path) -> None:
    newer = _rewrite(archive, tmp_path / "v2.zip", manifest=lambda m: m.update(format_version=2))
    with pytest.raises(CommandError, match="format version 2; this version of Safeguard reads version 1"):
        _import(newer, "--slug", "newer")


def test_import_refuses_a_file_that_is_not_an_archive(db: None, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_text("not a zip")
    with pytest.raises(CommandError, match="Cannot open .* as a zip archive"):
        _import(bogus)


def test_a_conflict_midway_rolls_back_everything_including_files(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record gets a new public id except the audit events, which then collide after the files are stored."""
    renamed: dict[bytes, bytes] = {}
    with zipfile.ZipFile(archive) as source:
        for name in source.namelist():
            if name.startswith("data/") and name not in ("data/users.jsonl", "data/core.auditevent.jsonl"):
                for line in source.read(name).splitlines():
                    old = json.loads(line).get("public_id")
                    if old:
                        renamed[old.encode()] = str(uuid.uuid4()).encode()

    def new_identities(name: str, data: bytes) -> bytes:
        if name in ("data/users.jsonl", "data/core.auditevent.jsonl") or not name.startswith("data/"):
            return data
        for old, new in renamed.items():
            data = data.replace(old, new)
        return data

    clash = _rewrite(archive, tmp_path / "clash.zip", member=new_identities)
    before, files = _database_state(), _stored_files()
    removed: list[str] = []
    original = importing._Importer.remove_stored_files

    def spy(self: importing._Importer) -> None:
        removed.extend(name for _, name in self.stored_files)
        original(self)

    monkeypatch.setattr(importing._Importer, "remove_stored_files", spy)
    with pytest.raises(CommandError, match="conflict with records already here"):
        _import(clash, "--slug", "clash")
    assert len(removed) == 1  # the evidence file had been restored before the collision, and was removed
    assert (_database_state(), _stored_files()) == (before, files)
    assert not Organization.objects.filter(slug="clash").exists()
