"""Backup tool tokens: the list (program viewers read it; a key is never shown again), making one (its key and an
example call of the post-job hook are shown this once) and revoking one after a confirmation. Program managers make
and revoke them."""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from safeguard.contingency.access import get_backup_hook_token
from safeguard.contingency.forms_hook_tokens import HookTokenForm
from safeguard.contingency.models import BackupHookToken, BackupPolicy
from safeguard.contingency.services import hook_tokens as services
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def backup_token_list(request: OrgRequest) -> HttpResponse:
    return _token_list(request, HookTokenForm())


def _token_list(request: OrgRequest, form: HookTokenForm) -> HttpResponse:
    rows = BackupHookToken.objects.filter(organization=request.org).select_related("created_by", "revoked_by")
    page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "contingency/backup_token_list.html", {"page": page, "form": form})


@require_POST
@never_cache  # the answer holds the key
@org_view(Perm.MANAGE_PROGRAM)
def backup_token_create(request: OrgRequest) -> HttpResponse:
    form = HookTokenForm(request.POST)
    if not form.is_valid():
        return _token_list(request, form)
    try:
        token, key = services.hook_token_create(
            organization=request.org, actor=Actor.from_request(request), name=form.cleaned_data["name"]
        )
    except ServiceError as error:
        show_service_error(form, error)
        return _token_list(request, form)
    context = {
        "token": token,
        "key": key,
        "hook_path": reverse("api:contingency_backup_results", args=[request.org.slug]),
        "example_run": _example_run(request),
    }
    return render(request, "contingency/backup_token_created.html", context)


def _example_run(request: OrgRequest) -> str:
    """A run as the hook's body, quoted for a shell's single quotes: for one of the organization's own policies
    when there is one, so the example is one the tool could send as it is."""
    policy = BackupPolicy.objects.filter(organization=request.org, active=True).select_related("asset").first()
    run = {
        "asset": policy.asset.name if policy else "EHR database",
        "job": policy.job_name if policy else "ehr-nightly",
        "started": "2026-03-02T01:00:04-05:00",
        "finished": "2026-03-02T01:41:10-05:00",
        "status": "success",
    }
    return json.dumps(run, ensure_ascii=False).replace("'", "'\\''")


@require_http_methods(["GET", "POST"])
@org_view(Perm.MANAGE_PROGRAM)
def backup_token_revoke(request: OrgRequest, token_id: UUID) -> HttpResponse:
    """GET asks for a confirmation; POST revokes."""
    token = get_backup_hook_token(request.membership, token_id, write=True)
    if request.method == "GET":
        return render(request, "contingency/backup_token_revoke.html", {"token": token})
    try:
        services.hook_token_revoke(organization=request.org, actor=Actor.from_request(request), token=token)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Revoked “{token.name}” ({token.prefix}…): the tool's calls are refused from now.")
    return redirect("contingency:backup_token_list", request.org.slug)
