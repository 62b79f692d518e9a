"""Log source pages: the list (with each source's status), a source (recent batches, ingestion tokens, the
upload form), creating and changing one, deactivating it, and an ingestion batch's progress and rejects.

Activity viewers read; managers of activity review change sources, make tokens and upload. Reject samples quote
log lines (PHI), so their raw excerpts show only to those who may see event contents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.activity.access import get_batch, get_source
from safeguard.activity.forms_sources import SourceForm, TokenForm, UploadForm
from safeguard.activity.models import IngestBatch, IngestToken, LogSource
from safeguard.activity.parsers import ehr_csv_mapping as csv_mapping
from safeguard.activity.services import sources as services
from safeguard.core.access import one_in_org
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
BATCHES_SHOWN = 10


@dataclass(frozen=True)
class SourceRow:
    source: LogSource
    status: str
    silent: bool


def source_status(source: LogSource, now: datetime) -> SourceRow:
    if not source.is_active:
        return SourceRow(source, "deactivated", False)
    if source.last_received_at is None:
        return SourceRow(source, "never received", True)
    hours = int((now - source.last_received_at).total_seconds() // 3600)
    if hours >= source.silent_after_hours:
        return SourceRow(source, f"silent for {hours} h", True)
    return SourceRow(source, "receiving", False)


def _can_manage(request: OrgRequest) -> bool:
    return request.membership.has(Perm.MANAGE_ACTIVITY)


@org_view(Perm.VIEW_ACTIVITY)
def source_list(request: OrgRequest) -> HttpResponse:
    sources = LogSource.objects.filter(organization=request.org).select_related("asset").order_by("name", "pk")
    page = Paginator(sources, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    context = {
        "page": page,
        "rows": [source_status(source, now) for source in page.object_list],
        "can_manage": _can_manage(request),
    }
    return render(request, "activity/source_list.html", context)


@org_view(Perm.VIEW_ACTIVITY)
def source_detail(request: OrgRequest, source_id: UUID) -> HttpResponse:
    source = get_source(request.membership, source_id)
    can_manage = _can_manage(request)
    context = {
        "source": source,
        "row": source_status(source, timezone.now()),
        "columns": [(key, value) for key, value in (source.mapping or {}).items() if key not in csv_mapping.SETTINGS],
        "batches": list(source.batches.order_by("-created_at", "-pk")[:BATCHES_SHOWN]),
        "tokens": list(source.ingest_tokens.order_by("-created_at", "-pk")) if can_manage else [],
        "can_manage": can_manage,
        "token_form": TokenForm(),
        "upload_form": UploadForm(),
    }
    return render(request, "activity/source_detail.html", context)


def _source_form(request: OrgRequest, source: LogSource | None) -> HttpResponse:
    posted = request.method == "POST"
    initial = SourceForm.initial_for(source) if source else {"time_zone": str(timezone.get_current_timezone())}
    form = SourceForm(request.POST if posted else None, organization=request.org, initial=initial)
    if posted and form.is_valid():
        actor = Actor.from_request(request)
        try:
            if source is None:
                source = services.source_create(organization=request.org, actor=actor, **form.values())
            else:
                source = services.source_update(organization=request.org, actor=actor, source=source, **form.values())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("activity:source_detail", request.org.slug, source.public_id)
    return render(request, "activity/source_form.html", {"form": form, "source": source})


@org_view(Perm.MANAGE_ACTIVITY)
def source_create(request: OrgRequest) -> HttpResponse:
    return _source_form(request, None)


@org_view(Perm.MANAGE_ACTIVITY)
def source_edit(request: OrgRequest, source_id: UUID) -> HttpResponse:
    return _source_form(request, get_source(request.membership, source_id, Perm.MANAGE_ACTIVITY))


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def source_set_active(request: OrgRequest, source_id: UUID) -> HttpResponse:
    source = get_source(request.membership, source_id, Perm.MANAGE_ACTIVITY)
    active = request.POST.get("active") == "1"
    services.source_set_active(
        organization=request.org, actor=Actor.from_request(request), source=source, active=active
    )
    messages.success(request, "Reactivated." if active else "Deactivated: the source takes no events.")
    return redirect("activity:source_detail", request.org.slug, source.public_id)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def source_token_create(request: OrgRequest, source_id: UUID) -> HttpResponse:
    source = get_source(request.membership, source_id, Perm.MANAGE_ACTIVITY)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.token_create(
                organization=request.org, actor=Actor.from_request(request), source=source, **form.cleaned_data
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            return render(request, "activity/source_token_created.html", {"source": source, "token": token, "key": key})
    else:
        messages.error(request, "Name the token.")
    return redirect("activity:source_detail", request.org.slug, source.public_id)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def source_token_revoke(request: OrgRequest, source_id: UUID, token_id: UUID) -> HttpResponse:
    source = get_source(request.membership, source_id, Perm.MANAGE_ACTIVITY)
    token = one_in_org(IngestToken.objects.filter(source=source), request.membership, token_id, "ingestion token")
    services.token_revoke(organization=request.org, actor=Actor.from_request(request), token=token)
    messages.success(request, f"Revoked the token {token.prefix}…: shippers using it are refused from now on.")
    return redirect("activity:source_detail", request.org.slug, source.public_id)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def source_upload(request: OrgRequest, source_id: UUID) -> HttpResponse:
    source = get_source(request.membership, source_id, Perm.MANAGE_ACTIVITY)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return redirect("activity:source_detail", request.org.slug, source.public_id)
    try:
        batch = services.upload_start(
            organization=request.org, actor=Actor.from_request(request), source=source, upload=form.cleaned_data["file"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("activity:source_detail", request.org.slug, source.public_id)
    return redirect("activity:batch_detail", request.org.slug, batch.public_id)


@org_view(Perm.VIEW_ACTIVITY)
def batch_detail(request: OrgRequest, batch_id: UUID) -> HttpResponse:
    batch = get_batch(request.membership, batch_id)
    context = {
        "batch": batch,
        "working": batch.state in (IngestBatch.State.QUEUED, IngestBatch.State.RUNNING),
        "show_raw": request.membership.has(Perm.VIEW_EVENTS),
    }
    return render(request, "activity/batch_detail.html", context)
