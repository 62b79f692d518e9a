"""The curriculum: topics and the catalog citations they serve, courses, their prerequisites, and a course's life
(draft → published → retired; only an unused draft may be deleted). Retiring cancels the course's open
assignments; it is refused while an active rule assigns the course.

Lessons and quiz questions are written in services/course_content.py; the rules both follow are in
services/quiz_rules.py.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.models import Assignment, Course, Delivery, Topic
from safeguard.training.services.assignment_sync import request_sync
from safeguard.training.services.quiz_rules import (
    ChoiceInput,
    course_problems,
    cycle_through,
    question_label,
    question_problems,
)

TRIGGER = "training.curriculum"
TOPIC_FIELDS = ("key", "name", "description", "citations")
COURSE_FIELDS = (
    "code",
    "title",
    "kind",
    "delivery",
    "summary",
    "external_url",
    "minutes",
    "pass_mark",
    "max_attempts",
    "randomize",
)
# A change to these of a course that has been published is a change to what a completion attests.
VERSIONED_FIELDS = ("pass_mark",)
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _strip(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}


def _same_org(organization: Organization, *records: Topic | Course) -> None:
    for record in records:
        if record.organization_id != organization.pk:
            kind = "topic" if isinstance(record, Topic) else "course"
            raise ServiceError(f"That {kind} is not one of this organization's.", field=f"{kind}s")


# ---- topics -------------------------------------------------------------------------------------------------------


def clean_citations(citations: Iterable[str]) -> list[str]:
    """The citations, stripped and de-duplicated in order; every one must be in the catalog."""
    cleaned: list[str] = []
    for citation in citations:
        text = str(citation).strip()
        if text and text not in cleaned:
            cleaned.append(text)
    known = set(Requirement.objects.filter(citation__in=cleaned).values_list("citation", flat=True))
    unknown = [citation for citation in cleaned if citation not in known]
    if unknown:
        names = ", ".join(f"“{citation}”" for citation in unknown)
        verb = "is not a citation" if len(unknown) == 1 else "are not citations"
        raise ServiceError(
            f"{names} {verb} of the catalog: write them as the requirements list does, e.g. 164.308(a)(5)(ii)(B).",
            field="citations",
        )
    return cleaned


def _check_topic(organization: Organization, topic: Topic) -> None:
    errors: dict[str, str] = {}
    if not KEY_PATTERN.match(topic.key):
        errors["key"] = "Give the topic a key of lowercase letters, digits, _ and -, e.g. malicious_software."
    elif len(topic.key) > 40:
        errors["key"] = "A key has at most 40 characters."
    elif Topic.objects.filter(organization=organization, key=topic.key).exclude(pk=topic.pk).exists():
        errors["key"] = f"Another topic already has the key “{topic.key}”."
    if not topic.name:
        errors["name"] = "Give the topic a name, e.g. “Phishing”."
    elif len(topic.name) > 100:
        errors["name"] = "A name has at most 100 characters."
    ServiceError.raise_first(errors)


def topic_create(
    *,
    organization: Organization,
    actor: Actor,
    key: str,
    name: str,
    description: str = "",
    citations: Sequence[str] = (),
) -> Topic:
    values = _strip({"key": key.lower(), "name": name, "description": description})
    topic = Topic(organization=organization, citations=clean_citations(citations), **values)
    with transaction.atomic():
        _check_topic(organization, topic)
        topic.save()
        audit_record(
            actor=actor,
            action="training.topic.created",
            organization=organization,
            target=topic,
            changes={name: [None, value] for name, value in snapshot(topic, TOPIC_FIELDS).items()},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return topic


def topic_update(*, organization: Organization, actor: Actor, topic: Topic, **values: Any) -> Topic:
    """Change any of key, name, description and citations; fields left out keep their value."""
    unknown = set(values) - set(TOPIC_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _same_org(organization, topic)
    values = _strip(values)
    if "key" in values:
        values["key"] = str(values["key"]).lower()
    if "citations" in values:
        values["citations"] = clean_citations(values["citations"])
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk, organization=organization)
        before = snapshot(locked, TOPIC_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        _check_topic(organization, locked)
        changes = field_changes(before, snapshot(locked, TOPIC_FIELDS))
        if changes:
            locked.save()
            audit_record(
                actor=actor, action="training.topic.updated", organization=organization, target=locked, changes=changes
            )
            request_evaluation_on_commit(organization, TRIGGER)
    return locked


# ---- courses ------------------------------------------------------------------------------------------------------


def _topic_keys(topics: Iterable[Topic]) -> list[str]:
    return sorted(topic.key for topic in topics)


def _check_course(organization: Organization, course: Course) -> None:
    errors = course_problems(course)
    if "code" not in errors:
        taken = Course.objects.filter(organization=organization, code__iexact=course.code).exclude(pk=course.pk)
        clash = taken.first()
        if clash is not None:
            errors["code"] = f"The course “{clash.title}” already has the code {clash.code}."
    ServiceError.raise_first(errors)


def course_create(
    *,
    organization: Organization,
    actor: Actor,
    code: str,
    title: str,
    kind: str,
    delivery: str = Delivery.IN_APP,
    summary: str = "",
    external_url: str = "",
    minutes: int = 10,
    pass_mark: int = 80,
    max_attempts: int = 3,
    randomize: bool = True,
    topics: Sequence[Topic] = (),
) -> Course:
    """A new course, as a draft: add its lessons and quiz (or its link, for an external course), then publish."""
    _same_org(organization, *topics)
    values = _strip(
        {
            "code": code,
            "title": title,
            "kind": kind,
            "delivery": delivery,
            "summary": summary,
            "external_url": external_url,
            "minutes": minutes,
            "pass_mark": pass_mark,
            "max_attempts": max_attempts,
            "randomize": randomize,
        }
    )
    course = Course(organization=organization, created_by=actor.user, **values)
    with transaction.atomic():
        _check_course(organization, course)
        course.save()
        course.topics.set(topics)
        changes: dict[str, list[Any]] = {name: [None, value] for name, value in snapshot(course, COURSE_FIELDS).items()}
        changes["topics"] = [None, _topic_keys(topics)]
        audit_record(
            actor=actor, action="training.course.created", organization=organization, target=course, changes=changes
        )
    return course


def lock_course(organization: Organization, course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk, organization=organization)


def version_raise(*, organization: Organization, actor: Actor, course: Course, cause: str) -> None:
    """Raise the version of a course people may already have completed: its content changed. `course` is locked by
    the caller, whose transaction this runs in; a draft has not been taken, so its version stays."""
    if course.status == Course.Status.DRAFT:
        return
    before = course.version
    course.version = before + 1
    course.updated_at = timezone.now()
    course.save(update_fields=["version", "updated_at"])
    audit_record(
        actor=actor,
        action="training.course.version_raised",
        organization=organization,
        target=course,
        changes={"version": [before, course.version], "cause": [None, cause]},
    )


def course_update(*, organization: Organization, actor: Actor, course: Course, **values: Any) -> Course:
    """Change any of the course's fields and its topics; fields left out keep their value. How a course is delivered
    changes only while it is a draft; an external course has no lessons or quiz."""
    unknown = set(values) - {*COURSE_FIELDS, "topics"}
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    topics: list[Topic] | None = list(values.pop("topics")) if "topics" in values else None
    _same_org(organization, course, *(topics or []))
    with transaction.atomic():
        locked = lock_course(organization, course)
        before = snapshot(locked, COURSE_FIELDS)
        for name, value in _strip(values).items():
            setattr(locked, name, value)
        _check_delivery_change(locked, before["delivery"])
        _check_course(organization, locked)
        changes = field_changes(before, snapshot(locked, COURSE_FIELDS))
        if topics is not None:
            old_keys, new_keys = _topic_keys(locked.topics.all()), _topic_keys(topics)
            if old_keys != new_keys:
                locked.topics.set(topics)
                changes["topics"] = [old_keys, new_keys]
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor, action="training.course.updated", organization=organization, target=locked, changes=changes
            )
            if any(name in changes for name in VERSIONED_FIELDS):
                version_raise(organization=organization, actor=actor, course=locked, cause="training.course.updated")
            if locked.status == Course.Status.PUBLISHED:
                request_evaluation_on_commit(organization, TRIGGER)
    return locked


def _check_delivery_change(course: Course, was: str) -> None:
    if course.delivery == was:
        return
    if course.status != Course.Status.DRAFT:
        raise ServiceError(
            "How a course is delivered changes only while it is a draft: create a new course instead.",
            field="delivery",
        )
    if course.delivery == Delivery.EXTERNAL:
        lessons, questions = course.lessons.count(), course.questions.count()
        if lessons or questions:
            raise ServiceError(
                f"An external course has no lessons or quiz: remove its {lessons} lesson{'s'[: lessons != 1]} and "
                f"{questions} question{'s'[: questions != 1]} first.",
                field="delivery",
            )


# ---- publishing ---------------------------------------------------------------------------------------------------


class PublishRefused(ServiceError):
    """The course is not ready: every reason is in `problems`."""

    def __init__(self, course: Course, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{course.code} cannot be published yet. " + " ".join(problems), field="status")


def publish_problems(course: Course) -> list[str]:
    """Everything that keeps the course from being published: content, quiz and prerequisites. Three queries."""
    problems: list[str] = []
    if course.delivery == Delivery.EXTERNAL:
        if not course.external_url:
            problems.append("It needs the link where people take it.")
    else:
        if not course.lessons.exists():
            problems.append("It has no lesson: add at least one.")
        questions = list(course.questions.prefetch_related("choices").order_by("position", "pk"))
        if not questions:
            problems.append("It has no quiz question: add at least one.")
        for number, question in enumerate(questions, start=1):
            choices = [ChoiceInput(c.text, c.correct) for c in question.choices.all()]
            found = question_problems(question.text, question.kind, choices)
            if found:
                reasons = " ".join(message for _, message in found)
                problems.append(f"{question_label(number, question.text)}: {reasons}")
    for prerequisite in course.prerequisites.order_by("code"):
        if prerequisite.status != Course.Status.PUBLISHED:
            problems.append(
                f"Its prerequisite {prerequisite.code} is {prerequisite.get_status_display().lower()}: publish it "
                "first, or remove it from the prerequisites."
            )
    return problems


def course_publish(*, organization: Organization, actor: Actor, course: Course, now: datetime | None = None) -> Course:
    """Offer the course to learners and to assignment rules. A retired course may be published again."""
    with transaction.atomic():
        locked = lock_course(organization, course)
        if locked.status == Course.Status.PUBLISHED:
            raise ServiceError(f"{locked.code} is already published.", field="status")
        problems = publish_problems(locked)
        if problems:
            raise PublishRefused(locked, problems)
        before = locked.status
        locked.status = Course.Status.PUBLISHED
        locked.published_at = now or timezone.now()
        locked.updated_at = locked.published_at
        locked.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=actor,
            action="training.course.published",
            organization=organization,
            target=locked,
            changes={"status": [before, locked.status], "version": [None, locked.version]},
        )
        request_sync(organization)
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


RETIRED_REASON = "Course retired"


def course_retire(*, organization: Organization, actor: Actor, course: Course, now: datetime | None = None) -> Course:
    """Stop offering the course. Refused while an active rule assigns it or a published course requires it. Its
    open assignments are cancelled ("Course retired"), each audited: nobody can take a retired course, so nobody
    stays overdue on it. Its completions stay on record."""
    with transaction.atomic():
        locked = lock_course(organization, course)
        if locked.status != Course.Status.PUBLISHED:
            raise ServiceError(
                f"Only a published course can be retired; {locked.code} is {locked.get_status_display().lower()}.",
                field="status",
            )
        _refuse_retiring_in_use(locked)
        locked.status = Course.Status.RETIRED
        locked.updated_at = now or timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        cancelled = _cancel_open_assignments(organization, actor, locked)
        audit_record(
            actor=actor,
            action="training.course.retired",
            organization=organization,
            target=locked,
            changes={
                "status": [Course.Status.PUBLISHED, Course.Status.RETIRED],
                "assignments_cancelled": [None, cancelled],
            },
        )
        request_sync(organization)
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def _refuse_retiring_in_use(course: Course) -> None:
    rules = list(course.rules.filter(active=True).order_by("name").values_list("name", flat=True))
    if rules:
        names = ", ".join(f"“{name}”" for name in rules)
        one = len(rules) == 1
        raise ServiceError(
            f"The active rule{'' if one else 's'} {names} assign{'s' if one else ''} {course.code}: switch "
            f"{'it' if one else 'them'} off, or point {'it' if one else 'them'} at another course, before retiring "
            "it.",
            field="status",
        )
    needing = list(
        course.required_by.filter(status=Course.Status.PUBLISHED).order_by("code").values_list("code", flat=True)
    )
    if needing:
        one = len(needing) == 1
        raise ServiceError(
            f"{', '.join(needing)} (published) {'requires' if one else 'require'} {course.code}: remove it from "
            f"{'its' if one else 'their'} prerequisites first.",
            field="status",
        )


def _cancel_open_assignments(organization: Organization, actor: Actor, course: Course) -> int:
    """Cancel the course's open assignments, one audit event each. `course` is locked and retired by the caller."""
    rows = list(
        Assignment.objects.select_for_update()
        .filter(organization=organization, course=course, status=Assignment.Status.OPEN)
        .order_by("pk")
    )
    for row in rows:
        row.status, row.closed_at, row.closed_by, row.close_reason = (
            Assignment.Status.CANCELLED,
            course.updated_at,
            actor.user,
            RETIRED_REASON,
        )
    Assignment.objects.bulk_update(rows, ["status", "closed_at", "closed_by", "close_reason"])
    for row in rows:
        audit_record(
            actor=actor,
            action="training.assignment.cancelled",
            organization=organization,
            target=row,
            changes={
                "status": [Assignment.Status.OPEN, Assignment.Status.CANCELLED],
                "close_reason": ["", RETIRED_REASON],
            },
        )
    return len(rows)


def delete_refusal(course: Course) -> str:
    """Why the course cannot be deleted, or "". Only a draft nobody has used goes: anything else is history."""
    if course.status != Course.Status.DRAFT:
        return "Only a draft can be deleted: retire a published course instead."
    uses = [
        (course.rules.count(), "assignment rule"),
        (course.assignments.count(), "assignment"),
        (course.completions.count(), "completion"),
        (course.attempts.count(), "quiz attempt"),
    ]
    held = [f"{n} {what}{'s'[: n != 1]}" for n, what in uses if n]
    if held:
        return f"It has {', '.join(held)}: a course in use stays on record."
    return ""


def course_delete(*, organization: Organization, actor: Actor, course: Course) -> None:
    with transaction.atomic():
        locked = lock_course(organization, course)
        refusal = delete_refusal(locked)
        if refusal:
            raise ServiceError(refusal, field="status")
        changes: dict[str, list[Any]] = {name: [value, None] for name, value in snapshot(locked, COURSE_FIELDS).items()}
        changes["lessons"] = [locked.lessons.count(), None]
        changes["questions"] = [locked.questions.count(), None]
        audit_record(
            actor=actor, action="training.course.deleted", organization=organization, target=locked, changes=changes
        )
        locked.prerequisites.clear()
        locked.required_by.clear()
        locked.delete()


# ---- prerequisites ------------------------------------------------------------------------------------------------


def prerequisite_edges(organization: Organization) -> tuple[dict[int, set[int]], dict[int, str]]:
    """The organization's prerequisite graph (course id → ids it requires) and each course's code, in one query."""
    through = Course.prerequisites.through
    rows = through.objects.filter(from_course__organization=organization).values_list(
        "from_course_id", "to_course_id", "from_course__code", "to_course__code"
    )
    graph: dict[int, set[int]] = defaultdict(set)
    codes: dict[int, str] = {}
    for source, target, source_code, target_code in rows:
        graph[source].add(target)
        codes[source], codes[target] = source_code, target_code
    return graph, codes


def course_prerequisites_set(
    *, organization: Organization, actor: Actor, course: Course, prerequisites: Sequence[Course]
) -> Course:
    """Replace the courses a person must complete before starting this one. No cycles; a published course requires
    only published courses."""
    _same_org(organization, course, *prerequisites)
    chosen = {prerequisite.pk: prerequisite for prerequisite in prerequisites}
    with transaction.atomic():
        locked = lock_course(organization, course)
        if locked.pk in chosen:
            raise ServiceError(f"{locked.code} cannot be its own prerequisite.", field="prerequisites")
        graph, codes = prerequisite_edges(organization)
        graph[locked.pk] = set(chosen)
        codes.update({pk: c.code for pk, c in chosen.items()} | {locked.pk: locked.code})
        cycle = cycle_through(graph, locked.pk)
        if cycle:
            path = " → ".join(codes[pk] for pk in cycle)
            raise ServiceError(
                f"That would make a cycle of prerequisites: {path}. Nobody could ever start these courses.",
                field="prerequisites",
            )
        if locked.status == Course.Status.PUBLISHED:
            unpublished = sorted(c.code for c in chosen.values() if c.status != Course.Status.PUBLISHED)
            if unpublished:
                raise ServiceError(
                    f"{', '.join(unpublished)} {'is' if len(unpublished) == 1 else 'are'} not published: a published "
                    "course requires only published courses.",
                    field="prerequisites",
                )
        before = sorted(locked.prerequisites.values_list("code", flat=True))
        after = sorted(c.code for c in chosen.values())
        if before != after:
            locked.prerequisites.set(list(chosen.values()))
            locked.updated_at = timezone.now()
            locked.save(update_fields=["updated_at"])
            audit_record(
                actor=actor,
                action="training.course.prerequisites_set",
                organization=organization,
                target=locked,
                changes={"prerequisites": [before, after]},
            )
    return locked
