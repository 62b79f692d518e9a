"""Corrective action pages: the list (open first, overdue and mine filters), one action, creating, editing,
completing and cancelling. Program viewers (auditors included) read; program managers change."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.contingency.access import get_corrective_action
from safeguard.contingency.forms_actions import ActionFilterForm, ActionForm, CancelForm, CompleteForm
from safeguard.contingency.models import CorrectiveAction
from safeguard.contingency.queries_actions import corrective_actions
from safeguard.contingency.services import actions as services
from safeguard.core.access import require_program
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


def _detail(request: OrgRequest, action: CorrectiveAction) -> HttpResponse:
    return redirect("contingency:action_detail", request.org.slug, action.public_id)


@org_view()
def action_list(request: OrgRequest) -> HttpResponse:
    form = ActionFilterForm(request.GET)
    values = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    rows = corrective_actions(
        request.org,
        today=today,
        state=values.get("state") or "open",
        origin=values.get("origin", ""),
        owner=request.user if values.get("mine") else None,  # type: ignore[arg-type]
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for action in page.object_list:
        action.overdue = action.status in services.OPEN_STATUSES and action.due_on < today  # type: ignore[attr-defined]
    context = {
        "page": page,
        "form": form,
        "today": today,
        "can_change": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "contingency/action_list.html", context)


@org_view()
def action_detail(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_corrective_action(request.membership, action_id)
    context = {
        "action": action,
        "is_open": action.status in services.OPEN_STATUSES,
        "overdue": action.status in services.OPEN_STATUSES and action.due_on < timezone.localdate(),
        "can_change": request.membership.has(Perm.MANAGE_PROGRAM),
        "complete_form": CompleteForm(),
        "cancel_form": CancelForm(),
    }
    return render(request, "contingency/action_detail.html", context)


@org_view()
def action_create(request: OrgRequest) -> HttpResponse:
    require_program(request.membership, True)
    form = ActionForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.corrective_action_create(
                organization=request.org, actor=Actor.from_request(request), origin="other", **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Corrective action created.")
            return _detail(request, action)
    return render(request, "contingency/action_form.html", {"form": form})


@org_view()
def action_edit(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_corrective_action(request.membership, action_id, write=True)
    initial = {name: getattr(action, name) for name in services.EDITABLE_FIELDS}
    form = ActionForm(request.POST or None, initial=initial, organization=request.org, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.corrective_action_update(
                organization=request.org, actor=Actor.from_request(request), action=action, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return _detail(request, action)
    return render(request, "contingency/action_form.html", {"form": form, "action": action})


@require_POST
@org_view()
def action_complete(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_corrective_action(request.membership, action_id, write=True)
    form = CompleteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.corrective_action_complete(
                organization=request.org,
                actor=Actor.from_request(request),
                action=action,
                note=form.cleaned_data["note"],
                completed_on=form.cleaned_data["completed_on"],
                evidence_file=form.cleaned_data["evidence_file"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Marked done.")
            return _detail(request, action)
    return _refused(request, action, complete_form=form)


@require_POST
@org_view()
def action_cancel(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_corrective_action(request.membership, action_id, write=True)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.corrective_action_cancel(
                organization=request.org,
                actor=Actor.from_request(request),
                action=action,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Cancelled.")
            return _detail(request, action)
    return _refused(request, action, cancel_form=form)


def _refused(
    request: OrgRequest,
    action: CorrectiveAction,
    *,
    complete_form: CompleteForm | None = None,
    cancel_form: CancelForm | None = None,
) -> HttpResponse:
    context = {
        "action": action,
        "is_open": action.status in services.OPEN_STATUSES,
        "can_change": True,
        "complete_form": complete_form or CompleteForm(),
        "cancel_form": cancel_form or CancelForm(),
    }
    return render(request, "contingency/action_detail.html", context, status=400)
