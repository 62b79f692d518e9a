"""Phishing simulation pages: campaigns (list with rates, detail with metrics, departments and results, edit,
delete while empty), importing a results file, and the trend over time with repeat clickers.

Program viewers read; those who manage the program import, edit and delete. Counting is SQL: the pages make the
same number of queries whatever the number of campaigns or recipients.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.dates import add_months
from safeguard.core.forms import show_service_error
from safeguard.core.models import FileImport
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import phishing_metrics as metrics
from safeguard.training import queries_phishing as queries
from safeguard.training.access import get_campaign_for_user
from safeguard.training.forms_phishing import (
    CampaignDeleteForm,
    CampaignForm,
    PeriodForm,
    PhishingImportForm,
    ResultFilterForm,
)
from safeguard.training.services import phishing as services

PAGE_SIZE = 50
FILES_SHOWN = 10


def _can_manage(request: OrgRequest) -> bool:
    return request.membership.has(Perm.MANAGE_PROGRAM)


@org_view(Perm.VIEW_PROGRAM)
def phishing_campaign_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.campaigns(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": metrics.campaign_rows(list(page.object_list)), "can_manage": _can_manage(request)}
    return render(request, "training/phishing/campaign_list.html", context)


@org_view(Perm.VIEW_PROGRAM)
def phishing_campaign_detail(request: OrgRequest, campaign_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, campaign_id)
    filters = ResultFilterForm(request.GET)
    applied = filters.applied()
    results = queries.filter_results(queries.campaign_results(campaign), applied).order_by("email", "pk")
    departments = metrics.department_rows(queries.department_counts(queries.campaign_results(campaign)))
    files = FileImport.objects.filter(
        organization=request.org,
        kind__in=services.KINDS,
        state=FileImport.State.COMMITTED,
        result__campaign=str(campaign.public_id),
    ).select_related("created_by")
    context = {
        "campaign": campaign,
        "summary": metrics.campaign_metrics(campaign),
        "departments": Paginator(departments, PAGE_SIZE).get_page(request.GET.get("dpage")),
        "page": Paginator(results, PAGE_SIZE).get_page(request.GET.get("page")),
        "filters": filters,
        "filtered": any(applied.get(name) not in (None, "") for name in filters.fields),
        "files": list(files.order_by("-finished_at", "-pk")[:FILES_SHOWN]),
        "can_manage": _can_manage(request),
        "delete_form": CampaignDeleteForm(),
    }
    return render(request, "training/phishing/campaign_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def phishing_campaign_edit(request: OrgRequest, campaign_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, campaign_id, write=True)
    launched = timezone.localdate(campaign.launched_at) if campaign.launched_at else None
    initial = {"name": campaign.name, "description": campaign.description, "launched_on": launched}
    form = CampaignForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                organization=request.org,
                actor=Actor.from_request(request),
                campaign=campaign,
                **form.values(campaign),
            )
        except ServiceError as error:
            show_service_error(form, error, {"launched_at": "launched_on"})
        else:
            messages.success(request, "Saved.")
            return redirect("training:phishing_campaign_detail", request.org.slug, campaign.public_id)
    return render(request, "training/phishing/campaign_form.html", {"form": form, "campaign": campaign})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def phishing_campaign_delete(request: OrgRequest, campaign_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, campaign_id, write=True)
    if not CampaignDeleteForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm the deletion.")
        return redirect("training:phishing_campaign_detail", request.org.slug, campaign.public_id)
    try:
        services.campaign_delete(organization=request.org, actor=Actor.from_request(request), campaign=campaign)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("training:phishing_campaign_detail", request.org.slug, campaign.public_id)
    messages.success(request, f"Deleted the campaign “{campaign.name}”.")
    return redirect("training:phishing_campaign_list", request.org.slug)


@org_view(Perm.MANAGE_PROGRAM)
def phishing_import(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = PhishingImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organization=request.org,
        initial={"campaign": request.GET.get("campaign", "")},
    )
    if posted and form.is_valid():
        try:
            job = services.phishing_import_start(
                organization=request.org,
                actor=Actor.from_request(request),
                kind=form.cleaned_data["file_format"],
                upload=form.cleaned_data["file"],
                options=form.options(),
            )
        except ServiceError as error:
            show_service_error(form, error, {"options": "campaign", "format": "file_format", "kind": "file_format"})
        else:
            return redirect("core:file_import_detail", request.org.slug, job.public_id)
    return render(request, "training/phishing/import.html", {"form": form})


@org_view(Perm.VIEW_PROGRAM)
def phishing_trend(request: OrgRequest) -> HttpResponse:
    """Click and report rates campaign by campaign, departments over the period, and repeat clickers."""
    period = PeriodForm(request.GET)
    months = period.months_back()
    since = add_months(timezone.localdate(), -months) if months else None
    points = metrics.campaign_trend(request.org, since=since)
    departments = metrics.department_rows(queries.department_counts(queries.period_results(request.org, since)))
    clickers = Paginator(queries.repeat_clicks(request.org, since), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "period": period,
        "since": since,
        "trend_points": points,
        "trend_svg": metrics.trend_svg(points),
        "departments": Paginator(departments, PAGE_SIZE).get_page(request.GET.get("dpage")),
        "clickers": clickers,
        "clicker_rows": metrics.clicker_rows(clickers.object_list),
    }
    return render(request, "training/phishing/trend.html", context)
