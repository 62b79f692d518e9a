"""A course's content: its lessons (Markdown) and its quiz questions with their choices.

Each write locks the course, so positions stay 0, 1, 2… and a course that has been published gets its version
raised once per change: completions record the version they attest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import Choice, Course, Delivery, Lesson, Question
from safeguard.training.services.curriculum import lock_course, version_raise
from safeguard.training.services.quiz_rules import LIMITS, ChoiceInput, question_problems

LESSON_FIELDS = ("title", "body")
QUESTION_FIELDS = ("text", "kind", "explanation")


def _locked_course(organization: Organization, course: Course) -> Course:
    if course.organization_id != organization.pk:
        raise ServiceError("That course is not one of this organization's.")
    locked = lock_course(organization, course)
    if locked.delivery == Delivery.EXTERNAL:
        raise ServiceError(
            f"{locked.code} is an external course: people take it at its link, so it has no lessons or quiz."
        )
    return locked


def _renumber(rows: Sequence[Lesson | Question]) -> None:
    moved: list[Lesson | Question] = []
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            moved.append(row)
    lessons = [row for row in moved if isinstance(row, Lesson)]
    questions = [row for row in moved if isinstance(row, Question)]
    if lessons:
        Lesson.objects.bulk_update(lessons, ["position"])
    if questions:
        Question.objects.bulk_update(questions, ["position"])


def _new_position(position: int, count: int, what: str) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= count:
        raise ServiceError(f"Choose a position from 1 to {count}: the course has {count} {what}.", field="position")
    return position - 1


def _place(
    *,
    organization: Organization,
    actor: Actor,
    course: Course,
    row: Lesson | Question,
    siblings: list[Lesson] | list[Question],
    position: int,
) -> bool:
    """Put `row` at the 1-based `position` among its (locked course's) siblings; whether anything moved."""
    what = "lesson" if isinstance(row, Lesson) else "question"
    index = _new_position(position, len(siblings), f"{what}s")
    current = next(i for i, sibling in enumerate(siblings) if sibling.pk == row.pk)
    if index == current:
        return False
    ordered: list[Lesson | Question] = list(siblings)
    ordered.insert(index, ordered.pop(current))
    _renumber(ordered)
    row.position = index
    audit_record(
        actor=actor,
        action=f"training.{what}.moved",
        organization=organization,
        target=row,
        changes={"position": [current + 1, index + 1]},
    )
    return True


def _keeps_one(course: Course, remaining: int, what: str) -> None:
    if course.status != Course.Status.DRAFT and remaining == 0:
        raise ServiceError(
            f"{course.code} has been published, so it keeps at least one {what}: add another before removing this "
            "one, or retire the course.",
            field="status",
        )


# ---- lessons ------------------------------------------------------------------------------------------------------


def _check_lesson(lesson: Lesson) -> None:
    errors: dict[str, str] = {}
    if not lesson.title:
        errors["title"] = "Give the lesson a title."
    elif len(lesson.title) > LIMITS["lesson_title"]:
        errors["title"] = f"A title has at most {LIMITS['lesson_title']} characters."
    if not lesson.body.strip():
        errors["body"] = "Write the lesson: its body is empty."
    elif len(lesson.body) > LIMITS["body"]:
        errors["body"] = f"A lesson has at most {LIMITS['body']:,} characters: split it in two."
    ServiceError.raise_first(errors)


def lesson_create(*, organization: Organization, actor: Actor, course: Course, title: str, body: str) -> Lesson:
    """Add a lesson at the end of the course."""
    with transaction.atomic():
        locked = _locked_course(organization, course)
        lesson = Lesson(
            organization=organization,
            course=locked,
            position=locked.lessons.count(),
            title=title.strip(),
            body=body,
        )
        _check_lesson(lesson)
        lesson.save()
        audit_record(
            actor=actor,
            action="training.lesson.created",
            organization=organization,
            target=lesson,
            changes={"course": [None, locked.code], "title": [None, lesson.title], "body": [None, lesson.body]},
        )
        version_raise(organization=organization, actor=actor, course=locked, cause="training.lesson.created")
    return lesson


def _locked_lesson(organization: Organization, lesson: Lesson) -> tuple[Course, Lesson]:
    course = _locked_course(organization, lesson.course)
    return course, Lesson.objects.get(pk=lesson.pk, course=course)


def lesson_update(*, organization: Organization, actor: Actor, lesson: Lesson, **values: Any) -> Lesson:
    """Change the title or body, or move the lesson to `position` (1 for first); fields left out keep their value."""
    unknown = set(values) - {*LESSON_FIELDS, "position"}
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        course, locked = _locked_lesson(organization, lesson)
        before = snapshot(locked, LESSON_FIELDS)
        if "title" in values:
            locked.title = str(values["title"]).strip()
        if "body" in values:
            locked.body = str(values["body"])
        _check_lesson(locked)
        changes = field_changes(before, snapshot(locked, LESSON_FIELDS))
        if changes:
            locked.save(update_fields=list(changes))
            audit_record(
                actor=actor, action="training.lesson.updated", organization=organization, target=locked, changes=changes
            )
        moved = "position" in values and _place(
            organization=organization,
            actor=actor,
            course=course,
            row=locked,
            siblings=list(course.lessons.order_by("position", "pk")),
            position=values["position"],
        )
        if changes or moved:
            cause = "training.lesson.updated" if changes else "training.lesson.moved"
            version_raise(organization=organization, actor=actor, course=course, cause=cause)
    return locked


def lesson_move(*, organization: Organization, actor: Actor, lesson: Lesson, position: int) -> Lesson:
    """Put the lesson at `position` (1 for first); the others keep their order around it."""
    return lesson_update(organization=organization, actor=actor, lesson=lesson, position=position)


def lesson_delete(*, organization: Organization, actor: Actor, lesson: Lesson) -> None:
    with transaction.atomic():
        course, locked = _locked_lesson(organization, lesson)
        others = list(course.lessons.exclude(pk=locked.pk).order_by("position", "pk"))
        _keeps_one(course, len(others), "lesson")
        audit_record(
            actor=actor,
            action="training.lesson.deleted",
            organization=organization,
            target=locked,
            changes={"course": [course.code, None], "title": [locked.title, None], "body": [locked.body, None]},
        )
        locked.delete()
        _renumber(others)
        version_raise(organization=organization, actor=actor, course=course, cause="training.lesson.deleted")


# ---- questions ----------------------------------------------------------------------------------------------------


def _choices_record(choices: Sequence[Choice] | Sequence[ChoiceInput]) -> list[dict[str, object]]:
    return [{"text": choice.text, "correct": choice.correct} for choice in choices]


def _check_question(text: str, kind: str, explanation: str, choices: Sequence[ChoiceInput]) -> None:
    problems = question_problems(text, kind, choices)
    if len(explanation) > LIMITS["text"]:
        problems.append(("explanation", f"An explanation has at most {LIMITS['text']} characters."))
    if problems:
        raise ServiceError(" ".join(message for _, message in problems), field=problems[0][0])


def _clean_choices(choices: Sequence[ChoiceInput]) -> list[ChoiceInput]:
    return [ChoiceInput(choice.text.strip(), bool(choice.correct), choice.public_id) for choice in choices]


def question_create(
    *,
    organization: Organization,
    actor: Actor,
    course: Course,
    text: str,
    kind: str,
    choices: Sequence[ChoiceInput],
    explanation: str = "",
) -> Question:
    """Add a question at the end of the course's quiz, with its choices in the order given."""
    text, explanation, cleaned = text.strip(), explanation.strip(), _clean_choices(choices)
    _check_question(text, kind, explanation, cleaned)
    with transaction.atomic():
        locked = _locked_course(organization, course)
        question = Question.objects.create(
            organization=organization,
            course=locked,
            position=locked.questions.count(),
            text=text,
            kind=kind,
            explanation=explanation,
        )
        Choice.objects.bulk_create(
            Choice(question=question, position=n, text=c.text, correct=c.correct) for n, c in enumerate(cleaned)
        )
        audit_record(
            actor=actor,
            action="training.question.created",
            organization=organization,
            target=question,
            changes={
                "course": [None, locked.code],
                **{name: [None, value] for name, value in snapshot(question, QUESTION_FIELDS).items()},
                "choices": [None, _choices_record(cleaned)],
            },
        )
        version_raise(organization=organization, actor=actor, course=locked, cause="training.question.created")
    return question


def _locked_question(organization: Organization, question: Question) -> tuple[Course, Question]:
    course = _locked_course(organization, question.course)
    return course, Question.objects.prefetch_related("choices").get(pk=question.pk, course=course)


def _replace_choices(question: Question, wanted: Sequence[ChoiceInput]) -> None:
    """Keep the choices named by public id (so past answers still point at them), add the new, drop the rest."""
    existing = {choice.public_id: choice for choice in question.choices.all()}
    kept: list[Choice] = []
    for position, choice in enumerate(wanted):
        if choice.public_id is None:
            kept.append(Choice(question=question, position=position, text=choice.text, correct=choice.correct))
            continue
        found = existing.pop(choice.public_id, None)
        if found is None:
            raise ServiceError(f"Choice {position + 1} is not one of this question's choices.", field="choices")
        found.position, found.text, found.correct = position, choice.text, choice.correct
        kept.append(found)
    Choice.objects.filter(pk__in=[choice.pk for choice in existing.values()]).delete()
    Choice.objects.bulk_update([choice for choice in kept if choice.pk], ["position", "text", "correct"])
    Choice.objects.bulk_create([choice for choice in kept if not choice.pk])


def question_update(*, organization: Organization, actor: Actor, question: Question, **values: Any) -> Question:
    """Change the text, kind, explanation or choices, or move the question to `position` (1 for first); fields left
    out keep their value. Choices given replace the question's: a choice carrying the public id of an existing one
    updates it, so past answers that picked it still point at it."""
    unknown = set(values) - {*QUESTION_FIELDS, "choices", "position"}
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        course, locked = _locked_question(organization, question)
        before = snapshot(locked, QUESTION_FIELDS)
        old_choices = list(locked.choices.all())
        for name in QUESTION_FIELDS:
            if name in values:
                setattr(locked, name, str(values[name]).strip())
        wanted = (
            _clean_choices(values["choices"])
            if "choices" in values
            else [ChoiceInput(c.text, c.correct, c.public_id) for c in old_choices]
        )
        _check_question(locked.text, locked.kind, locked.explanation, wanted)
        changes = field_changes(before, snapshot(locked, QUESTION_FIELDS))
        old_record, new_record = _choices_record(old_choices), _choices_record(wanted)
        ids_changed = [c.public_id for c in wanted] != [c.public_id for c in old_choices]
        if old_record != new_record or ids_changed:
            _replace_choices(locked, wanted)
            if old_record != new_record:
                changes["choices"] = [old_record, new_record]
        if changes:
            fields = [name for name in QUESTION_FIELDS if name in changes]
            if fields:
                locked.save(update_fields=fields)
            audit_record(
                actor=actor,
                action="training.question.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
        moved = "position" in values and _place(
            organization=organization,
            actor=actor,
            course=course,
            row=locked,
            siblings=list(course.questions.order_by("position", "pk")),
            position=values["position"],
        )
        if changes or moved:
            cause = "training.question.updated" if changes else "training.question.moved"
            version_raise(organization=organization, actor=actor, course=course, cause=cause)
    return locked


def question_move(*, organization: Organization, actor: Actor, question: Question, position: int) -> Question:
    """Put the question at `position` (1 for first). Randomized quizzes shuffle anyway; this is the written order."""
    return question_update(organization=organization, actor=actor, question=question, position=position)


def question_delete(*, organization: Organization, actor: Actor, question: Question) -> None:
    """Past answers keep the question's text (AttemptAnswer.question_text); the question itself goes."""
    with transaction.atomic():
        course, locked = _locked_question(organization, question)
        others = list(course.questions.exclude(pk=locked.pk).order_by("position", "pk"))
        _keeps_one(course, len(others), "quiz question")
        audit_record(
            actor=actor,
            action="training.question.deleted",
            organization=organization,
            target=locked,
            changes={
                "course": [course.code, None],
                **{name: [value, None] for name, value in snapshot(locked, QUESTION_FIELDS).items()},
                "choices": [_choices_record(list(locked.choices.all())), None],
            },
        )
        locked.delete()
        _renumber(others)
        version_raise(organization=organization, actor=actor, course=course, cause="training.question.deleted")
