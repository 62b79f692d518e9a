"""Systems and accounts pages: the systems with their latest figures, a system's snapshots and settings, importing
an account list, a snapshot's accounts, one account and the decision about it, the queue of name matches waiting
for confirmation, and a person's accounts across systems."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.access.access import get_account_for_user, get_snapshot_for_user, get_system_for_user
from safeguard.access.account_import import KIND
from safeguard.access.forms_systems import (
    AccountFilterForm,
    AccountImportForm,
    DesignationForm,
    SystemRegisterForm,
    SystemSettingsForm,
)
from safeguard.access.models import Account, AccountDesignation, Classification
from safeguard.access.queries import accounts_held, current_accounts
from safeguard.access.services import designations, systems
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import FileImport
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import import_start
from safeguard.workforce.access import get_person_for_user

PAGE_SIZE = 50
HISTORY_SHOWN = 10


def _can_manage(request: OrgRequest) -> bool:
    return request.membership.has(Perm.MANAGE_PROGRAM)


# ---- systems ----------------------------------------------------------------------------------------------------


def _system_list(request: OrgRequest, form: SystemRegisterForm | None = None) -> HttpResponse:
    can_manage = _can_manage(request)
    context = {
        "rows": systems.system_stats(request.org),
        "can_manage": can_manage,
        "form": (form or SystemRegisterForm(organization=request.org)) if can_manage else None,
    }
    return render(request, "access/system_list.html", context)


@org_view(Perm.VIEW_PROGRAM)
def system_list(request: OrgRequest) -> HttpResponse:
    return _system_list(request)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def system_register(request: OrgRequest) -> HttpResponse:
    form = SystemRegisterForm(request.POST, organization=request.org)
    if form.is_valid():
        try:
            system = systems.system_register(
                organization=request.org, actor=Actor.from_request(request), asset=form.cleaned_data["asset"]
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{system.asset.name} is now a system: import its account list.")
            return redirect("access:system_detail", request.org.slug, system.public_id)
    return _system_list(request, form)


def _system_detail(request: OrgRequest, system_id: UUID, form: SystemSettingsForm | None = None) -> HttpResponse:
    system = get_system_for_user(request.membership, system_id)
    snapshots = system.snapshots.select_related("imported_by").order_by("-taken_at", "-pk")
    initial = {"time_zone": system.time_zone, "inactive_days": system.inactive_days}
    context = {
        "system": system,
        "page": Paginator(snapshots, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_manage": _can_manage(request),
        "form": form or SystemSettingsForm(initial=initial),
    }
    return render(request, "access/system_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def system_detail(request: OrgRequest, system_id: UUID) -> HttpResponse:
    return _system_detail(request, system_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def system_settings(request: OrgRequest, system_id: UUID) -> HttpResponse:
    system = get_system_for_user(request.membership, system_id, write=True)
    form = SystemSettingsForm(request.POST)
    if form.is_valid():
        try:
            systems.system_update(
                organization=request.org, actor=Actor.from_request(request), system=system, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("access:system_detail", request.org.slug, system.public_id)
    return _system_detail(request, system_id, form)


@org_view(Perm.MANAGE_PROGRAM)
def account_import(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = AccountImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organization=request.org,
        initial={"system": request.GET.get("system", "")},
    )
    if posted and form.is_valid():
        options = {"system": form.cleaned_data["system"], "taken_at": form.cleaned_data["taken_at"]}
        try:
            job = import_start(
                organization=request.org,
                actor=Actor.from_request(request),
                kind=KIND,
                upload=form.cleaned_data["file"],
                options=options,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect("core:file_import_detail", request.org.slug, job.public_id)
    return render(request, "access/account_import.html", {"form": form})


# ---- snapshots and accounts ---------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def snapshot_detail(request: OrgRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request.membership, snapshot_id)
    filters = AccountFilterForm(request.GET)
    values = filters.cleaned_data if filters.is_valid() else {}
    accounts = systems.accounts_filtered(snapshot.accounts.select_related("person", "owner"), values).order_by(
        "username", "pk"
    )
    source = FileImport.objects.filter(
        organization=request.org, kind=KIND, result__snapshot=str(snapshot.public_id)
    ).first()
    context = {
        "snapshot": snapshot,
        "system": snapshot.system,
        "filters": filters,
        "filtering": any(values.values()),
        "page": Paginator(accounts.order_by("username", "pk"), PAGE_SIZE).get_page(request.GET.get("page")),
        "source": source,
    }
    return render(request, "access/snapshot_detail.html", context)


def _account_detail(request: OrgRequest, account_id: UUID, form: DesignationForm | None = None) -> HttpResponse:
    account = get_account_for_user(request.membership, account_id)
    designation = (
        AccountDesignation.objects.filter(system=account.system, username_key=account.username.strip().lower())
        .select_related("person", "owner", "decided_by")
        .first()
    )
    history = (
        Account.objects.filter(system=account.system, username__iexact=account.username)
        .select_related("snapshot")
        .order_by("-snapshot__taken_at", "-pk")[:HISTORY_SHOWN]
    )
    initial = {
        "classification": account.classification if account.classification != Classification.PENDING else "person",
        "person": account.person.employee_id if account.person else "",
        "owner": account.owner.employee_id if account.owner else "",
    }
    context = {
        "account": account,
        "designation": designation,
        "history": history,
        "can_manage": _can_manage(request),
        "form": form or DesignationForm(initial=initial),
        "pending": account.classification == Classification.PENDING,
    }
    return render(request, "access/account_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def account_detail(request: OrgRequest, account_id: UUID) -> HttpResponse:
    return _account_detail(request, account_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def account_designate(request: OrgRequest, account_id: UUID) -> HttpResponse:
    account = get_account_for_user(request.membership, account_id, write=True)
    form = DesignationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            designations.account_designate(
                organization=request.org,
                actor=Actor.from_request(request),
                account=account,
                classification=data["classification"],
                person=designations.find_person(request.org, data["person"]) if data["person"] else None,
                owner=designations.find_person(request.org, data["owner"], field="owner") if data["owner"] else None,
                note=data["note"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved: {account.username} is decided for this and every later list.")
            return redirect("access:account_detail", request.org.slug, account.public_id)
    return _account_detail(request, account_id, form)


@org_view(Perm.VIEW_PROGRAM)
def account_pending(request: OrgRequest) -> HttpResponse:
    accounts = (
        current_accounts(request.org)
        .filter(classification=Classification.PENDING)
        .select_related("system__asset", "person", "snapshot")
        .order_by("system__asset__name", "username", "pk")
    )
    context = {
        "page": Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_manage": _can_manage(request),
    }
    return render(request, "access/account_pending.html", context)


def _decide(request: OrgRequest, account_id: UUID, confirm: bool) -> HttpResponse:
    account = get_account_for_user(request.membership, account_id, write=True)
    decide = designations.account_confirm if confirm else designations.account_reject
    try:
        decide(organization=request.org, actor=Actor.from_request(request), account=account)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        verb = "confirmed" if confirm else "rejected"
        messages.success(request, f"Name match of {account.username} {verb}.")
    if request.POST.get("back") == "account":
        return redirect("access:account_detail", request.org.slug, account.public_id)
    return redirect("access:account_pending", request.org.slug)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def account_confirm(request: OrgRequest, account_id: UUID) -> HttpResponse:
    return _decide(request, account_id, confirm=True)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def account_reject(request: OrgRequest, account_id: UUID) -> HttpResponse:
    return _decide(request, account_id, confirm=False)


@org_view(Perm.VIEW_PROGRAM)
def person_accounts(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id)
    accounts = accounts_held(person, enabled_only=False).select_related("snapshot")
    return render(request, "access/account_person.html", {"person": person, "accounts": accounts})
