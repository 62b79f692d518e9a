"""The page of one import of any kind: progress, the column mapping, every error or the preview, and commit."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.access import get_file_import_for_user
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.forms.file_imports import MappingForm
from safeguard.core.imports import importer_for
from safeguard.core.models import FileImport
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.services import file_imports as services
from safeguard.core.services.errors import ServiceError

ERRORS_PAGE_SIZE = 200


def _detail(request: OrgRequest, job: FileImport, form: MappingForm | None = None) -> HttpResponse:
    importer = importer_for(job.kind)
    remappable = job.state in services.REMAPPABLE
    context = {
        "job": job,
        "importer": importer,
        "heading": importer.describe(request.org, job.options),
        "back_url": importer.back_url(request.org, job),
        "working": job.state in services.WORKING,
        "percent": int(100 * job.processed_rows / job.total_rows) if job.total_rows else 0,
        "form": (form or MappingForm(job=job)) if remappable else None,
        "errors_page": Paginator(job.errors, ERRORS_PAGE_SIZE).get_page(request.GET.get("page")),
        "ready": job.state == FileImport.State.READY,
        "labels": {column.name: column.label for column in importer.columns},
    }
    return render(request, "core/imports/detail.html", context)


@org_view(None)
def file_import_detail(request: OrgRequest, file_import_id: UUID) -> HttpResponse:
    return _detail(request, get_file_import_for_user(request.membership, file_import_id))


@require_POST
@org_view(None)
def file_import_map(request: OrgRequest, file_import_id: UUID) -> HttpResponse:
    job = get_file_import_for_user(request.membership, file_import_id)
    form = MappingForm(request.POST, job=job)
    if form.is_valid():
        try:
            services.import_map(
                organization=request.org, actor=Actor.from_request(request), job=job, mapping=form.mapping()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Mapping saved: every row is being checked.")
            return redirect("core:file_import_detail", request.org.slug, job.public_id)
    return _detail(request, job, form)


@require_POST
@org_view(None)
def file_import_commit(request: OrgRequest, file_import_id: UUID) -> HttpResponse:
    job = get_file_import_for_user(request.membership, file_import_id)
    try:
        services.import_commit(organization=request.org, actor=Actor.from_request(request), job=job)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Committing: every row is written, or none.")
    return redirect("core:file_import_detail", request.org.slug, job.public_id)
