"""Curriculum pages: courses (list, detail, create, edit, publish, retire, delete, prerequisites), topics, and the
starter curriculum. Lesson and question pages are in views_course_content.py.

Program viewers read everything, correct answers included (auditors read the curriculum); those who manage the
program change it. Workforce members take courses through "My training", never through these pages.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_courses as queries
from safeguard.training.access import get_course_for_user, get_topic_for_user
from safeguard.training.forms_courses import ConfirmForm, CourseFilterForm, CourseForm, PrerequisitesForm, TopicForm
from safeguard.training.models import Assignment, Course, Topic
from safeguard.training.services import curriculum as services
from safeguard.training.services import starter as starter_services

PAGE_SIZE = 50


def _can_manage(request: OrgRequest) -> bool:
    return request.membership.has(Perm.MANAGE_PROGRAM)


# ---- courses ------------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def course_list(request: OrgRequest) -> HttpResponse:
    filters = CourseFilterForm(request.GET, organization=request.org)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    applied = getattr(filters, "cleaned_data", {})
    rows = queries.filter_courses(queries.courses(request.org), applied).order_by("title", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(applied.get(name) not in (None, "") for name in filters.fields),
        "no_courses": not page.object_list and not Course.objects.filter(organization=request.org).exists(),
        "can_manage": _can_manage(request),
    }
    return render(request, "training/courses/course_list.html", context)


def _course_form(request: OrgRequest, initial: dict[str, object]) -> CourseForm:
    data = request.POST if request.method == "POST" else None
    return CourseForm(data, initial=initial, organization=request.org)


@org_view(Perm.MANAGE_PROGRAM)
def course_create(request: OrgRequest) -> HttpResponse:
    form = _course_form(request, {})
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Created {course.code} as a draft. Add its lessons and quiz, then publish it.")
            return redirect("training:course_detail", request.org.slug, course.public_id)
    return render(request, "training/courses/course_form.html", {"form": form, "course": None})


@org_view(Perm.MANAGE_PROGRAM)
def course_edit(request: OrgRequest, course_id: UUID) -> HttpResponse:
    course = get_course_for_user(request.membership, course_id, write=True)
    initial: dict[str, object] = {name: getattr(course, name) for name in services.COURSE_FIELDS}
    initial["topics"] = list(course.topics.all())
    form = _course_form(request, initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(
                organization=request.org, actor=Actor.from_request(request), course=course, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("training:course_detail", request.org.slug, course.public_id)
    return render(request, "training/courses/course_form.html", {"form": form, "course": course})


@org_view(Perm.VIEW_PROGRAM)
def course_detail(request: OrgRequest, course_id: UUID) -> HttpResponse:
    course = queries.course_with_everything(get_course_for_user(request.membership, course_id))
    can_manage = _can_manage(request)
    context = {
        "course": course,
        "can_manage": can_manage,
        "publish_problems": services.publish_problems(course) if course.status != Course.Status.PUBLISHED else [],
        "delete_refusal": services.delete_refusal(course) if can_manage else "",
        "delete_form": ConfirmForm(),
    }
    return render(request, "training/courses/course_detail.html", context)


def _course_action(request: OrgRequest, course_id: UUID, action: str) -> HttpResponse:
    course = get_course_for_user(request.membership, course_id, write=True)
    actor = Actor.from_request(request)
    open_assignments = course.assignments.filter(status=Assignment.Status.OPEN).count() if action == "retire" else 0
    try:
        if action == "publish":
            course = services.course_publish(organization=request.org, actor=actor, course=course)
        else:
            course = services.course_retire(organization=request.org, actor=actor, course=course)
    except services.PublishRefused as refused:
        messages.error(request, f"{course.code} cannot be published yet:")
        for problem in refused.problems:
            messages.error(request, problem)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _done(course, action, open_assignments))
    return redirect("training:course_detail", request.org.slug, course.public_id)


def _done(course: Course, action: str, open_assignments: int) -> str:
    if action == "publish":
        return f"Published {course.code}, version {course.version}."
    if not open_assignments:
        return f"Retired {course.code}."
    many = open_assignments != 1
    return (
        f"Retired {course.code}; its {open_assignments} open assignment{'s' if many else ''} "
        f"{'were' if many else 'was'} cancelled."
    )


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def course_publish(request: OrgRequest, course_id: UUID) -> HttpResponse:
    return _course_action(request, course_id, "publish")


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def course_retire(request: OrgRequest, course_id: UUID) -> HttpResponse:
    return _course_action(request, course_id, "retire")


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def course_delete(request: OrgRequest, course_id: UUID) -> HttpResponse:
    course = get_course_for_user(request.membership, course_id, write=True)
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm: a deleted course cannot be brought back.")
        return redirect("training:course_detail", request.org.slug, course.public_id)
    try:
        services.course_delete(organization=request.org, actor=Actor.from_request(request), course=course)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("training:course_detail", request.org.slug, course.public_id)
    messages.success(request, f"Deleted {course.code}.")
    return redirect("training:course_list", request.org.slug)


@org_view(Perm.MANAGE_PROGRAM)
def course_prerequisites(request: OrgRequest, course_id: UUID) -> HttpResponse:
    course = get_course_for_user(request.membership, course_id, write=True)
    posted = request.method == "POST"
    initial = {"prerequisites": list(course.prerequisites.all())}
    form = PrerequisitesForm(request.POST if posted else None, initial=initial, course=course)
    if posted and form.is_valid():
        try:
            services.course_prerequisites_set(
                organization=request.org,
                actor=Actor.from_request(request),
                course=course,
                prerequisites=list(form.cleaned_data["prerequisites"]),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Prerequisites saved.")
            return redirect("training:course_detail", request.org.slug, course.public_id)
    return render(request, "training/courses/course_prerequisites.html", {"form": form, "course": course})


# ---- topics -------------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def topic_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.topics(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/courses/topic_list.html", {"page": page, "can_manage": _can_manage(request)})


def _topic_form(request: OrgRequest, topic: Topic | None) -> HttpResponse:
    posted = request.method == "POST"
    initial = {} if topic is None else {"key": topic.key, "name": topic.name, "description": topic.description}
    if topic is not None:
        initial["citations"] = "\n".join(topic.citations)
    form = TopicForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        actor = Actor.from_request(request)
        try:
            if topic is None:
                services.topic_create(organization=request.org, actor=actor, **form.cleaned_data)
            else:
                services.topic_update(organization=request.org, actor=actor, topic=topic, **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved." if topic else f"Created the topic “{form.cleaned_data['name']}”.")
            return redirect("training:topic_list", request.org.slug)
    return render(request, "training/courses/topic_form.html", {"form": form, "topic": topic})


@org_view(Perm.MANAGE_PROGRAM)
def topic_create(request: OrgRequest) -> HttpResponse:
    return _topic_form(request, None)


@org_view(Perm.MANAGE_PROGRAM)
def topic_edit(request: OrgRequest, topic_id: UUID) -> HttpResponse:
    return _topic_form(request, get_topic_for_user(request.membership, topic_id, write=True))


# ---- the starter curriculum ---------------------------------------------------------------------------------------


@org_view(Perm.MANAGE_PROGRAM)
def starter_install(request: OrgRequest) -> HttpResponse:
    """GET: what installing would add. POST: install it."""
    if request.method == "POST":
        try:
            summary = starter_services.starter_install(organization=request.org, actor=Actor.from_request(request))
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("training:course_list", request.org.slug)
        messages.success(
            request,
            f"Installed {summary.total_created} records from the starter curriculum. Its assignment rules are "
            "inactive: review each, then switch it on.",
        )
        for note in summary.notes:
            messages.warning(request, note)
        return redirect("training:course_list", request.org.slug)
    try:
        preview = starter_services.starter_preview(request.org)
    except ServiceError as error:
        return render(request, "training/courses/starter.html", {"broken": error}, status=200)
    return render(request, "training/courses/starter.html", {"preview": preview})
