"""Inventory pages: assets (list, create, detail, edit — retiring is a status change) and data flows (list,
create, edit, delete, and the diagram as a page and as an SVG image)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_asset_for_user, get_data_flow_for_user
from safeguard.risk.asset_panels import panels_for
from safeguard.risk.diagram import diagram_for_organization
from safeguard.risk.forms_assets import AssetFilterForm, AssetForm, DiagramFilterForm, FlowFilterForm, FlowForm
from safeguard.risk.models import Asset, ReanalysisTrigger
from safeguard.risk.queries_assets import asset_rows, flow_rows
from safeguard.risk.services import assets as asset_services
from safeguard.risk.services import flows as flow_services

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def asset_list(request: OrgRequest) -> HttpResponse:
    filters = AssetFilterForm(request.GET, organization=request.org)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    rows = asset_rows(request.org, filters.cleaned_data)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(filters.cleaned_data.get(name) for name in filters.fields)
    return render(request, "risk/asset_list.html", {"page": page, "filters": filters, "filtered": filtered})


@org_view(Perm.MANAGE_PROGRAM)
def asset_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = AssetForm(request.POST if posted else None, organization=request.org)
    if posted and form.is_valid():
        try:
            asset = asset_services.asset_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Added “{asset.name}” to the inventory.")
            _say_if_flagged(request, asset, before=0)
            return redirect("risk:asset_detail", request.org.slug, asset.public_id)
    return render(request, "risk/asset_form.html", {"form": form, "asset": None})


def _open_triggers(asset: Asset) -> int:
    return ReanalysisTrigger.objects.filter(asset=asset, resolved_by__isnull=True).count()


def _say_if_flagged(request: OrgRequest, asset: Asset, before: int) -> None:
    if _open_triggers(asset) > before:
        messages.warning(
            request,
            "This calls the approved risk analysis into question: a re-analysis trigger was recorded, with an "
            "obligation to update the analysis.",
        )


@org_view(Perm.VIEW_PROGRAM)
def asset_detail(request: OrgRequest, asset_id: UUID) -> HttpResponse:
    asset = get_asset_for_user(request.membership, asset_id)
    context = {
        "asset": asset,
        "flows_out": asset.flows_out.select_related("destination").order_by("destination__name", "ephi"),
        "flows_in": asset.flows_in.select_related("source").order_by("source__name", "ephi"),
        "risks": asset.risks.order_by("number").only("public_id", "number", "title", "status"),
        "triggers": ReanalysisTrigger.objects.filter(organization=request.org, asset=asset)
        .select_related("obligation", "resolved_by")
        .defer("resolved_by__approved_content")
        .order_by("-occurred_at"),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
        "panels": panels_for(request.membership, asset),
    }
    return render(request, "risk/asset_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def asset_edit(request: OrgRequest, asset_id: UUID) -> HttpResponse:
    asset = get_asset_for_user(request.membership, asset_id, write=True)
    initial = {name: getattr(asset, name) for name in asset_services.EDITABLE_FIELDS}
    posted = request.method == "POST"
    form = AssetForm(
        request.POST if posted else None, initial=initial, organization=request.org, current_owner=asset.owner
    )
    if posted and form.is_valid():
        # Only what changed goes to the service, so an owner who has since left does not block other edits.
        changed = {name: value for name, value in form.cleaned_data.items() if initial[name] != value}
        values = {"name": form.cleaned_data["name"], **changed}  # the service checks the name on every update
        before = _open_triggers(asset)
        try:
            updated = asset_services.asset_update(
                organization=request.org, actor=Actor.from_request(request), asset=asset, **values
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if not changed:
                messages.info(request, "Nothing changed.")
            elif "status" in changed and updated.status == Asset.Status.RETIRED:
                messages.success(request, f"Retired “{updated.name}”. Its history and flows are kept.")
            else:
                messages.success(request, "Saved.")
            _say_if_flagged(request, updated, before)
            return redirect("risk:asset_detail", request.org.slug, asset.public_id)
    return render(request, "risk/asset_form.html", {"form": form, "asset": asset})


# --- data flows ---------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def flow_list(request: OrgRequest) -> HttpResponse:
    filters = FlowFilterForm(request.GET, organization=request.org)
    filters.is_valid()
    values = dict(filters.cleaned_data)
    values["encrypted"] = {"yes": True, "no": False}.get(values.get("encrypted") or "")
    page = Paginator(flow_rows(request.org, values), PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(filters.cleaned_data.get(name) for name in filters.fields)
    context = {"page": page, "filters": filters, "filtered": filtered, "asset": values.get("asset")}
    return render(request, "risk/flow_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def flow_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    initial = {name: request.GET[name] for name in ("source", "destination") if name in request.GET}
    form = FlowForm(request.POST if posted else None, initial=initial, organization=request.org)
    if posted and form.is_valid():
        try:
            flow = flow_services.flow_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Recorded the flow of {flow.ephi} from {flow.source} to {flow.destination}.")
            return redirect("risk:asset_detail", request.org.slug, flow.source.public_id)
    return render(request, "risk/flow_form.html", {"form": form, "flow": None})


@org_view(Perm.MANAGE_PROGRAM)
def flow_edit(request: OrgRequest, flow_id: UUID) -> HttpResponse:
    flow = get_data_flow_for_user(request.membership, flow_id, write=True)
    initial: dict[str, Any] = {name: getattr(flow, name) for name in flow_services.EDITABLE_FIELDS}
    initial["encrypted_in_transit"] = "yes" if flow.encrypted_in_transit else "no"
    posted = request.method == "POST"
    form = FlowForm(request.POST if posted else None, initial=initial, organization=request.org)
    if posted and form.is_valid():
        try:
            flow_services.flow_update(
                organization=request.org, actor=Actor.from_request(request), flow=flow, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("risk:flow_list", request.org.slug)
    return render(request, "risk/flow_form.html", {"form": form, "flow": flow})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def flow_delete(request: OrgRequest, flow_id: UUID) -> HttpResponse:
    flow = get_data_flow_for_user(request.membership, flow_id, write=True)
    try:
        flow_services.flow_delete(organization=request.org, actor=Actor.from_request(request), flow=flow)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Deleted the flow of {flow.ephi} from {flow.source} to {flow.destination}.")
    return redirect("risk:flow_list", request.org.slug)


def _diagram_asset(request: OrgRequest) -> Asset | None:
    """?asset=<uuid> narrows the diagram to one asset's neighbourhood; an unknown asset is a 404, not everything."""
    asset_id = request.GET.get("asset")
    return get_asset_for_user(request.membership, asset_id) if asset_id else None


@org_view(Perm.VIEW_PROGRAM)
def flow_diagram(request: OrgRequest) -> HttpResponse:
    asset = _diagram_asset(request)
    form = DiagramFilterForm(initial={"asset": asset.public_id if asset else None}, organization=request.org)
    # The drawing escapes every text it holds (risk.diagram.text), so it can go into the page as it is.
    svg = mark_safe(diagram_for_organization(request.org, asset))  # noqa: S308
    return render(request, "risk/flow_diagram.html", {"svg": svg, "asset": asset, "form": form})


@org_view(Perm.VIEW_PROGRAM)
def flow_diagram_svg(request: OrgRequest) -> HttpResponse:
    response = HttpResponse(diagram_for_organization(request.org, _diagram_asset(request)), "image/svg+xml")
    response["Content-Disposition"] = 'inline; filename="data-flows.svg"'
    return response
