"""The criticality analysis as a whole: the recovery order, the dependency graph (page and SVG download), and its
approval (signed by the security official or an owner, with what changed since the last one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from safeguard.contingency.criticality_graph import graph_for_organization
from safeguard.contingency.forms_criticality import ApproveForm
from safeguard.contingency.models import CriticalityApproval
from safeguard.contingency.queries_criticality import analysis_content, changes_since, latest_approval
from safeguard.contingency.recovery_order import recovery_order
from safeguard.contingency.services.criticality_approval import criticality_approve
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

HISTORY_PAGE_SIZE = 20


@org_view(Perm.VIEW_PROGRAM)
def criticality_order(request: OrgRequest) -> HttpResponse:
    order = recovery_order(request.org)
    in_cycle = {name for cycle in order.cycles for name in cycle}
    return render(request, "contingency/criticality_order.html", {"order": order, "in_cycle": in_cycle})


@org_view(Perm.VIEW_PROGRAM)
def criticality_graph(request: OrgRequest) -> HttpResponse:
    # The drawing escapes every text it holds (risk.diagram.text), so it can go into the page as it is.
    svg = mark_safe(graph_for_organization(request.org))  # noqa: S308
    return render(request, "contingency/criticality_graph.html", {"svg": svg})


@org_view(Perm.VIEW_PROGRAM)
def criticality_graph_svg(request: OrgRequest) -> HttpResponse:
    response = HttpResponse(graph_for_organization(request.org), "image/svg+xml")
    response["Content-Disposition"] = 'attachment; filename="recovery-dependencies.svg"'
    return response


@org_view(Perm.VIEW_PROGRAM)
def criticality_approval(request: OrgRequest) -> HttpResponse:
    """GET shows the latest approval and what changed since; POST approves (signers only)."""
    posted = request.method == "POST"
    if posted and not request.membership.has(Perm.SIGN_DECISIONS):
        raise PermissionDenied("Only the security official or an owner can approve the analysis.")
    form = ApproveForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            approval = criticality_approve(
                organization=request.org, actor=Actor.from_request(request), statement=form.cleaned_data["statement"]
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Approved the analysis; next review by {approval.next_review_on:%Y-%m-%d}.")
            return redirect("contingency:criticality_approval", request.org.slug)
    latest = latest_approval(request.org)
    current = analysis_content(request.org)
    history = CriticalityApproval.objects.filter(organization=request.org).select_related("approved_by")
    context = {
        "latest": latest,
        "changes": changes_since(latest.content, current) if latest else None,
        "profile_count": len(current["profiles"]),
        "history": Paginator(history.defer("content").order_by("-approved_at", "-pk"), HISTORY_PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "form": form,
        "can_sign": request.membership.has(Perm.SIGN_DECISIONS),
    }
    return render(request, "contingency/criticality_approval.html", context)
