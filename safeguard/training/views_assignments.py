"""Assignment pages: the list with its filters, one assignment with its actions (excuse, cancel, extend), assigning
by hand, a person's training as the program sees it, and the overview per department.

Program viewers read; those who manage the program act. Why someone was assigned because of a sanction, and the rule
that did it, show only to those who may read the sanctions log; others read "Assigned by the security official".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_assignments as queries
from safeguard.training.access import get_assignment_for_user
from safeguard.training.forms_assignments import AssignmentCreateForm, AssignmentFilterForm, ExtendForm, ReasonForm
from safeguard.training.models import Assignment
from safeguard.training.queries_confidential import shown_rule
from safeguard.training.services import assignments as services
from safeguard.workforce.access import get_person_for_user

PAGE_SIZE = 50
AUTO_IDS = {"excuse": "excuse_%s", "cancel": "cancel_%s", "extend": "extend_%s"}
ACTIONS: dict[str, Callable[..., Assignment]] = {
    "excuse": services.assignment_excuse,
    "cancel": services.assignment_cancel,
    "extend": services.assignment_extend,
}


def _rows(request: OrgRequest, assignments: list[Assignment]) -> list[dict[str, Any]]:
    """Each assignment with the reason this member may read and whether it is overdue."""
    today, allowed = timezone.localdate(), queries.may_read_confidential(request.membership)
    return [
        {
            "a": a,
            "reason": queries.shown_reason(a, allowed),
            "overdue": queries.is_overdue(a, today),
        }
        for a in assignments
    ]


@org_view(Perm.VIEW_PROGRAM)
def assignment_list(request: OrgRequest) -> HttpResponse:
    filters = AssignmentFilterForm(request.GET, organization=request.org)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    applied = getattr(filters, "cleaned_data", {})
    rows = queries.filter_assignments(queries.assignment_rows(request.org), applied, timezone.localdate())
    page = Paginator(rows.order_by("due_on", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _rows(request, list(page.object_list)),
        "filters": filters,
        "filtered": any(applied.get(name) not in (None, "", False) for name in filters.fields),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/assignments/assignment_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def assignment_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = AssignmentCreateForm(
        request.POST if posted else None,
        initial=None if posted else {"person": request.GET.get("person", "")},  # from a person's training page
        organization=request.org,
    )
    if posted and form.is_valid():
        try:
            assignment = services.assignment_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Assigned “{assignment.course.title}” to {assignment.person.full_name}.")
            return redirect("training:assignment_detail", request.org.slug, assignment.public_id)
    return render(request, "training/assignments/assignment_form.html", {"form": form})


def _detail(request: OrgRequest, assignment: Assignment, **forms: object) -> HttpResponse:
    allowed = queries.may_read_confidential(request.membership)
    context = {
        "a": assignment,
        "reason": queries.shown_reason(assignment, allowed),
        "trigger": queries.shown_trigger(assignment, allowed),
        "rule": shown_rule(assignment, allowed),
        "confidential_hidden": assignment.confidential and not allowed,
        "overdue": queries.is_overdue(assignment, timezone.localdate()),
        "can_act": request.membership.has(Perm.MANAGE_PROGRAM) and assignment.status == Assignment.Status.OPEN,
        "excuse_form": forms.get("excuse_form") or ReasonForm(auto_id=AUTO_IDS["excuse"]),
        "cancel_form": forms.get("cancel_form") or ReasonForm(auto_id=AUTO_IDS["cancel"]),
        "extend_form": forms.get("extend_form") or ExtendForm(auto_id=AUTO_IDS["extend"]),
    }
    return render(request, "training/assignments/assignment_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def assignment_detail(request: OrgRequest, assignment_id: UUID) -> HttpResponse:
    return _detail(request, get_assignment_for_user(request.membership, assignment_id))


def _act(request: OrgRequest, assignment_id: UUID, action: str) -> HttpResponse:
    assignment = get_assignment_for_user(request.membership, assignment_id, write=True)
    form_class = ExtendForm if action == "extend" else ReasonForm
    form = form_class(request.POST, auto_id=AUTO_IDS[action])
    if form.is_valid():
        service = ACTIONS[action]
        try:
            service(
                organization=request.org,
                actor=Actor.from_request(request),
                assignment=assignment,
                **form.cleaned_data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            done = {"excuse": "Excused.", "cancel": "Cancelled.", "extend": "Extended."}[action]
            messages.success(request, done)
            return redirect("training:assignment_detail", request.org.slug, assignment.public_id)
    return _detail(request, assignment, **{f"{action}_form": form})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def assignment_excuse(request: OrgRequest, assignment_id: UUID) -> HttpResponse:
    return _act(request, assignment_id, "excuse")


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def assignment_cancel(request: OrgRequest, assignment_id: UUID) -> HttpResponse:
    return _act(request, assignment_id, "cancel")


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def assignment_extend(request: OrgRequest, assignment_id: UUID) -> HttpResponse:
    return _act(request, assignment_id, "extend")


@org_view(Perm.VIEW_PROGRAM)
def person_training(request: OrgRequest, person_id: UUID) -> HttpResponse:
    """A person's assignments and completions, for the program (the person's own page is "My training")."""
    person = get_person_for_user(request.membership, person_id)
    assignments = Paginator(queries.person_assignments(person), PAGE_SIZE).get_page(request.GET.get("page"))
    completions = Paginator(queries.person_completions(person), PAGE_SIZE).get_page(request.GET.get("cpage"))
    context = {
        "person": person,
        "page": assignments,
        "rows": _rows(request, list(assignments.object_list)),
        "completions": completions,
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/assignments/person_training.html", context)


@org_view(Perm.VIEW_PROGRAM)
def departments(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = queries.department_overview(request.org, today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "total": queries.overview_total(rows),
        "since": queries.window_start(today),
    }
    return render(request, "training/assignments/departments.html", context)
