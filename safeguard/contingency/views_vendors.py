"""Business associates' recovery pages: every asset a business associate runs with its gaps against our
objectives, and recording or editing a commitment. Program viewers read; program managers change."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from safeguard.contingency import queries_vendors as queries
from safeguard.contingency.access import get_vendor_recovery
from safeguard.contingency.forms_vendors import ALIASES, VendorRecoveryForm
from safeguard.contingency.services.vendors import vendor_recovery_create, vendor_recovery_update
from safeguard.core.access import parse_public_id, require_program
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset

PAGE_SIZE = 50


@org_view()
def vendor_list(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    page = Paginator(queries.vendor_assets(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": queries.vendor_statuses(page.object_list, today),
        "with_gaps": sum(1 for gaps in queries.vendor_gap_by_asset(request.org, today).values() if gaps),
        "can_change": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "contingency/vendor_list.html", context)


@org_view()
def vendor_create(request: OrgRequest) -> HttpResponse:
    require_program(request.membership, True)
    initial = {}
    chosen = request.GET.get("asset")
    if chosen:
        initial["asset"] = Asset.objects.filter(organization=request.org, public_id=parse_public_id(chosen)).first()
    form = VendorRecoveryForm(request.POST or None, request.FILES or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            vendor_recovery_create(organization=request.org, actor=Actor.from_request(request), **form.values())
        except ServiceError as error:
            show_service_error(form, error, ALIASES)
        else:
            messages.success(request, "Recovery commitment recorded.")
            return redirect("contingency:vendor_list", request.org.slug)
    return render(request, "contingency/vendor_form.html", {"form": form})


@org_view()
def vendor_edit(request: OrgRequest, record_id: UUID) -> HttpResponse:
    record = get_vendor_recovery(request.membership, record_id, write=True)
    form = VendorRecoveryForm(
        request.POST or None,
        request.FILES or None,
        initial=VendorRecoveryForm.initial_for(record),
        organization=request.org,
        record=record,
    )
    if request.method == "POST" and form.is_valid():
        try:
            vendor_recovery_update(
                organization=request.org, actor=Actor.from_request(request), record=record, **form.values()
            )
        except ServiceError as error:
            show_service_error(form, error, ALIASES)
        else:
            messages.success(request, "Saved.")
            return redirect("contingency:vendor_list", request.org.slug)
    return render(request, "contingency/vendor_form.html", {"form": form, "record": record})
