"""The learner's pages: "My training", a course with its lessons and quiz, a lesson, a quiz attempt and its result.

Every member may reach them (workforce members have no program permission); what they reach is decided by
learner_access.py through their roster person. A member not on the roster sees a page saying whom to ask.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_acks, queries_reminders
from safeguard.training.forms_learning import QuizForm
from safeguard.training.learner_access import (
    NotOnRoster,
    get_attempt_for_learner,
    get_course_for_learner,
    get_lesson_for_learner,
    learner_person,
)
from safeguard.training.models import Lesson, QuizAttempt
from safeguard.training.queries_assignments import may_read_confidential, shown_reason
from safeguard.training.queries_learning import (
    attempt_questions,
    course_progress,
    open_assignments,
    person_completions,
    program_contacts,
    started_courses,
)
from safeguard.training.services import quiz
from safeguard.workforce.models import Person

PAGE_SIZE = 50


def _not_on_roster(request: OrgRequest) -> HttpResponse:
    context = {"contacts": program_contacts(request.org)}
    return render(request, "training/learning/not_on_roster.html", context)


@org_view(None)
def my_training(request: OrgRequest) -> HttpResponse:
    try:
        person = learner_person(request.membership)
    except NotOnRoster:
        return _not_on_roster(request)
    today = timezone.localdate()
    confidential_ok = may_read_confidential(request.membership)
    assignments = list(open_assignments(person))
    started = started_courses(person, [assignment.course_id for assignment in assignments])
    rows = [
        {
            "assignment": assignment,
            "overdue": assignment.due_on < today,
            "started": assignment.course_id in started,
            "reason": shown_reason(assignment, confidential_ok),
        }
        for assignment in assignments
    ]
    context = {
        "person": person,
        "rows": rows,
        "page": Paginator(person_completions(person), PAGE_SIZE).get_page(request.GET.get("page")),
        "my_reminders": queries_reminders.my_reminders(request.org, person),
        "my_acks": queries_acks.my_acknowledgements(request.org, person),
    }
    return render(request, "training/learning/my_training.html", context)


@org_view(None)
def learn_course(request: OrgRequest, course_id: UUID) -> HttpResponse:
    try:
        person = learner_person(request.membership)
    except NotOnRoster:
        return _not_on_roster(request)
    course = get_course_for_learner(request.membership, course_id)
    progress = course_progress(person, course)
    context = {
        "course": course,
        "progress": progress,
        "assignment": open_assignments(person).filter(course=course).first(),
        "today": timezone.localdate(),
    }
    return render(request, "training/learning/course.html", context)


def _next_lesson(lesson: Lesson) -> Lesson | None:
    later = Q(position__gt=lesson.position) | Q(position=lesson.position, pk__gt=lesson.pk)
    return Lesson.objects.filter(later, course_id=lesson.course_id).order_by("position", "pk").first()


@org_view(None)
def learn_lesson(request: OrgRequest, course_id: UUID, lesson_id: UUID) -> HttpResponse:
    try:
        person = learner_person(request.membership)
    except NotOnRoster:
        return _not_on_roster(request)
    course = get_course_for_learner(request.membership, course_id)
    lesson = get_lesson_for_learner(request.membership, course, lesson_id)
    lessons = list(course.lessons.order_by("position", "pk"))
    number = lessons.index(lesson) + 1
    context = {
        "course": course,
        "lesson": lesson,
        "number": number,
        "total": len(lessons),
        "read": lesson.reads.filter(person=person).exists(),
        "next_lesson": lessons[number] if number < len(lessons) else None,
    }
    return render(request, "training/learning/lesson.html", context)


@require_POST
@org_view(None)
def lesson_mark_read(request: OrgRequest, course_id: UUID, lesson_id: UUID) -> HttpResponse:
    try:
        person = learner_person(request.membership)
    except NotOnRoster:
        return _not_on_roster(request)
    course = get_course_for_learner(request.membership, course_id)
    lesson = get_lesson_for_learner(request.membership, course, lesson_id)
    try:
        quiz.lesson_read(organization=request.org, actor=Actor.from_request(request), person=person, lesson=lesson)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("training:learn_course", request.org.slug, course.public_id)
    following = _next_lesson(lesson)
    if following is not None:
        return redirect("training:learn_lesson", request.org.slug, course.public_id, following.public_id)
    return redirect("training:learn_course", request.org.slug, course.public_id)


@require_POST
@org_view(None)
def attempt_start(request: OrgRequest, course_id: UUID) -> HttpResponse:
    try:
        person = learner_person(request.membership)
    except NotOnRoster:
        return _not_on_roster(request)
    course = get_course_for_learner(request.membership, course_id)
    try:
        attempt = quiz.attempt_start(
            organization=request.org, actor=Actor.from_request(request), person=person, course=course
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("training:learn_course", request.org.slug, course.public_id)
    return redirect("training:attempt_take", request.org.slug, attempt.public_id)


def _attempt(request: OrgRequest, attempt_id: UUID) -> tuple[Person, QuizAttempt]:
    person = learner_person(request.membership)
    return person, get_attempt_for_learner(request.membership, person, attempt_id)


@org_view(None)
def attempt_take(request: OrgRequest, attempt_id: UUID) -> HttpResponse:
    try:
        _person, attempt = _attempt(request, attempt_id)
    except NotOnRoster:
        return _not_on_roster(request)
    if attempt.submitted_at is not None:
        if request.method == "POST":
            messages.error(request, "This attempt was already submitted: its answers cannot change.")
        return redirect("training:attempt_result", request.org.slug, attempt.public_id)
    questions = attempt_questions(attempt)
    form = QuizForm(request.POST if request.method == "POST" else None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            quiz.attempt_submit(
                organization=request.org, actor=Actor.from_request(request), attempt=attempt, answers=form.answers()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect("training:attempt_result", request.org.slug, attempt.public_id)
    context = {"attempt": attempt, "course": attempt.course, "form": form}
    return render(request, "training/learning/attempt.html", context)


@org_view(None)
def attempt_result(request: OrgRequest, attempt_id: UUID) -> HttpResponse:
    try:
        person, attempt = _attempt(request, attempt_id)
    except NotOnRoster:
        return _not_on_roster(request)
    if attempt.submitted_at is None:
        return redirect("training:attempt_take", request.org.slug, attempt.public_id)
    answers = list(attempt.answers.select_related("question").order_by("pk"))
    rows = [{"number": number, "answer": answer} for number, answer in enumerate(answers, start=1)]
    context = {
        "attempt": attempt,
        "course": attempt.course,
        "rows": rows,
        "wrong": [row for row, answer in zip(rows, answers, strict=True) if not answer.correct],
        "progress": course_progress(person, attempt.course),
        "completion": getattr(attempt, "completion", None) if attempt.passed else None,
    }
    return render(request, "training/learning/attempt_result.html", context)
