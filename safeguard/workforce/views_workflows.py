"""Workflow pages: joiner, mover and leaver workflows and their tasks, the tasks assigned to me, the leaver target
measured, the workforce settings, and clearances and authorizations recorded by hand.

Reading workflows needs the view-program permission; a task's assignee reaches their own task without it.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from safeguard.workforce.access import get_person_for_user, get_task_for_user, get_workflow_for_user
from safeguard.workforce.forms_workflows import (
    AuthorizationForm,
    ClearanceForm,
    LeaverSlaForm,
    TaskCompleteForm,
    TaskWaiveForm,
    WorkflowFilterForm,
    WorkforceSettingsForm,
)
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from safeguard.workforce.queries import workforce_settings
from safeguard.workforce.services import tasks as services
from safeguard.workforce.services.sla import WINDOW_DAYS, leaver_sla, measure_task
from safeguard.workforce.services.workflows import (
    PROPOSED_RULE_SLA_HOURS,
    is_overdue,
    workflow_tasks,
    workflows_listed,
    workforce_settings_update,
)

PAGE_SIZE = 50
TaskKind = WorkflowTask.Kind


@org_view(Perm.VIEW_PROGRAM)
def workflow_list(request: OrgRequest) -> HttpResponse:
    filters = WorkflowFilterForm(request.GET)
    applied: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    now = timezone.now()
    rows = workflows_listed(
        request.org,
        kind=applied.get("kind", ""),
        status=applied.get("status", ""),
        overdue=bool(applied.get("overdue")),
        now=now,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "now": now, "filtered": any(applied.values())}
    return render(request, "workforce/workflow_list.html", context)


@dataclass(frozen=True)
class WorkflowFacts:
    """What every task row of one workflow shares, worked out once per page: why provisioning is held (about five
    queries, the same for each provisioning task) and whether the reader is the workflow's person."""

    blocked: str
    is_the_person: bool


def _workflow_facts(request: OrgRequest, workflow: Workflow, tasks: list[WorkflowTask]) -> WorkflowFacts:
    held = any(t.kind == TaskKind.PROVISION and t.status == WorkflowTask.Status.OPEN for t in tasks)
    return WorkflowFacts(
        blocked=services.provisioning_refusal(workflow) if held else "",
        is_the_person=services.is_the_person(request.org, request.membership.user, workflow.person),
    )


def _task_context(
    request: OrgRequest, task: WorkflowTask, workflow: Workflow, facts: WorkflowFacts, *, prefix: str | None = None
) -> dict[str, Any]:
    """A task's state and the forms this member may use on it."""
    now = timezone.now()
    is_open = task.status == WorkflowTask.Status.OPEN
    may_complete = services.may_complete(request.membership, task)
    if facts.is_the_person and services.own_step_refusal(task):
        may_complete = False
    may_waive = services.may_waive(request.membership) and not facts.is_the_person
    return {
        "task": task,
        "overdue": is_overdue(task, now),
        "measure": measure_task(task, workflow, now),
        "blocked": facts.blocked if is_open and task.kind == TaskKind.PROVISION else "",
        "complete_form": TaskCompleteForm(task=task, prefix=prefix) if is_open and may_complete else None,
        "waive_form": TaskWaiveForm(prefix=prefix) if is_open and may_waive else None,
    }


@org_view(Perm.VIEW_PROGRAM)
def workflow_detail(request: OrgRequest, workflow_id: UUID) -> HttpResponse:
    workflow = get_workflow_for_user(request.membership, workflow_id)
    tasks = list(workflow_tasks(workflow))
    facts = _workflow_facts(request, workflow, tasks)
    rows = [_task_context(request, task, workflow, facts, prefix=str(task.public_id)) for task in tasks]
    return render(request, "workforce/workflow_detail.html", {"workflow": workflow, "rows": rows})


def _task_page(
    request: OrgRequest,
    task: WorkflowTask,
    complete_form: TaskCompleteForm | None = None,
    waive_form: TaskWaiveForm | None = None,
) -> HttpResponse:
    context = _task_context(request, task, task.workflow, _workflow_facts(request, task.workflow, [task]))
    context["workflow"] = task.workflow
    context["sees_program"] = request.membership.has(Perm.VIEW_PROGRAM)
    if complete_form is not None:
        context["complete_form"] = complete_form
    if waive_form is not None:
        context["waive_form"] = waive_form
    return render(request, "workforce/task_detail.html", context)


def _after_task(request: OrgRequest, task: WorkflowTask) -> HttpResponse:
    if request.membership.has(Perm.VIEW_PROGRAM):
        return redirect("workforce:workflow_detail", request.org.slug, task.workflow.public_id)
    return redirect("workforce:my_tasks", request.org.slug)


@org_view(None)
def task_detail(request: OrgRequest, task_id: UUID) -> HttpResponse:
    return _task_page(request, get_task_for_user(request.membership, task_id))


@require_POST
@org_view(None)
def task_complete(request: OrgRequest, task_id: UUID) -> HttpResponse:
    task = get_task_for_user(request.membership, task_id, write=True)
    prefix = request.POST.get("prefix") or None
    form = TaskCompleteForm(request.POST, task=task, prefix=prefix)
    if form.is_valid():
        try:
            services.task_complete(
                organization=request.org, actor=Actor.from_request(request), task=task, **form.values()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Done: {task.title}.")
            return _after_task(request, task)
    return _task_page(request, task, complete_form=form)


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def task_waive(request: OrgRequest, task_id: UUID) -> HttpResponse:
    task = get_task_for_user(request.membership, task_id)
    prefix = request.POST.get("prefix") or None
    form = TaskWaiveForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.task_waive(
                organization=request.org,
                actor=Actor.from_request(request),
                task=task,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Waived: {task.title}.")
            return _after_task(request, task)
    return _task_page(request, task, waive_form=form)


@org_view(None)
def my_tasks(request: OrgRequest) -> HttpResponse:
    show_done = request.GET.get("show") == "done"
    tasks = WorkflowTask.objects.filter(organization=request.org, assignee=request.membership.user).select_related(
        "workflow", "workflow__person"
    )
    if show_done:
        tasks = tasks.exclude(status=WorkflowTask.Status.OPEN).order_by("-completed_at", "-pk")
    else:
        tasks = tasks.filter(status=WorkflowTask.Status.OPEN).order_by("due_at", "pk")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "show_done": show_done, "now": timezone.now()}
    return render(request, "workforce/task_mine.html", context)


@org_view(Perm.VIEW_PROGRAM)
def leaver_sla_report(request: OrgRequest) -> HttpResponse:
    form = LeaverSlaForm(request.GET)
    days = (form.cleaned_data.get("days") if form.is_valid() else None) or WINDOW_DAYS
    report = leaver_sla(request.org, days=days)
    page = Paginator(report.leavers, PAGE_SIZE).get_page(request.GET.get("page"))
    leavers = [(workflow, report.by_workflow.get(workflow.pk, [])) for workflow in page.object_list]
    context = {"report": report, "form": form, "page": page, "leavers": leavers}
    return render(request, "workforce/leaver_sla.html", context)


@org_view(Perm.MANAGE_ORG)
def settings_edit(request: OrgRequest) -> HttpResponse:
    current = workforce_settings(request.org)
    initial = {name: getattr(current, name) for name in ("leaver_sla_hours", "joiner_due_days", "mover_due_days")}
    form = WorkforceSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            workforce_settings_update(organization=request.org, actor=Actor.from_request(request), **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved. Workflows already open keep the target they opened with.")
            return redirect("workforce:settings", request.org.slug)
    context = {"form": form, "proposed_hours": PROPOSED_RULE_SLA_HOURS}
    return render(request, "workforce/workflow_settings.html", context)


# ---- clearances and authorizations of one person ----------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def clearance_list(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id)
    context = {
        "person": person,
        "clearances": person.clearances.select_related("recorded_by").order_by("-completed_on", "-recorded_at"),
        "can_write": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "workforce/clearance_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def clearance_create(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id, write=True)
    form = ClearanceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.clearance_record(
                organization=request.org, actor=Actor.from_request(request), person=person, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Clearance recorded for {person.full_name}.")
            return redirect("workforce:clearance_list", request.org.slug, person.public_id)
    return render(request, "workforce/clearance_form.html", {"form": form, "person": person})


@org_view(Perm.VIEW_PROGRAM)
def authorization_list(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id)
    context = {
        "person": person,
        "authorizations": person.authorizations.select_related("authorized_by").order_by("-authorized_at"),
        "can_write": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "workforce/authorization_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def authorization_create(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person: Person = get_person_for_user(request.membership, person_id, write=True)
    posted = request.method == "POST"
    form = AuthorizationForm(
        request.POST if posted else None,
        organization=request.org,
        initial={"authorized_on": timezone.localdate()},
    )
    if posted and form.is_valid():
        try:
            services.authorization_enter(
                organization=request.org, actor=Actor.from_request(request), person=person, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Authorization recorded for {person.full_name}.")
            return redirect("workforce:authorization_list", request.org.slug, person.public_id)
    return render(request, "workforce/authorization_form.html", {"form": form, "person": person})
