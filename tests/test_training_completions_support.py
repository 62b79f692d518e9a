"""Helpers the completion, quiz and learning tests share: the learner on the roster, answering an attempt right or
wrong, and small counters.

No tests live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, User
from safeguard.training.models import Course, Lesson, LessonRead, QuizAttempt
from safeguard.training.queries_learning import attempt_questions
from safeguard.training.services.quiz import attempt_start
from safeguard.workforce.models import Person
from tests.access_factories import person
from tests.conftest import Cast


def learner(cast: Cast, employee_id: str = "E-1", **values: object) -> Person:
    """The roster person the cast's workforce member (nurse@clinic.test) is."""
    return person(cast.org, employee_id, email="nurse@clinic.test", name="Nora Nurse", **values)


def actor(user: User | None) -> Actor:
    return Actor(user=user)


def read_all(who: Person, course: Course) -> None:
    for lesson in Lesson.objects.filter(course=course):
        LessonRead.objects.get_or_create(person=who, lesson=lesson, defaults={"organization": who.organization})


def answers(attempt: QuizAttempt, right: Sequence[bool] | None = None) -> dict[str, list[str]]:
    """Answers to the attempt's questions in the order shown: right ones where `right` says so (all by default),
    else a wrong pick (a wrong choice, or for a question with no wrong choice, nothing but the first right one)."""
    picked: dict[str, list[str]] = {}
    for index, question in enumerate(attempt_questions(attempt)):
        choices = list(question.shown_choices)  # type: ignore[attr-defined]
        correct = [str(choice.public_id) for choice in choices if choice.correct]
        wrong = [str(choice.public_id) for choice in choices if not choice.correct]
        if right is None or right[index]:
            picked[str(question.public_id)] = correct
        else:
            picked[str(question.public_id)] = wrong[:1] if wrong else correct[:1]
    return picked


def started(cast: Cast, who: Person, course: Course, user: User | None = None) -> QuizAttempt:
    read_all(who, course)
    return attempt_start(organization=cast.org, actor=actor(user or cast.workforce), person=who, course=course)


def audit_count() -> int:
    return AuditEvent.objects.count()


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def moment(text: str) -> datetime:
    """A wall-clock time in the installation's zone, e.g. "2026-03-02 10:00"."""
    return timezone.make_aware(datetime.fromisoformat(text))
