"""Backup pages: the status of every asset's backups (latest good restore point against the RPO, failed and missing
runs), one asset's backups, and the backup policies (list, add, edit, deactivate)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.contingency.access import get_backup_policy
from safeguard.contingency.durations import duration
from safeguard.contingency.forms_backups import BackupPolicyFilterForm, BackupPolicyForm
from safeguard.contingency.models import BackupPolicy, BackupResult, BackupStatus
from safeguard.contingency.queries_backups import WINDOW, backed_up_assets, backup_status
from safeguard.contingency.services import backups as services
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_asset_for_user

PAGE_SIZE = 50
RUNS_SHOWN = 50


@org_view(Perm.VIEW_PROGRAM)
def backup_status_list(request: OrgRequest) -> HttpResponse:
    assets = backed_up_assets(request.org).select_related("recovery_profile")
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    statuses = backup_status(request.org, now=now, assets=page.object_list)
    policies: dict[int, list[BackupPolicy]] = {}
    for policy in BackupPolicy.objects.filter(asset__in=page.object_list, active=True).order_by("job_name"):
        policies.setdefault(policy.asset_id, []).append(policy)
    rows = [
        {
            "asset": asset,
            "status": statuses[asset.pk],
            "age": age_text(statuses[asset.pk].age),
            "rpo": rpo_text(statuses[asset.pk].rpo_minutes),
            "policies": policies.get(asset.pk, []),
        }
        for asset in page.object_list
    ]
    context = {"page": page, "rows": rows, "now": now, "grace": contingency_settings(request.org).backup_grace_hours}
    return render(request, "contingency/backup_status.html", context)


@org_view(Perm.VIEW_PROGRAM)
def backup_asset(request: OrgRequest, asset_id: UUID) -> HttpResponse:
    asset = get_asset_for_user(request.membership, asset_id)
    now = timezone.now()
    status = backup_status(request.org, now=now, assets=[asset])[asset.pk]
    runs = BackupResult.objects.filter(organization=request.org, policy__asset=asset).select_related("policy")
    context = {
        "asset": asset,
        "status": status,
        "age": age_text(status.age),
        "rpo": rpo_text(status.rpo_minutes),
        "policies": BackupPolicy.objects.filter(asset=asset).select_related("responsible"),
        "runs": runs.order_by("-started_at")[:RUNS_SHOWN],
        "failed": runs.filter(status=BackupStatus.FAILED, started_at__gte=now - WINDOW).order_by("-started_at"),
        "runs_shown": RUNS_SHOWN,
    }
    return render(request, "contingency/backup_asset.html", context)


@org_view(Perm.VIEW_PROGRAM)
def backup_policy_list(request: OrgRequest) -> HttpResponse:
    filters = BackupPolicyFilterForm(request.GET, organization=request.org)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    rows = BackupPolicy.objects.filter(organization=request.org).select_related("asset", "responsible")
    if filters.cleaned_data.get("asset"):
        rows = rows.filter(asset=filters.cleaned_data["asset"])
    if filters.cleaned_data.get("active"):
        rows = rows.filter(active=filters.cleaned_data["active"] == "yes")
    page = Paginator(rows.order_by("asset__name", "job_name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(filters.cleaned_data.get(name) for name in filters.fields)
    return render(
        request, "contingency/backup_policy_list.html", {"page": page, "filters": filters, "filtered": filtered}
    )


@org_view(Perm.MANAGE_PROGRAM)
def backup_policy_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    initial = {"asset": request.GET.get("asset")} if request.GET.get("asset") else None
    form = BackupPolicyForm(request.POST if posted else None, initial=initial, organization=request.org)
    if posted and form.is_valid():
        try:
            policy = services.backup_policy_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Added the backup policy “{policy.job_name}” of {policy.asset.name}.")
            return redirect("contingency:backup_asset", request.org.slug, policy.asset.public_id)
    return render(request, "contingency/backup_policy_form.html", {"form": form, "policy": None})


@org_view(Perm.MANAGE_PROGRAM)
def backup_policy_edit(request: OrgRequest, policy_id: UUID) -> HttpResponse:
    policy = get_backup_policy(request.membership, policy_id, write=True)
    initial: dict[str, Any] = {name: getattr(policy, name) for name in services.EDITABLE_FIELDS}
    posted = request.method == "POST"
    form = BackupPolicyForm(
        request.POST if posted else None,
        initial=initial,
        organization=request.org,
        editing=True,
        keep=policy.responsible,
    )
    if posted and form.is_valid():
        try:
            services.backup_policy_update(
                organization=request.org, actor=Actor.from_request(request), policy=policy, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("contingency:backup_asset", request.org.slug, policy.asset.public_id)
    return render(request, "contingency/backup_policy_form.html", {"form": form, "policy": policy})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def backup_policy_active(request: OrgRequest, policy_id: UUID) -> HttpResponse:
    policy = get_backup_policy(request.membership, policy_id, write=True)
    active = request.POST.get("active") == "yes"
    services.backup_policy_set_active(
        organization=request.org, actor=Actor.from_request(request), policy=policy, active=active
    )
    state = "reactivated" if active else "deactivated: its results are kept"
    messages.success(request, f"The backup policy “{policy.job_name}” is {state}.")
    return redirect("contingency:backup_asset", request.org.slug, policy.asset.public_id)


def age_text(age: timedelta | None) -> str:
    if age is None:
        return "—"
    return duration(max(0, int(age.total_seconds() // 60)))


def rpo_text(minutes: int | None) -> str:
    return "—" if minutes is None else duration(minutes)
