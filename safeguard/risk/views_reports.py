"""Report pages: the organization's report jobs, requesting the analysis PDF or the register workbook, a job's
progress, and the download.

Reports are read-only views of the program, so whoever may view the program may request and download them:
auditors above all. Every request and every download is audited.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_analysis_for_user, get_report_for_user
from safeguard.risk.models import ReportJob, RiskAnalysis
from safeguard.risk.queries import report_jobs
from safeguard.risk.reports.download import report_file_response
from safeguard.risk.reports.jobs import UNFINISHED, report_request

PAGE_SIZE = 50
ANALYSES_OFFERED = 10
REFRESH_SECONDS = 2


@org_view(Perm.VIEW_PROGRAM)
def report_list(request: OrgRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    jobs = report_jobs(request.org)
    if kind in ReportJob.Kind.values:
        jobs = jobs.filter(kind=kind)
    if state in ReportJob.State.values:
        jobs = jobs.filter(state=state)
    page = Paginator(jobs.order_by("-requested_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    # The analyses' documents can be large: only what the request buttons show is read.
    analyses = RiskAnalysis.objects.filter(organization=request.org).only("public_id", "title", "status", "started_at")
    context = {
        "page": page,
        "kind": kind,
        "state": state,
        "kinds": ReportJob.Kind.choices,
        "states": ReportJob.State.choices,
        "analyses": analyses.order_by("-started_at")[:ANALYSES_OFFERED],
        "refresh": REFRESH_SECONDS
        if ReportJob.objects.filter(organization=request.org, state__in=UNFINISHED).exists()
        else None,
    }
    return render(request, "risk/reports/report_list.html", context)


def _requested(request: OrgRequest, kind: str, analysis: RiskAnalysis | None = None) -> HttpResponse:
    try:
        job = report_request(organization=request.org, actor=Actor.from_request(request), kind=kind, analysis=analysis)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("risk:report_list", request.org.slug)
    messages.success(request, f"{job.get_kind_display()} requested: it is built in the background.")
    return redirect("risk:report_detail", request.org.slug, job.public_id)


@require_POST
@org_view(Perm.VIEW_PROGRAM)
def analysis_report(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    analysis = get_analysis_for_user(request.membership, analysis_id)
    return _requested(request, ReportJob.Kind.ANALYSIS_PDF, analysis)


@require_POST
@org_view(Perm.VIEW_PROGRAM)
def register_export(request: OrgRequest) -> HttpResponse:
    return _requested(request, ReportJob.Kind.REGISTER_XLSX)


@org_view(Perm.VIEW_PROGRAM)
def report_detail(request: OrgRequest, report_id: UUID) -> HttpResponse:
    job = get_report_for_user(request.membership, report_id)
    context = {
        "job": job,
        "refresh": REFRESH_SECONDS if job.state in UNFINISHED else None,
    }
    return render(request, "risk/reports/report_detail.html", context)


# org_view is typed for HttpResponse; a FileResponse streams, which Django serves the same way.
@org_view(Perm.VIEW_PROGRAM)
def report_download(request: OrgRequest, report_id: UUID) -> FileResponse:
    job = get_report_for_user(request.membership, report_id)
    return report_file_response(job, organization=request.org, actor=Actor.from_request(request))
