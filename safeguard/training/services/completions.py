"""Completions: the one door through which a course is recorded as done, whether in Safeguard (a passed quiz),
from an LMS file, or by hand.

Recording a completion closes the person's open assignment of the course when the completion falls on or after
the assignment's window start (a completion from before the round began answers an earlier round, not this one),
asks for the assignment rules to be re-evaluated (a yearly course opens its next round), and, once a new
workforce member has no initial course left open, completes the training step of their joiner workflow, when that
workflow opened on or before the completion's day (an older completion, say from a rehire's earlier employment,
answered an earlier need: step_observed leaves the step open for the program to complete by hand).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Evidence, FileImport, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.evidence import evidence_link, evidence_upload, linkable, uuid_or_none
from safeguard.training.models import Assignment, Completion, Course, CourseKind, QuizAttempt
from safeguard.training.services.assignment_sync import request_sync
from safeguard.workforce.models import Person, WorkflowTask
from safeguard.workforce.services.tasks import step_observed

EVIDENCE_TYPE = "training.completion"
TRIGGER = "training.completion"
NOTE_MAX = 5000
REFERENCE_MAX = 200


@linkable(EVIDENCE_TYPE)
def _completion_exists(organization: Organization, target_id: str) -> bool:
    public_id = uuid_or_none(target_id)
    return public_id is not None and Completion.objects.filter(organization=organization, public_id=public_id).exists()


# ---- the rules, shared with the LMS import ---------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    """The calendar day of a moment in the installation's time zone: what window starts and due dates compare to."""
    return timezone.localtime(moment).date()


def moment_problem(completed_at: datetime, now: datetime) -> str:
    """Why a completion moment cannot be recorded, or ""."""
    if timezone.is_naive(completed_at):
        return "Give the completion time with its time zone."
    if completed_at > now:
        return f"{timezone.localtime(completed_at):%Y-%m-%d %H:%M} is in the future: give the moment it was completed."
    if completed_at < datetime.combine(EARLIEST, time.min, tzinfo=timezone.get_current_timezone()):
        return f"{timezone.localtime(completed_at):%Y-%m-%d} is before {EARLIEST:%Y}: check the date."
    return ""


def score_problem(score: int | None) -> str:
    if score is not None and not 0 <= score <= 100:
        return f"A score is a percent from 0 to 100, not {score}."
    return ""


def course_problem(course: Course) -> str:
    if course.status == Course.Status.DRAFT:
        return f"{course.title} ({course.code}) is a draft: publish it before recording completions."
    return ""


def _check(
    organization: Organization, person: Person, course: Course, completed_at: datetime, score: int | None, now: datetime
) -> None:
    errors: dict[str, str] = {}
    if person.organization_id != organization.pk:
        errors["person"] = "No such person in this organization."
    if course.organization_id != organization.pk:
        errors["course"] = "No such course in this organization."
    else:
        errors["course"] = course_problem(course)
    errors["completed_at"] = moment_problem(completed_at, now)
    errors["score"] = score_problem(score)
    ServiceError.raise_first({name: message for name, message in errors.items() if message})


def _check_links(
    organization: Organization,
    person: Person,
    course: Course,
    attempt: QuizAttempt | None,
    file_import: FileImport | None,
    evidence: Evidence | None,
) -> None:
    if attempt is not None and (attempt.person_id != person.pk or attempt.course_id != course.pk):
        raise ServiceError("That quiz attempt is another person's or another course's.", field="attempt")
    if file_import is not None and file_import.organization_id != organization.pk:
        raise ServiceError("No such file import in this organization.", field="file_import")
    if evidence is not None and (evidence.organization_id != organization.pk or evidence.is_deleted):
        raise ServiceError("No such evidence in this organization.", field="evidence")


def already_recorded(person: Person, course: Course, completed_at: datetime) -> Completion | None:
    return Completion.objects.filter(person=person, course=course, completed_at=completed_at).first()


# ---- recording -------------------------------------------------------------------------------------------------


def completion_record(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    course: Course,
    completed_at: datetime,
    source: str,
    score: int | None = None,
    attempt: QuizAttempt | None = None,
    file_import: FileImport | None = None,
    external_reference: str = "",
    evidence: Evidence | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Completion:
    """Record that `person` completed `course` at `completed_at`, and close the assignment it satisfies."""
    now = now or timezone.now()
    if source not in Completion.Source.values:
        raise ServiceError(f"{source!r} is not a completion source.", field="source")
    _check(organization, person, course, completed_at, score, now)
    _check_links(organization, person, course, attempt, file_import, evidence)
    note, external_reference = note.strip(), external_reference.strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(f"A note of at most {NOTE_MAX} characters.", field="note")
    if len(external_reference) > REFERENCE_MAX:
        raise ServiceError(f"A reference of at most {REFERENCE_MAX} characters.", field="external_reference")
    with transaction.atomic():
        # Serializes recordings for one person: the duplicate check and the assignment closing see each other.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if already_recorded(person, course, completed_at) is not None:
            raise ServiceError(
                f"{person.full_name} already has a completion of {course.code} at "
                f"{timezone.localtime(completed_at):%Y-%m-%d %H:%M}.",
                field="completed_at",
            )
        completion = Completion.objects.create(
            organization=organization,
            person=person,
            course=course,
            completed_at=completed_at,
            score=score,
            source=source,
            course_version=course.version,
            attempt=attempt,
            file_import=file_import,
            external_reference=external_reference,
            evidence=evidence,
            note=note,
            recorded_by=actor.user,
            recorded_at=now,
        )
        closed = _close_assignment(organization, actor, completion, now)
        audit_record(
            actor=actor,
            action="training.completion.recorded",
            organization=organization,
            target=completion,
            changes={
                "person": [None, person.employee_id],
                "course": [None, course.code],
                "course_version": [None, course.version],
                "completed_at": [None, completed_at],
                "score": [None, score],
                "source": [None, source],
                "attempt": [None, attempt],
                "file_import": [None, file_import],
                "external_reference": [None, external_reference],
                "evidence": [None, evidence],
                "note": [None, note],
                "assignment_closed": [None, closed],
            },
        )
        if course.kind == CourseKind.INITIAL:
            _observe_joiner_training(organization, actor, person, completion)
        request_sync(organization)
        request_evaluation_on_commit(organization, TRIGGER)
    return completion


def _close_assignment(
    organization: Organization, actor: Actor, completion: Completion, now: datetime
) -> Assignment | None:
    """Close the open assignment of the course this completion satisfies, if any."""
    assignment = (
        Assignment.objects.select_for_update()
        .filter(
            organization=organization, person=completion.person, course=completion.course, status=Assignment.Status.OPEN
        )
        .first()
    )
    day = local_day(completion.completed_at)
    if assignment is None or day < assignment.window_start:
        return None
    assignment.status = Assignment.Status.COMPLETED
    assignment.completion, assignment.completed_on, assignment.closed_at = completion, day, now
    assignment.closed_by = actor.user
    assignment.save(update_fields=["status", "completion", "completed_on", "closed_at", "closed_by"])
    audit_record(
        actor=actor,
        action="training.assignment.completed",
        organization=organization,
        target=assignment,
        changes={
            "status": [Assignment.Status.OPEN, Assignment.Status.COMPLETED],
            "completion": [None, completion],
            "completed_on": [None, day],
            "on_time": [None, day <= assignment.due_on],
        },
    )
    return assignment


def _observe_joiner_training(organization: Organization, actor: Actor, person: Person, completion: Completion) -> None:
    """A new member's training step is done once no initial course is left open for them."""
    still_open = Assignment.objects.filter(
        organization=organization, person=person, status=Assignment.Status.OPEN, course__kind=CourseKind.INITIAL
    )
    if still_open.exists():
        return
    step_observed(
        organization=organization,
        actor=actor,
        person=person,
        kind=WorkflowTask.Kind.TRAINING,
        done_at=completion.completed_at,
        note=f"Completed {completion.course.title} ({completion.course.code}) on {local_day(completion.completed_at)}.",
    )


def completion_record_by_hand(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    course: Course,
    completed_at: datetime,
    score: int | None = None,
    note: str = "",
    evidence: Evidence | None = None,
    evidence_file: UploadedFile | None = None,
    now: datetime | None = None,
) -> Completion:
    """A completion a program manager records (a class held in person, a vendor's certificate), with an optional
    file kept as evidence and linked to it."""
    now = now or timezone.now()
    if actor.user is None:
        raise ServiceError("A completion recorded by hand is recorded by a person.")
    if evidence is not None and evidence_file is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence_file")
    # Every rule is checked before the file is stored: a refusal leaves no file behind.
    _check(organization, person, course, completed_at, score, now)
    if already_recorded(person, course, completed_at) is not None:
        raise ServiceError(
            f"{person.full_name} already has a completion of {course.code} at "
            f"{timezone.localtime(completed_at):%Y-%m-%d %H:%M}.",
            field="completed_at",
        )
    with transaction.atomic():
        if evidence_file is not None:
            try:
                evidence = evidence_upload(
                    organization=organization,
                    actor=actor,
                    title=f"{course.code} completed by {person.full_name} ({person.employee_id})"[:200],
                    upload=evidence_file,
                    effective_date=local_day(completed_at),
                )
            except ServiceError as error:
                raise ServiceError(error.message, field="evidence_file") from None
        completion = completion_record(
            organization=organization,
            actor=actor,
            person=person,
            course=course,
            completed_at=completed_at,
            source=Completion.Source.MANUAL,
            score=score,
            evidence=evidence,
            note=note,
            now=now,
        )
        if evidence is not None:
            evidence_link(
                organization=organization,
                actor=actor,
                evidence=evidence,
                target=(EVIDENCE_TYPE, str(completion.public_id)),
            )
    return completion
