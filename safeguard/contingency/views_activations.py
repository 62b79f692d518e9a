"""Emergency activation pages: the log of times a plan was invoked, one activation with its decisions, and the
forms to record, correct, close and add decisions. Program viewers read; program managers write."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from safeguard.contingency import queries_plans as queries
from safeguard.contingency.access import get_activation
from safeguard.contingency.forms_activations import ActivationForm, CloseForm, DecisionForm, activation_initial
from safeguard.contingency.models import EmergencyActivation
from safeguard.contingency.services import activations as services
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def activation_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.activations(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "can_manage": request.membership.has(Perm.MANAGE_PROGRAM)}
    return render(request, "contingency/activation_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def activation_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ActivationForm(request.POST if posted else None, organization=request.org)
    if posted and form.is_valid():
        try:
            activation = services.activation_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Activation recorded: log the decisions as they are taken.")
            return redirect("contingency:activation_detail", request.org.slug, activation.public_id)
    return render(request, "contingency/activation_form.html", {"form": form, "activation": None})


def _detail(
    request: OrgRequest,
    activation: EmergencyActivation,
    *,
    decision: DecisionForm | None = None,
    close: CloseForm | None = None,
) -> HttpResponse:
    linked = list(activation.break_glass.select_related("account__system", "used_by").order_by("started_at"))
    during = queries.break_glass_during(request.org, activation.started_at, activation.ended_at)
    context = {
        "activation": activation,
        "assets": activation.assets.order_by("name"),
        "linked_break_glass": linked,
        "unlinked_break_glass": during.exclude(pk__in=[use.pk for use in linked]),
        "decisions": [{**entry, "at": parse_datetime(entry["at"])} for entry in activation.decisions],
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
        "decision_form": decision or DecisionForm(),
        "close_form": close or CloseForm(),
    }
    return render(request, "contingency/activation_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def activation_detail(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    return _detail(request, get_activation(request.membership, activation_id))


@org_view(Perm.MANAGE_PROGRAM)
def activation_edit(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    activation = get_activation(request.membership, activation_id, write=True)
    posted = request.method == "POST"
    form = ActivationForm(
        request.POST if posted else None,
        initial=activation_initial(activation),
        organization=request.org,
        activation=activation,
    )
    if posted and form.is_valid():
        try:
            services.activation_update(
                organization=request.org,
                actor=Actor.from_request(request),
                activation=activation,
                **_keep_seconds(activation, form.cleaned_data),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("contingency:activation_detail", request.org.slug, activation.public_id)
    return render(request, "contingency/activation_form.html", {"form": form, "activation": activation})


def _keep_seconds(activation: EmergencyActivation, values: dict[str, Any]) -> dict[str, Any]:
    """The form shows times to the minute: an unchanged time keeps the seconds it was recorded with."""
    for name in ("started_at", "ended_at"):
        recorded, posted = getattr(activation, name), values.get(name)
        if recorded is not None and posted is not None and recorded.replace(second=0, microsecond=0) == posted:
            values[name] = recorded
    return values


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def activation_close(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    activation = get_activation(request.membership, activation_id, write=True)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.activation_close(
                organization=request.org,
                actor=Actor.from_request(request),
                activation=activation,
                ended_at=form.cleaned_data["ended_at"],
            )
        except ServiceError as error:
            form.add_error("ended_at" if error.field == "ended_at" else None, error.message)
        else:
            messages.success(request, "Activation closed.")
            return redirect("contingency:activation_detail", request.org.slug, activation.public_id)
    return _detail(request, activation, close=form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def activation_decision_add(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    activation = get_activation(request.membership, activation_id, write=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.activation_decision_add(
                organization=request.org, actor=Actor.from_request(request), activation=activation, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Decision logged.")
            return redirect("contingency:activation_detail", request.org.slug, activation.public_id)
    return _detail(request, activation, decision=form)
