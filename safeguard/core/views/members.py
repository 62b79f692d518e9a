"""Members of an organization: the list (current or inactive), add, change role or end date, deactivate."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.access import get_member_for_user
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.forms.administration import MemberAddForm, MemberEditForm
from safeguard.core.models import Membership
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services import organizations as services
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
TABS = {"current": "Current", "inactive": "Inactive"}


def show_error(form: forms.Form, error: ServiceError) -> None:
    """A service refusal shown on the field it names, or above the form."""
    show_service_error(form, error)


@org_view(Perm.MANAGE_ORG)
def members(request: OrgRequest) -> HttpResponse:
    """Current members, or (?show=inactive) deactivated ones and those whose access has ended."""
    tab = request.GET.get("show", "current")
    tab = tab if tab in TABS else "current"
    today = timezone.localdate()
    rows = Membership.objects.filter(organization=request.org)
    current = rows.current(today)
    inactive = rows.exclude(pk__in=current.values("pk"))
    counts = {"current": current.count(), "inactive": inactive.count()}
    shown = current if tab == "current" else inactive
    page = Paginator(shown.select_related("user").order_by("user__email", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TABS.items()],
        "today": today,
    }
    return render(request, "core/administration/members.html", context)


def _deactivated(request: OrgRequest, email: str) -> bool:
    """Whether adding `email` would give a deactivated member access back (for the confirmation message)."""
    return Membership.objects.filter(organization=request.org, user__email__iexact=email, is_active=False).exists()


@org_view(Perm.MANAGE_ORG)
def member_add(request: OrgRequest) -> HttpResponse:
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        returning = _deactivated(request, form.cleaned_data["email"].strip())
        try:
            membership = services.membership_add(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            verb = "Reactivated" if returning else "Added"
            messages.success(request, f"{verb} {membership.user.email} as {membership.get_role_display()}.")
            return redirect("core:members", request.org.slug)
    return render(request, "core/administration/member_add.html", {"form": form})


@org_view(Perm.MANAGE_ORG)
def member_edit(request: OrgRequest, membership_id: UUID) -> HttpResponse:
    member = get_member_for_user(request.membership, membership_id)
    initial = {"role": member.role, "access_ends_on": member.access_ends_on}
    form = MemberEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                organization=request.org, actor=Actor.from_request(request), membership=member, **form.cleaned_data
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Saved {member.user.email}'s membership.")
            return _after_membership_change(request)
    context = {"form": form, "member": member, "is_current": member.is_current()}
    return render(request, "core/administration/member_edit.html", context)


@org_view(Perm.MANAGE_ORG)
@require_POST
def member_deactivate(request: OrgRequest, membership_id: UUID) -> HttpResponse:
    member = get_member_for_user(request.membership, membership_id)
    try:
        services.membership_deactivate(organization=request.org, actor=Actor.from_request(request), membership=member)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("core:member_edit", request.org.slug, member.public_id)
    messages.success(request, f"{member.user.email} no longer has access to {request.org.name}.")
    return _after_membership_change(request)


def _after_membership_change(request: OrgRequest) -> HttpResponse:
    """Back to the members list, unless the change took the acting member's own right to see it (they demoted or
    deactivated themselves): then home, where the message still shows."""
    acting = Membership.objects.get(pk=request.membership.pk)
    if acting.is_current() and acting.has(Perm.MANAGE_ORG):
        return redirect("core:members", request.org.slug)
    return redirect("home")
