"""Criticality pages: the assets in service with their recovery profiles, a profile's page (values and
dependencies), and creating, editing and deleting profiles and dependencies."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.contingency.access import get_dependency, get_recovery_profile
from safeguard.contingency.forms_criticality import ALIASES, CADENCE_LABELS, DependencyForm, ProfileForm, TierFilterForm
from safeguard.contingency.models import RecoveryProfile
from safeguard.contingency.queries_criticality import asset_rows, dependency_rows, latest_approval
from safeguard.contingency.services import criticality as services
from safeguard.contingency.services.settings import contingency_settings, restore_cadence
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_asset_for_user

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def criticality_list(request: OrgRequest) -> HttpResponse:
    filters = TierFilterForm(request.GET)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    tier, missing = filters.cleaned_data.get("tier"), bool(filters.cleaned_data.get("missing"))
    rows = asset_rows(request.org, tier=tier, missing=missing)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": bool(tier or missing),
        "unprofiled": asset_rows(request.org, missing=True).count(),
        "approval": latest_approval(request.org),
    }
    return render(request, "contingency/criticality_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def criticality_profile_create(request: OrgRequest, asset_id: UUID) -> HttpResponse:
    asset = get_asset_for_user(request.membership, asset_id, write=True)
    existing = RecoveryProfile.objects.filter(asset=asset).first()
    if existing is not None:
        return redirect("contingency:criticality_profile_edit", request.org.slug, existing.public_id)
    posted = request.method == "POST"
    form = ProfileForm(request.POST if posted else None, initial={"in_scope": "yes", "tier": 3})
    if posted and form.is_valid():
        try:
            profile = services.profile_create(
                organization=request.org, actor=Actor.from_request(request), asset=asset, **form.values()
            )
        except ServiceError as error:
            show_service_error(form, error, ALIASES)
        else:
            messages.success(request, f"Recorded the recovery profile of {asset.name}.")
            return redirect("contingency:criticality_profile_detail", request.org.slug, profile.public_id)
    return render(request, "contingency/criticality_profile_form.html", {"form": form, "asset": asset, "profile": None})


@org_view(Perm.VIEW_PROGRAM)
def criticality_profile_detail(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_recovery_profile(request.membership, profile_id)
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    dependencies = list(dependency_rows(request.org, profile.asset))
    own = profile.restore_test_cadence
    cadence = own or restore_cadence(contingency_settings(request.org), profile.tier)
    context = {
        "profile": profile,
        "cadence": CADENCE_LABELS.get(cadence, cadence),
        "cadence_is_tiers": not own,
        "needs": [d for d in dependencies if d.asset_id == profile.asset_id],
        "needed_by": [d for d in dependencies if d.depends_on_id == profile.asset_id],
        "can_manage": can_manage,
        "form": DependencyForm(organization=request.org, asset=profile.asset) if can_manage else None,
    }
    return render(request, "contingency/criticality_profile_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def criticality_profile_edit(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_recovery_profile(request.membership, profile_id, write=True)
    posted = request.method == "POST"
    form = ProfileForm(request.POST if posted else None, initial=ProfileForm.initial_for(profile))
    if posted and form.is_valid():
        try:
            services.profile_update(
                organization=request.org, actor=Actor.from_request(request), profile=profile, **form.values()
            )
        except ServiceError as error:
            show_service_error(form, error, ALIASES)
        else:
            messages.success(request, "Saved.")
            return redirect("contingency:criticality_profile_detail", request.org.slug, profile.public_id)
    context = {"form": form, "asset": profile.asset, "profile": profile}
    return render(request, "contingency/criticality_profile_form.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def criticality_profile_delete(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_recovery_profile(request.membership, profile_id, write=True)
    try:
        services.profile_delete(organization=request.org, actor=Actor.from_request(request), profile=profile)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Deleted the recovery profile of {profile.asset.name}.")
    return redirect("contingency:criticality_list", request.org.slug)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def criticality_dependency_add(request: OrgRequest, profile_id: UUID) -> HttpResponse:
    profile = get_recovery_profile(request.membership, profile_id, write=True)
    form = DependencyForm(request.POST, organization=request.org, asset=profile.asset)
    if form.is_valid():
        try:
            added = services.dependency_add(
                organization=request.org, actor=Actor.from_request(request), asset=profile.asset, **form.cleaned_data
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{profile.asset.name} now needs {added.depends_on.name} restored first.")
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("contingency:criticality_profile_detail", request.org.slug, profile.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def criticality_dependency_remove(request: OrgRequest, asset_id: UUID, depends_on_id: UUID) -> HttpResponse:
    dependency = get_dependency(request.membership, asset_id, depends_on_id, write=True)
    try:
        services.dependency_remove(organization=request.org, actor=Actor.from_request(request), dependency=dependency)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed: {dependency.asset.name} no longer needs {dependency.depends_on.name}.")
    profile = _profile_to_return_to(request)
    if profile is not None:
        return redirect("contingency:criticality_profile_detail", request.org.slug, profile.public_id)
    return redirect("contingency:criticality_list", request.org.slug)


def _profile_to_return_to(request: OrgRequest) -> RecoveryProfile | None:
    """The profile page the removal was made from; anything else (missing, malformed, elsewhere) goes to the list."""
    try:
        back = UUID(request.POST.get("back_to", ""))
    except ValueError:
        return None
    return RecoveryProfile.objects.filter(organization=request.org, public_id=back).first()
