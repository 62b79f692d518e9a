"""Report jobs: a person asks for a report, a background task builds it into storage, downloads are audited.

A request is audited and enqueued when its transaction commits. The build claims the job (so a task delivered
twice builds once), records its progress as it goes, and ends either DONE with the stored file's size and SHA-256
or FAILED with a sentence saying what went wrong.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import ReportJob, RiskAnalysis
from safeguard.risk.reports import analysis_pdf, register_xlsx

logger = logging.getLogger(__name__)

Kind = ReportJob.Kind
State = ReportJob.State
EXTENSIONS = {Kind.ANALYSIS_PDF: "pdf", Kind.REGISTER_XLSX: "xlsx"}
CONTENT_TYPES = {Kind.ANALYSIS_PDF: analysis_pdf.CONTENT_TYPE, Kind.REGISTER_XLSX: register_xlsx.CONTENT_TYPE}
UNFINISHED = (State.QUEUED, State.RUNNING)


def report_request(
    *, organization: Organization, actor: Actor, kind: str, analysis: RiskAnalysis | None = None
) -> ReportJob:
    """Queue a report. The same report already waiting in the queue is reused rather than built twice."""
    if kind not in Kind.values:
        raise ServiceError(f"Choose a report: {', '.join(Kind.values)}.", field="kind")
    if actor.user is None:
        raise ServiceError("Only a person can request a report.")
    if kind == Kind.ANALYSIS_PDF:
        if analysis is None:
            raise ServiceError("Choose the analysis the report is about.", field="analysis")
        if analysis.organization_id != organization.pk:
            raise ServiceError("No such analysis in this organization.", field="analysis")
    elif analysis is not None:
        raise ServiceError("The register export covers the whole register: name no analysis.", field="analysis")
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update()
            .filter(organization=organization, kind=kind, analysis=analysis, state=State.QUEUED)
            .first()
        )
        reused = job is not None
        if job is None:
            job = ReportJob.objects.create(
                organization=organization, kind=kind, analysis=analysis, requested_by=actor.user
            )
        changes: dict[str, list[object]] = {"kind": [None, kind]}
        if analysis is not None:
            changes["analysis"] = [None, str(analysis.public_id)]
        audit_record(
            actor=actor, action="risk.report.requested", organization=organization, target=job, changes=changes
        )
        if not reused:
            job_id = job.pk
            transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    # Imported here: the task module imports this one.
    from safeguard.risk.tasks_reports import build_report

    build_report.enqueue(job_id)


def report_build(*, job_id: int) -> ReportJob | None:
    """Build a queued report into storage; a job that is not queued (already taken) is left alone."""
    claimed = ReportJob.objects.filter(pk=job_id, state=State.QUEUED).update(state=State.RUNNING, progress=0)
    if not claimed:
        return None
    job = ReportJob.objects.select_related("organization", "analysis__organization", "analysis__approval__signer").get(
        pk=job_id
    )
    settled = False
    try:
        _progress(job, 5)
        try:
            data, file_name = _render(job)
        except (OSError, ValueError) as exc:
            logger.warning("report %s could not be built", job.public_id, exc_info=True)
            _fail(job, f"The report could not be built: {exc}")
        else:
            _progress(job, 95)
            try:
                _store(job, data, file_name)
            except OSError as exc:
                logger.warning("report %s could not be stored", job.public_id, exc_info=True)
                _fail(job, f"The report was built but could not be stored: {exc}")
        settled = True
    finally:
        if not settled:
            # Anything else is a bug: it propagates to the task runner's log, and the job must not stay "running".
            _fail(job, "The build stopped unexpectedly; the error was logged. Request the report again.")
    job.refresh_from_db()
    return job


def _render(job: ReportJob) -> tuple[bytes, str]:
    today = timezone.localdate()
    if job.kind == Kind.ANALYSIS_PDF:
        analysis = job.analysis
        if analysis is None:
            raise ValueError("the analysis the report was requested for is missing")
        data = analysis_pdf.analysis_pdf(analysis, on_progress=lambda percent: _progress(job, percent))
        draft = "" if analysis_pdf.is_approved(analysis) else "-draft"
        name = f"risk-analysis-{slugify(analysis.title)[:60] or 'report'}-{today:%Y-%m-%d}{draft}.pdf"
        return data, name
    _progress(job, 10)
    data = register_xlsx.register_workbook(job.organization, today)
    _progress(job, 60)
    return data, f"risk-register-{job.organization.slug}-{today:%Y-%m-%d}.xlsx"


def _store(job: ReportJob, data: bytes, file_name: str) -> None:
    extension = EXTENSIONS[Kind(job.kind)]
    stored = default_storage.save(
        f"risk-reports/{job.organization.public_id}/{job.public_id}.{extension}", ContentFile(data)
    )
    ReportJob.objects.filter(pk=job.pk).update(
        state=State.DONE,
        progress=100,
        stored_name=stored,
        file_name=file_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        failure="",
        finished_at=timezone.now(),
    )


def _progress(job: ReportJob, percent: int) -> None:
    ReportJob.objects.filter(pk=job.pk, state=State.RUNNING).update(progress=percent)


def _fail(job: ReportJob, failure: str) -> None:
    ReportJob.objects.filter(pk=job.pk).update(state=State.FAILED, failure=failure[:2000], finished_at=timezone.now())


def report_download_record(*, organization: Organization, actor: Actor, job: ReportJob) -> None:
    """Every download is in the audit trail: who took which file, and its hash."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="risk.report.downloaded",
            organization=organization,
            target=job,
            changes={"file_name": [None, job.file_name], "sha256": [None, job.sha256]},
        )


def report_content_type(job: ReportJob) -> str:
    return CONTENT_TYPES[Kind(job.kind)]
