"""completion_record, the one door for completions: what it refuses (nothing written), the assignment it closes
(and the window start's edge), the joiner's training step, the re-evaluation it asks for, and recording by hand
with an evidence file."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.core.models import Evidence, EvidenceLink
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import Assignment, Completion, Course, CourseKind
from safeguard.training.services import completions as services
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_completions_support import actor, audit_count, events, learner, moment

NOW = moment("2026-03-10 12:00")


def record(cast: Cast, who: Person, course: Course, at: datetime, **values: Any) -> Completion:
    values.setdefault("source", Completion.Source.MANUAL)
    return services.completion_record(
        organization=cast.org, actor=actor(cast.official), person=who, course=course, completed_at=at, now=NOW, **values
    )


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    asked: list[object] = []
    monkeypatch.setattr(services, "request_sync", asked.append)
    return asked


def test_a_completion_is_recorded_with_the_course_version_and_audited(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", version=4)

    completion = record(cast, who, course, moment("2026-03-09 15:30"), score=92, note=" Classroom ")

    assert (completion.course_version, completion.score, completion.note, completion.recorded_by) == (
        4,
        92,
        "Classroom",
        cast.official,
    )
    event = events("training.completion.recorded")[-1]
    assert event.changes["course"] == [None, "SEC-1"]
    assert event.changes["person"] == [None, "E-1"]
    assert event.changes["score"] == [None, 92]
    assert event.changes["assignment_closed"] == [None, None]
    assert syncs == [cast.org]


def test_it_closes_the_open_assignment_of_that_course(cast: Cast, syncs: list[object]) -> None:
    who, other = learner(cast), make.person(cast.org, "E-2")
    course, unrelated = make.course(cast.org, "SEC-1"), make.course(cast.org, "SEC-2")
    mine = make.assignment(who, course, due_on=date(2026, 3, 31), window_start=date(2026, 3, 1))
    elsewhere = make.assignment(who, unrelated, due_on=date(2026, 3, 31), window_start=date(2026, 3, 1))
    theirs = make.assignment(other, course, due_on=date(2026, 3, 31), window_start=date(2026, 3, 1))

    completion = record(cast, who, course, moment("2026-03-09 15:30"))

    mine.refresh_from_db()
    assert (mine.status, mine.completion, mine.completed_on, mine.closed_at) == (
        Assignment.Status.COMPLETED,
        completion,
        date(2026, 3, 9),
        NOW,
    )
    assert Assignment.objects.get(pk=elsewhere.pk).status == Assignment.Status.OPEN
    assert Assignment.objects.get(pk=theirs.pk).status == Assignment.Status.OPEN
    closed = events("training.assignment.completed")[-1]
    assert closed.object_id == str(mine.public_id)
    assert closed.changes["on_time"] == [None, True]


@pytest.mark.parametrize(("when", "closes"), [("2026-02-28 23:59", False), ("2026-03-01 00:00", True)])
def test_the_window_start_edge(cast: Cast, syncs: list[object], when: str, closes: bool) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    assignment = make.assignment(who, course, due_on=date(2026, 3, 31), window_start=date(2026, 3, 1))

    completion = record(cast, who, course, moment(when))

    assignment.refresh_from_db()
    assert (assignment.status == Assignment.Status.COMPLETED) is closes
    assert Completion.objects.filter(pk=completion.pk).exists()


def test_the_local_day_decides_not_the_utc_day(cast: Cast, syncs: list[object], settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    assignment = make.assignment(who, course, due_on=date(2026, 3, 31), window_start=date(2026, 3, 2))
    # 01:00 UTC on the 2nd is still the evening of the 1st in New York: the day before the window.
    evening = datetime(2026, 3, 1, 20, 0, tzinfo=ZoneInfo("America/New_York"))

    record(cast, who, course, evening)

    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.OPEN


def test_a_late_completion_closes_the_assignment_as_late(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    make.assignment(who, course, due_on=date(2026, 3, 5), window_start=date(2026, 1, 1))

    record(cast, who, course, moment("2026-03-06 09:00"))

    assert events("training.assignment.completed")[-1].changes["on_time"] == [None, False]


def refused(cast: Cast, who: Person, course: Course, at: datetime, field: str, text: str, **values: Any) -> None:
    before = audit_count()
    with pytest.raises(ServiceError, match=text) as error:
        record(cast, who, course, at, **values)
    assert error.value.field == field
    assert not Completion.objects.exists()
    assert audit_count() == before


def test_refusals_write_nothing(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    refused(cast, who, course, NOW + timedelta(minutes=1), "completed_at", "is in the future")
    refused(cast, who, course, moment("1989-12-31 12:00"), "completed_at", "before 1990")
    refused(cast, who, course, datetime(2026, 3, 1, 12, 0), "completed_at", "with its time zone")  # noqa: DTZ001
    refused(cast, who, course, NOW, "score", "from 0 to 100, not 101", score=101)
    refused(cast, who, course, NOW, "score", "not -1", score=-1)
    refused(cast, who, course, NOW, "source", "not a completion source", source="guess")
    draft = make.course(cast.org, "SEC-9", status=Course.Status.DRAFT, title="Draft one")
    refused(cast, who, draft, NOW, "course", "Draft one .SEC-9. is a draft")
    refused(cast, make.person(cast.other_org, "X-1"), course, NOW, "person", "No such person")
    refused(cast, who, make.course(cast.other_org, "SEC-1"), NOW, "course", "No such course")
    assert syncs == []


def test_a_retired_course_still_takes_completions(cast: Cast, syncs: list[object]) -> None:
    course = make.course(cast.org, "SEC-1", status=Course.Status.RETIRED)

    assert record(cast, learner(cast), course, NOW).pk


def test_the_same_person_course_and_moment_twice_is_refused(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    record(cast, who, course, moment("2026-03-09 15:30"))
    before = audit_count()

    with pytest.raises(ServiceError, match="Nora Nurse already has a completion of SEC-1 at 2026-03-09 15:30"):
        record(cast, who, course, moment("2026-03-09 15:30"))
    assert Completion.objects.count() == 1
    assert audit_count() == before


def joiner_training_task(who: Person, opened_at: datetime | None = None) -> WorkflowTask:
    workflow = Workflow.objects.create(
        organization=who.organization,
        person=who,
        kind=Workflow.Kind.JOINER,
        trigger="t",
        opened_at=opened_at or moment("2026-03-01 08:00"),
    )
    return WorkflowTask.objects.create(
        organization=who.organization, workflow=workflow, kind=WorkflowTask.Kind.TRAINING, title="Training"
    )


def test_the_last_initial_course_completes_the_joiner_training_step(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    task = joiner_training_task(who)
    first = make.course(cast.org, "INIT-1", kind=CourseKind.INITIAL)
    second = make.course(cast.org, "INIT-2", kind=CourseKind.INITIAL)
    make.assignment(who, first, due_on=date(2026, 3, 31), window_start=date(2026, 3, 1))
    make.assignment(who, second, due_on=date(2026, 3, 31), window_start=date(2026, 3, 1))

    record(cast, who, first, moment("2026-03-05 10:00"))
    assert WorkflowTask.objects.get(pk=task.pk).status == WorkflowTask.Status.OPEN

    record(cast, who, second, moment("2026-03-06 10:00"))
    task.refresh_from_db()
    assert (task.status, task.effective_at) == (WorkflowTask.Status.DONE, moment("2026-03-06 10:00"))
    assert "INIT-2" in task.note


def test_another_kind_of_course_leaves_the_joiner_step_open(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    task = joiner_training_task(who)

    record(cast, who, make.course(cast.org, "SEC-1", kind=CourseKind.ANNUAL), NOW)

    assert WorkflowTask.objects.get(pk=task.pk).status == WorkflowTask.Status.OPEN


def pdf(name: str = "sheet.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 sign-in sheet", content_type="application/pdf")


def test_by_hand_with_a_file_keeps_it_as_evidence_linked_to_the_completion(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")

    completion = services.completion_record_by_hand(
        organization=cast.org,
        actor=actor(cast.official),
        person=who,
        course=course,
        completed_at=moment("2026-03-09 15:30"),
        score=None,
        note="Classroom",
        evidence_file=pdf(),
        now=NOW,
    )

    assert completion.source == Completion.Source.MANUAL
    evidence = Evidence.objects.get()
    assert completion.evidence == evidence
    assert evidence.effective_date == date(2026, 3, 9)
    link = EvidenceLink.objects.get(evidence=evidence)
    assert (link.target_type, link.target_id) == ("training.completion", str(completion.public_id))


def test_by_hand_a_refusal_stores_no_file(cast: Cast, syncs: list[object]) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")

    with pytest.raises(ServiceError, match="in the future"):
        services.completion_record_by_hand(
            organization=cast.org,
            actor=actor(cast.official),
            person=who,
            course=course,
            completed_at=NOW + timedelta(days=1),
            evidence_file=pdf(),
            now=NOW,
        )
    assert not Evidence.objects.exists()
    assert not Completion.objects.exists()


def test_by_hand_a_bad_file_is_named_on_the_file_field(cast: Cast, syncs: list[object]) -> None:
    bad = SimpleUploadedFile("sheet.pdf", b"not a pdf", content_type="application/pdf")

    with pytest.raises(ServiceError) as error:
        services.completion_record_by_hand(
            organization=cast.org,
            actor=actor(cast.official),
            person=learner(cast),
            course=make.course(cast.org, "SEC-1"),
            completed_at=NOW,
            evidence_file=bad,
            now=NOW,
        )
    assert error.value.field == "evidence_file"
    assert not Completion.objects.exists()
