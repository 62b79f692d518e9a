"""Backup result import pages: the list of deliveries (uploads, API calls, hook calls, command runs), the upload,
and one import: its column mapping while it waits (or after it was refused), its progress while it is read, and
its counts or every problem by row."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from safeguard.contingency.access import get_backup_import
from safeguard.contingency.forms_backups import BackupMappingForm, BackupUploadForm
from safeguard.contingency.models import BackupImport
from safeguard.contingency.services import backup_import as services
from safeguard.contingency.services.backup_uploads import upload_discarded_at
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
State = BackupImport.State


@org_view(Perm.VIEW_PROGRAM)
def backup_import_list(request: OrgRequest) -> HttpResponse:
    rows = (
        BackupImport.objects.filter(organization=request.org).select_related("created_by", "hook_token").defer("errors")
    )
    page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "contingency/backup_import_list.html", {"page": page})


@org_view(Perm.MANAGE_PROGRAM)
def backup_import_upload(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = BackupUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            batch = services.backup_import_upload(
                organization=request.org,
                actor=Actor.from_request(request),
                upload=form.cleaned_data["file"],
                file_format=form.cleaned_data["file_format"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.info(request, "File kept. Check which column holds what, then start the import.")
            return redirect("contingency:backup_import_detail", request.org.slug, batch.public_id)
    return render(request, "contingency/backup_import_upload.html", {"form": form})


@org_view(Perm.VIEW_PROGRAM)
def backup_import_detail(request: OrgRequest, import_id: UUID) -> HttpResponse:
    batch = get_backup_import(request.membership, import_id, write=request.method == "POST")
    waiting = batch.state == State.QUEUED and not batch.mapping
    may_map = request.membership.has(Perm.MANAGE_PROGRAM) and bool(batch.stored_name)
    form = None
    if may_map and (waiting or batch.state == State.REFUSED):
        try:
            headers = services.file_headers(batch)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            form = _mapping_form(request, batch, headers)
            if request.method == "POST" and form.is_valid():
                try:
                    services.backup_import_start(
                        organization=request.org,
                        actor=Actor.from_request(request),
                        batch=batch,
                        mapping=form.mapping(),
                    )
                except ServiceError as error:
                    show_service_error(form, error)
                else:
                    messages.success(request, "Reading the file: this page shows its progress.")
                    return redirect("contingency:backup_import_detail", request.org.slug, batch.public_id)
    working = batch.state == State.RUNNING or (batch.state == State.QUEUED and bool(batch.mapping))
    context = {
        "batch": batch,
        "form": form,
        "waiting": waiting,
        "working": working,
        "discarded_at": upload_discarded_at(batch),
    }
    return render(request, "contingency/backup_import_detail.html", context)


def _mapping_form(request: OrgRequest, batch: BackupImport, headers: list[str]) -> BackupMappingForm:
    if request.method == "POST":
        return BackupMappingForm(request.POST, headers=headers)
    return BackupMappingForm(initial=services.suggested_mapping(batch), headers=headers)
