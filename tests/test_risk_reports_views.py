"""Report pages over HTTP: the list with its auto-refresh, requesting the PDF and the workbook, a job's progress,
the audited download; who may do what, and one organization's reports never reach another."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import AuditEvent, Organization, User
from safeguard.risk.models import ReportJob, RiskAnalysis
from tests.conftest import Cast, client_for
from tests.test_risk_reports_support import make_analysis

XLSX = ReportJob.Kind.REGISTER_XLSX
PDF = ReportJob.Kind.ANALYSIS_PDF
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED = ["owner", "official", "auditor"]
DENIED = [("workforce", 403), ("outsider", 404)]


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def user(cast: Cast, who: str) -> User:
    return {
        "owner": cast.owner,
        "official": cast.official,
        "auditor": cast.auditor,
        "workforce": cast.workforce,
        "outsider": cast.outsider,
    }[who]


def done_job(
    organization: Organization, requested_by: User, data: bytes = b"PK workbook", **values: object
) -> ReportJob:
    job = ReportJob.objects.create(organization=organization, kind=XLSX, requested_by=requested_by)
    stored = default_storage.save(f"risk-reports/{organization.public_id}/{job.public_id}.xlsx", ContentFile(data))
    ReportJob.objects.filter(pk=job.pk).update(
        state=ReportJob.State.DONE,
        progress=100,
        stored_name=stored,
        file_name="risk-register-clinic.xlsx",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        **values,
    )
    job.refresh_from_db()
    return job


def queued(organization: Organization, requested_by: User, **values: object) -> ReportJob:
    fields: dict[str, object] = {"kind": XLSX, **values}
    return ReportJob.objects.create(organization=organization, requested_by=requested_by, **fields)


# --- the list ---------------------------------------------------------------------------------------------------


def test_the_list_shows_jobs_with_state_and_download_links(cast: Cast) -> None:
    done = done_job(cast.org, cast.auditor)
    failed = queued(cast.org, cast.owner, state=ReportJob.State.FAILED, failure="The report could not be built: x")
    analysis = make_analysis(cast.org, cast.official)

    response = client_for(cast.auditor).get(url("report_list"))

    assert response.status_code == 200
    assert [job.pk for job in response.context["page"].object_list] == [failed.pk, done.pk]
    body = response.content.decode()
    assert url("report_download", done.public_id) in body
    assert "The report could not be built: x" in body
    assert url("analysis_report", analysis.public_id) in body and url("register_export") in body
    assert 'http-equiv="refresh"' not in body


def test_the_list_refreshes_itself_while_a_report_is_being_built(cast: Cast) -> None:
    queued(cast.org, cast.owner, state=ReportJob.State.RUNNING, progress=60)

    body = client_for(cast.owner).get(url("report_list")).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in body
    assert '<progress max="100" value="60"' in body


def test_the_list_filters_by_kind_and_state(cast: Cast) -> None:
    done = done_job(cast.org, cast.auditor)
    queued(cast.org, cast.owner)
    analysis = make_analysis(cast.org, cast.official)
    pdf = queued(cast.org, cast.owner, kind=PDF, analysis=analysis)
    client = client_for(cast.owner)

    def shown(**query: str) -> list[int]:
        return [job.pk for job in client.get(url("report_list"), query).context["page"].object_list]

    assert shown(kind="analysis_pdf") == [pdf.pk]
    assert shown(state="done") == [done.pk]
    assert len(shown(kind="nonsense")) == 3


def test_the_list_query_count_is_flat(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    client = client_for(cast.owner)
    for _ in range(3):
        queued(cast.org, cast.owner, kind=PDF, analysis=analysis, state=ReportJob.State.FAILED)
    with CaptureQueriesContext(connection) as few:
        client.get(url("report_list"))
    for index in range(27):
        queued(cast.org, cast.auditor if index % 2 else cast.owner, kind=PDF, analysis=analysis)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("report_list"))

    assert len(response.context["page"].object_list) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_list_and_a_job_page_never_read_an_analysis_signed_document(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    RiskAnalysis.objects.filter(pk=analysis.pk).update(approved_content={"risks": ["every risk"]})
    job = queued(cast.org, cast.owner, kind=PDF, analysis=analysis)
    client = client_for(cast.owner)

    for page in (url("report_list"), url("report_detail", job.public_id)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        assert not [query["sql"] for query in queries if "approved_content" in query["sql"]], page


# --- requesting -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ALLOWED)
def test_program_viewers_request_the_analysis_pdf(cast: Cast, who: str, django_capture_on_commit_callbacks) -> None:
    analysis = make_analysis(cast.org, cast.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user(cast, who)).post(url("analysis_report", analysis.public_id))

    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == url("report_detail", job.public_id)
    assert (job.kind, job.analysis, job.requested_by) == (PDF, analysis, user(cast, who))
    assert job.state == ReportJob.State.DONE
    assert AuditEvent.objects.filter(action="risk.report.requested", actor=user(cast, who)).count() == 1


@pytest.mark.parametrize("who", ALLOWED)
def test_program_viewers_export_the_register(cast: Cast, who: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user(cast, who)).post(url("register_export"))

    job = ReportJob.objects.get()
    assert response["Location"] == url("report_detail", job.public_id)
    assert (job.kind, job.state) == (XLSX, ReportJob.State.DONE)


@pytest.mark.parametrize(("who", "status"), DENIED)
def test_others_cannot_request_reports_and_nothing_is_written(cast: Cast, who: str, status: int) -> None:
    analysis = make_analysis(cast.org, cast.official)
    client = client_for(user(cast, who))
    events = AuditEvent.objects.count()

    assert client.post(url("analysis_report", analysis.public_id)).status_code == status
    assert client.post(url("register_export")).status_code == status
    assert not ReportJob.objects.exists() and AuditEvent.objects.count() == events


def test_requests_must_be_posts(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    client = client_for(cast.owner)

    assert client.get(url("analysis_report", analysis.public_id)).status_code == 405
    assert client.get(url("register_export")).status_code == 405
    assert not ReportJob.objects.exists()


def test_another_organizations_analysis_cannot_be_reported_on(cast: Cast) -> None:
    theirs = make_analysis(cast.other_org, cast.outsider)

    assert client_for(cast.owner).post(url("analysis_report", theirs.public_id)).status_code == 404
    assert not ReportJob.objects.exists()


# --- progress and download --------------------------------------------------------------------------------------


def test_the_detail_page_shows_progress_and_refreshes_until_done(cast: Cast) -> None:
    job = queued(cast.org, cast.owner, state=ReportJob.State.RUNNING, progress=30)
    client = client_for(cast.auditor)

    body = client.get(url("report_detail", job.public_id)).content.decode()
    assert "Building: 30% done" in body and 'http-equiv="refresh"' in body

    finished = done_job(cast.org, cast.owner)
    body = client.get(url("report_detail", finished.public_id)).content.decode()
    assert 'http-equiv="refresh"' not in body
    assert url("report_download", finished.public_id) in body and finished.sha256 in body


@pytest.mark.parametrize("who", ALLOWED)
def test_the_download_streams_the_file_and_is_audited(cast: Cast, who: str) -> None:
    job = done_job(cast.org, cast.owner, data=b"the workbook bytes")

    response = client_for(user(cast, who)).get(url("report_download", job.public_id))

    assert response.status_code == 200
    assert response.getvalue() == b"the workbook bytes"
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="risk-register-clinic.xlsx"'
    assert response["X-Content-SHA256"] == job.sha256
    event = AuditEvent.objects.get(action="risk.report.downloaded")
    assert event.actor == user(cast, who) and event.object_id == str(job.public_id)


def test_a_pdf_downloads_as_a_pdf(cast: Cast, django_capture_on_commit_callbacks) -> None:
    analysis = make_analysis(cast.org, cast.official)
    client = client_for(cast.auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("analysis_report", analysis.public_id))
    job = ReportJob.objects.get()

    response = client.get(url("report_download", job.public_id))

    assert response["Content-Type"] == "application/pdf"
    assert response.getvalue().startswith(b"%PDF-")


@pytest.mark.parametrize("state", [ReportJob.State.QUEUED, ReportJob.State.RUNNING, ReportJob.State.FAILED])
def test_a_report_that_is_not_done_cannot_be_downloaded(cast: Cast, state: str) -> None:
    job = queued(cast.org, cast.owner, state=state)

    assert client_for(cast.owner).get(url("report_download", job.public_id)).status_code == 404
    assert not AuditEvent.objects.filter(action="risk.report.downloaded").exists()


def test_a_missing_file_is_a_404_and_no_download_is_recorded(cast: Cast) -> None:
    job = done_job(cast.org, cast.owner)
    default_storage.delete(job.stored_name)

    assert client_for(cast.owner).get(url("report_download", job.public_id)).status_code == 404
    assert not AuditEvent.objects.filter(action="risk.report.downloaded").exists()


@pytest.mark.parametrize(("who", "status"), DENIED)
def test_others_cannot_see_or_download_reports(cast: Cast, who: str, status: int) -> None:
    job = done_job(cast.org, cast.owner)
    client = client_for(user(cast, who))

    for name, args in (("report_list", ()), ("report_detail", (job.public_id,)), ("report_download", (job.public_id,))):
        assert client.get(url(name, *args)).status_code == status
    assert not AuditEvent.objects.filter(action="risk.report.downloaded").exists()


def test_signed_out_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    job = done_job(cast.org, cast.owner)

    response = client_for(None).get(url("report_download", job.public_id))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_reports_of_one_organization_are_404_through_the_other(cast: Cast) -> None:
    theirs = done_job(cast.other_org, cast.outsider)
    ours = done_job(cast.org, cast.owner)

    for name in ("report_detail", "report_download"):
        assert client_for(cast.owner).get(url(name, theirs.public_id)).status_code == 404
        assert client_for(cast.outsider).get(url(name, ours.public_id, org="other")).status_code == 404
    listed = client_for(cast.outsider).get(url("report_list", org="other")).context["page"].object_list
    assert [job.pk for job in listed] == [theirs.pk]
