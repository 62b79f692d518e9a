"""Report jobs: requests are checked, audited and enqueued on commit; the build reports progress, stores the file
with its size and hash, and fails with a readable reason; downloads are audited."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage, default_storage

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import ReportJob
from safeguard.risk.reports import jobs, register_xlsx
from safeguard.risk.reports.jobs import report_build, report_download_record, report_request
from tests.conftest import Cast
from tests.test_risk_reports_support import make_analysis

PDF = ReportJob.Kind.ANALYSIS_PDF
XLSX = ReportJob.Kind.REGISTER_XLSX


def request_xlsx(cast: Cast, **extra: Any) -> ReportJob:
    return report_request(organization=cast.org, actor=Actor(user=cast.auditor), kind=XLSX, **extra)


def test_a_request_is_queued_audited_and_built_once_committed(cast: Cast, django_capture_on_commit_callbacks) -> None:
    analysis = make_analysis(cast.org, cast.official)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = report_request(organization=cast.org, actor=Actor(user=cast.auditor), kind=PDF, analysis=analysis)
        assert job.state == ReportJob.State.QUEUED and job.requested_by == cast.auditor

    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="risk.report.requested")
    assert event.actor == cast.auditor and event.object_id == str(job.public_id)
    assert event.changes == {"kind": [None, "analysis_pdf"], "analysis": [None, str(analysis.public_id)]}
    job.refresh_from_db()
    assert (job.state, job.progress, job.failure) == (ReportJob.State.DONE, 100, "")
    assert job.stored_name == f"risk-reports/{cast.org.public_id}/{job.public_id}.pdf"
    assert job.file_name.startswith("risk-analysis-2026-analysis-") and job.file_name.endswith("-draft.pdf")
    with default_storage.open(job.stored_name, "rb") as stored:
        data = stored.read()
    assert data.startswith(b"%PDF-")
    assert (job.size, job.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert job.finished_at is not None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(PDF, [5, 10, 30, 60, 90, 95]), (XLSX, [5, 10, 60, 95])],
)
def test_the_build_runs_with_progress_then_finishes_at_100(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, kind: str, expected: list[int]
) -> None:
    analysis = make_analysis(cast.org, cast.official)
    job = ReportJob.objects.create(
        organization=cast.org, kind=kind, analysis=analysis if kind == PDF else None, requested_by=cast.auditor
    )
    seen: list[tuple[str, int]] = []
    original = jobs._progress

    def watch(job: ReportJob, percent: int) -> None:
        original(job, percent)
        stored = ReportJob.objects.get(pk=job.pk)
        seen.append((stored.state, stored.progress))

    monkeypatch.setattr(jobs, "_progress", watch)
    built = report_build(job_id=job.pk)

    assert seen == [(ReportJob.State.RUNNING, percent) for percent in expected]
    assert built is not None and (built.state, built.progress) == (ReportJob.State.DONE, 100)
    assert built.stored_name.endswith(f"{job.public_id}.{'pdf' if kind == PDF else 'xlsx'}")


def test_a_job_already_taken_is_left_alone(cast: Cast) -> None:
    job = ReportJob.objects.create(
        organization=cast.org, kind=XLSX, requested_by=cast.auditor, state=ReportJob.State.RUNNING, progress=40
    )

    assert report_build(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.progress, job.stored_name) == (ReportJob.State.RUNNING, 40, "")


def test_a_build_error_fails_the_job_with_a_readable_reason(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> bytes:
        raise ValueError("the method has no thresholds")

    monkeypatch.setattr(register_xlsx, "register_workbook", broken)
    job = ReportJob.objects.create(organization=cast.org, kind=XLSX, requested_by=cast.auditor)

    built = report_build(job_id=job.pk)

    assert built is not None and built.state == ReportJob.State.FAILED
    assert built.failure == "The report could not be built: the method has no thresholds"
    assert (built.stored_name, built.size, built.sha256) == ("", 0, "")
    assert built.finished_at is not None


def test_a_storage_error_fails_the_job(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> str:
        raise OSError("No space left on device")

    monkeypatch.setattr(FileSystemStorage, "save", full)
    job = ReportJob.objects.create(organization=cast.org, kind=XLSX, requested_by=cast.auditor)

    built = report_build(job_id=job.pk)

    assert built is not None and built.state == ReportJob.State.FAILED
    assert built.failure == "The report was built but could not be stored: No space left on device"


def test_an_unexpected_error_propagates_and_the_job_does_not_stay_running(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object) -> bytes:
        raise KeyError("likelihood_levels")

    monkeypatch.setattr(register_xlsx, "register_workbook", bug)
    job = ReportJob.objects.create(organization=cast.org, kind=XLSX, requested_by=cast.auditor)

    with pytest.raises(KeyError):
        report_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == ReportJob.State.FAILED
    assert job.failure.startswith("The build stopped unexpectedly")


def refused(cast: Cast, field: str | None, **values: Any) -> None:
    arguments: dict[str, Any] = {"organization": cast.org, "actor": Actor(user=cast.auditor), "kind": XLSX, **values}
    with pytest.raises(ServiceError) as caught:
        report_request(**arguments)
    assert caught.value.field == field
    assert not ReportJob.objects.exists() and not AuditEvent.objects.filter(action="risk.report.requested").exists()


def test_an_unknown_kind_is_refused(cast: Cast) -> None:
    refused(cast, "kind", kind="register_csv")


def test_the_pdf_needs_an_analysis_of_this_organization(cast: Cast) -> None:
    theirs = make_analysis(cast.other_org, cast.outsider)
    refused(cast, "analysis", kind=PDF)
    refused(cast, "analysis", kind=PDF, analysis=theirs)


def test_the_register_export_names_no_analysis(cast: Cast) -> None:
    refused(cast, "analysis", analysis=make_analysis(cast.org, cast.official))


def test_only_a_person_requests_a_report(cast: Cast) -> None:
    refused(cast, None, actor=Actor.system("test"))


def test_the_same_report_still_queued_is_reused(cast: Cast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = request_xlsx(cast)
        again = report_request(organization=cast.org, actor=Actor(user=cast.owner), kind=XLSX)

    assert again.pk == first.pk and ReportJob.objects.count() == 1
    assert len(callbacks) == 1  # built once
    assert AuditEvent.objects.filter(action="risk.report.requested").count() == 2  # both requests are on record


def test_a_download_is_audited_with_the_files_hash(cast: Cast) -> None:
    job = ReportJob.objects.create(
        organization=cast.org,
        kind=XLSX,
        requested_by=cast.auditor,
        state=ReportJob.State.DONE,
        file_name="risk-register.xlsx",
        sha256="a" * 64,
    )

    report_download_record(organization=cast.org, actor=Actor(user=cast.auditor), job=job)

    event = AuditEvent.objects.get(action="risk.report.downloaded")
    assert event.actor == cast.auditor and event.object_id == str(job.public_id)
    assert event.changes == {"file_name": [None, "risk-register.xlsx"], "sha256": [None, "a" * 64]}
