"""Sanction pages: the policy's versions (write, approve, review) and the confidential sanctions log.

The policy is part of the program: whoever views the program may read it. The log is kept from everyone but those
who administer sanctions, and every read of it — a page of the list, one record, the edit form — is audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_sanction_for_user, get_sanction_policy_for_user
from safeguard.risk.forms_sanctions import LogReviewForm, SanctionFilterForm, SanctionForm, SanctionPolicyForm, SignForm
from safeguard.risk.models import SanctionPolicy, SanctionRecord
from safeguard.risk.services import sanctions as services

PAGE_SIZE = 50
LOG_REVIEWS_SHOWN = 5


# ---- the policy -----------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def sanction_policy_list(request: OrgRequest) -> HttpResponse:
    versions = SanctionPolicy.objects.filter(organization=request.org).select_related("created_by", "approval__signer")
    page = Paginator(versions.order_by("-version"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "current": services.approved_policy(request.org),
        "can_manage": request.membership.has(Perm.MANAGE_SANCTIONS),
    }
    return render(request, "risk/sanction_policy_list.html", context)


def _policy_form(request: OrgRequest, initial: dict[str, Any] | None = None) -> SanctionPolicyForm:
    posted = request.method == "POST"
    return SanctionPolicyForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial=initial,
        organization=request.org,
    )


@org_view(Perm.MANAGE_SANCTIONS)
def sanction_policy_create(request: OrgRequest) -> HttpResponse:
    # A new version starts from the text of the latest one.
    latest = SanctionPolicy.objects.filter(organization=request.org).order_by("-version").first()
    form = _policy_form(request, {"title": latest.title, "body": latest.body} if latest else None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.sanction_policy_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved version {policy.version} as a draft.")
            return redirect("risk:sanction_policy_detail", request.org.slug, policy.public_id)
    return render(request, "risk/sanction_policy_form.html", {"form": form, "policy": None})


def _policy_detail(request: OrgRequest, policy: SanctionPolicy, sign_form: SignForm | None = None) -> HttpResponse:
    lapses_on = services.review_lapses_on(policy) if policy.status == SanctionPolicy.Status.APPROVED else None
    context = {
        "policy": policy,
        "signatures": services.policy_signatures(policy).order_by("-signed_at"),
        "review_due": lapses_on - timedelta(days=1) if lapses_on else None,
        "can_edit": policy.status == SanctionPolicy.Status.DRAFT and request.membership.has(Perm.MANAGE_SANCTIONS),
        "can_sign": policy.status != SanctionPolicy.Status.SUPERSEDED and request.membership.has(Perm.SIGN_DECISIONS),
        "sign_form": sign_form or SignForm(),
        "can_view_evidence": request.membership.has(Perm.VIEW_PROGRAM),
    }
    return render(request, "risk/sanction_policy_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def sanction_policy_detail(request: OrgRequest, policy_id: UUID) -> HttpResponse:
    return _policy_detail(request, get_sanction_policy_for_user(request.membership, policy_id))


@org_view(Perm.MANAGE_SANCTIONS)
def sanction_policy_edit(request: OrgRequest, policy_id: UUID) -> HttpResponse:
    policy = get_sanction_policy_for_user(request.membership, policy_id, write=True)
    if policy.status != SanctionPolicy.Status.DRAFT:
        messages.error(request, f"Version {policy.version} is {policy.get_status_display().lower()}: create a new one.")
        return redirect("risk:sanction_policy_detail", request.org.slug, policy.public_id)
    form = _policy_form(request, {"title": policy.title, "body": policy.body, "document": policy.document})
    if request.method == "POST" and form.is_valid():
        try:
            services.sanction_policy_update(
                organization=request.org, actor=Actor.from_request(request), policy=policy, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("risk:sanction_policy_detail", request.org.slug, policy.public_id)
    return render(request, "risk/sanction_policy_form.html", {"form": form, "policy": policy})


def _sign(request: OrgRequest, policy_id: UUID, approve: bool) -> HttpResponse:
    policy = get_sanction_policy_for_user(request.membership, policy_id)
    form = SignForm(request.POST)
    if form.is_valid():
        sign = services.sanction_policy_approve if approve else services.sanction_policy_review
        try:
            sign(
                organization=request.org,
                actor=Actor.from_request(request),
                policy=policy,
                statement=form.cleaned_data["statement"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{'Approved' if approve else 'Review recorded for'} version {policy.version}.")
            return redirect("risk:sanction_policy_detail", request.org.slug, policy.public_id)
    return _policy_detail(request, policy, form)


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def sanction_policy_approve(request: OrgRequest, policy_id: UUID) -> HttpResponse:
    return _sign(request, policy_id, approve=True)


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def sanction_policy_review(request: OrgRequest, policy_id: UUID) -> HttpResponse:
    return _sign(request, policy_id, approve=False)


# ---- the log --------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_SANCTIONS)
def sanction_list(request: OrgRequest) -> HttpResponse:
    filters = SanctionFilterForm(request.GET)
    rows = SanctionRecord.objects.filter(organization=request.org).select_related("decided_by", "person")
    applied: dict[str, object] = {}
    if filters.is_valid():
        applied = {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}
    if "level" in applied:
        rows = rows.filter(level=applied["level"])
    if "year" in applied:
        rows = rows.filter(decided_on__year=applied["year"])
    page = Paginator(rows.order_by("-decided_on", "-created_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    services.sanctions_list_record(
        organization=request.org,
        actor=Actor.from_request(request),
        filters={**applied, "page": page.number},
        shown=page.object_list,
    )
    context = {
        "page": page,
        "filters": filters,
        "policy": services.approved_policy(request.org),
        "log_reviews": services.log_reviews(request.org).order_by("-signed_at")[:LOG_REVIEWS_SHOWN],
        "review_form": LogReviewForm(),
        "can_manage": request.membership.has(Perm.MANAGE_SANCTIONS),
        "can_sign": request.membership.has(Perm.SIGN_DECISIONS),
    }
    return render(request, "risk/sanction_list.html", context)


@org_view(Perm.MANAGE_SANCTIONS)
def sanction_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = SanctionForm(request.POST if posted else None, organization=request.org)
    if posted and form.is_valid():
        try:
            sanction = services.sanction_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Recorded.")
            return redirect("risk:sanction_detail", request.org.slug, sanction.public_id)
    return render(request, "risk/sanction_form.html", {"form": form, "sanction": None})


@org_view(Perm.VIEW_SANCTIONS)
def sanction_detail(request: OrgRequest, sanction_id: UUID) -> HttpResponse:
    sanction = get_sanction_for_user(request.membership, sanction_id)
    services.sanction_read_record(organization=request.org, actor=Actor.from_request(request), sanction=sanction)
    context = {"sanction": sanction, "can_manage": request.membership.has(Perm.MANAGE_SANCTIONS)}
    return render(request, "risk/sanction_detail.html", context)


@org_view(Perm.MANAGE_SANCTIONS)
def sanction_edit(request: OrgRequest, sanction_id: UUID) -> HttpResponse:
    sanction = get_sanction_for_user(request.membership, sanction_id, write=True)
    posted = request.method == "POST"
    if not posted:
        # The form shows the record: opening it is a read like any other.
        services.sanction_read_record(organization=request.org, actor=Actor.from_request(request), sanction=sanction)
    initial = {name: getattr(sanction, name) for name in services.SANCTION_FIELDS}
    form = SanctionForm(request.POST if posted else None, initial=initial, organization=request.org)
    if posted and form.is_valid():
        try:
            services.sanction_update(
                organization=request.org, actor=Actor.from_request(request), sanction=sanction, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("risk:sanction_detail", request.org.slug, sanction.public_id)
    return render(request, "risk/sanction_form.html", {"form": form, "sanction": sanction})


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def sanction_log_review(request: OrgRequest) -> HttpResponse:
    form = LogReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the period you reviewed and what you found.")
        return redirect("risk:sanction_list", request.org.slug)
    try:
        services.sanction_log_review(
            organization=request.org, actor=Actor.from_request(request), statement=form.cleaned_data["statement"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your review of the log is signed.")
    return redirect("risk:sanction_list", request.org.slug)
