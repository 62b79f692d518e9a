"""A course's lessons and quiz questions: add, read (the lesson rendered as learners see it), edit, move, remove.

URLs nest them under their course; a lesson or question of another course (or organization) is not found.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training.access import get_course_for_user, get_lesson_for_user, get_question_for_user
from safeguard.training.forms_courses import ConfirmForm, LessonForm, MoveForm, QuestionForm
from safeguard.training.markdown import render_markdown
from safeguard.training.models import Course, Lesson, Question
from safeguard.training.services import course_content as services


def _lesson(request: OrgRequest, course_id: UUID, lesson_id: UUID, *, write: bool = False) -> Lesson:
    lesson = get_lesson_for_user(request.membership, lesson_id, write=write)
    if lesson.course.public_id != course_id:
        raise Http404("No such lesson.")
    return lesson


def _question(request: OrgRequest, course_id: UUID, question_id: UUID, *, write: bool = False) -> Question:
    question = get_question_for_user(request.membership, question_id, write=write)
    if question.course.public_id != course_id:
        raise Http404("No such question.")
    return question


def _to_course(request: OrgRequest, course: Course) -> HttpResponse:
    return redirect("training:course_detail", request.org.slug, course.public_id)


def _moved(request: OrgRequest, row: Lesson | Question, order: list[int]) -> int | None:
    """The 1-based position a move form asks for, or None when it asks for nothing possible. `order`: the ids of
    the row and its siblings, in order."""
    form = MoveForm(request.POST)
    if not form.is_valid() or row.pk not in order:
        return None
    current = order.index(row.pk) + 1
    target = current - 1 if form.cleaned_data["direction"] == "up" else current + 1
    return target if 1 <= target <= len(order) else None


def _order(rows: QuerySet[Lesson] | QuerySet[Question]) -> list[int]:
    return list(rows.order_by("position", "pk").values_list("pk", flat=True))


# ---- lessons ------------------------------------------------------------------------------------------------------


def _lesson_page(request: OrgRequest, course: Course, lesson: Lesson | None, form: LessonForm) -> HttpResponse:
    """The form, and the body rendered exactly as learners will see it: the submitted text after "Preview"."""
    body = form.data.get("body", "") if form.is_bound else (lesson.body if lesson else "")
    context = {
        "course": course,
        "lesson": lesson,
        "form": form,
        "preview": render_markdown(str(body)),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/courses/lesson.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def lesson_create(request: OrgRequest, course_id: UUID) -> HttpResponse:
    course = get_course_for_user(request.membership, course_id, write=True)
    form = LessonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            lesson = services.lesson_create(
                organization=request.org, actor=Actor.from_request(request), course=course, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Added the lesson “{lesson.title}”.")
            return _to_course(request, course)
    return _lesson_page(request, course, None, form)


@org_view(Perm.VIEW_PROGRAM)
def lesson_detail(request: OrgRequest, course_id: UUID, lesson_id: UUID) -> HttpResponse:
    """The lesson as learners see it and, for those who manage the program, the form to change it."""
    lesson = _lesson(request, course_id, lesson_id, write=request.method == "POST")
    form = LessonForm(
        request.POST if request.method == "POST" else None, initial={"title": lesson.title, "body": lesson.body}
    )
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            services.lesson_update(
                organization=request.org, actor=Actor.from_request(request), lesson=lesson, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return _to_course(request, lesson.course)
    return _lesson_page(request, lesson.course, lesson, form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def lesson_move(request: OrgRequest, course_id: UUID, lesson_id: UUID) -> HttpResponse:
    lesson = _lesson(request, course_id, lesson_id, write=True)
    target = _moved(request, lesson, _order(lesson.course.lessons.all()))
    if target is not None:
        try:
            services.lesson_move(
                organization=request.org, actor=Actor.from_request(request), lesson=lesson, position=target
            )
        except ServiceError as error:
            messages.error(request, error.message)
    return _to_course(request, lesson.course)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def lesson_delete(request: OrgRequest, course_id: UUID, lesson_id: UUID) -> HttpResponse:
    lesson = _lesson(request, course_id, lesson_id, write=True)
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm removing the lesson.")
        return redirect("training:lesson_detail", request.org.slug, course_id, lesson.public_id)
    try:
        services.lesson_delete(organization=request.org, actor=Actor.from_request(request), lesson=lesson)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed the lesson “{lesson.title}”.")
    return _to_course(request, lesson.course)


# ---- questions ----------------------------------------------------------------------------------------------------


def _question_page(request: OrgRequest, course: Course, question: Question | None, form: QuestionForm) -> HttpResponse:
    context = {"course": course, "question": question, "form": form, "delete_form": ConfirmForm()}
    return render(request, "training/courses/question_form.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def question_create(request: OrgRequest, course_id: UUID) -> HttpResponse:
    course = get_course_for_user(request.membership, course_id, write=True)
    form = QuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_create(
                organization=request.org, actor=Actor.from_request(request), course=course, **form.values()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Question added.")
            return _to_course(request, course)
    return _question_page(request, course, None, form)


@org_view(Perm.MANAGE_PROGRAM)
def question_edit(request: OrgRequest, course_id: UUID, question_id: UUID) -> HttpResponse:
    question = _question(request, course_id, question_id, write=True)
    posted = request.method == "POST"
    form = QuestionForm(request.POST if posted else None, initial=QuestionForm.initial_for(question))
    if posted and form.is_valid():
        try:
            services.question_update(
                organization=request.org, actor=Actor.from_request(request), question=question, **form.values()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return _to_course(request, question.course)
    return _question_page(request, question.course, question, form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def question_move(request: OrgRequest, course_id: UUID, question_id: UUID) -> HttpResponse:
    question = _question(request, course_id, question_id, write=True)
    target = _moved(request, question, _order(question.course.questions.all()))
    if target is not None:
        try:
            services.question_move(
                organization=request.org, actor=Actor.from_request(request), question=question, position=target
            )
        except ServiceError as error:
            messages.error(request, error.message)
    return _to_course(request, question.course)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def question_delete(request: OrgRequest, course_id: UUID, question_id: UUID) -> HttpResponse:
    question = _question(request, course_id, question_id, write=True)
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm removing the question.")
        return redirect("training:question_edit", request.org.slug, course_id, question.public_id)
    try:
        services.question_delete(organization=request.org, actor=Actor.from_request(request), question=question)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Question removed.")
    return _to_course(request, question.course)
