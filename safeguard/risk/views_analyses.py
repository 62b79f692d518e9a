"""Risk analysis pages: the list, start, detail (scope, method, risks, approval), the review workflow, and
recording or re-assessing a risk."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor, jsonable
from safeguard.core.forms import show_service_error
from safeguard.core.models import Organization
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm, Role
from safeguard.core.services.errors import ServiceError
from safeguard.risk import forms_analyses as forms
from safeguard.risk.access import get_analysis_for_user, get_risk_for_user
from safeguard.risk.content import risk_row
from safeguard.risk.models import Asset, AssetKind, ReanalysisTrigger, Risk, RiskAnalysis, Treatment
from safeguard.risk.queries import analysis_lapses_on
from safeguard.risk.scoring import Method, label_of, level_names
from safeguard.risk.services import analyses as services
from safeguard.risk.services.method import method_for
from safeguard.risk.services.risks import (
    RATING_FIELDS,
    assessment_refusal,
    assessment_warnings,
    method_of,
    risk_assess,
    risk_create,
)
from safeguard.risk.views_library import heat_of, matrix_rows

PAGE_SIZE = 50
Status = RiskAnalysis.Status


# --- rows of the risks table ------------------------------------------------------------------------------------


def _decorate(row: dict[str, Any], method: Method) -> dict[str, Any]:
    treatments = dict(Treatment.choices)
    return {
        **row,
        "inherent_label": label_of(method, row["inherent_level"]) if row["inherent_level"] else "",
        "inherent_heat": heat_of(method, row["inherent_level"]),
        "residual_label": label_of(method, row["residual_level"]) if row["residual_level"] else "",
        "residual_heat": heat_of(method, row["residual_level"]),
        "treatment_label": treatments.get(row["treatment"], row["treatment"]),
    }


def _level_summary(method: Method, counts: dict[str, int]) -> list[tuple[str, int, int | None]]:
    """(label, count, heat) for each level of the method, lowest first."""
    return [(label_of(method, name), counts.get(name, 0), heat_of(method, name)) for name in level_names(method)]


def _live_risks(analysis: RiskAnalysis, level: str, treatment: str) -> QuerySet[Risk]:
    risks = Risk.objects.filter(analysis=analysis)
    if level:
        risks = risks.filter(inherent_level="" if level == "unrated" else level)
    if treatment:
        risks = risks.filter(treatment="" if treatment == "none" else treatment)
    related = ("threat", "vulnerability", "owner")
    return risks.select_related(*related).prefetch_related("assets", "requirements").order_by("number")


def _level_counts(analysis: RiskAnalysis) -> dict[str, int]:
    """Risks per inherent level ("" for unrated): of the signed copy once approved, else of the live risks."""
    signed = services.signed_risks(analysis)
    if signed is not None:
        counts: dict[str, int] = {}
        for row in signed:
            counts[row["inherent_level"]] = counts.get(row["inherent_level"], 0) + 1
        return counts
    grouped = Risk.objects.filter(analysis=analysis).values("inherent_level").annotate(n=Count("pk"))
    return {row["inherent_level"]: row["n"] for row in grouped}


# --- pages ----------------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def analysis_list(request: OrgRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    analyses = RiskAnalysis.objects.filter(organization=request.org)
    if status:
        analyses = analyses.filter(status=status)
    analyses = (
        analyses.defer("approved_content")
        .select_related("started_by", "approval__signer")
        .annotate(open_triggers=Count("triggers", filter=Q(triggers__resolved_by__isnull=True)))
        .order_by("-started_at", "-pk")
    )
    page = Paginator(analyses, PAGE_SIZE).get_page(request.GET.get("page"))
    for analysis in page.object_list:
        analysis.lapses_on = analysis_lapses_on(analysis)  # type: ignore[attr-defined]
    current = services.open_analysis(request.org)
    context = {
        "page": page,
        "status": status,
        "statuses": Status.choices,
        "current": current,
        "can_start": request.membership.has(Perm.MANAGE_PROGRAM) and current is None,
        "open_triggers": ReanalysisTrigger.objects.filter(organization=request.org, resolved_by__isnull=True).count(),
    }
    return render(request, "risk/analysis_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def analysis_start(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    initial = {
        "title": f"{timezone.localdate().year} risk analysis",
        "methodology": method_for(request.org).methodology,
    }
    form = forms.AnalysisForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            analysis = services.analysis_start(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            scoped = analysis.scope_items.count()
            messages.success(request, f"Started “{analysis.title}” with {scoped} asset{'s' if scoped != 1 else ''}.")
            return redirect("risk:analysis_detail", request.org.slug, analysis.public_id)
    current = services.open_analysis(request.org)
    return render(request, "risk/analysis_form.html", {"form": form, "analysis": None, "current": current})


@org_view(Perm.VIEW_PROGRAM)
def analysis_detail(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    membership = request.membership
    analysis = get_analysis_for_user(membership, analysis_id)
    method = analysis.method
    filters = forms.RiskFilterForm(request.GET, method=method)
    level = treatment = ""
    if filters.is_valid():
        level, treatment = filters.cleaned_data["level"], filters.cleaned_data["treatment"]
    # An approved analysis shows the signed copy (as the API does); an open one its live risks.
    signed = services.signed_risks(analysis, level=level, treatment=treatment)
    rows: Any = signed if signed is not None else _live_risks(analysis, level, treatment)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [
        _decorate(row if isinstance(row, dict) else jsonable(risk_row(row)), method) for row in page.object_list
    ]
    scope = analysis.scope_items.select_related("asset").order_by("name", "pk")
    scope_page = Paginator(scope, PAGE_SIZE).get_page(request.GET.get("scope_page"))
    _label_scope(scope_page.object_list)
    counts = _level_counts(analysis)
    manage = membership.has(Perm.MANAGE_PROGRAM)
    draft = analysis.status == Status.DRAFT
    context = {
        "analysis": analysis,
        "method": method,
        "matrix": matrix_rows(method),
        "filters": filters,
        "filtered": bool(level or treatment),
        "page": page,
        "scope_page": scope_page,
        "level_counts": _level_summary(method, counts),
        "unrated_count": counts.get("", 0),
        "unrated": services.unrated_references(analysis) if draft else [],
        "can_edit": manage and draft,
        "can_return": manage and analysis.status == Status.IN_REVIEW,
        "can_approve": analysis.status == Status.IN_REVIEW and membership.role == Role.SECURITY_OFFICIAL,
        "return_form": forms.ReturnForm(),
        "lapses_on": analysis_lapses_on(analysis),
        "open_triggers": analysis.triggers.filter(resolved_by__isnull=True).count(),
        "signer_role": Role(analysis.approval.signer_role).label if analysis.approval else "",
    }
    return render(request, "risk/analysis_detail.html", context)


def _label_scope(items: Any) -> None:
    """Scope items keep the kind and status as recorded; show them by their labels."""
    kinds, statuses = dict(AssetKind.choices), dict(Asset.Status.choices)
    for item in items:
        item.kind_label = kinds.get(item.kind, item.kind)
        item.status_label = statuses.get(item.status, item.status)


@org_view(Perm.MANAGE_PROGRAM)
def analysis_edit(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    analysis = get_analysis_for_user(request.membership, analysis_id, write=True)
    posted = request.method == "POST"
    initial = {"title": analysis.title, "methodology": analysis.methodology}
    form = forms.AnalysisForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            services.analysis_update(
                organization=request.org, actor=Actor.from_request(request), analysis=analysis, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("risk:analysis_detail", request.org.slug, analysis.public_id)
    return render(request, "risk/analysis_form.html", {"form": form, "analysis": analysis, "current": None})


@org_view(Perm.MANAGE_PROGRAM)
def analysis_scope(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    """Add an asset to the scope of a draft, or take one out."""
    analysis = get_analysis_for_user(request.membership, analysis_id, write=True)
    scoped = analysis.scope_items.values("asset_id")
    addable = Asset.objects.filter(organization=request.org).exclude(status=Asset.Status.RETIRED).exclude(pk__in=scoped)
    removable = Asset.objects.filter(pk__in=scoped)
    posted = request.method == "POST"
    removing = posted and request.POST.get("action") == "remove"
    add_form = forms.ScopeAssetForm(request.POST if posted and not removing else None, assets=addable.order_by("name"))
    if posted:
        form = forms.ScopeAssetForm(request.POST, assets=removable) if removing else add_form
        if form.is_valid():
            asset = form.cleaned_data["asset"]
            change = services.analysis_scope_remove if removing else services.analysis_scope_add
            try:
                change(organization=request.org, actor=Actor.from_request(request), analysis=analysis, asset=asset)
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                verb = "Removed" if removing else "Added"
                messages.success(request, f"{verb} “{asset.name}” {'from' if removing else 'to'} the scope.")
                return redirect("risk:analysis_scope", request.org.slug, analysis.public_id)
        elif removing:
            messages.error(request, "That asset is not in the scope.")
    items = analysis.scope_items.select_related("asset").order_by("name", "pk")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    _label_scope(page.object_list)
    context = {"analysis": analysis, "page": page, "add_form": add_form, "draft": analysis.status == Status.DRAFT}
    return render(request, "risk/analysis_scope.html", context)


def _workflow(request: OrgRequest, analysis_id: UUID, step: str) -> HttpResponse:
    analysis = get_analysis_for_user(request.membership, analysis_id, write=True)
    actor = Actor.from_request(request)
    try:
        if step == "submit":
            services.analysis_submit(organization=request.org, actor=actor, analysis=analysis)
            messages.success(request, "Submitted for the security official's review.")
        else:
            form = forms.ReturnForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.analysis_return(organization=request.org, actor=actor, analysis=analysis, reason=reason)
            messages.success(request, "Returned to draft.")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("risk:analysis_detail", request.org.slug, analysis.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def analysis_submit(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    return _workflow(request, analysis_id, "submit")


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def analysis_return(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    return _workflow(request, analysis_id, "return")


@org_view(Perm.SIGN_DECISIONS)
def analysis_approve(request: OrgRequest, analysis_id: UUID) -> HttpResponse:
    """The security official's signature; an owner who is not the security official may not sign it."""
    analysis = get_analysis_for_user(request.membership, analysis_id)
    may_sign = request.membership.role == Role.SECURITY_OFFICIAL
    posted = request.method == "POST"
    if posted and not may_sign:
        raise PermissionDenied(services.NOT_SECURITY_OFFICIAL)
    form = forms.ApproveForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            services.analysis_approve(
                organization=request.org,
                actor=Actor.from_request(request),
                analysis=analysis,
                statement=form.cleaned_data["statement"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Approved “{analysis.title}”. The signed document is kept with it.")
            return redirect("risk:analysis_detail", request.org.slug, analysis.public_id)
    counts = _level_counts(analysis)
    method = analysis.method
    context = {
        "analysis": analysis,
        "form": form,
        "may_sign": may_sign,
        "refusal": services.NOT_SECURITY_OFFICIAL,
        "level_counts": _level_summary(method, counts),
        "risk_count": sum(counts.values()),
        "scope_count": analysis.scope_items.count(),
        "unrated": services.unrated_references(analysis),
    }
    return render(request, "risk/analysis_approve.html", context)


# --- recording and assessing risks ------------------------------------------------------------------------------


def _assets_for(organization: Organization, analysis: RiskAnalysis | None, risk: Risk | None) -> QuerySet[Asset]:
    """What a risk may name: its analysis's scope (or every asset not retired), plus what it names already."""
    if analysis is not None:
        offered = Q(pk__in=analysis.scope_items.values("asset_id"))
    else:
        offered = ~Q(status=Asset.Status.RETIRED)
    if risk is not None:
        offered |= Q(pk__in=risk.assets.values("pk"))
    return Asset.objects.filter(Q(organization=organization) & offered).order_by("name")


def _after_save(request: OrgRequest, risk: Risk) -> HttpResponse:
    for warning in assessment_warnings(risk):
        messages.warning(request, warning)
    if risk.analysis_id is not None:
        analysis_id = RiskAnalysis.objects.values_list("public_id", flat=True).get(pk=risk.analysis_id)
        return redirect("risk:analysis_detail", request.org.slug, analysis_id)
    return redirect("risk:risk_detail", request.org.slug, risk.public_id)


def _risk_form(request: OrgRequest, form: forms.RiskForm, method: Method, **context: Any) -> HttpResponse:
    context = {"form": form, "method": method, "matrix": matrix_rows(method), **context}
    return render(request, "risk/risk_form.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def risk_create_view(request: OrgRequest) -> HttpResponse:
    analysis = None
    if request.GET.get("analysis"):
        analysis = get_analysis_for_user(request.membership, request.GET["analysis"], write=True)
    method = method_of(request.org, analysis)
    posted = request.method == "POST"
    form = forms.RiskForm(
        request.POST if posted else None,
        organization=request.org,
        method=method,
        assets=_assets_for(request.org, analysis, None),
    )
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data["assets"], data["requirements"] = list(data["assets"]), list(data["requirements"])
        try:
            risk = risk_create(organization=request.org, actor=Actor.from_request(request), analysis=analysis, **data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Recorded {risk.reference}.")
            return _after_save(request, risk)
    refusal = None
    if analysis is not None and analysis.status != Status.DRAFT:
        refusal = f"“{analysis.title}” is {analysis.get_status_display().lower()}; risks can be added only to a draft."
    return _risk_form(request, form, analysis=analysis, risk=None, refusal=refusal, method=method)


@org_view(Perm.MANAGE_PROGRAM)
def risk_assess_view(request: OrgRequest, risk_id: UUID) -> HttpResponse:
    risk = get_risk_for_user(request.membership, risk_id, write=True)
    analysis = risk.analysis
    method = method_of(request.org, analysis)
    initial = {
        name: getattr(risk, name)
        for name in ("title", "threat", "vulnerability", "description", "existing_controls", "planned_controls")
    }
    initial.update({name: getattr(risk, name) for name in RATING_FIELDS})
    initial["assets"] = list(risk.assets.all())
    initial["requirements"] = list(risk.requirements.all())
    posted = request.method == "POST"
    form = forms.RiskForm(
        request.POST if posted else None,
        initial=initial,
        organization=request.org,
        method=method,
        assets=_assets_for(request.org, analysis, risk),
        risk=risk,
    )
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data["assets"], data["requirements"] = list(data["assets"]), list(data["requirements"])
        try:
            risk = risk_assess(organization=request.org, actor=Actor.from_request(request), risk=risk, **data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved {risk.reference}.")
            return _after_save(request, risk)
    refusal = assessment_refusal(risk, analysis)
    return _risk_form(request, form, analysis=analysis, risk=risk, refusal=refusal, method=method)
