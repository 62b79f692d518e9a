"""Activity review overview pages: the dashboard (charts and figures), evaluation runs (list with a manual run,
detail with each rule's statistics) and the settings. Viewing needs view-activity; running rules by hand and
changing the settings need manage-activity."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from safeguard.activity import charts
from safeguard.activity import queries_overview as queries
from safeguard.activity.access import get_run
from safeguard.activity.forms_settings import ActivitySettingsForm, RunRequestForm
from safeguard.activity.models import RuleRun
from safeguard.activity.services.evaluation import request_evaluation
from safeguard.activity.services.evaluation_settings import FIELDS, activity_settings_update
from safeguard.activity.services.settings import activity_settings
from safeguard.core.access import require_perm
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


@org_view(Perm.VIEW_ACTIVITY)
def activity_home(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "volume_chart": charts.alert_volume_chart(queries.alert_volume(request.org, today)),
        "rules_chart": charts.top_rules_chart(queries.top_rules(request.org, today)),
        "open_by_severity": queries.open_by_severity(request.org),
        "mean_triage": queries.mean_time_to_triage(request.org, today),
        "open_escalations": queries.open_escalations(request.org),
        "compliance": queries.review_compliance(request.org, today),
        "sources": queries.sources_status(request.org, timezone.now()),
        "runs": queries.recent_runs(request.org),
        "can_manage": request.membership.has(Perm.MANAGE_ACTIVITY),
    }
    return render(request, "activity/home.html", context)


@org_view(Perm.VIEW_ACTIVITY)
def run_list(request: OrgRequest) -> HttpResponse:
    can_manage = request.membership.has(Perm.MANAGE_ACTIVITY)
    form = RunRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require_perm(request.membership, Perm.MANAGE_ACTIVITY)
        if form.is_valid():
            try:
                run = request_evaluation(
                    request.org,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    trigger=RuleRun.Trigger.MANUAL,
                    requested_by=request.user,  # type: ignore[arg-type]
                )
            except ServiceError as error:
                show_service_error(form, error)
            else:
                messages.success(request, "Evaluation queued.")
                return redirect("activity:run_detail", request.org.slug, run.public_id)
    runs = (
        RuleRun.objects.filter(organization=request.org).select_related("requested_by").order_by("-requested_at", "-pk")
    )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "activity/run_list.html", {"page": page, "form": form, "can_manage": can_manage})


@org_view(Perm.VIEW_ACTIVITY)
def run_detail(request: OrgRequest, run_id: UUID) -> HttpResponse:
    run = get_run(request.membership, run_id)
    stats = sorted(run.stats or [], key=lambda row: (-int(row.get("ms", 0)), str(row.get("rule"))))
    waiting = run.state in (RuleRun.State.QUEUED, RuleRun.State.RUNNING)
    return render(request, "activity/run_detail.html", {"run": run, "stats": stats, "waiting": waiting})


@org_view(Perm.MANAGE_ACTIVITY)
def activity_settings_edit(request: OrgRequest) -> HttpResponse:
    current = activity_settings(request.org)
    initial = {name: getattr(current, name) for name in FIELDS}
    form = ActivitySettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = activity_settings_update(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(request, "Saved.")
            return redirect("activity:settings", request.org.slug)
    return render(request, "activity/settings.html", {"form": form, "settings": current})
