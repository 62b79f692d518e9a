"""Record makers for training tests: courses with lessons and a quiz, assignments, completions, phishing results.

They write through the ORM (fast, at chosen dates); tests of the services' own rules call the services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from safeguard.core.dates import add_years
from safeguard.core.models import Organization
from safeguard.training.models import (
    Assignment,
    AssignmentRule,
    AudienceKind,
    Cadence,
    Choice,
    Completion,
    Course,
    CourseKind,
    Lesson,
    PhishingCampaign,
    PhishingOutcome,
    PhishingResult,
    Question,
    Topic,
)
from safeguard.workforce.models import Person
from tests.access_factories import person

__all__ = ["assignment", "campaign", "completion", "course", "person", "phishing_result", "rule", "topic"]

# Two questions: one single choice (B right), one multiple choice (A and C right).
DEFAULT_QUIZ: list[tuple[str, list[tuple[str, bool]]]] = [
    ("Which email is a phishing sign?", [("From your manager's usual address", False), ("Urgent, odd link", True)]),
    ("Which keep a password safe?", [("A password manager", True), ("A sticky note", False), ("MFA", True)]),
]


def topic(organization: Organization, key: str, citations: list[str] | None = None) -> Topic:
    return Topic.objects.create(
        organization=organization, key=key, name=key.replace("_", " ").title(), citations=citations or []
    )


def course(
    organization: Organization,
    code: str,
    *,
    kind: str = CourseKind.ANNUAL,
    lessons: int = 2,
    quiz: list[tuple[str, list[tuple[str, bool]]]] | None = None,
    topics: list[Topic] = (),  # type: ignore[assignment]
    **values: Any,
) -> Course:
    values.setdefault("title", f"Course {code}")
    values.setdefault("status", Course.Status.PUBLISHED)
    values.setdefault("randomize", False)
    made = Course.objects.create(organization=organization, code=code, kind=kind, **values)
    for position in range(lessons):
        Lesson.objects.create(
            organization=organization,
            course=made,
            position=position,
            title=f"Lesson {position + 1}",
            body=f"# Lesson {position + 1}\n\nRead this.",
        )
    for position, (text, choices) in enumerate(DEFAULT_QUIZ if quiz is None else quiz):
        correct = sum(1 for _, right in choices if right)
        question = Question.objects.create(
            organization=organization,
            course=made,
            position=position,
            text=text,
            kind=Question.Kind.MULTIPLE if correct > 1 else Question.Kind.SINGLE,
        )
        for number, (label, right) in enumerate(choices):
            Choice.objects.create(question=question, position=number, text=label, correct=right)
    if topics:
        made.topics.set(topics)
    return made


def rule(
    course_: Course,
    *,
    audience: str = AudienceKind.EVERYONE,
    values: list[str] | None = None,
    cadence: str = Cadence.ONCE,
    starts_on: date | None = None,
    **extra: Any,
) -> AssignmentRule:
    return AssignmentRule.objects.create(
        organization=course_.organization,
        name=extra.pop("name", f"{course_.code} for {audience}"),
        course=course_,
        audience=audience,
        audience_values=values or [],
        cadence=cadence,
        starts_on=starts_on or date(2020, 1, 1),
        **extra,
    )


def assignment(
    who: Person, course_: Course, *, due_on: date, assigned_on: date | None = None, **values: Any
) -> Assignment:
    values.setdefault("reason", "Assigned in a test")
    values.setdefault("window_start", assigned_on or add_years(due_on, -1))
    return Assignment.objects.create(
        organization=who.organization,
        person=who,
        course=course_,
        assigned_on=assigned_on or add_years(due_on, -1),
        due_on=due_on,
        **values,
    )


def completion(who: Person, course_: Course, *, at: datetime | None = None, **values: Any) -> Completion:
    values.setdefault("source", Completion.Source.MANUAL)
    return Completion.objects.create(
        organization=who.organization, person=who, course=course_, completed_at=at or timezone.now(), **values
    )


def campaign(
    organization: Organization, name: str, *, launched_at: datetime | None = None, **values: Any
) -> PhishingCampaign:
    values.setdefault("source", PhishingCampaign.Source.GOPHISH)
    return PhishingCampaign.objects.create(
        organization=organization, name=name, launched_at=launched_at or timezone.now(), **values
    )


def phishing_result(
    target: PhishingCampaign, email: str, *, status: str = PhishingOutcome.SENT, **values: Any
) -> PhishingResult:
    values.setdefault("sent_at", target.launched_at)
    return PhishingResult.objects.create(
        organization=target.organization, campaign=target, email=email.lower(), status=status, **values
    )
