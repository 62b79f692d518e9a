"""The living risk register: the list with its heat maps and burndown, a risk's treatment, its mitigation
actions, signed acceptances, and the significant changes that call for a new analysis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.forms import show_service_error
from safeguard.core.models import EvidenceLink
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk import forms_register as forms
from safeguard.risk.access import get_acceptance_for_user, get_action_for_user, get_risk_for_user
from safeguard.risk.charts import burndown_svg, heat_maps, open_high_risks_series
from safeguard.risk.models import MitigationAction, ReanalysisTrigger, Risk, RiskAcceptance
from safeguard.risk.queries import acceptance_state
from safeguard.risk.queries_register import (
    OPEN_STATUSES,
    action_tab,
    charted_risks,
    filtered_risks,
    register_rows,
)
from safeguard.risk.scoring import label_of
from safeguard.risk.services import acceptances, actions, treatment
from safeguard.risk.services.method import current_method
from safeguard.risk.services.risks import method_of
from safeguard.risk.services.triggers import reanalysis_flag

PAGE_SIZE = 50
ACTION_TABS = {"open": "Open", "overdue": "Overdue", "done": "Done"}


@org_view(Perm.VIEW_PROGRAM)
def register(request: OrgRequest) -> HttpResponse:
    today, method = timezone.localdate(), current_method(request.org)
    form = forms.RegisterFilterForm(request.GET, organization=request.org, method=method)
    filters = form.cleaned_data if form.is_valid() else {}
    risks = filtered_risks(request.org, filters, today)
    page = Paginator(register_rows(risks, filters.get("sort") or "number", today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for row in page.object_list:
        rated_by = row.analysis.method if row.analysis is not None else method
        row.inherent_label = label_of(rated_by, row.inherent_level)  # type: ignore[attr-defined]
        row.residual_label = label_of(rated_by, row.residual_level)  # type: ignore[attr-defined]
    inherent_map, residual_map = heat_maps(charted_risks(risks, filters), method)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "open_only": not filters.get("status"),
        "inherent_map": inherent_map,
        "residual_map": residual_map,
        "burndown": burndown_svg(open_high_risks_series(request.org, today), title="Open high risks, last 90 days"),
    }
    return render(request, "risk/register.html", context)


# ---- one risk: detail, treatment, close and reopen ------------------------------------------------------------


def _evidence_links(risk: Risk, actions_shown: list[MitigationAction]) -> QuerySet[EvidenceLink]:
    targets = Q(target_type="risk.risk", target_id=str(risk.public_id)) | Q(
        target_type=actions.EVIDENCE_TARGET_TYPE, target_id__in=[str(a.public_id) for a in actions_shown]
    )
    return EvidenceLink.objects.filter(targets, evidence__is_deleted=False).select_related("evidence").order_by("pk")


def _detail(request: OrgRequest, risk: Risk, **bound: Any) -> HttpResponse:
    org, membership = request.org, request.membership
    rows = list(risk.actions.select_related("owner", "evidence", "obligation").order_by("due_on", "title", "pk"))
    method = method_of(request.org, risk.analysis)
    manage = membership.has(Perm.MANAGE_PROGRAM) and risk.status == Risk.Status.OPEN
    context = {
        "risk": risk,
        "inherent_label": label_of(method, risk.inherent_level) if risk.inherent_level else "",
        "residual_label": label_of(method, risk.residual_level) if risk.residual_level else "",
        "assets": risk.assets.order_by("name"),
        "actions": rows,
        "acceptances": _acceptance_rows(risk),
        "evidence_links": _evidence_links(risk, rows),
        "today": timezone.localdate(),
        "can_manage": manage,
        "can_reopen": membership.has(Perm.MANAGE_PROGRAM) and risk.status == Risk.Status.CLOSED,
        "can_accept": membership.has(Perm.SIGN_DECISIONS) and risk.status == Risk.Status.OPEN,
        "treat_form": bound.get("treat_form")
        or forms.TreatForm(
            initial={"treatment": risk.treatment, "owner": risk.owner.public_id if risk.owner else None},
            organization=org,
            current_owner=risk.owner,
        ),
        "action_form": bound.get("action_form")
        or forms.ActionForm(initial={"due_on": timezone.localdate() + timedelta(days=30)}, organization=org),
        "note_form": forms.NoteForm(),
    }
    return render(request, "risk/risk_detail.html", context)


def _acceptance_rows(risk: Risk) -> list[RiskAcceptance]:
    rows = list(risk.acceptances.select_related("signature__signer", "withdrawn_by").order_by("-accepted_at"))
    today = timezone.localdate()
    for row in rows:
        row.state = acceptance_state(row, today)  # type: ignore[attr-defined]
    return rows


@org_view(Perm.VIEW_PROGRAM)
def risk_detail(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    return _detail(request, get_risk_for_user(request.membership, risk_id))


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def risk_treat(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    risk = get_risk_for_user(request.membership, risk_id, write=True)
    form = forms.TreatForm(request.POST, organization=request.org, current_owner=risk.owner)
    if form.is_valid():
        try:
            treatment.risk_treat(
                organization=request.org, actor=Actor.from_request(request), risk=risk, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved the treatment of {risk.reference}.")
            return redirect("risk:risk_detail", request.org.slug, risk.public_id)
    return _detail(request, risk, treat_form=form)


def _risk_status_change(request: OrgRequest, risk_id: UUID, *, close: bool) -> HttpResponse:
    risk = get_risk_for_user(request.membership, risk_id, write=True)
    form = forms.NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    change = treatment.risk_close if close else treatment.risk_reopen
    try:
        change(organization=request.org, actor=Actor.from_request(request), risk=risk, note=note)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{'Closed' if close else 'Reopened'} {risk.reference}.")
    return redirect("risk:risk_detail", request.org.slug, risk.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def risk_close(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    return _risk_status_change(request, risk_id, close=True)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def risk_reopen(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    return _risk_status_change(request, risk_id, close=False)


# ---- mitigation actions ---------------------------------------------------------------------------------------


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def action_create(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    risk = get_risk_for_user(request.membership, risk_id, write=True)
    form = forms.ActionForm(request.POST, organization=request.org)
    if form.is_valid():
        try:
            action = actions.action_create(
                organization=request.org, actor=Actor.from_request(request), risk=risk, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Added “{action.title}”, due {action.due_on:%Y-%m-%d}.")
            return redirect("risk:risk_detail", request.org.slug, risk.public_id)
    return _detail(request, risk, action_form=form)


def _may_write(request: OrgRequest, action: MitigationAction) -> bool:
    try:
        get_action_for_user(request.membership, action.public_id, write=True)
    except PermissionDenied:
        return False
    return action.status in OPEN_STATUSES


def _action_page(request: OrgRequest, action: MitigationAction, **bound: Any) -> HttpResponse:
    membership, org = request.membership, request.org
    manages = membership.has(Perm.MANAGE_PROGRAM)
    may_write = _may_write(request, action)
    initial = {name: getattr(action, name) for name in actions.EDITABLE_FIELDS}
    initial["owner"] = action.owner.public_id
    context = {
        "action": action,
        "today": timezone.localdate(),
        "can_write": may_write,
        "can_cancel": may_write and manages,
        "sees_program": membership.has(Perm.VIEW_PROGRAM),
        "update_form": bound.get("update_form")
        or forms.ActionUpdateForm(
            initial=initial, organization=org, current_owner=action.owner, owner_only=not manages
        ),
        "complete_form": bound.get("complete_form")
        or forms.ActionCompleteForm(organization=org, pick_evidence=membership.has(Perm.VIEW_PROGRAM)),
        "cancel_form": bound.get("cancel_form") or forms.ReasonForm(),
    }
    return render(request, "risk/action_detail.html", context)


@org_view(None)
def action_detail(request: OrgRequest, action_id: UUID) -> HttpResponse:
    return _action_page(request, get_action_for_user(request.membership, action_id))


@require_POST
@org_view(None)
def action_update(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_action_for_user(request.membership, action_id, write=True)
    owner_only = not request.membership.has(Perm.MANAGE_PROGRAM)
    form = forms.ActionUpdateForm(
        request.POST, organization=request.org, current_owner=action.owner, owner_only=owner_only
    )
    if form.is_valid():
        try:
            actions.action_update(
                organization=request.org, actor=Actor.from_request(request), action=action, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("risk:action_detail", request.org.slug, action.public_id)
    return _action_page(request, action, update_form=form)


@require_POST
@org_view(None)
def action_complete(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_action_for_user(request.membership, action_id, write=True)
    form = forms.ActionCompleteForm(
        request.POST, request.FILES, organization=request.org, pick_evidence=request.membership.has(Perm.VIEW_PROGRAM)
    )
    if form.is_valid():
        try:
            actions.action_complete(
                organization=request.org,
                actor=Actor.from_request(request),
                action=action,
                evidence=form.cleaned_data.get("evidence"),
                evidence_file=form.cleaned_data["evidence_file"],
                note=form.cleaned_data["note"],
                completed_on=form.cleaned_data["completed_on"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"“{action.title}” is done.")
            return redirect("risk:action_detail", request.org.slug, action.public_id)
    return _action_page(request, action, complete_form=form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def action_cancel(request: OrgRequest, action_id: UUID) -> HttpResponse:
    action = get_action_for_user(request.membership, action_id, write=True)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        try:
            actions.action_cancel(
                organization=request.org, actor=Actor.from_request(request), action=action, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Cancelled “{action.title}”.")
            return redirect("risk:action_detail", request.org.slug, action.public_id)
    return _action_page(request, action, cancel_form=form)


@org_view(None)
def action_list(request: OrgRequest) -> HttpResponse:
    """Program viewers see every action (or theirs with ?mine=1); anyone else only the actions they own."""
    today = timezone.localdate()
    tab = request.GET.get("show", "open")
    tab = tab if tab in ACTION_TABS else "open"
    sees_all = request.membership.has(Perm.VIEW_PROGRAM)
    mine = not sees_all or request.GET.get("mine") == "1"
    rows = MitigationAction.objects.filter(organization=request.org)
    if mine:
        rows = rows.filter(owner_id=request.membership.user_id)
    counts = rows.aggregate(**{key: Count("pk", filter=action_tab(key, today)) for key in ACTION_TABS})
    order = ("-completed_on", "-due_on", "pk") if tab == "done" else ("due_on", "title", "pk")
    shown = rows.filter(action_tab(tab, today)).select_related("risk", "owner").order_by(*order)
    context = {
        "page": Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page")),
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in ACTION_TABS.items()],
        "mine": mine,
        "sees_all": sees_all,
        "today": today,
    }
    return render(request, "risk/action_list.html", context)


# ---- acceptances -----------------------------------------------------------------------------------------------


@org_view(Perm.SIGN_DECISIONS)
def acceptance_create(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    risk = get_risk_for_user(request.membership, risk_id)
    posted = request.method == "POST"
    form = forms.AcceptanceForm(request.POST if posted else None)
    if posted and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ("rationale", "expires_on", "statement")}
        try:
            acceptance = acceptances.acceptance_record(
                organization=request.org, actor=Actor.from_request(request), risk=risk, **values
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Signed: {risk.reference} accepted until {acceptance.expires_on:%Y-%m-%d}.")
            return redirect("risk:risk_detail", request.org.slug, risk.public_id)
    method = method_of(request.org, risk.analysis)
    context = {
        "risk": risk,
        "form": form,
        "inherent_label": label_of(method, risk.inherent_level) if risk.inherent_level else "",
        "residual_label": label_of(method, risk.residual_level) if risk.residual_level else "",
        "latest_expiry": add_years(timezone.localdate(), acceptances.MAX_YEARS),
    }
    return render(request, "risk/acceptance_form.html", context)


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def acceptance_withdraw(request: OrgRequest, acceptance_id: UUID) -> HttpResponse:
    acceptance = get_acceptance_for_user(request.membership, acceptance_id, write=True)
    try:
        acceptances.acceptance_withdraw(
            organization=request.org,
            actor=Actor.from_request(request),
            acceptance=acceptance,
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Withdrew the acceptance of {acceptance.risk.reference}; decide its treatment again."
        )
    return redirect("risk:risk_detail", request.org.slug, acceptance.risk.public_id)


# ---- re-analysis triggers --------------------------------------------------------------------------------------

TRIGGER_TABS = {"open": "Open", "resolved": "Resolved"}


@org_view(Perm.VIEW_PROGRAM)
def trigger_list(request: OrgRequest) -> HttpResponse:
    tab = request.GET.get("show", "open")
    tab = tab if tab in TRIGGER_TABS else "open"
    rows = ReanalysisTrigger.objects.filter(organization=request.org)
    counts = rows.aggregate(
        open=Count("pk", filter=Q(resolved_by__isnull=True)), resolved=Count("pk", filter=Q(resolved_by__isnull=False))
    )
    shown = (
        rows.filter(resolved_by__isnull=tab == "open")
        .select_related("asset", "analysis", "recorded_by", "obligation__owner", "resolved_by")
        .defer("analysis__approved_content", "resolved_by__approved_content")
        .order_by("-occurred_at", "-pk")
    )
    context = {
        "page": Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page")),
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TRIGGER_TABS.items()],
        "today": timezone.localdate(),
    }
    return render(request, "risk/trigger_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def trigger_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = forms.TriggerForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            reanalysis_flag(
                organization=request.org,
                actor=Actor.from_request(request),
                kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE,
                reason=form.reason(),
                due_on=form.cleaned_data["due_on"],
            )
        except ServiceError as error:
            show_service_error(form, error, aliases={"reason": "details"})
        else:
            messages.success(request, "Recorded. The risk analysis is due for an update.")
            return redirect("risk:trigger_list", request.org.slug)
    return render(request, "risk/trigger_form.html", {"form": form})
