"""Evidence services: stored files, digests, refusals that leave nothing behind, versions, retention, downloads."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, EvidenceVersion
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import (
    display_name,
    evidence_add_version,
    evidence_delete,
    evidence_download_record,
    evidence_upload,
)
from tests.conftest import Cast

PDF = b"%PDF-1.4 risk analysis 2025\n"


def stored_files(settings: SettingsWrapper) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(
    cast: Cast,
    content: bytes = PDF,
    content_type: str = "application/pdf",
    retain_until: date | None = None,
) -> Evidence:
    return evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Risk analysis",
        effective_date=date(2025, 1, 15),
        retain_until=retain_until,
        upload=SimpleUploadedFile("risk.pdf", content, content_type=content_type),
    )


def test_upload_stores_a_generated_name_with_digest_and_size(cast: Cast, settings) -> None:
    evidence = upload(cast)

    version = evidence.versions.get()
    assert re.fullmatch(rf"evidence/{cast.org.public_id}/[0-9a-f]{{32}}", str(version.file.name))
    assert version.original_name == "risk.pdf"
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.size == len(PDF)
    assert version.content_type == "application/pdf"
    assert (Path(settings.MEDIA_ROOT) / str(version.file.name)).read_bytes() == PDF
    assert evidence.retain_until == date(2031, 1, 15)
    event = AuditEvent.objects.get(action="evidence.uploaded")
    assert event.changes["sha256"] == [None, version.sha256]
    assert event.actor == cast.owner


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("report\r\nSet-Cookie: x.pdf", "reportSet-Cookie: x.pdf"),
        ("../", "upload"),
        ("", "upload"),
        (".hidden", "hidden"),
    ],
)
def test_display_name_keeps_no_folders_or_control_characters(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"x" * 11, "application/pdf", "The file is 11 bytes; the limit is 10 bytes."),
        (b"", "application/pdf", "The file is empty."),
        (b"MZ\x90\x00", "application/x-msdownload", "Files of type application/x-msdownload are not accepted."),
    ],
)
def test_refused_upload_leaves_no_row_event_or_file(
    cast: Cast,
    settings: SettingsWrapper,
    content: bytes,
    content_type: str,
    message: str,
) -> None:
    settings.EVIDENCE_MAX_BYTES = 10

    with pytest.raises(ServiceError) as refused:
        upload(cast, content=content, content_type=content_type)

    assert refused.value.message.startswith(message)
    assert refused.value.field == "file"
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert stored_files(settings) == []


def test_retention_shorter_than_six_years_is_refused(cast: Cast, settings) -> None:
    with pytest.raises(ServiceError) as refused:
        upload(cast, retain_until=date(2030, 1, 1))

    assert refused.value.field == "retain_until"
    assert "2031-01-15" in refused.value.message
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_failure_after_storing_the_file_removes_it(
    cast: Cast, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("safeguard.core.services.evidence.audit_record", broken)
    with pytest.raises(RuntimeError):
        upload(cast)

    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_new_version_keeps_the_old_file_and_its_bytes(cast: Cast, settings) -> None:
    evidence = upload(cast)
    first = evidence.versions.get()

    second = evidence_add_version(
        organization=cast.org,
        actor=Actor(user=cast.official),
        evidence=evidence,
        upload=SimpleUploadedFile("risk-v2.pdf", b"%PDF-1.4 revised", content_type="application/pdf"),
    )

    first.refresh_from_db()
    assert second.number == 2
    assert second.file.name != first.file.name
    assert (Path(settings.MEDIA_ROOT) / str(first.file.name)).read_bytes() == PDF
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert second.uploaded_by == cast.official
    assert AuditEvent.objects.filter(action="evidence.version_added").get().changes["version"] == [1, 2]


def test_deletion_before_retention_is_refused_and_names_the_date(cast: Cast) -> None:
    evidence = upload(cast)

    with pytest.raises(ServiceError) as refused:
        evidence_delete(organization=cast.org, actor=Actor(user=cast.owner), evidence=evidence, today=date(2031, 1, 14))

    assert "2031-01-15" in refused.value.message
    evidence.refresh_from_db()
    assert evidence.is_deleted is False
    assert not AuditEvent.objects.filter(action="evidence.deleted").exists()


def test_deletion_on_or_after_the_retention_date_works(cast: Cast, settings) -> None:
    evidence = upload(cast)

    evidence_delete(organization=cast.org, actor=Actor(user=cast.owner), evidence=evidence, today=date(2031, 1, 15))

    evidence.refresh_from_db()
    assert evidence.is_deleted is True
    assert evidence.deleted_at is not None
    assert AuditEvent.objects.filter(action="evidence.deleted").count() == 1
    # Soft deletion: the file stays until a purge.
    assert len(stored_files(settings)) == 1


def test_download_record_writes_an_audit_event(cast: Cast) -> None:
    evidence = upload(cast)
    version = EvidenceVersion.objects.get(evidence=evidence)

    evidence_download_record(organization=cast.org, actor=Actor(user=cast.auditor, ip="10.0.0.9"), version=version)

    event = AuditEvent.objects.get(action="evidence.downloaded")
    assert event.actor == cast.auditor
    assert event.ip_address == "10.0.0.9"
    assert event.changes == {"version": [None, 1], "sha256": [None, version.sha256]}
