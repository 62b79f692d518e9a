"""Reads of the curriculum that the course pages and the API share, with their related rows already fetched."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from safeguard.core.models import Organization
from safeguard.training.models import (
    AssignmentRule,
    Choice,
    Completion,
    Course,
    Lesson,
    Question,
    QuizAttempt,
    Topic,
)


def _count_of(model: type[Model]) -> Coalesce:
    """How many rows of `model` point at the course, as a subquery: one per column, never a join that multiplies."""
    counted = (
        model._default_manager.filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def courses(organization: Organization) -> QuerySet[Course]:
    """The organization's courses with their topics and prerequisites, and how many lessons, questions and
    completions each has (lesson_count, question_count, completion_count)."""
    return (
        Course.objects.filter(organization=organization)
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
            Prefetch("prerequisites", queryset=Course.objects.order_by("code")),
        )
        .annotate(
            lesson_count=_count_of(Lesson),
            question_count=_count_of(Question),
            completion_count=_count_of(Completion),
        )
    )


def filter_courses(rows: QuerySet[Course], applied: dict[str, Any]) -> QuerySet[Course]:
    if applied.get("kind"):
        rows = rows.filter(kind=applied["kind"])
    if applied.get("status"):
        rows = rows.filter(status=applied["status"])
    if applied.get("topic") is not None:
        rows = rows.filter(topics=applied["topic"])
    return rows


def course_with_everything(course: Course) -> Course:
    """One course for its page: counts, topics, prerequisites, what requires it, lessons, the quiz with choices, and
    the rules that assign it."""
    return (
        courses(course.organization)
        .annotate(attempt_count=_count_of(QuizAttempt))
        .prefetch_related(
            Prefetch("required_by", queryset=Course.objects.order_by("code")),
            Prefetch("lessons", queryset=Lesson.objects.order_by("position", "pk")),
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("choices", queryset=Choice.objects.order_by("position", "pk"))
                ),
            ),
            Prefetch("rules", queryset=AssignmentRule.objects.order_by("name")),
        )
        .get(pk=course.pk)
    )


def topics(organization: Organization) -> QuerySet[Topic]:
    """The organization's topics by name, with how many courses cover each (course_count)."""
    return (
        Topic.objects.filter(organization=organization)
        .annotate(course_count=Count("courses", distinct=True))
        .order_by("name", "pk")
    )


def lessons(course: Course) -> QuerySet[Lesson]:
    return Lesson.objects.filter(course=course).order_by("position", "pk")


def questions(course: Course) -> QuerySet[Question]:
    return (
        Question.objects.filter(course=course)
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position", "pk")))
        .order_by("position", "pk")
    )
