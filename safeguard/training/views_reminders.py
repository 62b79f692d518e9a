"""Security reminder pages: the program's list, calendar, writing and sending (program viewers read, those who
manage the program write), and a person's own reminders with the "Mark as read" button."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import User
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_reminders as queries
from safeguard.training.access import get_reminder_for_user
from safeguard.training.audiences import describe_audience
from safeguard.training.checks_reminders import reminder_coverage
from safeguard.training.forms_reminders import ReminderFilterForm, ReminderForm, ScheduleForm, reminder_initial
from safeguard.training.models import ReminderDelivery, SecurityReminder
from safeguard.training.queries import person_for_user
from safeguard.training.services import reminders as services

PAGE_SIZE = 50


def _back_to(request: OrgRequest, reminder: SecurityReminder) -> HttpResponse:
    return redirect("training:reminder_detail", request.org.slug, reminder.public_id)


@org_view(Perm.VIEW_PROGRAM)
def reminder_list(request: OrgRequest) -> HttpResponse:
    filters = ReminderFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    page = Paginator(queries.reminder_rows(request.org, status or None), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": queries.with_read_rates(list(page.object_list)),
        "filters": filters,
        "filtered": bool(status),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/reminders/list.html", context)


def _form_page(request: OrgRequest, form: ReminderForm, reminder: SecurityReminder | None = None) -> HttpResponse:
    return render(request, "training/reminders/form.html", {"form": form, "reminder": reminder})


@org_view(Perm.MANAGE_PROGRAM)
def reminder_create(request: OrgRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, ReminderForm(organization=request.org))
    form = ReminderForm(request.POST, organization=request.org)
    if form.is_valid():
        try:
            reminder = services.reminder_create(
                organization=request.org,
                actor=Actor.from_request(request),
                schedule=request.POST.get("action") == "schedule",
                **form.cleaned_data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            scheduled = reminder.status == SecurityReminder.Status.SCHEDULED
            messages.success(request, "Scheduled." if scheduled else "Saved as a draft.")
            return _back_to(request, reminder)
    return _form_page(request, form)


@org_view(Perm.MANAGE_PROGRAM)
def reminder_edit(request: OrgRequest, reminder_id: UUID) -> HttpResponse:
    reminder = get_reminder_for_user(request.membership, reminder_id, write=True)
    if reminder.status not in services.EDITABLE:
        messages.error(request, f"A {reminder.get_status_display().lower()} reminder cannot be changed.")
        return _back_to(request, reminder)
    if request.method != "POST":
        return _form_page(request, ReminderForm(initial=reminder_initial(reminder), organization=request.org), reminder)
    form = ReminderForm(request.POST, organization=request.org)
    if form.is_valid():
        values = dict(form.cleaned_data)
        if values["scheduled_for"] is None:
            values.pop("scheduled_for")
        try:
            services.reminder_update(
                organization=request.org, actor=Actor.from_request(request), reminder=reminder, **values
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return _back_to(request, reminder)
    return _form_page(request, form, reminder)


def _detail(request: OrgRequest, reminder: SecurityReminder, schedule_form: ScheduleForm | None = None) -> HttpResponse:
    page = Paginator(queries.deliveries_of(reminder), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "reminder": reminder,
        "audience": describe_audience(reminder.audience, reminder.audience_values),
        "stats": queries.reminder_stats(reminder),
        "page": page,
        "no_email": queries.NO_EMAIL,
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
        "editable": reminder.status in services.EDITABLE,
        "schedule_form": schedule_form or ScheduleForm(),
    }
    return render(request, "training/reminders/detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def reminder_detail(request: OrgRequest, reminder_id: UUID) -> HttpResponse:
    reminder = get_reminder_for_user(request.membership, reminder_id)
    return _detail(request, reminder)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def reminder_schedule(request: OrgRequest, reminder_id: UUID) -> HttpResponse:
    reminder = get_reminder_for_user(request.membership, reminder_id, write=True)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.reminder_schedule(
                organization=request.org, actor=Actor.from_request(request), reminder=reminder, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Scheduled: the next run after its time sends it.")
            return _back_to(request, reminder)
    return _detail(request, reminder, form)


def _act(request: OrgRequest, reminder_id: UUID, action: str) -> HttpResponse:
    reminder = get_reminder_for_user(request.membership, reminder_id, write=True)
    write = services.reminder_cancel if action == "cancel" else services.reminder_send_now
    try:
        write(organization=request.org, actor=Actor.from_request(request), reminder=reminder)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Cancelled." if action == "cancel" else "Sending now: refresh in a moment.")
    return _back_to(request, reminder)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def reminder_cancel(request: OrgRequest, reminder_id: UUID) -> HttpResponse:
    return _act(request, reminder_id, "cancel")


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def reminder_send_now(request: OrgRequest, reminder_id: UUID) -> HttpResponse:
    return _act(request, reminder_id, "send_now")


@org_view(Perm.VIEW_PROGRAM)
def reminder_calendar(request: OrgRequest) -> HttpResponse:
    """The months, and above them the periods the tracker counts, judged by the check's own function."""
    today = timezone.localdate()
    context = {
        "calendar": queries.reminder_calendar(request.org, today),
        "coverage": reminder_coverage(request.org, today),
    }
    return render(request, "training/reminders/calendar.html", context)


# ---- a person's own ---------------------------------------------------------------------------------------------


@org_view(None)
def my_reminder_list(request: OrgRequest) -> HttpResponse:
    person = person_for_user(request.org, cast(User, request.user))
    rows = queries.my_deliveries(request.org, person) if person else ReminderDelivery.objects.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/reminders/my_list.html", {"page": page, "person": person})


@require_http_methods(["GET", "POST"])
@org_view(None)
def my_reminder(request: OrgRequest, delivery_id: UUID) -> HttpResponse:
    """GET shows it; only the button (a POST) records the read, so a prefetching link scanner never does."""
    person = person_for_user(request.org, cast(User, request.user))
    delivery = queries.my_delivery(request.org, person, delivery_id)
    if request.method == "POST":
        services.reminder_mark_read(organization=request.org, actor=Actor.from_request(request), delivery=delivery)
        messages.success(request, "Thank you: marked as read.")
        return redirect("training:my_reminder", request.org.slug, delivery.public_id)
    return render(request, "training/reminders/my_detail.html", {"delivery": delivery, "reminder": delivery.reminder})
