"""Evidence services: stored files, digests, refusals that leave nothing behind, versions, retention, downloads."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Evidence, EvidenceVersion
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import (
    display_name,
    evidence_add_version,
    evidence_delete,
    evidence_download_record,
    evidence_upload,
    retention_floor,
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
    effective_date: date = date(2025, 1, 15),
) -> Evidence:
    return evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Risk analysis",
        effective_date=effective_date,
        retain_until=retain_until,
        upload=SimpleUploadedFile("risk.pdf", content, content_type=content_type),
    )


def six_years_from_today() -> date:
    return add_years(timezone.localdate(), 6)


def back_date(evidence: Evidence, *, uploaded: date, retain_until: date) -> None:
    """As if the evidence (and its versions) had been uploaded on `uploaded`."""
    moment = datetime(uploaded.year, uploaded.month, uploaded.day, 12, tzinfo=UTC)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=moment, retain_until=retain_until)
    EvidenceVersion.objects.filter(evidence=evidence).update(uploaded_at=moment)
    evidence.refresh_from_db()


def test_upload_stores_a_generated_name_with_digest_and_size(cast: Cast, settings) -> None:
    evidence = upload(cast)

    version = evidence.versions.get()
    assert re.fullmatch(rf"evidence/{cast.org.public_id}/[0-9a-f]{{32}}", str(version.file.name))
    assert version.original_name == "risk.pdf"
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.size == len(PDF)
    assert version.content_type == "application/pdf"
    assert (Path(settings.MEDIA_ROOT) / str(version.file.name)).read_bytes() == PDF
    # Effective in 2025 but uploaded today: kept six years from today, the later of the two.
    assert evidence.retain_until == six_years_from_today()
    assert evidence.created_at == version.uploaded_at
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


def test_a_backdated_document_is_kept_six_years_from_its_upload(cast: Cast) -> None:
    evidence = upload(cast, effective_date=date(2015, 6, 1))

    assert evidence.retain_until == six_years_from_today()
    with pytest.raises(ServiceError):
        evidence_delete(organization=cast.org, actor=Actor(user=cast.owner), evidence=evidence)
    evidence.refresh_from_db()
    assert evidence.is_deleted is False


def test_a_document_effective_later_is_kept_six_years_from_its_effective_date(cast: Cast) -> None:
    effective = timezone.localdate() + timedelta(days=90)

    evidence = upload(cast, effective_date=effective)

    assert evidence.retain_until == add_years(effective, 6)


def test_retention_shorter_than_six_years_from_the_upload_is_refused(cast: Cast, settings) -> None:
    floor = six_years_from_today()

    with pytest.raises(ServiceError) as refused:
        # Six years after the 2025 effective date is not enough: the upload is later.
        upload(cast, retain_until=add_years(date(2025, 1, 15), 6))

    assert refused.value.field == "retain_until"
    assert f"{floor:%Y-%m-%d}" in refused.value.message
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_retention_on_the_floor_or_later_is_accepted(cast: Cast) -> None:
    floor = six_years_from_today()

    assert upload(cast, retain_until=floor).retain_until == floor
    assert upload(cast, retain_until=date(2099, 1, 1)).retain_until == date(2099, 1, 1)


@pytest.mark.parametrize(
    ("effective", "uploaded", "floor"),
    [
        (date(2015, 3, 1), date(2025, 3, 10), date(2031, 3, 10)),  # back-dated: counts from the upload
        (date(2027, 1, 1), date(2025, 3, 10), date(2033, 1, 1)),  # in effect later: counts from then
        (date(2024, 2, 29), date(2024, 2, 29), date(2030, 2, 28)),  # a leap day clamps to the month's end
    ],
)
def test_retention_floor_counts_from_the_later_date(effective: date, uploaded: date, floor: date) -> None:
    assert retention_floor(effective, uploaded) == floor


def test_retention_floor_follows_the_configured_years(settings: SettingsWrapper) -> None:
    settings.EVIDENCE_RETENTION_YEARS = 7
    assert retention_floor(date(2020, 1, 1), date(2020, 1, 1)) == date(2027, 1, 1)


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
    event = AuditEvent.objects.filter(action="evidence.version_added").get()
    assert event.changes["version"] == [1, 2]
    # Retention already reached six years past today: the new version changed nothing there.
    assert "retain_until" not in event.changes
    evidence.refresh_from_db()
    assert evidence.retain_until == six_years_from_today()


def version(cast: Cast, evidence: Evidence) -> EvidenceVersion:
    return evidence_add_version(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        evidence=evidence,
        upload=SimpleUploadedFile("risk-v2.pdf", b"%PDF-1.4 revised", content_type="application/pdf"),
    )


def test_new_version_extends_retention_to_six_years_after_its_upload(cast: Cast) -> None:
    evidence = upload(cast, effective_date=date(2019, 4, 1))
    back_date(evidence, uploaded=date(2019, 4, 1), retain_until=date(2025, 4, 1))

    version(cast, evidence)

    evidence.refresh_from_db()
    assert evidence.retain_until == six_years_from_today()
    event = AuditEvent.objects.get(action="evidence.version_added")
    assert event.changes["retain_until"] == ["2025-04-01", six_years_from_today().isoformat()]


def test_new_version_never_shortens_a_longer_retention(cast: Cast) -> None:
    evidence = upload(cast, retain_until=date(2060, 1, 1))

    version(cast, evidence)

    evidence.refresh_from_db()
    assert evidence.retain_until == date(2060, 1, 1)
    assert "retain_until" not in AuditEvent.objects.get(action="evidence.version_added").changes


def test_a_failed_version_leaves_retention_unchanged(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = upload(cast, effective_date=date(2019, 4, 1))
    back_date(evidence, uploaded=date(2019, 4, 1), retain_until=date(2025, 4, 1))

    def broken(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("safeguard.core.services.evidence.audit_record", broken)
    with pytest.raises(RuntimeError):
        version(cast, evidence)

    evidence.refresh_from_db()
    assert evidence.retain_until == date(2025, 4, 1)
    assert evidence.versions.count() == 1


def test_deletion_before_retention_is_refused_and_names_the_date(cast: Cast) -> None:
    evidence = upload(cast)
    day_before = evidence.retain_until - timedelta(days=1)

    with pytest.raises(ServiceError) as refused:
        evidence_delete(organization=cast.org, actor=Actor(user=cast.owner), evidence=evidence, today=day_before)

    assert f"{evidence.retain_until:%Y-%m-%d}" in refused.value.message
    evidence.refresh_from_db()
    assert evidence.is_deleted is False
    assert not AuditEvent.objects.filter(action="evidence.deleted").exists()


def test_deletion_on_or_after_the_retention_date_works(cast: Cast, settings) -> None:
    evidence = upload(cast)

    evidence_delete(organization=cast.org, actor=Actor(user=cast.owner), evidence=evidence, today=evidence.retain_until)

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


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"MZ\x90\x00 an executable", "application/pdf"),
        (b"<html>not a picture</html>", "image/png"),
        (b"plain text", "image/jpeg"),
        (b"%PDF-1.7 a pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (b"binary\x00\x01\x02", "text/plain"),
        (b"\xff\xfe\xfd not utf-8", "text/csv"),
    ],
)
def test_content_that_contradicts_its_declared_type_is_refused(cast: Cast, content: bytes, content_type: str) -> None:
    with pytest.raises(ServiceError, match=f"does not look like {content_type}") as refused:
        evidence_upload(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            title="Mislabelled",
            upload=SimpleUploadedFile("file.bin", content, content_type=content_type),
            effective_date=date(2026, 1, 1),
        )
    assert refused.value.field == "file"
    assert not Evidence.objects.filter(organization=cast.org).exists()
    assert not AuditEvent.objects.filter(organization=cast.org).exists()


def test_text_cut_inside_a_multibyte_character_at_the_sniffing_limit_is_still_text(cast: Cast) -> None:
    content = b"a" * 4095 + "é".encode()  # the two-byte é straddles byte 4096
    evidence = evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Notes",
        upload=SimpleUploadedFile("notes.txt", content, content_type="text/plain"),
        effective_date=date(2026, 1, 1),
    )
    assert evidence.versions.get().size == len(content)


# --- dates out of range ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective", "allowed"),
    [(date(1990, 1, 1), True), (date(1989, 12, 31), False), (date(9999, 6, 1), False), (date(1, 1, 1), False)],
)
def test_the_effective_date_lies_between_1990_and_five_years_ahead(
    cast: Cast, settings: SettingsWrapper, effective: date, allowed: bool
) -> None:
    if allowed:
        assert upload(cast, effective_date=effective).effective_date == effective
        return
    with pytest.raises(ServiceError) as refused:
        upload(cast, effective_date=effective)

    assert refused.value.field == "effective_date"
    assert refused.value.message.startswith("The effective date must be between 1990-01-01 and ")
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert stored_files(settings) == []


def test_the_effective_date_reaches_five_years_ahead(cast: Cast) -> None:
    latest = add_years(timezone.localdate(), 5)

    assert upload(cast, effective_date=latest).retain_until == add_years(latest, 6)
    with pytest.raises(ServiceError, match="effective date must be between"):
        upload(cast, effective_date=latest + timedelta(days=1))


def test_retention_reaches_a_hundred_years_ahead_and_no_further(cast: Cast) -> None:
    latest = add_years(timezone.localdate(), 100)

    assert upload(cast, retain_until=latest).retain_until == latest
    with pytest.raises(ServiceError) as refused:
        upload(cast, retain_until=date(9999, 12, 31))

    assert refused.value.field == "retain_until"
    assert Evidence.objects.count() == 1


def test_the_retention_floor_of_a_stored_year_9999_date_is_the_end_of_the_calendar() -> None:
    assert retention_floor(date(9999, 6, 1), date(2026, 1, 1)) == date.max
    assert retention_floor(date(9993, 12, 31), date(2026, 1, 1)) == date(9999, 12, 31)
    assert retention_floor(date(2026, 2, 1), date(2026, 1, 1)) == date(2032, 2, 1)
