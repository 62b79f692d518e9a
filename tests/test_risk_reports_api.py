"""Reports over the API: list, request (202), follow a job, download the file; the role matrix, errors named by
field, isolation between organizations and a flat list query count."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent, Organization, User
from safeguard.risk.models import ReportJob, RiskAnalysis
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_reports_support import make_analysis

BASE = "/api/v1/orgs/clinic/reports/"
PDF = ReportJob.Kind.ANALYSIS_PDF
XLSX = ReportJob.Kind.REGISTER_XLSX
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


def done_job(organization: Organization, requested_by: User, data: bytes = b"%PDF-1.7 report") -> ReportJob:
    job = ReportJob.objects.create(organization=organization, kind=XLSX, requested_by=requested_by)
    stored = default_storage.save(f"risk-reports/{organization.public_id}/{job.public_id}.xlsx", ContentFile(data))
    ReportJob.objects.filter(pk=job.pk).update(
        state=ReportJob.State.DONE,
        progress=100,
        stored_name=stored,
        file_name="risk-register.xlsx",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    job = done_job(cast.org, cast.owner)
    done_job(cast.other_org, cast.outsider)

    response = client_as(cast, who).get(BASE)

    assert response.status_code == expected
    if expected == 200:
        [row] = response.json()["results"]
        assert row["public_id"] == str(job.public_id)
        assert (row["kind"], row["state"], row["progress"], row["size"]) == ("register_xlsx", "done", 100, job.size)
        assert row["sha256"] == job.sha256 and row["requested_by"]["email"] == "owner@clinic.test"
        assert row["links"]["self"] == f"http://testserver{BASE}{job.public_id}/"
        assert row["links"]["download"] == f"http://testserver{BASE}{job.public_id}/download"


def test_list_filters_by_kind_and_state(cast: Cast) -> None:
    done_job(cast.org, cast.owner)
    queued = ReportJob.objects.create(organization=cast.org, kind=XLSX, requested_by=cast.owner)
    client = api_client(cast.auditor)

    assert [r["public_id"] for r in client.get(BASE, {"state": "queued"}).json()["results"]] == [str(queued.public_id)]
    assert client.get(BASE, {"kind": "analysis_pdf"}).json()["results"] == []
    bad = client.get(BASE, {"state": "lost"})
    assert bad.status_code == 400 and list(error_of(bad)["fields"]) == ["state"]


def test_list_query_count_is_flat(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    client = api_client(cast.owner)
    for _ in range(3):
        ReportJob.objects.create(organization=cast.org, kind=PDF, analysis=analysis, requested_by=cast.owner)
    with CaptureQueriesContext(connection) as few:
        client.get(BASE)
    for _ in range(27):
        ReportJob.objects.create(organization=cast.org, kind=PDF, analysis=analysis, requested_by=cast.auditor)
    with CaptureQueriesContext(connection) as many:
        response = client.get(BASE)

    assert len(response.json()["results"]) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(("who", "expected"), [("owner", 202), ("auditor", 202), *READERS[2:]])
def test_request_matrix(cast: Cast, who: str, expected: int, django_capture_on_commit_callbacks) -> None:
    analysis = make_analysis(cast.org, cast.official)
    client = client_as(cast, who)
    before = audit_count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BASE, {"kind": "analysis_pdf", "analysis_id": str(analysis.public_id)}, format="json")

    assert response.status_code == expected
    if expected == 202:
        body = response.json()
        job = ReportJob.objects.get()
        assert body["public_id"] == str(job.public_id) and body["analysis_id"] == str(analysis.public_id)
        assert (body["kind"], body["state"], body["links"]["download"]) == ("analysis_pdf", "queued", None)
        assert job.state == ReportJob.State.DONE  # built once the request committed
        assert AuditEvent.objects.filter(action="risk.report.requested").count() == 1
    else:
        assert not ReportJob.objects.exists()
        assert audit_count() == before


def test_request_the_register_workbook(cast: Cast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(cast.auditor).post(BASE, {"kind": "register_xlsx"}, format="json")

    assert response.status_code == 202 and response.json()["analysis_id"] is None
    assert ReportJob.objects.get().state == ReportJob.State.DONE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "kind"),
        ({"kind": "everything"}, "kind"),
        ({"kind": "analysis_pdf"}, "analysis_id"),
        ({"kind": "analysis_pdf", "analysis_id": "not-a-uuid"}, "analysis_id"),
        ({"kind": "analysis_pdf", "analysis_id": "00000000-0000-0000-0000-000000000000"}, "analysis_id"),
    ],
)
def test_a_bad_request_names_the_field_and_writes_nothing(cast: Cast, body: dict[str, str], field: str) -> None:
    client = api_client(cast.owner)
    before = audit_count()

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not ReportJob.objects.exists() and audit_count() == before


def test_another_organizations_analysis_is_refused_on_analysis_id(cast: Cast) -> None:
    theirs = make_analysis(cast.other_org, cast.outsider)

    response = api_client(cast.owner).post(BASE, {"kind": "analysis_pdf", "analysis_id": str(theirs.public_id)})

    assert response.status_code == 400 and list(error_of(response)["fields"]) == ["analysis_id"]
    assert not ReportJob.objects.exists()


def test_the_register_export_with_an_analysis_is_refused_on_analysis_id(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)

    response = api_client(cast.owner).post(BASE, {"kind": "register_xlsx", "analysis_id": str(analysis.public_id)})

    assert response.status_code == 400 and list(error_of(response)["fields"]) == ["analysis_id"]


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    job = ReportJob.objects.create(
        organization=cast.org, kind=XLSX, requested_by=cast.owner, state=ReportJob.State.RUNNING, progress=60
    )

    response = client_as(cast, who).get(f"{BASE}{job.public_id}/")

    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert (body["state"], body["progress"], body["links"]["download"]) == ("running", 60, None)


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_download_matrix(cast: Cast, who: str, expected: int) -> None:
    job = done_job(cast.org, cast.owner, data=b"workbook bytes")

    response = client_as(cast, who).get(f"{BASE}{job.public_id}/download")

    assert response.status_code == expected
    downloads = AuditEvent.objects.filter(action="risk.report.downloaded")
    if expected == 200:
        assert response.getvalue() == b"workbook bytes"
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response["X-Content-SHA256"] == job.sha256
        assert downloads.get().object_id == str(job.public_id)
    else:
        assert not downloads.exists()


def test_a_report_not_done_is_404_to_download(cast: Cast) -> None:
    job = ReportJob.objects.create(organization=cast.org, kind=XLSX, requested_by=cast.owner)

    assert api_client(cast.owner).get(f"{BASE}{job.public_id}/download").status_code == 404
    assert not AuditEvent.objects.filter(action="risk.report.downloaded").exists()


def test_another_organizations_report_is_404(cast: Cast) -> None:
    theirs = done_job(cast.other_org, cast.outsider)
    ours = done_job(cast.org, cast.owner)

    for suffix in ("/", "/download"):
        assert api_client(cast.owner).get(f"{BASE}{theirs.public_id}{suffix}").status_code == 404
        other = f"/api/v1/orgs/other/reports/{ours.public_id}{suffix}"
        assert api_client(cast.outsider).get(other).status_code == 404
    assert not AuditEvent.objects.filter(action="risk.report.downloaded").exists()


def test_list_and_detail_never_read_an_analysis_signed_document(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    RiskAnalysis.objects.filter(pk=analysis.pk).update(approved_content={"risks": ["every risk"]})
    job = ReportJob.objects.create(organization=cast.org, kind=PDF, analysis=analysis, requested_by=cast.owner)
    client = api_client(cast.owner)

    for url in (BASE, f"{BASE}{job.public_id}/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert not [query["sql"] for query in queries if "approved_content" in query["sql"]], url
