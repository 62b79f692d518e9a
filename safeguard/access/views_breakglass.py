"""Break-glass pages: the register of emergency accounts, each use of them, and the review of each use.

Program viewers read everything here; those who manage the program register accounts, record and review uses
(never a use of their own, nor one they recorded);
linking an unjustified use to its sanction is for those who manage the sanctions log, and the sanctions offered
for the link are a read of that log, audited as one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.access.access import get_activation_for_user, get_break_glass_account_for_user
from safeguard.access.forms_breakglass import (
    ActivationFilterForm,
    ActivationForm,
    BreakGlassAccountForm,
    ReviewForm,
    SanctionLinkForm,
)
from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.access.queries import access_settings
from safeguard.access.services import breakglass as services
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import User
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import SanctionRecord
from safeguard.risk.services.sanctions import sanctions_list_record

PAGE_SIZE = 50


def _rows(page: Page[BreakGlassActivation], now: datetime) -> list[tuple[BreakGlassActivation, str, str]]:
    """Each use on the page with its review status and that status's label."""
    states = ((a, services.review_state(a, now)) for a in page.object_list)
    return [(a, str(state), services.REVIEW_STATE_LABELS[state]) for a, state in states]


# ---- the register -----------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def breakglass_list(request: OrgRequest) -> HttpResponse:
    now = timezone.now()
    filters = ActivationFilterForm(request.GET, organization=request.org)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    chosen = {name: value for name, value in filters.cleaned_data.items() if value}
    rows = services.filter_activations(services.activation_rows(request.org), now, **chosen)
    page = Paginator(rows.order_by("-started_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "accounts": services.account_rows(request.org),
        "page": page,
        "rows": _rows(page, now),
        "filters": filters,
        "filtered": bool(chosen),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "access/breakglass_list.html", context)


def _account_form(request: OrgRequest, account: BreakGlassAccount | None) -> BreakGlassAccountForm:
    if account is None:
        initial: dict[str, Any] = {"review_hours": access_settings(request.org).break_glass_review_hours}
        keep: list[Any] = []
    else:
        keep = list(account.custodians.all())
        initial = {
            "system": account.system,
            "username": account.username,
            "purpose": account.purpose,
            "custodians": keep,
            "review_hours": account.review_hours,
        }
    data = request.POST if request.method == "POST" else None
    return BreakGlassAccountForm(data, initial=initial, organization=request.org, keep=keep)


@org_view(Perm.MANAGE_PROGRAM)
def breakglass_create(request: OrgRequest) -> HttpResponse:
    form = _account_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.breakglass_account_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Registered {account.username} on {account.system}.")
            return redirect("access:breakglass_detail", request.org.slug, account.public_id)
    return render(request, "access/breakglass_form.html", {"form": form, "account": None})


@org_view(Perm.VIEW_PROGRAM)
def breakglass_detail(request: OrgRequest, breakglass_id: UUID) -> HttpResponse:
    account = get_break_glass_account_for_user(request.membership, breakglass_id)
    account = services.account_rows(request.org).get(pk=account.pk)
    now = timezone.now()
    uses = services.activation_rows(request.org).filter(account=account).order_by("-started_at", "-pk")
    page = Paginator(uses, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "account": account,
        "page": page,
        "rows": _rows(page, now),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "access/breakglass_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def breakglass_edit(request: OrgRequest, breakglass_id: UUID) -> HttpResponse:
    account = get_break_glass_account_for_user(request.membership, breakglass_id, write=True)
    form = _account_form(request, account)
    if request.method == "POST" and form.is_valid():
        try:
            services.breakglass_account_update(
                organization=request.org, actor=Actor.from_request(request), account=account, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("access:breakglass_detail", request.org.slug, account.public_id)
    return render(request, "access/breakglass_form.html", {"form": form, "account": account})


def _set_active(request: OrgRequest, breakglass_id: UUID, active: bool) -> HttpResponse:
    account = get_break_glass_account_for_user(request.membership, breakglass_id, write=True)
    change = services.breakglass_account_reactivate if active else services.breakglass_account_deactivate
    try:
        change(organization=request.org, actor=Actor.from_request(request), account=account)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{account.username} is {'back in the register' if active else 'retired'}.")
    return redirect("access:breakglass_detail", request.org.slug, account.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def breakglass_deactivate(request: OrgRequest, breakglass_id: UUID) -> HttpResponse:
    return _set_active(request, breakglass_id, False)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def breakglass_reactivate(request: OrgRequest, breakglass_id: UUID) -> HttpResponse:
    return _set_active(request, breakglass_id, True)


# ---- uses -------------------------------------------------------------------------------------------------------


@org_view(Perm.MANAGE_PROGRAM)
def activation_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ActivationForm(
        request.POST if posted else None, initial={"account": request.GET.get("account")}, organization=request.org
    )
    if posted and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            reference = values.pop("used_by")
            values["used_by"] = services.person_by_reference(request.org, reference) if reference else None
            activation = services.activation_record(
                organization=request.org, actor=Actor.from_request(request), **values
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(
                request, f"Recorded. Review it by {timezone.localtime(activation.review_due_at):%Y-%m-%d %H:%M}."
            )
            return redirect("access:activation_detail", request.org.slug, activation.public_id)
    return render(request, "access/breakglass_activation_form.html", {"form": form})


def _sanction_choices(request: OrgRequest, activation: BreakGlassActivation) -> QuerySet[SanctionRecord]:
    """Sanctions decided on or after the day of the use: those that can have followed it up."""
    return SanctionRecord.objects.filter(
        organization=request.org, decided_on__gte=timezone.localdate(activation.started_at)
    ).order_by("-decided_on", "-created_at", "pk")


def _may_link(request: OrgRequest, activation: BreakGlassActivation) -> bool:
    return activation.justified is False and request.membership.has(Perm.MANAGE_SANCTIONS)


def _tell_once(request: OrgRequest, text: str) -> None:
    """A note, unless the refused review that led here already said it (reading the messages keeps them shown)."""
    if all(str(message) != text for message in messages.get_messages(request)):
        messages.info(request, text)


def _activation_page(
    request: OrgRequest,
    activation: BreakGlassActivation,
    review_form: ReviewForm | None = None,
    link_form: SanctionLinkForm | None = None,
) -> HttpResponse:
    may_link = _may_link(request, activation) and activation.sanction_id is None
    if may_link and link_form is None:
        link_form = SanctionLinkForm(sanctions=_sanction_choices(request, activation))
    if link_form is not None and may_link:
        # Listing sanctions to choose from is a read of the confidential log: audited like a page of it.
        shown = list(link_form.fields["sanction"].queryset)  # type: ignore[attr-defined]
        sanctions_list_record(
            organization=request.org,
            actor=Actor.from_request(request),
            filters={"decided_from": timezone.localdate(activation.started_at), "for": "break-glass follow-up"},
            shown=shown,
        )
    user = cast(User, request.user)
    own_use = services.is_own_use(activation, user)
    refusal = services.review_refusal(activation, user) if activation.reviewed_at is None else ""
    if refusal and not own_use and request.membership.has(Perm.MANAGE_PROGRAM):
        _tell_once(request, refusal)  # the page itself says so for one's own use; the recorder is told here
    state = services.review_state(activation, timezone.now())
    context = {
        "activation": activation,
        "state": str(state),
        "state_label": services.REVIEW_STATE_LABELS[state],
        "can_review": request.membership.has(Perm.MANAGE_PROGRAM) and activation.reviewed_at is None and not refusal,
        "own_use": own_use,
        "review_form": review_form or ReviewForm(),
        "link_form": link_form if may_link else None,
        "can_view_sanctions": request.membership.has(Perm.VIEW_SANCTIONS),
    }
    return render(request, "access/breakglass_activation_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def activation_detail(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    return _activation_page(request, get_activation_for_user(request.membership, activation_id))


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def activation_review(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    activation = get_activation_for_user(request.membership, activation_id, write=True)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.activation_review(
                organization=request.org, actor=Actor.from_request(request), activation=activation, **form.cleaned_data
            )
        except ServiceError as error:
            if error.field is None:  # a refusal of the review itself (already done, own use): not the form's
                messages.error(request, error.message)
                return redirect("access:activation_detail", request.org.slug, activation.public_id)
            show_service_error(form, error)
        else:
            messages.success(request, "Review recorded.")
            return redirect("access:activation_detail", request.org.slug, activation.public_id)
    return _activation_page(request, activation, review_form=form)


@require_POST
@org_view(Perm.MANAGE_SANCTIONS)
def activation_link_sanction(request: OrgRequest, activation_id: UUID) -> HttpResponse:
    activation = get_activation_for_user(request.membership, activation_id)
    form = SanctionLinkForm(request.POST, sanctions=_sanction_choices(request, activation))
    if not form.is_valid():
        return _activation_page(request, activation, link_form=form)
    try:
        services.activation_link_sanction(
            organization=request.org, actor=Actor.from_request(request), activation=activation, **form.cleaned_data
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Linked to the sanction that followed it up.")
    return redirect("access:activation_detail", request.org.slug, activation.public_id)
