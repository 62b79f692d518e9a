"""Reads of a learner's journey and of completions, shared by the pages, the services and the API: where a person
stands in a course (lessons read, prerequisites, attempts left), their own training, and the completions list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Role
from safeguard.training.models import (
    Assignment,
    Completion,
    Course,
    Delivery,
    Lesson,
    LessonRead,
    Question,
    QuizAttempt,
)
from safeguard.workforce.models import Person


@dataclass(frozen=True)
class LessonMark:
    lesson: Lesson
    read: bool


@dataclass(frozen=True)
class PrerequisiteMark:
    course: Course
    met: bool


@dataclass
class CourseProgress:
    """Where one person stands in one course: what is read, what is met, and whether the quiz is open to them."""

    course: Course
    lessons: list[LessonMark]
    prerequisites: list[PrerequisiteMark]
    question_count: int
    failed_counted: int  # failed attempts counting against the limit, since the person's last completion
    open_attempt: QuizAttempt | None
    last_attempt: QuizAttempt | None  # the latest submitted one
    last_completion: Completion | None

    @property
    def all_read(self) -> bool:
        return all(mark.read for mark in self.lessons)

    @property
    def prerequisites_met(self) -> bool:
        return all(mark.met for mark in self.prerequisites)

    @property
    def attempts_left(self) -> int | None:
        """None: unlimited."""
        if not self.course.max_attempts:
            return None
        return max(self.course.max_attempts - self.failed_counted, 0)

    @property
    def locked(self) -> bool:
        return self.attempts_left == 0

    @property
    def closed_reason(self) -> str:
        """Why the quiz cannot be started now, or "" when it can."""
        course = self.course
        if course.delivery != Delivery.IN_APP:
            return "This course is taken outside Safeguard: its completions are imported or recorded by the program."
        if course.status != Course.Status.PUBLISHED:
            return "This course is no longer offered."
        if not self.question_count:
            return "This course has no quiz yet: ask the security official."
        if not self.all_read:
            return "Read every lesson first: the quiz opens once they are all marked as read."
        if not self.prerequisites_met:
            missing = ", ".join(mark.course.title for mark in self.prerequisites if not mark.met)
            return f"Complete the required courses first: {missing}."
        if self.locked:
            return (
                f"You have used all {course.max_attempts} attempts at this quiz. Ask the security official to "
                "grant more attempts."
            )
        return ""

    @property
    def quiz_open(self) -> bool:
        return not self.closed_reason


def last_completion(person: Person, course: Course) -> Completion | None:
    return Completion.objects.filter(person=person, course=course).order_by("-completed_at", "-pk").first()


def counted_failures(person: Person, course: Course, since: Completion | None) -> QuerySet[QuizAttempt]:
    """Failed attempts that count against the attempt limit: since the last completion, not cleared by a grant."""
    attempts = QuizAttempt.objects.filter(
        person=person, course=course, submitted_at__isnull=False, passed=False, counts=True
    )
    if since is not None:
        attempts = attempts.filter(submitted_at__gt=since.completed_at)
    return attempts


def course_progress(person: Person, course: Course) -> CourseProgress:
    """Seven queries, whatever the size of the course."""
    lessons = list(Lesson.objects.filter(course=course).order_by("position", "pk"))
    read = set(LessonRead.objects.filter(person=person, lesson__course=course).values_list("lesson_id", flat=True))
    prerequisites = list(course.prerequisites.order_by("title", "pk"))
    completed = set(
        Completion.objects.filter(person=person, course__in=prerequisites).values_list("course_id", flat=True)
    )
    done = last_completion(person, course)
    attempts = list(QuizAttempt.objects.filter(person=person, course=course).order_by("-number"))
    since = done.completed_at if done else None
    failed = [
        attempt
        for attempt in attempts
        if attempt.submitted_at is not None
        and attempt.passed is False
        and attempt.counts
        and (since is None or attempt.submitted_at > since)
    ]
    return CourseProgress(
        course=course,
        lessons=[LessonMark(lesson, lesson.pk in read) for lesson in lessons],
        prerequisites=[PrerequisiteMark(required, required.pk in completed) for required in prerequisites],
        question_count=Question.objects.filter(course=course).count(),
        failed_counted=len(failed),
        open_attempt=next((attempt for attempt in attempts if attempt.submitted_at is None), None),
        last_attempt=next((attempt for attempt in attempts if attempt.submitted_at is not None), None),
        last_completion=done,
    )


def attempt_questions(attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions in the order it shows them, each with `shown_choices` in its order. A question
    removed from the course since the attempt started is left out."""
    found = {
        str(question.public_id): question
        for question in Question.objects.filter(course_id=attempt.course_id).prefetch_related("choices")
    }
    questions = [found[key] for key in attempt.question_order if key in found]
    for question in questions:
        choices = {str(choice.public_id): choice for choice in question.choices.all()}
        order = attempt.choice_order.get(str(question.public_id), [])
        shown = [choices[key] for key in order if key in choices]
        shown += [choice for key, choice in choices.items() if key not in order]  # a choice added since
        question.shown_choices = shown  # type: ignore[attr-defined]
    return questions


# ---- a person's own training -----------------------------------------------------------------------------------


def open_assignments(person: Person) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(organization_id=person.organization_id, person=person, status=Assignment.Status.OPEN)
        .select_related("course")
        .order_by("due_on", "pk")
    )


def person_completions(person: Person) -> QuerySet[Completion]:
    return (
        Completion.objects.filter(organization_id=person.organization_id, person=person)
        .select_related("course")
        .order_by("-completed_at", "-pk")
    )


def started_courses(person: Person, course_ids: list[int]) -> set[int]:
    """The courses among `course_ids` the person has begun (read a lesson or started the quiz): two queries."""
    reads = LessonRead.objects.filter(person=person, lesson__course_id__in=course_ids)
    attempts = QuizAttempt.objects.filter(person=person, course_id__in=course_ids)
    return set(reads.values_list("lesson__course_id", flat=True)) | set(attempts.values_list("course_id", flat=True))


def program_contacts(organization: Organization) -> list[str]:
    """Whom a member asks about their training: the security officials, else the owners (emails)."""
    members = Membership.objects.current().filter(organization=organization).select_related("user")
    for role in (Role.SECURITY_OFFICIAL, Role.OWNER):
        emails = sorted(member.user.email for member in members if member.role == role)
        if emails:
            return emails
    return []


# ---- the completions list --------------------------------------------------------------------------------------


def completion_rows(organization: Organization) -> QuerySet[Completion]:
    return (
        Completion.objects.filter(organization=organization)
        .select_related("person", "course", "recorded_by", "attempt")
        .order_by("-completed_at", "-pk")
    )


def filter_completions(rows: QuerySet[Completion], values: dict[str, Any]) -> QuerySet[Completion]:
    """The completions list's filters, for the page and the API: course (record or id), person (text or id),
    source, and from/to as whole days in the installation's time zone."""
    if values.get("course"):
        rows = rows.filter(course=values["course"])
    if values.get("course_id"):
        rows = rows.filter(course__public_id=values["course_id"])
    if values.get("person_id"):
        rows = rows.filter(person__public_id=values["person_id"])
    text = str(values.get("person") or "").strip()
    if text:
        rows = rows.filter(
            Q(person__employee_id__iexact=text)
            | Q(person__email__icontains=text)
            | Q(person__given_name__icontains=text)
            | Q(person__family_name__icontains=text)
        )
    if values.get("source"):
        rows = rows.filter(source=values["source"])
    zone = timezone.get_current_timezone()
    since: date | None = values.get("completed_from")
    until: date | None = values.get("completed_to")
    if since is not None:
        rows = rows.filter(completed_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        rows = rows.filter(completed_at__lte=datetime.combine(until, time.max, tzinfo=zone))
    return rows


def attempt_summary(person: Person) -> list[dict[str, Any]]:
    """Per course the person attempted: attempts made, failures counting against the limit, and whether the quiz
    is locked for them. Two queries."""
    attempts = list(QuizAttempt.objects.filter(person=person).select_related("course").order_by("course_id", "number"))
    latest: dict[int, datetime] = {}
    for course_id, completed_at in Completion.objects.filter(person=person).values_list("course_id", "completed_at"):
        latest[course_id] = max(completed_at, latest.get(course_id, completed_at))
    rows: dict[int, dict[str, Any]] = {}
    for attempt in attempts:
        course = attempt.course
        row = rows.setdefault(course.pk, {"course": course, "attempts": 0, "failed_counted": 0, "locked": False})
        row["attempts"] += 1
        since = latest.get(course.pk)
        if (
            attempt.submitted_at is not None
            and attempt.passed is False
            and attempt.counts
            and (since is None or attempt.submitted_at > since)
        ):
            row["failed_counted"] += 1
    for row in rows.values():
        limit = row["course"].max_attempts
        row["locked"] = bool(limit) and row["failed_counted"] >= limit
    return sorted(rows.values(), key=lambda row: (row["course"].title.lower(), row["course"].pk))
