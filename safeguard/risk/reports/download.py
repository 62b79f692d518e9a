"""Serving a built report file, for the page and the API alike: only a finished report, and every download
recorded in the audit trail."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.risk.models import ReportJob
from safeguard.risk.reports.jobs import report_content_type, report_download_record


def report_file_response(job: ReportJob, *, organization: Organization, actor: Actor) -> FileResponse:
    if job.state != ReportJob.State.DONE or not job.stored_name:
        raise Http404("This report is not ready.")
    # Open the file first: a missing file is a 404 with no "downloaded" event recorded.
    try:
        handle = default_storage.open(job.stored_name, "rb")
    except FileNotFoundError:
        raise Http404("The stored report file is missing; request the report again.") from None
    try:
        report_download_record(organization=organization, actor=actor, job=job)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, as_attachment=True, filename=job.file_name, content_type=report_content_type(job))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = job.sha256
    return response
