"""Restore test pages: the list (by asset and outcome), recording one, one test with the actions it opened, the
per-asset schedule, and the file import (handed to the shared import pipeline's pages). Program viewers
(auditors included) read; program managers record."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from safeguard.contingency.access import get_restore_test
from safeguard.contingency.durations import span
from safeguard.contingency.forms_restore_tests import RestoreFilterForm, RestoreImportForm, RestoreTestForm
from safeguard.contingency.models import RestoreTest
from safeguard.contingency.objectives import data_age, time_to_restore
from safeguard.contingency.queries_restore_tests import restore_schedule_rows
from safeguard.contingency.services.restore_import import KIND
from safeguard.contingency.services.restore_tests import RestoreInput, restore_test_record
from safeguard.core.access import require_program
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import import_start
from safeguard.risk.models import Asset

PAGE_SIZE = 50
INPUT_FIELDS = (
    "asset",
    "performed_by",
    "participants",
    "backup_result",
    "restore_point_at",
    "started_at",
    "finished_at",
    "succeeded",
    "integrity_verified",
    "integrity_method",
    "issues_found",
)


@org_view()
def restore_list(request: OrgRequest) -> HttpResponse:
    form = RestoreFilterForm(request.GET, organization=request.org)
    rows = RestoreTest.objects.filter(organization=request.org).select_related("asset", "performed_by")
    if form.is_valid():
        if form.cleaned_data["asset"] is not None:
            rows = rows.filter(asset=form.cleaned_data["asset"])
        if form.cleaned_data["outcome"]:
            rows = rows.filter(outcome=form.cleaned_data["outcome"])
    page = Paginator(rows.order_by("-started_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    for test in page.object_list:
        test.duration = span(time_to_restore(test.started_at, test.finished_at))  # type: ignore[attr-defined]
    context = {"page": page, "form": form, "can_change": request.membership.has(Perm.MANAGE_PROGRAM)}
    return render(request, "contingency/restore_list.html", context)


@org_view()
def restore_schedule(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    page = Paginator(restore_schedule_rows(request.org, today=today), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "today": today, "can_change": request.membership.has(Perm.MANAGE_PROGRAM)}
    return render(request, "contingency/restore_schedule.html", context)


@org_view()
def restore_detail(request: OrgRequest, test_id: UUID) -> HttpResponse:
    test = get_restore_test(request.membership, test_id)
    context = {
        "test": test,
        "duration": span(time_to_restore(test.started_at, test.finished_at)),
        "data_age": span(data_age(test.restore_point_at, test.started_at)),
        "actions": test.actions.select_related("owner").order_by("due_on", "pk"),
    }
    return render(request, "contingency/restore_detail.html", context)


def _chosen_asset(request: OrgRequest) -> Asset | None:
    """The asset picked so far (?asset= from the schedule or the picker, or the posted form), for its backup runs."""
    value = (request.POST if request.method == "POST" else request.GET).get("asset", "")
    try:
        return Asset.objects.filter(organization=request.org, public_id=UUID(value)).first()
    except ValueError:
        return None


@org_view()
def restore_create(request: OrgRequest) -> HttpResponse:
    require_program(request.membership, True)
    asset = _chosen_asset(request)
    initial = {"asset": asset, "performed_by": request.user, "succeeded": True}
    form = RestoreTestForm(
        request.POST or None, request.FILES or None, initial=initial, organization=request.org, asset=asset
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            test = restore_test_record(
                organization=request.org,
                actor=Actor.from_request(request),
                values=RestoreInput(**{name: data[name] for name in INPUT_FIELDS}),
                evidence_file=data["evidence_file"],
                risk=data["risk"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            opened = " A corrective action was opened." if test.outcome != "met" else ""
            messages.success(request, f"Restore test recorded: {test.get_outcome_display().lower()}.{opened}")
            return redirect("contingency:restore_detail", request.org.slug, test.public_id)
    # Its own ids: the record form carries the same "asset" name as a hidden field.
    picker = RestoreFilterForm(
        initial={"asset": asset.public_id if asset else None}, organization=request.org, auto_id="picker_%s"
    )
    return render(
        request,
        "contingency/restore_form.html",
        {"form": form, "asset": asset, "picker": picker, "zone": timezone.get_current_timezone_name()},
    )


@org_view()
def restore_import(request: OrgRequest) -> HttpResponse:
    require_program(request.membership, True)
    form = RestoreImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_start(
                organization=request.org, actor=Actor.from_request(request), kind=KIND, upload=form.cleaned_data["file"]
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect("core:file_import_detail", request.org.slug, job.public_id)
    return render(request, "contingency/restore_import.html", {"form": form})
