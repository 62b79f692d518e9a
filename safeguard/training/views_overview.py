"""The training home page (headline numbers and a way to every training page), the effectiveness page and the
training settings. Program viewers read all three; those who manage the program change the settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_effectiveness as effectiveness
from safeguard.training.forms_settings import TrainingSettingsForm
from safeguard.training.phishing_metrics import campaign_trend, trend_svg
from safeguard.training.queries import training_settings
from safeguard.training.services.settings import SETTINGS_FIELDS, training_settings_update

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def home(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    latest = effectiveness.latest_campaigns(request.org, 1)
    people = effectiveness.people_timeliness(request.org, today, names=False)
    threshold = training_settings(request.org).completion_threshold
    context = {
        "today": today,
        "people": people,
        "threshold": threshold,
        "meets": people.meets(threshold),
        "assignments": effectiveness.open_assignments(request.org, today),
        "reminder": effectiveness.last_reminder(request.org),
        "campaign": latest[0] if latest else None,
        "acks": effectiveness.pending_acknowledgements(request.org),
    }
    return render(request, "training/overview/home.html", context)


@org_view(Perm.VIEW_PROGRAM)
def effectiveness_page(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    points = campaign_trend(request.org)
    timeliness = effectiveness.timeliness_report(request.org, today)
    departments = Paginator(timeliness.departments, PAGE_SIZE)
    courses = Paginator(effectiveness.quiz_scores(request.org, today), PAGE_SIZE)
    context = {
        "today": today,
        "overall": timeliness.overall,
        "departments": departments.get_page(request.GET.get("departments_page")),
        "courses": courses.get_page(request.GET.get("courses_page")),
        "missed": effectiveness.most_missed_questions(request.org, today),
        "min_answers": effectiveness.MIN_ANSWERS,
        "trend_points": points,
        "trend_svg": trend_svg(points),
    }
    return render(request, "training/overview/effectiveness.html", context)


@org_view(Perm.VIEW_PROGRAM)
def settings_page(request: OrgRequest) -> HttpResponse:
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Your role does not allow changing the training settings.")
    current = training_settings(request.org)
    initial = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    form = TrainingSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            training_settings_update(organization=request.org, actor=Actor.from_request(request), **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved. The tracker re-evaluates the training requirements with them.")
            return redirect("training:settings", request.org.slug)
    context = {"form": form, "settings": current, "can_manage": can_manage}
    return render(request, "training/overview/settings.html", context)
