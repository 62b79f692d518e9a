"""Evidence over the API: upload, versions, audited downloads with checksums, retention-guarded deletion."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Evidence, EvidenceVersion
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_upload
from tests.conftest import Cast, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of

BASE = "/api/v1/orgs/clinic/evidence/"
PDF = b"%PDF-1.4\n% a risk analysis\n" + bytes(range(256)) * 8
READ_MATRIX = [("owner", 200), ("workforce", 403), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
WRITE_DENIED = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def pdf(name: str = "risk-analysis.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored(cast: Cast, title: str = "Risk analysis 2025") -> Evidence:
    return evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title=title,
        upload=pdf(),
        effective_date=date(2025, 1, 15),
    )


def upload_form(**overrides: object) -> dict[str, object]:
    return {"title": "Policy", "effective_date": "2025-03-01", "file": pdf(), **overrides}


# ---- round trip ---------------------------------------------------------------------------------------------


def test_upload_then_download_returns_the_same_bytes(cast: Cast) -> None:
    client = api_client(cast.official)
    created = client.post(BASE, upload_form(description="Signed copy"), format="multipart")
    assert created.status_code == 201, created.content
    body = created.json()
    # Effective 2025-03-01 but uploaded today: six years after the later date.
    assert body["retain_until"] == add_years(timezone.localdate(), 6).isoformat()
    assert body["versions"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["versions"][0]["original_name"] == "risk-analysis.pdf"

    downloaded = api_client(cast.auditor).get(f"{BASE}{body['public_id']}/versions/1/download")
    assert downloaded.status_code == 200
    content = b"".join(downloaded.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert downloaded["X-Content-SHA256"] == hashlib.sha256(PDF).hexdigest()
    assert downloaded["Content-Type"] == "application/pdf"
    assert 'attachment; filename="risk-analysis.pdf"' in downloaded["Content-Disposition"]
    event = AuditEvent.objects.get(action="evidence.downloaded")
    assert event.actor == cast.auditor
    assert event.changes["version"] == [None, 1]


def test_new_version_sits_beside_the_old_one(cast: Cast) -> None:
    evidence = stored(cast)
    client = api_client(cast.owner)
    response = client.post(
        f"{BASE}{evidence.public_id}/versions/", {"file": pdf(content=b"%PDF-1.4 v2")}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["number"] == 2
    detail = client.get(f"{BASE}{evidence.public_id}/").json()
    assert [v["number"] for v in detail["versions"]] == [2, 1]
    assert detail["latest_version"] == 2
    v1 = client.get(f"{BASE}{evidence.public_id}/versions/1/download")
    assert b"".join(v1.streaming_content) == PDF  # type: ignore[attr-defined]


def test_missing_version_is_404_and_not_audited(cast: Cast) -> None:
    evidence = stored(cast)
    before = audit_count()
    assert api_client(cast.owner).get(f"{BASE}{evidence.public_id}/versions/9/download").status_code == 404
    assert audit_count() == before


def test_missing_stored_file_is_404_and_no_download_is_recorded(cast: Cast) -> None:
    evidence = stored(cast)
    version = evidence.versions.get()
    version.file.storage.delete(str(version.file.name))
    before = audit_count()

    response = api_client(cast.owner).get(f"{BASE}{evidence.public_id}/versions/1/download")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert audit_count() == before
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()


def test_new_version_extends_a_retention_that_ends_sooner(cast: Cast) -> None:
    evidence = stored(cast)
    Evidence.objects.filter(pk=evidence.pk).update(retain_until=date(2026, 1, 1))

    response = api_client(cast.owner).post(f"{BASE}{evidence.public_id}/versions/", {"file": pdf()}, format="multipart")

    assert response.status_code == 201
    floor = add_years(timezone.localdate(), 6)
    assert api_client(cast.owner).get(f"{BASE}{evidence.public_id}/").json()["retain_until"] == floor.isoformat()
    event = AuditEvent.objects.get(action="evidence.version_added")
    assert event.changes["retain_until"] == ["2026-01-01", floor.isoformat()]


# ---- matrices -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    stored(cast)
    response = client_as(cast, who).get(BASE)
    assert response.status_code == expected
    if expected == 200:
        assert [r["title"] for r in response.json()["results"]] == ["Risk analysis 2025"]


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    evidence = stored(cast)
    response = client_as(cast, who).get(f"{BASE}{evidence.public_id}/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["versions"][0]["number"] == 1


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_download_matrix(cast: Cast, who: str, expected: int) -> None:
    evidence = stored(cast)
    before = audit_count()
    response = client_as(cast, who).get(f"{BASE}{evidence.public_id}/versions/1/download")
    assert response.status_code == expected
    assert audit_count() == before + (1 if expected == 200 else 0)


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *WRITE_DENIED])
def test_upload_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).post(BASE, upload_form(), format="multipart")
    assert response.status_code == expected
    assert Evidence.objects.filter(title="Policy").exists() is (expected == 201)
    if expected != 201:
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *WRITE_DENIED])
def test_add_version_matrix(cast: Cast, who: str, expected: int) -> None:
    evidence = stored(cast)
    before = audit_count()
    response = client_as(cast, who).post(f"{BASE}{evidence.public_id}/versions/", {"file": pdf()}, format="multipart")
    assert response.status_code == expected
    assert EvidenceVersion.objects.filter(evidence=evidence).count() == (2 if expected == 201 else 1)
    if expected != 201:
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 204), *WRITE_DENIED])
def test_delete_matrix_after_retention(cast: Cast, who: str, expected: int) -> None:
    evidence = stored(cast)
    Evidence.objects.filter(pk=evidence.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    before = audit_count()
    response = client_as(cast, who).delete(f"{BASE}{evidence.public_id}/")
    assert response.status_code == expected
    evidence.refresh_from_db()
    assert evidence.is_deleted is (expected == 204)
    if expected != 204:
        assert audit_count() == before


def test_privacy_officer_may_upload_but_not_delete(cast: Cast) -> None:
    officer = make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user
    assert api_client(officer).post(BASE, upload_form(), format="multipart").status_code == 201
    evidence = stored(cast)
    Evidence.objects.filter(pk=evidence.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    assert api_client(officer).delete(f"{BASE}{evidence.public_id}/").status_code == 403
    evidence.refresh_from_db()
    assert not evidence.is_deleted


# ---- rules and malformed input ------------------------------------------------------------------------------


def test_delete_before_retention_is_refused_with_the_reason(cast: Cast) -> None:
    evidence = stored(cast)
    before = audit_count()
    response = api_client(cast.owner).delete(f"{BASE}{evidence.public_id}/")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert f"must be kept until {evidence.retain_until:%Y-%m-%d}" in str(error["message"])
    evidence.refresh_from_db()
    assert not evidence.is_deleted
    assert audit_count() == before


def test_deleted_evidence_is_gone_from_the_api(cast: Cast) -> None:
    evidence = stored(cast)
    Evidence.objects.filter(pk=evidence.pk).update(is_deleted=True)
    client = api_client(cast.owner)
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}{evidence.public_id}/").status_code == 404
    assert client.get(f"{BASE}{evidence.public_id}/versions/1/download").status_code == 404


def test_upload_malformed_body_names_the_fields(cast: Cast) -> None:
    response = api_client(cast.owner).post(BASE, {"title": "", "effective_date": "soon"}, format="multipart")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"title", "effective_date", "file"}
    assert not Evidence.objects.exists()


def test_upload_refused_by_the_service_names_the_field(cast: Cast) -> None:
    client = api_client(cast.owner)
    short = client.post(BASE, upload_form(retain_until="2026-01-01"), format="multipart")
    assert short.status_code == 400
    assert list(error_of(short)["fields"]) == ["retain_until"]
    exe = SimpleUploadedFile("tool.exe", b"MZ...", content_type="application/x-msdownload")
    wrong_type = client.post(BASE, upload_form(file=exe), format="multipart")
    assert wrong_type.status_code == 400
    assert "not accepted" in error_of(wrong_type)["fields"]["file"][0]
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()


def test_upload_as_json_is_refused(cast: Cast) -> None:
    response = api_client(cast.owner).post(BASE, {"title": "x"}, format="json")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


# ---- isolation and query counts -----------------------------------------------------------------------------


def test_other_orgs_evidence_is_404_through_either_org(cast: Cast) -> None:
    evidence = stored(cast)
    outsider = api_client(cast.outsider)
    for org in ("clinic", "other"):
        url = f"/api/v1/orgs/{org}/evidence/{evidence.public_id}/"
        assert outsider.get(url).status_code == 404
        assert outsider.get(f"{url}versions/1/download").status_code == 404
        assert outsider.post(f"{url}versions/", {"file": pdf()}, format="multipart").status_code == 404
        assert outsider.delete(url).status_code == 404
    assert EvidenceVersion.objects.filter(evidence=evidence).count() == 1
    assert not AuditEvent.objects.filter(actor=cast.outsider).exists()


def test_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count_for(n: int) -> int:
        for i in range(Evidence.objects.count(), n):
            stored(cast, f"Evidence {i}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BASE).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)


@pytest.mark.parametrize(
    ("field", "value"),
    [("effective_date", "9999-06-01"), ("effective_date", "1989-12-31"), ("retain_until", "9999-12-31")],
)
def test_upload_dated_out_of_range_is_a_400_on_the_field(cast: Cast, field: str, value: str) -> None:
    response = api_client(cast.owner).post(BASE, upload_form(**{field: value}), format="multipart")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()


def test_search_matches_the_evidence_page(cast: Cast) -> None:
    stored(cast, "Risk analysis 2025")
    stored(cast, "Sanction policy")
    client = api_client(cast.owner)
    found = client.get(BASE, {"q": "SANCTION"}).json()
    assert [item["title"] for item in found["results"]] == ["Sanction policy"]
    assert client.get(BASE, {"q": ""}).json()["count"] == 2
