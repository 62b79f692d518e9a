"""Role profile pages (minimum necessary), the roster's jobs no profile matches, access beyond profile, and the
access exceptions that cover it.

Program viewers read; those who manage the program change profiles. Managers, reviewers and those who manage the
program request exceptions; the person's manager or the security official decides them (services/exceptions.py
says who exactly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.access.access import get_exception_for_user, get_profile_for_user
from safeguard.access.forms_profiles import (
    BeyondProfileFilterForm,
    DecisionForm,
    ExceptionFilterForm,
    ExceptionRequestForm,
    GrantForm,
    GrantRemoveForm,
    ProfileDeleteForm,
    ProfileForm,
    RejectForm,
    find_person,
)
from safeguard.access.models import AccessException, RoleProfile
from safeguard.access.reconcile import beyond_profile as reconcile_beyond_profile
from safeguard.access.services import exceptions as exception_services
from safeguard.access.services import profiles as services
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import User
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
# The detail page holds up to three note forms: distinct element ids keep each label on its own field.
AUTO_IDS = {"approve": "approve_%s", "reject": "reject_%s", "revoke": "revoke_%s"}
APPROVED = "Approved: the access is within policy until it expires."


@org_view(Perm.VIEW_PROGRAM)
def profile_list(request: OrgRequest) -> HttpResponse:
    profiles = list(services.profiles_with_grants(request.org).order_by("name"))
    cover = services.coverage(request.org, profiles)
    context = {
        "rows": [(profile, cover.matched[profile.pk]) for profile in profiles],
        "uncovered_jobs": len(cover.uncovered),
        "uncovered_people": cover.uncovered_people,
        "expired_count": exception_services.expired(request.org).count(),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "access/profile_list.html", context)


@org_view(Perm.VIEW_PROGRAM)
def profile_gaps(request: OrgRequest) -> HttpResponse:
    """People with no profile: each job on the roster no profile matches, most people first."""
    cover = services.coverage(request.org)
    page = Paginator(cover.uncovered, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "uncovered_people": cover.uncovered_people,
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "access/profile_gaps.html", context)


def _profile_form(request: OrgRequest, initial: Mapping[str, object]) -> ProfileForm:
    return ProfileForm(request.POST if request.method == "POST" else None, initial=dict(initial))


@org_view(Perm.MANAGE_PROGRAM)
def profile_create(request: OrgRequest) -> HttpResponse:
    # The "people with no profile" page links here with the job filled in.
    prefill = {name: request.GET.get(name, "") for name in ("name", "department", "job_role")}
    form = _profile_form(request, prefill)
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.profile_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Created the profile “{profile.name}”. Now add the systems and roles it allows.")
            return redirect("access:profile_detail", request.org.slug, profile.public_id)
    return render(request, "access/profile_form.html", {"form": form, "profile": None})


@org_view(Perm.MANAGE_PROGRAM)
def profile_edit(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_profile_for_user(request.membership, profile_id, write=True)
    form = _profile_form(request, {name: getattr(profile, name) for name in services.PROFILE_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                organization=request.org, actor=Actor.from_request(request), profile=profile, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("access:profile_detail", request.org.slug, profile.public_id)
    return render(request, "access/profile_form.html", {"form": form, "profile": profile})


def _detail(request: OrgRequest, profile: RoleProfile, grant_form: GrantForm | None = None) -> HttpResponse:
    people = services.matched_people(profile).order_by("family_name", "given_name", "employee_id")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "profile": profile,
        "grants": profile.grants.select_related("system__asset").order_by("system__asset__name", "role"),
        "scope": services.scope_text(profile.department, profile.job_role),
        "page": page,
        "grant_form": grant_form or GrantForm(organization=request.org),
        "delete_form": ProfileDeleteForm(),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "access/profile_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def profile_detail(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    return _detail(request, get_profile_for_user(request.membership, profile_id))


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def profile_delete(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_profile_for_user(request.membership, profile_id, write=True)
    if not ProfileDeleteForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm: deleting a profile removes its grants.")
        return redirect("access:profile_detail", request.org.slug, profile.public_id)
    services.profile_delete(organization=request.org, actor=Actor.from_request(request), profile=profile)
    messages.success(request, f"Deleted the profile “{profile.name}”.")
    return redirect("access:profile_list", request.org.slug)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def profile_grant_add(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_profile_for_user(request.membership, profile_id, write=True)
    form = GrantForm(request.POST, organization=request.org)
    if form.is_valid():
        try:
            services.grant_add(
                organization=request.org, actor=Actor.from_request(request), profile=profile, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Grant added.")
            return redirect("access:profile_detail", request.org.slug, profile.public_id)
    return _detail(request, profile, form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def profile_grant_remove(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_profile_for_user(request.membership, profile_id, write=True)
    form = GrantRemoveForm(request.POST, organization=request.org)
    if not form.is_valid():
        messages.error(request, "That grant was not found: reload the page and try again.")
        return redirect("access:profile_detail", request.org.slug, profile.public_id)
    try:
        services.grant_remove(
            organization=request.org, actor=Actor.from_request(request), profile=profile, **form.cleaned_data
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Grant removed.")
    return redirect("access:profile_detail", request.org.slug, profile.public_id)


@org_view(Perm.VIEW_PROGRAM)
def beyond_profile(request: OrgRequest) -> HttpResponse:
    """Current access beyond profile, from each system's latest account list, with a way to request the
    exception that would cover each entitlement."""
    filters = BeyondProfileFilterForm(request.GET, organization=request.org)
    system = filters.cleaned_data.get("system") if filters.is_valid() else None
    excesses = list(reconcile_beyond_profile(request.org, timezone.localdate()))
    if system is not None:
        excesses = [excess for excess in excesses if excess.system_id == system.pk]
    page = Paginator(excesses, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": exception_services.beyond_rows(request.org, list(page.object_list)),
        "filters": filters,
        "can_request": exception_services.may_request(request.membership),
    }
    return render(request, "access/beyond_profile.html", context)


# ---- exceptions ---------------------------------------------------------------------------------------------------


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


@org_view(Perm.VIEW_PROGRAM)
def exception_list(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    filters = ExceptionFilterForm(request.GET, organization=request.org)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    applied = getattr(filters, "cleaned_data", {})
    rows = exception_services.filter_exceptions(exception_services.exception_rows(request.org), applied, today)
    page = Paginator(rows.order_by("-requested_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(applied.get(name) not in (None, "") for name in filters.fields),
        "today": today,
        "expired_count": exception_services.expired(request.org, today).count(),
        "awaiting_count": exception_services.awaiting(request.membership).count(),
        "can_request": exception_services.may_request(request.membership),
    }
    return render(request, "access/exception_list.html", context)


@org_view(Perm.VIEW_PROGRAM)
def exception_expired(request: OrgRequest) -> HttpResponse:
    """Findings: approved exceptions past their expiry day, and whether the access is still held."""
    rows = exception_services.expired(request.org).order_by("expires_on", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    held = exception_services.holdings(request.org, shown)
    context = {
        "page": page,
        "rows": [(exception, held.get(exception.pk, "")) for exception in shown],
        "today": timezone.localdate(),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
        "can_request": exception_services.may_request(request.membership),
    }
    return render(request, "access/exception_expired.html", context)


def _request_prefill(request: OrgRequest) -> dict[str, object]:
    """From a "request an exception" link: the person (public id), system (public id), role, privileged."""
    person = find_person(request.org, request.GET.get("person", ""))
    return {
        "person": person.employee_id if person else "",
        "system": request.GET.get("system", ""),
        "role": request.GET.get("role", ""),
        "privileged": request.GET.get("privileged") == "1",
    }


@org_view(Perm.VIEW_PROGRAM)
def exception_request(request: OrgRequest) -> HttpResponse:
    _require(exception_services.may_request(request.membership), exception_services.NOT_A_REQUESTER)
    posted = request.method == "POST"
    form = ExceptionRequestForm(
        request.POST if posted else None,
        initial=None if posted else _request_prefill(request),
        organization=request.org,
    )
    if posted and form.is_valid():
        try:
            exception = exception_services.exception_request(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Requested. The person's manager or the security official decides it.")
            return redirect("access:exception_detail", request.org.slug, exception.public_id)
    context = {"form": form, "latest": exception_services.latest_expiry(timezone.localdate())}
    return render(request, "access/exception_form.html", context)


def _user(request: OrgRequest) -> User:
    return cast(User, request.user)  # org_view let only a signed-in member through


def _exception_detail(request: OrgRequest, exception: AccessException, **forms: object) -> HttpResponse:
    user, today = _user(request), timezone.localdate()
    decidable = exception.status == AccessException.Status.REQUESTED
    refusal = exception_services.decision_refusal(request.org, user, exception, approving=True)
    context = {
        "exception": exception,
        "expired": exception_services.is_expired(exception, today),
        "valid": exception.status == AccessException.Status.APPROVED and exception.expires_on >= today,
        "can_approve": decidable and refusal is None,
        "can_reject": decidable
        and exception_services.decision_refusal(request.org, user, exception, approving=False) is None,
        "refusal": refusal if decidable else None,
        "can_revoke": exception.status in (AccessException.Status.REQUESTED, AccessException.Status.APPROVED)
        and request.membership.has(Perm.MANAGE_PROGRAM),
        "approve_form": forms.get("approve_form") or DecisionForm(auto_id=AUTO_IDS["approve"]),
        "reject_form": forms.get("reject_form") or RejectForm(auto_id=AUTO_IDS["reject"]),
        "revoke_form": forms.get("revoke_form") or DecisionForm(auto_id=AUTO_IDS["revoke"]),
    }
    return render(request, "access/exception_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def exception_detail(request: OrgRequest, exception_id: UUID) -> HttpResponse:
    return _exception_detail(request, get_exception_for_user(request.membership, exception_id))


def _decide(request: OrgRequest, exception_id: UUID, approve: bool) -> HttpResponse:
    exception = get_exception_for_user(request.membership, exception_id)
    refusal = exception_services.decision_refusal(request.org, _user(request), exception, approving=approve)
    _require(refusal is None, refusal or "")
    form = (
        DecisionForm(request.POST, auto_id=AUTO_IDS["approve"])
        if approve
        else RejectForm(request.POST, auto_id=AUTO_IDS["reject"])
    )
    if form.is_valid():
        decide = exception_services.exception_approve if approve else exception_services.exception_reject
        try:
            decide(
                organization=request.org,
                actor=Actor.from_request(request),
                exception=exception,
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(
                request, "Approved: the access is within policy until it expires." if approve else "Rejected."
            )
            return redirect("access:exception_detail", request.org.slug, exception.public_id)
    return _exception_detail(request, exception, **{"approve_form" if approve else "reject_form": form})


@require_POST
@org_view(Perm.REVIEW_ACCESS)
def exception_approve(request: OrgRequest, exception_id: UUID) -> HttpResponse:
    return _decide(request, exception_id, approve=True)


@require_POST
@org_view(Perm.REVIEW_ACCESS)
def exception_reject(request: OrgRequest, exception_id: UUID) -> HttpResponse:
    return _decide(request, exception_id, approve=False)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def exception_revoke(request: OrgRequest, exception_id: UUID) -> HttpResponse:
    exception = get_exception_for_user(request.membership, exception_id)
    form = DecisionForm(request.POST, auto_id=AUTO_IDS["revoke"])
    if form.is_valid():
        try:
            exception_services.exception_revoke(
                organization=request.org,
                actor=Actor.from_request(request),
                exception=exception,
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Revoked.")
            return redirect("access:exception_detail", request.org.slug, exception.public_id)
    return _exception_detail(request, exception, revoke_form=form)


@org_view(Perm.REVIEW_ACCESS)
def my_approvals(request: OrgRequest) -> HttpResponse:
    """Requests awaiting this member: their reports' for a manager, every other one for the security official."""
    rows = exception_services.awaiting(request.membership).order_by("requested_at", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "everyone": request.membership.has(Perm.SIGN_DECISIONS)}
    return render(request, "access/exception_awaiting.html", context)
