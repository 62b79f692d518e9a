"""Completion pages, program side: the list (filters, isolation, flat query count), one completion, recording one
by hand, the LMS upload page, a person's completions and attempts with granting more attempts; every page's
authorization matrix, with nothing changed and no audit event on denial."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import Evidence, FileImport, User
from safeguard.core.roles import Role
from safeguard.core.services import file_imports
from safeguard.training.models import Completion, Course, QuizAttempt
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_training_completions_support import audit_count, events, learner, moment

BASE = "/o/clinic/training/completions/"
DENIED = [("workforce", 403), ("outsider", 404), ("anonymous", 302)]
READERS = [("owner", 200), ("auditor", 200), ("manager", 200), *DENIED]
WRITERS = [("official", 302), ("auditor", 403), ("manager", 403), *DENIED]


def user(cast: Cast, who: str) -> User | None:
    if who == "manager":
        return make_member(cast.org, "manager@clinic.test", Role.MANAGER).user
    return None if who == "anonymous" else getattr(cast, who)


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    make.completion(learner(cast), make.course(cast.org, "SEC-1"))
    make.completion(make.person(cast.other_org, "X-1"), make.course(cast.other_org, "THEIRS"))

    response = client_for(user(cast, who)).get(BASE)

    assert response.status_code == expected
    if expected == 200:
        assert [c.course.code for c in response.context["page"].object_list] == ["SEC-1"]


def test_list_filters(cast: Cast) -> None:
    nora, cal = learner(cast), make.person(cast.org, "E-2", name="Cal Clerk")
    one, two = make.course(cast.org, "SEC-1"), make.course(cast.org, "SEC-2")
    make.completion(nora, one, at=moment("2026-01-10 10:00"))
    make.completion(cal, one, at=moment("2026-02-10 10:00"), source=Completion.Source.IMPORT)
    make.completion(cal, two, at=moment("2026-03-01 10:00"))
    client = client_for(cast.owner)

    def codes(**query: str) -> list[str]:
        page = client.get(BASE, query).context["page"]
        return [f"{c.person.employee_id}:{c.course.code}" for c in page.object_list]

    assert codes() == ["E-2:SEC-2", "E-2:SEC-1", "E-1:SEC-1"]
    assert codes(course=str(one.public_id)) == ["E-2:SEC-1", "E-1:SEC-1"]
    assert codes(person="clerk") == ["E-2:SEC-2", "E-2:SEC-1"]
    assert codes(person="E-1") == ["E-1:SEC-1"]
    assert codes(source="import") == ["E-2:SEC-1"]
    assert codes(completed_from="2026-02-10", completed_to="2026-02-28") == ["E-2:SEC-1"]


def test_list_query_count_does_not_grow(cast: Cast) -> None:
    client = client_for(cast.owner)

    def add(n: int) -> None:
        for _ in range(n):
            count = Completion.objects.count()
            make.completion(
                make.person(cast.org, f"E-{count}"), make.course(cast.org, f"C-{count}", lessons=0, quiz=[])
            )

    add(3)
    client.get(BASE)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BASE).status_code == 200
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(BASE).status_code == 200

    assert len(many) == len(few)


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    done = make.completion(learner(cast), make.course(cast.org, "SEC-1"), external_reference="LMS-7")

    response = client_for(user(cast, who)).get(f"{BASE}{done.public_id}/")

    assert response.status_code == expected
    if expected == 200:
        assert "LMS-7" in response.content.decode()


def test_detail_of_another_organizations_completion_is_not_found(cast: Cast) -> None:
    theirs = make.completion(make.person(cast.other_org, "X-1"), make.course(cast.other_org, "SEC-1"))

    assert client_for(cast.owner).get(f"{BASE}{theirs.public_id}/").status_code == 404


def record_form(course: Course, **values: Any) -> dict[str, Any]:
    data = {"person": "E-1", "course": str(course.public_id), "completed_at": "2026-01-15T09:30", "score": "88"}
    data.update(values)
    return data


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_record_by_hand_matrix(cast: Cast, who: str, expected: int) -> None:
    learner(cast)
    course = make.course(cast.org, "SEC-1")
    before = audit_count()

    response = client_for(user(cast, who)).post(f"{BASE}new/", record_form(course))

    assert response.status_code == expected
    if who == "official":
        completion = Completion.objects.get()
        assert response["Location"] == f"{BASE}{completion.public_id}/"
        assert (completion.source, completion.score, completion.recorded_by) == ("manual", 88, cast.official)
        assert completion.completed_at == moment("2026-01-15 09:30")
        assert events("training.completion.recorded")[-1].actor == cast.official
    else:
        assert not Completion.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"person": "E-404"}, "person", "No one on the roster has the employee id or email “E-404”."),
        ({"score": "101"}, "score", "A score is a percent from 0 to 100, not 101."),
        ({"completed_at": "2099-01-01T10:00"}, "completed_at", "is in the future"),
    ],
)
def test_record_by_hand_bad_input_is_shown_and_nothing_is_written(
    cast: Cast, values: dict[str, str], field: str, message: str
) -> None:
    learner(cast)
    course = make.course(cast.org, "SEC-1")
    before = audit_count()

    response = client_for(cast.official).post(f"{BASE}new/", record_form(course, **values))

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Completion.objects.exists()
    assert audit_count() == before


def test_a_draft_course_is_not_offered(cast: Cast) -> None:
    learner(cast)
    draft = make.course(cast.org, "DRAFT", status=Course.Status.DRAFT)

    response = client_for(cast.official).post(f"{BASE}new/", record_form(draft))

    assert "course" in response.context["form"].errors
    assert not Completion.objects.exists()


def test_record_by_hand_with_an_evidence_file(cast: Cast) -> None:
    learner(cast)
    course = make.course(cast.org, "SEC-1")
    sheet = SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 sign-in", content_type="application/pdf")

    response = client_for(cast.official).post(f"{BASE}new/", record_form(course, evidence_file=sheet))

    assert response.status_code == 302
    assert Completion.objects.get().evidence == Evidence.objects.get()


# ---- the LMS upload page -----------------------------------------------------------------------------------------

FILE = "Employee ID,Course,Completed at,Passed\nE-1,SEC-1,2025-06-01,yes\nE-1,SEC-1,2025-06-02,no\n"


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_upload_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    upload = SimpleUploadedFile("lms.csv", FILE.encode(), content_type="text/csv")

    response = client_for(user(cast, who)).post(f"{BASE}import/", {"file": upload})

    assert response.status_code == expected
    if who == "official":
        job = FileImport.objects.get()
        assert (job.kind, job.mapping) == (
            "training_completions",
            {"employee_id": "Employee ID", "course": "Course", "completed_at": "Completed at", "passed": "Passed"},
        )
        assert response["Location"] == f"/o/clinic/file-imports/{job.public_id}/"
    else:
        assert not FileImport.objects.exists()
        assert audit_count() == before


def test_the_import_page_says_rows_not_passed_are_skipped(cast: Cast) -> None:
    learner(cast)
    make.course(cast.org, "SEC-1")
    upload = SimpleUploadedFile("lms.csv", FILE.encode(), content_type="text/csv")
    assert "Rows marked not passed are not imported" in client_for(cast.official).get(f"{BASE}import/").content.decode()
    job = file_imports.import_start(
        organization=cast.org, actor=Actor(user=cast.official), kind="training_completions", upload=upload
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.official), job=job, mapping=job.mapping)

    text = client_for(cast.official).get(f"/o/clinic/file-imports/{job.public_id}/").content.decode()

    assert "Not passed (skipped): <strong>1</strong>" in text
    assert "Skipped: not passed" in text and "Rows marked not passed are not" in text


# ---- a person's completions and attempts ---------------------------------------------------------------------------


def locked_out(cast: Cast) -> tuple[Any, Course]:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1", max_attempts=1)
    QuizAttempt.objects.create(
        organization=cast.org,
        person=me,
        course=course,
        user=cast.workforce,
        number=1,
        submitted_at=timezone.now() - timedelta(hours=1),
        score=0,
        passed=False,
    )
    return me, course


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_person_page_matrix(cast: Cast, who: str, expected: int) -> None:
    me, _ = locked_out(cast)
    viewer = user(cast, who)

    response = client_for(viewer).get(f"{BASE}people/{me.public_id}/")

    assert response.status_code == expected
    if expected == 200:
        [row] = response.context["attempts"]
        assert (row["attempts"], row["failed_counted"], row["locked"]) == (1, 1, True)
        assert ("Grant more attempts" in response.content.decode()) is (who == "owner")


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_grant_matrix(cast: Cast, who: str, expected: int) -> None:
    me, course = locked_out(cast)
    before = audit_count()

    response = client_for(user(cast, who)).post(
        f"{BASE}people/{me.public_id}/courses/{course.public_id}/grant-attempts/"
    )

    assert response.status_code == expected
    counts = QuizAttempt.objects.get().counts
    if who == "official":
        assert response["Location"] == f"{BASE}people/{me.public_id}/"
        assert counts is False
        assert events("training.attempts.granted")[-1].actor == cast.official
    else:
        assert counts is True
        assert audit_count() == before


def test_grant_for_another_organizations_person_or_course_is_not_found(cast: Cast) -> None:
    me, course = locked_out(cast)
    their_person, their_course = make.person(cast.other_org, "X-1"), make.course(cast.other_org, "SEC-1")
    client = client_for(cast.official)

    assert (
        client.post(f"{BASE}people/{their_person.public_id}/courses/{course.public_id}/grant-attempts/").status_code
        == 404
    )
    assert (
        client.post(f"{BASE}people/{me.public_id}/courses/{their_course.public_id}/grant-attempts/").status_code == 404
    )
    assert client.get(f"{BASE}people/{their_person.public_id}/").status_code == 404
    assert QuizAttempt.objects.get().counts is True


def test_grant_with_nothing_to_clear_says_so(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1")

    response = client_for(cast.official).post(
        f"{BASE}people/{me.public_id}/courses/{course.public_id}/grant-attempts/", follow=True
    )

    assert "Nora Nurse has no failed attempts at SEC-1 to clear." in response.content.decode()
