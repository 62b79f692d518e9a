"""Evidence pages over HTTP: list, upload, detail, new version, download, delete; who may do what."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, EvidenceVersion, Membership, User
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_link, evidence_upload
from safeguard.tracker.models import Attestation
from tests.conftest import Cast, client_for, make_member

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

PDF = b"%PDF-1.4 contingency plan\n"
LOGIN = reverse("login")


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"core:{name}", args=[org, *args])


def stored(cast: Cast, title: str = "Contingency plan", effective: date = date(2025, 3, 1)) -> Evidence:
    return evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title=title,
        effective_date=effective,
        upload=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
    )


def past_retention(evidence: Evidence) -> Evidence:
    """As if the evidence had been stored long ago: its retention date has passed."""
    Evidence.objects.filter(pk=evidence.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    evidence.refresh_from_db()
    return evidence


def six_years_from_today() -> date:
    return add_years(timezone.localdate(), 6)


def bare_rows(cast: Cast, count: int, start: int = 0) -> None:
    """List rows without files on disk, for pagination and query counts."""
    for n in range(start, start + count):
        evidence = Evidence.objects.create(
            organization=cast.org,
            title=f"Item {n:03}",
            effective_date=date(2025, 1, 1),
            retain_until=date(2031, 1, 1),
            created_by=cast.owner,
        )
        for number in (1, 2):
            EvidenceVersion.objects.create(
                evidence=evidence,
                number=number,
                file=f"evidence/x/{n}-{number}",
                original_name="a.pdf",
                content_type="application/pdf",
                size=100 * number,
                sha256=f"{n:03}{number}".ljust(64, "a"),
                uploaded_by=cast.official if number == 2 else cast.owner,
            )


def files_on_disk(settings: SettingsWrapper) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def user_for(cast: Cast, who: str | None) -> User | None:
    if who == "privacy":
        return make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user
    return getattr(cast, who) if who else None


def upload_data(content: bytes = PDF, name: str = "plan.pdf", content_type: str = "application/pdf") -> dict:
    return {
        "title": "Contingency plan",
        "description": "Signed copy",
        "effective_date": "2025-03-01",
        "retain_until": "",
        "file": SimpleUploadedFile(name, content, content_type=content_type),
    }


# --- list -------------------------------------------------------------------------------------------------------


def test_list_shows_title_dates_latest_version_digest_and_uploader(cast: Cast) -> None:
    bare_rows(cast, 1)

    response = client_for(cast.auditor).get(url("evidence_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Item 000" in html
    assert "2025-01-01" in html and "2031-01-01" in html
    assert "v2" in html and "200" in html
    assert "0002aaaaaaaa…" in html
    assert "so@clinic.test" in html


def test_list_filters_by_text(cast: Cast) -> None:
    stored(cast, title="Backup restore test")
    stored(cast, title="Workstation policy")

    response = client_for(cast.owner).get(url("evidence_list"), {"q": "restore"})

    html = response.content.decode()
    assert "Backup restore test" in html
    assert "Workstation policy" not in html


def test_list_hides_deleted_evidence(cast: Cast) -> None:
    kept = stored(cast, title="Kept")
    gone = stored(cast, title="Gone")
    Evidence.objects.filter(pk=gone.pk).update(is_deleted=True)

    html = client_for(cast.owner).get(url("evidence_list")).content.decode()

    assert kept.title in html and "Gone" not in html


def test_list_paginates_fifty_per_page(cast: Cast) -> None:
    bare_rows(cast, 51)
    client = client_for(cast.owner)

    first = client.get(url("evidence_list"))
    second = client.get(url("evidence_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert [e.title for e in second.context["page"].object_list] == ["Item 000"]


def test_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)
    bare_rows(cast, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("evidence_list")).status_code == 200
    bare_rows(cast, 27, start=3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("evidence_list")).status_code == 200

    assert len(many) == len(few)


# --- upload -----------------------------------------------------------------------------------------------------


def test_upload_stores_the_file_and_redirects_to_the_detail(cast: Cast, settings: SettingsWrapper) -> None:
    response = client_for(cast.official).post(url("evidence_upload"), upload_data())

    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("evidence_detail", evidence.public_id)
    version = evidence.versions.get()
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.size == len(PDF)
    assert version.uploaded_by == cast.official
    # Effective in 2025, uploaded today: kept six years from the later date, today.
    assert evidence.retain_until == six_years_from_today()
    assert [p.read_bytes() for p in files_on_disk(settings)] == [PDF]


def test_upload_with_a_path_in_the_file_name_stays_in_the_evidence_folder(
    cast: Cast, settings: SettingsWrapper
) -> None:
    boundary = "safeguardboundary"
    parts = [("title", "Passwords"), ("effective_date", "2025-03-01")]
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts)
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n'
        f"Content-Type: text/plain\r\n\r\nroot:x:0:0\r\n--{boundary}--\r\n"
    )

    response = client_for(cast.owner).generic(
        "POST", url("evidence_upload"), body.encode(), content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 302
    version = EvidenceVersion.objects.get()
    assert re.fullmatch(rf"evidence/{cast.org.public_id}/[0-9a-f]{{32}}", str(version.file.name))
    assert version.original_name == "passwd"
    (path,) = files_on_disk(settings)
    assert path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.read_bytes() == b"root:x:0:0"


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"y" * 2048, "application/pdf", "The file is 2.0 KB; the limit is 1.0 KB."),
        (b"", "application/pdf", "The file is empty."),
        (b"<html>", "text/html", "Files of type text/html are not accepted."),
    ],
)
def test_refused_upload_shows_the_reason_on_the_file_field_and_keeps_nothing(
    cast: Cast, settings: SettingsWrapper, content: bytes, content_type: str, message: str
) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024

    response = client_for(cast.owner).post(url("evidence_upload"), upload_data(content, "x.bin", content_type))

    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith(message)
    assert message in response.content.decode()
    assert not Evidence.objects.exists()
    assert not EvidenceVersion.objects.exists()
    assert not AuditEvent.objects.exists()
    assert files_on_disk(settings) == []


def test_upload_with_a_short_retention_is_refused_on_that_field(cast: Cast, settings: SettingsWrapper) -> None:
    data = upload_data() | {"retain_until": "2026-01-01"}

    response = client_for(cast.owner).post(url("evidence_upload"), data)

    assert response.status_code == 200
    assert f"{six_years_from_today():%Y-%m-%d}" in response.context["form"].errors["retain_until"][0]
    assert not Evidence.objects.exists()
    assert files_on_disk(settings) == []


# --- detail and new version -------------------------------------------------------------------------------------


def test_detail_shows_versions_with_digests_and_links(cast: Cast) -> None:
    evidence = stored(cast)
    evidence_link(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        evidence=evidence,
        target=("catalog.requirement", "164.308(a)(7)(ii)(B)"),
    )

    response = client_for(cast.auditor).get(url("evidence_detail", evidence.public_id))

    html = response.content.decode()
    assert response.status_code == 200
    assert hashlib.sha256(PDF).hexdigest() in html
    assert "plan.pdf" in html and "application/pdf" in html and "owner@clinic.test" in html
    requirement_page = reverse("tracker:requirement", args=["clinic", "164.308(a)(7)(ii)(B)"])
    assert f'<a href="{requirement_page}">164.308(a)(7)(ii)(B) Disaster recovery plan</a>' in html
    assert url("evidence_download", evidence.public_id, 1) in html
    # The auditor reads; no upload, link or delete controls.
    assert f'action="{url("evidence_new_version", evidence.public_id)}"' not in html
    assert f'action="{url("evidence_link", evidence.public_id)}"' not in html
    assert f'action="{url("evidence_delete", evidence.public_id)}"' not in html


def test_new_version_keeps_the_first_version_file(cast: Cast, settings: SettingsWrapper) -> None:
    evidence = stored(cast)
    first = evidence.versions.get()

    response = client_for(cast.official).post(
        url("evidence_new_version", evidence.public_id),
        {"file": SimpleUploadedFile("plan-v2.pdf", b"%PDF-1.4 v2", content_type="application/pdf")},
    )

    assert response.status_code == 302
    assert list(evidence.versions.values_list("number", flat=True)) == [2, 1]
    assert (Path(settings.MEDIA_ROOT) / str(first.file.name)).read_bytes() == PDF
    assert len(files_on_disk(settings)) == 2


def test_refused_new_version_shows_the_reason_and_adds_nothing(cast: Cast, settings: SettingsWrapper) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(cast.owner).post(
        url("evidence_new_version", evidence.public_id),
        {"file": SimpleUploadedFile("run.sh", b"#!/bin/sh", content_type="application/x-sh")},
    )

    assert response.status_code == 200
    assert "Files of type application/x-sh are not accepted." in response.content.decode()
    assert evidence.versions.count() == 1
    assert AuditEvent.objects.count() == events
    assert len(files_on_disk(settings)) == 1


# --- download ---------------------------------------------------------------------------------------------------


def test_download_streams_the_version_as_an_attachment_and_is_audited(cast: Cast) -> None:
    evidence = stored(cast)

    response = client_for(cast.auditor).get(url("evidence_download", evidence.public_id, 1))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="evidence.downloaded")
    assert event.actor == cast.auditor
    assert event.object_id == str(evidence.public_id)


def test_download_of_a_missing_version_is_404_and_not_audited(cast: Cast) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(cast.owner).get(url("evidence_download", evidence.public_id, 7))

    assert response.status_code == 404
    assert AuditEvent.objects.count() == events


# --- delete -----------------------------------------------------------------------------------------------------


def test_deletion_before_retention_shows_the_refusal_and_changes_nothing(cast: Cast) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(cast.owner).post(url("evidence_delete", evidence.public_id), follow=True)

    assert response.redirect_chain[-1][0] == url("evidence_detail", evidence.public_id)
    assert f"must be kept until {evidence.retain_until:%Y-%m-%d}" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.is_deleted is False
    assert AuditEvent.objects.count() == events


def test_deletion_after_retention_hides_the_evidence(cast: Cast) -> None:
    evidence = past_retention(stored(cast, effective=date(2010, 5, 1)))

    response = client_for(cast.official).post(url("evidence_delete", evidence.public_id))

    assert response.status_code == 302
    assert response["Location"] == url("evidence_list")
    evidence.refresh_from_db()
    assert evidence.is_deleted is True
    assert AuditEvent.objects.filter(action="evidence.deleted", actor=cast.official).count() == 1
    assert client_for(cast.official).get(url("evidence_detail", evidence.public_id)).status_code == 404


# --- isolation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "evidence_detail", ()),
        ("get", "evidence_download", (1,)),
        ("post", "evidence_new_version", ()),
        ("post", "evidence_link", ()),
        ("post", "evidence_delete", ()),
    ],
)
def test_another_organizations_evidence_is_404(cast: Cast, method: str, name: str, args: tuple[object, ...]) -> None:
    evidence = past_retention(stored(cast, effective=date(2010, 1, 1)))
    events = AuditEvent.objects.count()

    response = getattr(client_for(cast.outsider), method)(url(name, evidence.public_id, *args, org="other"))

    assert response.status_code == 404
    assert AuditEvent.objects.count() == events
    assert Evidence.objects.get(pk=evidence.pk).is_deleted is False


# --- link to a requirement -------------------------------------------------------------------------------------


def test_linking_to_a_requirement_by_citation_is_audited_and_shown(cast: Cast) -> None:
    evidence = stored(cast)

    response = client_for(cast.official).post(url("evidence_link", evidence.public_id), {"citation": " 164.312(b) "})

    assert response.status_code == 302
    assert response["Location"] == url("evidence_detail", evidence.public_id)
    link = EvidenceLink.objects.get(evidence=evidence)
    assert (link.target_type, link.target_id) == ("catalog.requirement", "164.312(b)")
    event = AuditEvent.objects.get(action="evidence.linked")
    assert event.actor == cast.official
    assert event.changes == {"linked_to": [None, "catalog.requirement:164.312(b)"]}
    html = client_for(cast.official).get(response["Location"]).content.decode()
    assert "164.312(b) Audit controls" in html


def test_linking_twice_adds_no_second_link_or_event(cast: Cast) -> None:
    evidence = stored(cast)
    client = client_for(cast.owner)

    for _ in range(2):
        assert client.post(url("evidence_link", evidence.public_id), {"citation": "164.312(b)"}).status_code == 302

    assert EvidenceLink.objects.filter(evidence=evidence).count() == 1
    assert AuditEvent.objects.filter(action="evidence.linked").count() == 1


@pytest.mark.parametrize(
    ("citation", "message"),
    [
        ("164.999(z)", "No requirement in the catalog matches '164.999(z)'."),
        ("", "This field is required."),
    ],
)
def test_linking_to_an_unknown_requirement_shows_why_and_links_nothing(cast: Cast, citation: str, message: str) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(cast.owner).post(url("evidence_link", evidence.public_id), {"citation": citation})

    assert response.status_code == 200
    assert response.context["link_form"].errors["citation"] == [message]
    assert not EvidenceLink.objects.exists()
    assert AuditEvent.objects.count() == events


def test_the_link_form_is_offered_to_program_managers(cast: Cast) -> None:
    evidence = stored(cast)

    html = client_for(cast.owner).get(url("evidence_detail", evidence.public_id)).content.decode()

    assert f'action="{url("evidence_link", evidence.public_id)}"' in html
    assert '<label for="id_citation">Requirement citation</label>' in html


def test_detail_query_count_does_not_grow_with_links(cast: Cast) -> None:
    evidence = stored(cast)
    client = client_for(cast.owner)
    citations = list(Requirement.objects.order_by("position").values_list("citation", flat=True)[:30])

    def link(citations: list[str]) -> None:
        EvidenceLink.objects.bulk_create(
            EvidenceLink(evidence=evidence, target_type="catalog.requirement", target_id=c) for c in citations
        )

    link(citations[:3])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("evidence_detail", evidence.public_id)).status_code == 200
    link(citations[3:])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("evidence_detail", evidence.public_id)).status_code == 200

    assert len(many) == len(few)
    assert EvidenceLink.objects.filter(evidence=evidence).count() == 30


# --- authorization matrix ---------------------------------------------------------------------------------------
# Each row: who asks, and the status they get. Denied requests change nothing and write no audit event.

READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), (None, 302)]
MANAGERS = [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)]


def assert_denied_quietly(response: TestResponse, status: int, events_before: int) -> None:
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(LOGIN)
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(("who", "status"), READERS)
def test_matrix_list(cast: Cast, who: str | None, status: int) -> None:
    response = client_for(user_for(cast, who)).get(url("evidence_list"))
    assert response.status_code == status


@pytest.mark.parametrize(("who", "status"), READERS)
def test_matrix_detail(cast: Cast, who: str | None, status: int) -> None:
    evidence = stored(cast)
    response = client_for(user_for(cast, who)).get(url("evidence_detail", evidence.public_id))
    assert response.status_code == status


@pytest.mark.parametrize(("who", "status"), READERS)
def test_matrix_download(cast: Cast, who: str | None, status: int) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(user_for(cast, who)).get(url("evidence_download", evidence.public_id, 1))

    if status == 200:
        assert AuditEvent.objects.count() == events + 1
    else:
        assert_denied_quietly(response, status, events)


@pytest.mark.parametrize(("who", "status"), MANAGERS)
def test_matrix_upload(cast: Cast, settings: SettingsWrapper, who: str | None, status: int) -> None:
    response = client_for(user_for(cast, who)).post(url("evidence_upload"), upload_data())

    if who in ("owner", "official"):
        assert response.status_code == 302
        assert Evidence.objects.count() == 1
    else:
        assert_denied_quietly(response, status, 0)
        assert not Evidence.objects.exists()
        assert files_on_disk(settings) == []


@pytest.mark.parametrize(("who", "status"), MANAGERS)
def test_matrix_new_version(cast: Cast, who: str | None, status: int) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(user_for(cast, who)).post(
        url("evidence_new_version", evidence.public_id),
        {"file": SimpleUploadedFile("v2.pdf", b"%PDF v2", content_type="application/pdf")},
    )

    if who in ("owner", "official"):
        assert response.status_code == 302
        assert evidence.versions.count() == 2
    else:
        assert_denied_quietly(response, status, events)
        assert evidence.versions.count() == 1


@pytest.mark.parametrize(("who", "status"), MANAGERS)
def test_matrix_link(cast: Cast, who: str | None, status: int) -> None:
    evidence = stored(cast)
    events = AuditEvent.objects.count()

    response = client_for(user_for(cast, who)).post(
        url("evidence_link", evidence.public_id), {"citation": "164.312(b)"}
    )

    if who in ("owner", "official"):
        assert response.status_code == 302
        assert EvidenceLink.objects.filter(evidence=evidence, target_id="164.312(b)").count() == 1
        assert AuditEvent.objects.count() == events + 1
    else:
        assert_denied_quietly(response, status, events)
        assert not EvidenceLink.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 302),
        ("official", 302),
        ("privacy", 403),  # manages the program but may not delete evidence
        ("auditor", 403),
        ("workforce", 403),
        ("outsider", 404),
        (None, 302),
    ],
)
def test_matrix_delete(cast: Cast, who: str | None, status: int) -> None:
    evidence = past_retention(stored(cast, effective=date(2010, 1, 1)))
    user = user_for(cast, who)
    events = AuditEvent.objects.count()

    response = client_for(user).post(url("evidence_delete", evidence.public_id))

    evidence.refresh_from_db()
    if who in ("owner", "official"):
        assert response.status_code == 302
        assert evidence.is_deleted is True
    else:
        assert_denied_quietly(response, status, events)
        assert evidence.is_deleted is False


def test_get_is_not_allowed_on_the_post_only_pages(cast: Cast) -> None:
    evidence = past_retention(stored(cast, effective=date(2010, 1, 1)))
    client = client_for(cast.owner)

    assert client.get(url("evidence_delete", evidence.public_id)).status_code == 405
    assert client.get(url("evidence_new_version", evidence.public_id)).status_code == 405
    assert client.get(url("evidence_link", evidence.public_id), {"citation": "164.312(b)"}).status_code == 405
    assert Evidence.objects.get(pk=evidence.pk).is_deleted is False
    assert not EvidenceLink.objects.exists()


def test_a_member_whose_access_ended_is_refused(cast: Cast) -> None:
    Membership.objects.filter(user=cast.auditor).update(access_ends_on=date(2020, 1, 1))

    assert client_for(cast.auditor).get(url("evidence_list")).status_code == 404


def test_an_empty_post_shows_what_is_missing(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("evidence_upload"), {})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Choose a file to upload."]
    assert not Evidence.objects.exists()


# --- dates out of range ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("effective_date", "9999-06-01", "The effective date must be between 1990-01-01 and "),
        ("effective_date", "1899-12-31", "The effective date must be between 1990-01-01 and "),
        ("retain_until", "9999-12-31", "Retention can be set at most 100 years ahead"),
    ],
)
def test_an_upload_dated_out_of_range_is_refused_on_its_field(
    cast: Cast, settings: SettingsWrapper, field: str, value: str, message: str
) -> None:
    response = client_for(cast.owner).post(url("evidence_upload"), upload_data() | {field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field][0].startswith(message)
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert files_on_disk(settings) == []


def test_a_new_version_of_stored_evidence_dated_year_9999_is_kept_for_good(cast: Cast) -> None:
    evidence = stored(cast)
    Evidence.objects.filter(pk=evidence.pk).update(effective_date=date(9999, 6, 1))

    response = client_for(cast.owner).post(
        url("evidence_new_version", evidence.public_id),
        {"file": SimpleUploadedFile("v2.pdf", b"%PDF v2", content_type="application/pdf")},
    )

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.versions.count() == 2
    assert evidence.retain_until == date.max


# --- the roles the matrices above leave out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "manages"), [(Role.MANAGER, False), (Role.REVIEWER, False), (Role.PRIVACY_OFFICER, True)]
)
def test_matrix_manager_reviewer_privacy_officer(
    cast: Cast, settings: SettingsWrapper, role: str, manages: bool
) -> None:
    """Managers and reviewers read the evidence; the privacy officer also adds to it; none of them deletes it."""
    client = client_for(make_member(cast.org, f"{role}@clinic.test", role).user)
    evidence = past_retention(stored(cast, effective=date(2010, 1, 1)))
    events = AuditEvent.objects.count()
    expected = 302 if manages else 403

    reads = [client.get(url("evidence_list")), client.get(url("evidence_detail", evidence.public_id))]
    upload = client.post(url("evidence_upload"), upload_data())
    version = client.post(
        url("evidence_new_version", evidence.public_id),
        {"file": SimpleUploadedFile("v2.pdf", b"%PDF v2", content_type="application/pdf")},
    )
    link = client.post(url("evidence_link", evidence.public_id), {"citation": "164.312(b)"})
    delete = client.post(url("evidence_delete", evidence.public_id))

    assert [r.status_code for r in reads] == [200, 200]
    assert [r.status_code for r in (upload, version, link)] == [expected] * 3
    assert delete.status_code == 403
    evidence.refresh_from_db()
    assert evidence.is_deleted is False
    if manages:
        assert Evidence.objects.count() == 2
        assert evidence.versions.count() == 2
        assert EvidenceLink.objects.filter(evidence=evidence, target_id="164.312(b)").count() == 1
        actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)[events:])
        assert actions == ["evidence.uploaded", "evidence.version_added", "evidence.linked"]
    else:
        assert Evidence.objects.count() == 1
        assert evidence.versions.count() == 1
        assert not EvidenceLink.objects.exists()
        assert AuditEvent.objects.count() == events
        assert len(files_on_disk(settings)) == 1


def test_an_attestation_with_evidence_dated_year_9999_is_refused_on_the_field(
    cast: Cast, settings: SettingsWrapper
) -> None:
    citation = "164.308(a)(1)(ii)(A)"
    response = client_for(cast.owner).post(
        reverse("tracker:attestation_create", args=[cast.org.slug, citation]),
        {
            "attest-statement": "Risk analysis done by the consultant.",
            "attest-expires_on": (timezone.localdate() + timedelta(days=300)).isoformat(),
            "attest-evidence_file": SimpleUploadedFile("ra.pdf", PDF, content_type="application/pdf"),
            "attest-evidence_effective_date": "9999-06-01",
        },
    )

    assert response.status_code == 400
    errors = response.context["attestation_form"].errors["evidence_effective_date"]
    assert errors[0].startswith("The effective date must be between 1990-01-01 and ")
    assert not Attestation.objects.exists()
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert files_on_disk(settings) == []
