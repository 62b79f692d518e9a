"""Enrichment pages: user aliases, work shifts and workstations (listed together, each with its add form, and an
edit page each), and patient flags (the list and its CSV import). Activity viewers read; managers of activity review
change them.
Patient flags name patients, so their list needs the view-events permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.activity.forms_enrichment import AliasForm, PatientFlagUploadForm, ShiftForm, WorkstationForm
from safeguard.activity.models import PatientFlag, UserAlias, WorkShift, Workstation
from safeguard.activity.patient_flag_import import KIND
from safeguard.activity.services import enrichment_records as services
from safeguard.core.access import one_in_org, require_perm
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import import_start

PAGE_SIZE = 50


def _page(request: OrgRequest, rows: QuerySet[Any], name: str) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(name))


def _overview(request: OrgRequest, **forms: Any) -> HttpResponse:
    org = request.org
    context = {
        "aliases": _page(
            request,
            UserAlias.objects.filter(organization=org).select_related("person", "source").order_by("alias_key", "pk"),
            "apage",
        ),
        "shifts": _page(
            request, WorkShift.objects.filter(organization=org).select_related("person").order_by("name", "pk"), "spage"
        ),
        "workstations": _page(request, Workstation.objects.filter(organization=org).order_by("host_key"), "wpage"),
        "can_manage": request.membership.has(Perm.MANAGE_ACTIVITY),
        "alias_form": forms.get("alias_form") or AliasForm(organization=org),
        "shift_form": forms.get("shift_form") or ShiftForm(organization=org),
        "workstation_form": forms.get("workstation_form") or WorkstationForm(),
    }
    return render(request, "activity/enrichment_overview.html", context)


@org_view(Perm.VIEW_ACTIVITY)
def enrichment_overview(request: OrgRequest) -> HttpResponse:
    return _overview(request)


def _create(request: OrgRequest, form: Any, name: str, write: Callable[..., Any]) -> HttpResponse:
    if form.is_valid():
        try:
            write(organization=request.org, actor=Actor.from_request(request), **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("activity:enrichment_overview", request.org.slug)
    return _overview(request, **{name: form})


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def alias_create(request: OrgRequest) -> HttpResponse:
    form = AliasForm(request.POST, organization=request.org)
    return _create(request, form, "alias_form", services.alias_create)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def shift_create(request: OrgRequest) -> HttpResponse:
    form = ShiftForm(request.POST, organization=request.org)
    return _create(request, form, "shift_form", services.shift_create)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def workstation_create(request: OrgRequest) -> HttpResponse:
    return _create(request, WorkstationForm(request.POST), "workstation_form", services.workstation_create)


def _edit(request: OrgRequest, form: Any, record: Model, what: str, write: Callable[..., Any]) -> HttpResponse:
    """The edit page of one record: its form filled with the record, saved through the kind's update service."""
    if request.method == "POST" and form.is_valid():
        try:
            write(organization=request.org, actor=Actor.from_request(request), **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved the {what}.")
            return redirect("activity:enrichment_overview", request.org.slug)
    return render(request, "activity/enrichment_edit.html", {"form": form, "what": what, "record": record})


def _posted(request: OrgRequest) -> Any:
    return request.POST if request.method == "POST" else None


@org_view(Perm.MANAGE_ACTIVITY)
def alias_edit(request: OrgRequest, alias_id: UUID) -> HttpResponse:
    alias = one_in_org(UserAlias.objects.select_related("person", "source"), request.membership, alias_id, "alias")
    initial = {"person": alias.person, "alias": alias.alias, "source": alias.source}
    form = AliasForm(_posted(request), organization=request.org, initial=initial)
    return _edit(request, form, alias, "alias", partial(services.alias_update, user_alias=alias))


@org_view(Perm.MANAGE_ACTIVITY)
def shift_edit(request: OrgRequest, shift_id: UUID) -> HttpResponse:
    shift = one_in_org(WorkShift.objects.select_related("person"), request.membership, shift_id, "shift")
    fields = ("name", "person", "department", "job_role", "start_hour", "end_hour", "weekdays")
    form = ShiftForm(
        _posted(request), organization=request.org, initial={field: getattr(shift, field) for field in fields}
    )
    return _edit(request, form, shift, "shift", partial(services.shift_update, shift=shift))


@org_view(Perm.MANAGE_ACTIVITY)
def workstation_edit(request: OrgRequest, workstation_id: UUID) -> HttpResponse:
    station = one_in_org(Workstation.objects.all(), request.membership, workstation_id, "workstation")
    initial = {field: getattr(station, field) for field in ("host", "site", "department", "time_zone")}
    form = WorkstationForm(_posted(request), initial=initial)
    return _edit(request, form, station, "workstation", partial(services.workstation_update, workstation=station))


def _delete(
    request: OrgRequest, model: type[Model], public_id: UUID, what: str, remove: Callable[..., None]
) -> HttpResponse:
    record = one_in_org(model.objects.all(), request.membership, public_id, what)  # type: ignore[attr-defined]
    remove(organization=request.org, actor=Actor.from_request(request), **{what.replace(" ", "_"): record})
    messages.success(request, f"Deleted the {what}.")
    return redirect("activity:enrichment_overview", request.org.slug)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def alias_delete(request: OrgRequest, alias_id: UUID) -> HttpResponse:
    return _delete(request, UserAlias, alias_id, "alias", services.alias_delete)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def shift_delete(request: OrgRequest, shift_id: UUID) -> HttpResponse:
    return _delete(request, WorkShift, shift_id, "shift", services.shift_delete)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def workstation_delete(request: OrgRequest, workstation_id: UUID) -> HttpResponse:
    return _delete(request, Workstation, workstation_id, "workstation", services.workstation_delete)


@org_view(Perm.VIEW_ACTIVITY)
def enrichment_patients(request: OrgRequest) -> HttpResponse:
    require_perm(request.membership, Perm.VIEW_EVENTS)
    can_manage = request.membership.has(Perm.MANAGE_ACTIVITY)
    form = PatientFlagUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require_perm(request.membership, Perm.MANAGE_ACTIVITY)
        if form.is_valid():
            try:
                job = import_start(
                    organization=request.org,
                    actor=Actor.from_request(request),
                    kind=KIND,
                    upload=form.cleaned_data["file"],
                )
            except ServiceError as error:
                show_service_error(form, error)
            else:
                return redirect("core:file_import_detail", request.org.slug, job.public_id)
    flags = PatientFlag.objects.filter(organization=request.org).select_related("employee").order_by("patient_key")
    context = {"page": _page(request, flags, "page"), "form": form, "can_manage": can_manage}
    return render(request, "activity/enrichment_patients.html", context)
