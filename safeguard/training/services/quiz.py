"""Taking a course in Safeguard: marking lessons read, starting a quiz attempt, submitting it once, and granting
more attempts to someone who used them all.

Scoring: a question is right only when exactly its correct choices are picked (for a multiple-choice question,
all of them and nothing else); the score is floor(100 × right questions / questions), and the attempt passes at
or above the course's pass mark. A passed attempt is recorded as a completion (services/completions.py).

The attempt limit counts failed attempts since the person's last completion of the course, except those a
program manager cleared by granting more attempts; 0 means unlimited.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import (
    AttemptAnswer,
    Completion,
    Course,
    Lesson,
    LessonRead,
    Question,
    QuizAttempt,
)
from safeguard.training.queries_learning import attempt_questions, counted_failures, course_progress, last_completion
from safeguard.training.services.completions import completion_record
from safeguard.workforce.models import Person


def percent(right: int, total: int) -> int:
    """floor(100 × right / total), in integers: 2 of 3 is 66, never 67."""
    return 100 * right // total if total else 0


def is_right(question: Question, chosen: Sequence[str]) -> bool:
    correct = {str(choice.public_id) for choice in question.choices.all() if choice.correct}
    return set(chosen) == correct


def _same_org(organization: Organization, person: Person, course: Course) -> None:
    if person.organization_id != organization.pk or course.organization_id != organization.pk:
        raise ServiceError("No such course for this person.")


# ---- lessons ---------------------------------------------------------------------------------------------------


def lesson_read(
    *, organization: Organization, actor: Actor, person: Person, lesson: Lesson, now: datetime | None = None
) -> LessonRead:
    """Mark a lesson read by the person; reading it again changes nothing."""
    course = lesson.course
    _same_org(organization, person, course)
    if course.status != Course.Status.PUBLISHED:
        raise ServiceError("This course is no longer offered.")
    with transaction.atomic():
        read, created = LessonRead.objects.get_or_create(
            person=person, lesson=lesson, defaults={"organization": organization, "read_at": now or timezone.now()}
        )
        if created:
            audit_record(
                actor=actor,
                action="training.lesson.read",
                organization=organization,
                target=lesson,
                changes={"person": [None, person.employee_id], "course": [None, course.code]},
            )
    return read


# ---- attempts --------------------------------------------------------------------------------------------------


def _orders(course: Course, shuffle: bool) -> tuple[list[str], dict[str, list[str]]]:
    """The question order and each question's choice order an attempt shows, shuffled when the course says so."""
    questions = list(Question.objects.filter(course=course).prefetch_related("choices").order_by("position", "pk"))
    mixer = random.SystemRandom()
    if shuffle:
        mixer.shuffle(questions)
    choice_order: dict[str, list[str]] = {}
    for question in questions:
        choices = [str(choice.public_id) for choice in question.choices.all()]
        if shuffle:
            mixer.shuffle(choices)
        choice_order[str(question.public_id)] = choices
    return [str(question.public_id) for question in questions], choice_order


def attempt_start(
    *, organization: Organization, actor: Actor, person: Person, course: Course, now: datetime | None = None
) -> QuizAttempt:
    """Start a quiz attempt, or return the one the person has not submitted yet (a reload shows the same order)."""
    _same_org(organization, person, course)
    if actor.user is None:
        raise ServiceError("A quiz is taken by a person.")
    with transaction.atomic():
        # One start at a time per person: two clicks must not make two attempts with the same number.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        progress = course_progress(person, course)
        if progress.open_attempt is not None:
            return progress.open_attempt
        if not progress.quiz_open:
            raise ServiceError(progress.closed_reason)
        question_order, choice_order = _orders(course, course.randomize)
        highest = QuizAttempt.objects.filter(person=person, course=course).aggregate(n=Max("number"))["n"] or 0
        attempt = QuizAttempt.objects.create(
            organization=organization,
            person=person,
            course=course,
            user=actor.user,
            number=highest + 1,
            course_version=course.version,
            question_order=question_order,
            choice_order=choice_order,
            started_at=now or timezone.now(),
        )
        audit_record(
            actor=actor,
            action="training.attempt.started",
            organization=organization,
            target=attempt,
            changes={
                "person": [None, person.employee_id],
                "course": [None, course.code],
                "number": [None, attempt.number],
            },
        )
    return attempt


def _chosen_per_question(questions: list[Question], answers: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each question's picked choice ids, in the attempt's order; ServiceError naming the first bad answer."""
    picked: list[list[str]] = []
    for number, question in enumerate(questions, start=1):
        key = str(question.public_id)
        chosen = sorted({str(value) for value in answers.get(key) or [] if str(value)})
        if not chosen:
            raise ServiceError(f"Answer question {number}.", field=key)
        offered = {str(choice.public_id) for choice in question.choices.all()}
        if not set(chosen) <= offered:
            raise ServiceError(f"Question {number}: pick among its answers.", field=key)
        if question.kind == Question.Kind.SINGLE and len(chosen) != 1:
            raise ServiceError(f"Question {number} takes one answer.", field=key)
        picked.append(chosen)
    return picked


def attempt_submit(
    *,
    organization: Organization,
    actor: Actor,
    attempt: QuizAttempt,
    answers: Mapping[str, Sequence[str]],
    now: datetime | None = None,
) -> QuizAttempt:
    """Score an attempt, once. `answers`: question public id → the public ids of the choices picked. A pass is
    recorded as a completion of the course."""
    now = now or timezone.now()
    if attempt.organization_id != organization.pk:
        raise ServiceError("No such attempt in this organization.")
    with transaction.atomic():
        locked = QuizAttempt.objects.select_for_update().select_related("course", "person").get(pk=attempt.pk)
        if locked.submitted_at is not None:
            raise ServiceError("This attempt was already submitted: its answers cannot change.")
        questions = attempt_questions(locked)
        if not questions:
            raise ServiceError("This quiz has no questions any more: ask the security official.")
        picked = _chosen_per_question(questions, answers)
        right = [is_right(question, chosen) for question, chosen in zip(questions, picked, strict=True)]
        AttemptAnswer.objects.bulk_create(
            AttemptAnswer(
                organization=organization,
                attempt=locked,
                question=question,
                question_text=question.text,
                chosen=chosen,
                correct=correct,
            )
            for question, chosen, correct in zip(questions, picked, right, strict=True)
        )
        course = locked.course
        locked.score = percent(sum(right), len(questions))
        locked.passed = locked.score >= course.pass_mark
        locked.submitted_at = now
        locked.save(update_fields=["score", "passed", "submitted_at"])
        audit_record(
            actor=actor,
            action="training.attempt.submitted",
            organization=organization,
            target=locked,
            changes={
                "score": [None, locked.score],
                "passed": [None, locked.passed],
                "right": [None, sum(right)],
                "questions": [None, len(questions)],
            },
        )
        if locked.passed:
            completion_record(
                organization=organization,
                actor=actor,
                person=locked.person,
                course=course,
                completed_at=now,
                source=Completion.Source.IN_APP,
                score=locked.score,
                attempt=locked,
                now=now,
            )
    return locked


def attempts_grant(*, organization: Organization, actor: Actor, person: Person, course: Course) -> int:
    """Clear the person's failed attempts at the course from the limit, so they may try again; how many."""
    _same_org(organization, person, course)
    with transaction.atomic():
        failed = counted_failures(person, course, last_completion(person, course)).select_for_update()
        numbers = sorted(failed.values_list("number", flat=True))
        if not numbers:
            raise ServiceError(f"{person.full_name} has no failed attempts at {course.code} to clear.")
        QuizAttempt.objects.filter(person=person, course=course, number__in=numbers).update(counts=False)
        audit_record(
            actor=actor,
            action="training.attempts.granted",
            organization=organization,
            target=person,
            changes={"course": [None, course.code], "attempts_cleared": [None, numbers]},
        )
    return len(numbers)
