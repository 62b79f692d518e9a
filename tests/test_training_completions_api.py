"""Completions over the API: the list (filters, isolation, flat query count), recording by hand, one completion,
certificates, the LMS upload, granting attempts and the caller's own training; every endpoint's authorization
matrix, with nothing changed and no audit event on denial."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.models import Evidence, EvidenceLink, FileImport
from safeguard.training.models import Completion, Course, QuizAttempt
from tests import training_factories as make
from tests.conftest import Cast, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_training_completions_support import learner, moment

ORG = "/api/v1/orgs/clinic/training"
LIST = f"{ORG}/completions/"
MINE = f"{ORG}/me/completions/"
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
WRITERS = [("official", None), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    done = make.completion(learner(cast), make.course(cast.org, "SEC-1"), score=80, external_reference="LMS-1")
    make.completion(make.person(cast.other_org, "X-1"), make.course(cast.other_org, "THEIRS"))

    response = client_as(cast, who).get(LIST)

    assert response.status_code == expected
    if expected == 200:
        [row] = response.json()["results"]
        assert row["public_id"] == str(done.public_id)
        assert row["person"] == {"public_id": str(done.person.public_id), "employee_id": "E-1", "name": "Nora Nurse"}
        assert (row["course"]["code"], row["score"], row["source"], row["external_reference"]) == (
            "SEC-1",
            80,
            "manual",
            "LMS-1",
        )
        assert row["certificate"] == f"{LIST}{done.public_id}/certificate"


def test_list_filters(cast: Cast) -> None:
    nora, cal = learner(cast), make.person(cast.org, "E-2", name="Cal Clerk")
    one, two = make.course(cast.org, "SEC-1"), make.course(cast.org, "SEC-2")
    make.completion(nora, one, at=moment("2026-01-10 10:00"))
    make.completion(cal, one, at=moment("2026-02-10 10:00"), source=Completion.Source.IMPORT)
    make.completion(cal, two, at=moment("2026-03-01 10:00"))
    client = api_client(cast.owner)

    def found(**query: str) -> list[str]:
        rows = client.get(LIST, query).json()["results"]
        return [f"{row['person']['employee_id']}:{row['course']['code']}" for row in rows]

    assert found(course_id=str(one.public_id)) == ["E-2:SEC-1", "E-1:SEC-1"]
    assert found(person_id=str(nora.public_id)) == ["E-1:SEC-1"]
    assert found(person="clerk", source="manual") == ["E-2:SEC-2"]
    assert found(completed_from="2026-02-01", completed_to="2026-02-28") == ["E-2:SEC-1"]
    bad = client.get(LIST, {"course_id": "nope"})
    assert bad.status_code == 400
    assert "course_id" in error_of(bad)["fields"]


def test_list_query_count_does_not_grow(cast: Cast) -> None:
    client = api_client(cast.owner)

    def add(n: int) -> None:
        for _ in range(n):
            count = Completion.objects.count()
            make.completion(
                make.person(cast.org, f"E-{count}"), make.course(cast.org, f"C-{count}", lessons=0, quiz=[])
            )

    add(3)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200

    assert len(many) == len(few)


def body(person: Any, course: Course, **values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "person_id": str(person.public_id),
        "course_id": str(course.public_id),
        "completed_at": "2026-01-15T09:30:00-05:00",
        "score": 88,
        "note": "Classroom",
    }
    data.update(values)
    return data


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_record_matrix(cast: Cast, who: str, expected: int | None) -> None:
    course = make.course(cast.org, "SEC-1")
    data = body(learner(cast), course)
    before = audit_count()

    response = client_as(cast, who).post(LIST, data, format="json")

    if expected is None:
        assert response.status_code == 201
        completion = Completion.objects.get()
        assert response.json()["public_id"] == str(completion.public_id)
        assert (completion.source, completion.score, completion.recorded_by) == ("manual", 88, cast.official)
        assert completion.completed_at == moment("2026-01-15 14:30")  # -05:00 read as such; UTC zone here
    else:
        assert response.status_code == expected
        assert not Completion.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"completed_at": "2026-01-15T09:30:00"}, "completed_at", "Give the time with its UTC offset"),
        ({"score": 101}, "score", "A score is a percent from 0 to 100, not 101."),
        ({"completed_at": "2099-01-15T09:30:00Z"}, "completed_at", "is in the future"),
    ],
)
def test_record_bad_input(cast: Cast, values: dict[str, Any], field: str, message: str) -> None:
    course = make.course(cast.org, "SEC-1")
    before = audit_count()

    response = api_client(cast.official).post(LIST, body(learner(cast), course, **values), format="json")

    assert response.status_code == 400
    assert message in error_of(response)["fields"][field][0]
    assert not Completion.objects.exists()
    assert audit_count() == before


def test_record_names_records_of_another_organization_as_bad_input(cast: Cast) -> None:
    me, course = learner(cast), make.course(cast.org, "SEC-1")
    client = api_client(cast.official)

    person = client.post(LIST, body(make.person(cast.other_org, "X-1"), course), format="json")
    other_course = client.post(LIST, body(me, make.course(cast.other_org, "SEC-1")), format="json")

    assert error_of(person)["fields"] == {"person_id": ["No such person in this organization."]}
    assert error_of(other_course)["fields"] == {"course_id": ["No such course in this organization."]}
    assert not Completion.objects.exists()


def test_record_refuses_a_draft_and_a_duplicate(cast: Cast) -> None:
    me, client = learner(cast), api_client(cast.official)
    draft = make.course(cast.org, "DRAFT", status=Course.Status.DRAFT, title="Drafty")
    course = make.course(cast.org, "SEC-1")

    refused = client.post(LIST, body(me, draft), format="json")
    first = client.post(LIST, body(me, course), format="json")
    again = client.post(LIST, body(me, course), format="json")

    assert error_of(refused)["fields"] == {
        "course": ["Drafty (DRAFT) is a draft: publish it before recording completions."]
    }
    assert first.status_code == 201
    assert error_of(again)["message"] == "Nora Nurse already has a completion of SEC-1 at 2026-01-15 14:30."
    assert Completion.objects.count() == 1


def test_record_links_existing_evidence(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    evidence = Evidence.objects.create(
        organization=cast.org,
        title="Sign-in sheet",
        effective_date=date(2026, 1, 15),
        retain_until=date(2032, 1, 15),
        created_by=cast.official,
    )

    data = body(learner(cast), course, evidence_id=str(evidence.public_id))

    response = api_client(cast.official).post(LIST, data, format="json")

    assert response.json()["evidence_id"] == str(evidence.public_id)
    completion = Completion.objects.get()
    assert EvidenceLink.objects.get(evidence=evidence).target_id == str(completion.public_id)


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    done = make.completion(learner(cast), make.course(cast.org, "SEC-1"))

    response = client_as(cast, who).get(f"{LIST}{done.public_id}/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["course_version"] == 1


def test_another_organizations_completion_is_not_found(cast: Cast) -> None:
    theirs = make.completion(make.person(cast.other_org, "X-1"), make.course(cast.other_org, "SEC-1"))

    for url in (f"{LIST}{theirs.public_id}/", f"{LIST}{theirs.public_id}/certificate"):
        response = api_client(cast.owner).get(url)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("workforce", 200), ("owner", 200), ("auditor", 200), ("colleague", 404), ("outsider", 404), ("anonymous", 401)],
)
def test_certificate_matrix(cast: Cast, who: str, expected: int) -> None:
    done = make.completion(learner(cast), make.course(cast.org, "SEC-1"))
    if who == "colleague":
        make.person(cast.org, "E-2", email="colleague@clinic.test")
        client = api_client(make_member(cast.org, "colleague@clinic.test", "workforce").user)
    else:
        client = client_as(cast, who)

    response = client.get(f"{LIST}{done.public_id}/certificate")

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


# ---- the LMS upload ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_upload_matrix(cast: Cast, who: str, expected: int | None) -> None:
    before = audit_count()
    upload = SimpleUploadedFile("lms.csv", b"Email,Course,Completed at\nnurse@clinic.test,SEC-1,2025-06-01\n")

    response = client_as(cast, who).post(f"{ORG}/completion-imports/", {"file": upload}, format="multipart")

    if expected is None:
        assert response.status_code == 201
        assert response.json()["kind"] == "training_completions"
        assert response.json()["mapping"] == {"email": "Email", "course": "Course", "completed_at": "Completed at"}
    else:
        assert response.status_code == expected
        assert not FileImport.objects.exists()
        assert audit_count() == before


# ---- granting attempts -------------------------------------------------------------------------------------------


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


def grant_url(person: Any, course: Course, slug: str = "clinic") -> str:
    return f"/api/v1/orgs/{slug}/training/people/{person.public_id}/courses/{course.public_id}/grant-attempts/"


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_grant_matrix(cast: Cast, who: str, expected: int | None) -> None:
    me, course = locked_out(cast)
    before = audit_count()

    response = client_as(cast, who).post(grant_url(me, course))

    if expected is None:
        assert response.status_code == 200
        assert response.json() == {
            "person_id": str(me.public_id),
            "course_id": str(course.public_id),
            "attempts_cleared": 1,
        }
        assert QuizAttempt.objects.get().counts is False
    else:
        assert response.status_code == expected
        assert QuizAttempt.objects.get().counts is True
        assert audit_count() == before


def test_grant_isolation_and_nothing_to_clear(cast: Cast) -> None:
    me, course = locked_out(cast)
    client = api_client(cast.official)

    assert client.post(grant_url(make.person(cast.other_org, "X-1"), course)).status_code == 404
    assert client.post(grant_url(me, make.course(cast.other_org, "SEC-1"))).status_code == 404
    assert client.post(grant_url(me, course)).status_code == 200
    again = client.post(grant_url(me, course))
    assert again.status_code == 400
    assert error_of(again)["message"] == "Nora Nurse has no failed attempts at SEC-1 to clear."


# ---- my training -------------------------------------------------------------------------------------------------


def test_me_shows_my_person_assignments_and_completions(cast: Cast) -> None:
    me = learner(cast)
    late, done = make.course(cast.org, "SEC-1"), make.course(cast.org, "SEC-2")
    assignment = make.assignment(me, late, due_on=timezone.localdate() - timedelta(days=1))
    make.assignment(make.person(cast.org, "E-2"), done, due_on=timezone.localdate())
    completion = make.completion(me, done, score=95)

    response = api_client(cast.workforce).get(f"{ORG}/me/")

    assert response.status_code == 200
    data = response.json()
    assert data["person"]["employee_id"] == "E-1"
    assert [(a["public_id"], a["course"]["code"], a["overdue"]) for a in data["open_assignments"]] == [
        (str(assignment.public_id), "SEC-1", True)
    ]
    assert [(c["public_id"], c["score"], c["certificate"]) for c in data["completions"]] == [
        (str(completion.public_id), 95, f"{LIST}{completion.public_id}/certificate")
    ]
    assert (data["completions_total"], data["completions_url"]) == (1, MINE)


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("outsider", 404), ("anonymous", 401)])
def test_me_for_members_not_on_the_roster_and_strangers(cast: Cast, who: str, expected: int) -> None:
    learner(cast)

    response = client_as(cast, who).get(f"{ORG}/me/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json() == {
            "person": None,
            "open_assignments": [],
            "completions": [],
            "completions_total": 0,
            "completions_url": MINE,
        }


def many_completions(me: Any, count: int) -> list[Completion]:
    """`count` completions of one course by `me`, a day apart, the latest first."""
    course = make.course(me.organization, f"BULK-{count}", lessons=0, quiz=[])
    start = moment("2026-01-01 09:00")
    made = [make.completion(me, course, at=start - timedelta(days=day)) for day in range(count)]
    return made


def test_me_lists_the_50_latest_completions_with_the_total_and_where_the_rest_are(cast: Cast) -> None:
    me = learner(cast)
    made = many_completions(me, 53)

    data = api_client(cast.workforce).get(f"{ORG}/me/").json()

    assert [c["public_id"] for c in data["completions"]] == [str(c.public_id) for c in made[:50]]
    assert (data["completions_total"], data["completions_url"]) == (53, MINE)


def test_my_completions_come_a_page_at_a_time_and_only_mine(cast: Cast) -> None:
    me = learner(cast)
    made = many_completions(me, 53)
    make.completion(make.person(cast.org, "E-2"), make.course(cast.org, "SEC-9"))
    make.completion(make.person(cast.other_org, "E-1"), make.course(cast.other_org, "SEC-1"))
    client = api_client(cast.workforce)

    first = client.get(MINE).json()
    second = client.get(MINE, {"page": 2}).json()

    assert first["count"] == 53
    assert [c["public_id"] for c in first["results"] + second["results"]] == [str(c.public_id) for c in made]
    assert second["results"][0]["certificate"] == f"{LIST}{made[50].public_id}/certificate"


@pytest.mark.parametrize(
    ("who", "expected", "count"),
    [("workforce", 200, 1), ("owner", 200, 0), ("auditor", 200, 0), ("outsider", 404, None), ("anonymous", 401, None)],
)
def test_my_completions_matrix(cast: Cast, who: str, expected: int, count: int | None) -> None:
    make.completion(learner(cast), make.course(cast.org, "SEC-1"))  # the workforce member's; others are not on it
    before = audit_count()

    response = client_as(cast, who).get(MINE)

    assert response.status_code == expected
    if count is not None:
        assert response.json()["count"] == count
    assert audit_count() == before


def test_another_organizations_my_completions_is_not_found(cast: Cast) -> None:
    learner(cast)

    assert api_client(cast.workforce).get("/api/v1/orgs/other/training/me/completions/").status_code == 404


def test_me_and_my_completions_query_counts_do_not_grow(cast: Cast) -> None:
    me = learner(cast)
    client = api_client(cast.workforce)
    many_completions(me, 3)
    client.get(MINE)  # warms up the token check
    counts = []
    for path in (f"{ORG}/me/", MINE):
        with CaptureQueriesContext(connection) as few:
            assert client.get(path).status_code == 200
        counts.append(len(few))
    Completion.objects.filter(person=me).delete()
    many_completions(me, 60)
    for path, expected in zip((f"{ORG}/me/", MINE), counts, strict=True):
        with CaptureQueriesContext(connection) as many:
            assert client.get(path).status_code == 200
        assert len(many) == expected, path
