"""Exercise pages: the list, recording and editing one, and on its page the timeline, corrective actions and the
plan revisions it caused. Program viewers (auditors included) read; program managers change."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.contingency import queries_exercises as queries
from safeguard.contingency.access import get_exercise
from safeguard.contingency.forms_exercises import ExerciseActionForm, ExerciseForm, TimelineEntryForm
from safeguard.contingency.models import CorrectiveAction, Exercise
from safeguard.contingency.services import exercises as services
from safeguard.contingency.services.actions import corrective_action_create
from safeguard.core.access import require_program
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


def _detail(request: OrgRequest, exercise: Exercise) -> HttpResponse:
    return redirect("contingency:exercise_detail", request.org.slug, exercise.public_id)


@org_view()
def exercise_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.exercises(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    can_change = request.membership.has(Perm.MANAGE_PROGRAM)
    return render(request, "contingency/exercise_list.html", {"page": page, "can_change": can_change})


@org_view()
def exercise_create(request: OrgRequest) -> HttpResponse:
    require_program(request.membership, True)
    form = ExerciseForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.exercise_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Exercise recorded.")
            return _detail(request, exercise)
    return render(request, "contingency/exercise_form.html", {"form": form})


@org_view()
def exercise_edit(request: OrgRequest, exercise_id: UUID) -> HttpResponse:
    exercise = queries.exercise_with_relations(get_exercise(request.membership, exercise_id, write=True))
    initial: dict[str, Any] = {name: getattr(exercise, name) for name in services.FIELDS}
    initial |= {name: list(getattr(exercise, name).all()) for name in services.RELATIONS}
    form = ExerciseForm(request.POST or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.exercise_update(
                organization=request.org, actor=Actor.from_request(request), exercise=exercise, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return _detail(request, exercise)
    return render(request, "contingency/exercise_form.html", {"form": form, "exercise": exercise})


def _detail_page(
    request: OrgRequest,
    exercise: Exercise,
    timeline_form: TimelineEntryForm | None = None,
    action_form: ExerciseActionForm | None = None,
) -> HttpResponse:
    exercise = queries.exercise_with_relations(exercise)
    can_change = request.membership.has(Perm.MANAGE_PROGRAM)
    context = {
        "exercise": exercise,
        "timeline": queries.timeline(exercise),
        "actions": queries.exercise_actions(exercise),
        "revisions": queries.plan_revisions(exercise),
        "can_change": can_change,
        "timeline_form": timeline_form or TimelineEntryForm(),
        "action_form": action_form or ExerciseActionForm(organization=request.org),
    }
    return render(request, "contingency/exercise_detail.html", context, status=400 if request.method == "POST" else 200)


@org_view()
def exercise_detail(request: OrgRequest, exercise_id: UUID) -> HttpResponse:
    return _detail_page(request, get_exercise(request.membership, exercise_id))


@require_POST
@org_view()
def exercise_timeline_add(request: OrgRequest, exercise_id: UUID) -> HttpResponse:
    exercise = get_exercise(request.membership, exercise_id, write=True)
    form = TimelineEntryForm(request.POST)
    if form.is_valid():
        try:
            services.exercise_timeline_add(
                organization=request.org, actor=Actor.from_request(request), exercise=exercise, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return _detail(request, exercise)
    return _detail_page(request, exercise, timeline_form=form)


@require_POST
@org_view()
def exercise_timeline_remove(request: OrgRequest, exercise_id: UUID, entry_id: str) -> HttpResponse:
    exercise = get_exercise(request.membership, exercise_id, write=True)
    try:
        services.exercise_timeline_remove(
            organization=request.org, actor=Actor.from_request(request), exercise=exercise, entry_id=entry_id
        )
    except ServiceError as error:
        messages.error(request, error.message)
    return _detail(request, exercise)


@require_POST
@org_view()
def exercise_action_add(request: OrgRequest, exercise_id: UUID) -> HttpResponse:
    exercise = get_exercise(request.membership, exercise_id, write=True)
    form = ExerciseActionForm(request.POST, organization=request.org)
    if form.is_valid():
        try:
            corrective_action_create(
                organization=request.org,
                actor=Actor.from_request(request),
                origin=CorrectiveAction.Origin.EXERCISE,
                exercise=exercise,
                **form.cleaned_data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Corrective action added.")
            return _detail(request, exercise)
    return _detail_page(request, exercise, action_form=form)


@require_POST
@org_view()
def exercise_delete(request: OrgRequest, exercise_id: UUID) -> HttpResponse:
    exercise = get_exercise(request.membership, exercise_id, write=True)
    try:
        services.exercise_delete(organization=request.org, actor=Actor.from_request(request), exercise=exercise)
    except ServiceError as error:
        messages.error(request, error.message)
        return _detail(request, exercise)
    messages.success(request, "Exercise deleted.")
    return redirect("contingency:exercise_list", request.org.slug)
