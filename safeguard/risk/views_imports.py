"""Import pages (list, upload, mapping with progress, errors or preview, commit) and the inventory downloads."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_import_for_user
from safeguard.risk.downloads import export_response
from safeguard.risk.forms_imports import ImportMappingForm, ImportUploadForm
from safeguard.risk.models import ImportJob
from safeguard.risk.services import imports as services
from safeguard.risk.services.exports import COLUMNS, inventory_export
from safeguard.risk.services.import_risk_rows import risk_destination
from safeguard.risk.services.import_rows import LABELS

PAGE_SIZE = 50
ERRORS_PAGE_SIZE = 200
State = ImportJob.State
WORKING = (State.VALIDATING, State.COMMITTING)


@org_view(Perm.MANAGE_PROGRAM)
def import_list(request: OrgRequest) -> HttpResponse:
    jobs = ImportJob.objects.filter(organization=request.org).select_related("created_by")
    kind, state = request.GET.get("kind", ""), request.GET.get("state", "")
    if kind in ImportJob.Kind.values:
        jobs = jobs.filter(kind=kind)
    if state in State.values:
        jobs = jobs.filter(state=state)
    page = Paginator(jobs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kind": kind,
        "state": state,
        "kinds": ImportJob.Kind.choices,
        "states": State.choices,
    }
    return render(request, "risk/import_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def import_start(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    initial = {"kind": request.GET.get("kind", ImportJob.Kind.ASSETS)}
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            job = services.import_start(
                organization=request.org,
                actor=Actor.from_request(request),
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Read the columns of {job.file_name}: check the mapping below.")
            return redirect("risk:import_detail", request.org.slug, job.public_id)
    context = {"form": form, "risk_destination": risk_destination(request.org)}
    return render(request, "risk/import_start.html", context)


def _detail(request: OrgRequest, job: ImportJob, form: ImportMappingForm | None = None) -> HttpResponse:
    remappable = job.state in services.REMAPPABLE
    columns = COLUMNS[ImportJob.Kind(job.kind)]
    context = {
        "job": job,
        "working": job.state in WORKING,
        "percent": int(100 * job.processed_rows / job.total_rows) if job.total_rows else 0,
        "form": (form or ImportMappingForm(job=job)) if remappable else None,
        "errors_page": Paginator(job.errors, ERRORS_PAGE_SIZE).get_page(request.GET.get("page")),
        "preview_columns": [(name, LABELS[name]) for name in columns],
        "preview": [
            {**row, "cells": [(row["values"].get(name, ""), name in row["changes"]) for name in columns]}
            for row in job.preview
        ],
        "ready": job.state == State.READY,
        "risk_destination": (
            risk_destination(request.org) if job.kind == ImportJob.Kind.RISKS and job.state != State.COMMITTED else ""
        ),
    }
    return render(request, "risk/import_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def import_detail(request: OrgRequest, import_id: UUID) -> HttpResponse:
    return _detail(request, get_import_for_user(request.membership, import_id))


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def import_map(request: OrgRequest, import_id: UUID) -> HttpResponse:
    job = get_import_for_user(request.membership, import_id)
    form = ImportMappingForm(request.POST, job=job)
    if form.is_valid():
        try:
            services.import_map(
                organization=request.org, actor=Actor.from_request(request), job=job, mapping=form.mapping()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Mapping saved: every row is being checked.")
            return redirect("risk:import_detail", request.org.slug, job.public_id)
    return _detail(request, job, form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def import_commit(request: OrgRequest, import_id: UUID) -> HttpResponse:
    job = get_import_for_user(request.membership, import_id)
    try:
        services.import_commit(organization=request.org, actor=Actor.from_request(request), job=job)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Committing: every row is written, or none.")
    return redirect("risk:import_detail", request.org.slug, job.public_id)


def _export(request: OrgRequest, kind: str) -> HttpResponseBase:
    file_format = request.GET.get("format", "csv")
    if file_format not in tabular.FORMATS:
        return HttpResponseBadRequest("The format must be csv or xlsx.")
    export = inventory_export(
        organization=request.org, actor=Actor.from_request(request), kind=kind, file_format=file_format
    )
    return export_response(export)


@org_view(Perm.VIEW_PROGRAM)
def asset_export(request: OrgRequest) -> HttpResponseBase:
    return _export(request, ImportJob.Kind.ASSETS)


@org_view(Perm.VIEW_PROGRAM)
def flow_export(request: OrgRequest) -> HttpResponseBase:
    return _export(request, ImportJob.Kind.DATA_FLOWS)


@org_view(Perm.VIEW_PROGRAM)
def risk_export(request: OrgRequest) -> HttpResponseBase:
    return _export(request, ImportJob.Kind.RISKS)
