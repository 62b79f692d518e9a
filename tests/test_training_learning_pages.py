"""The learner's pages over HTTP: My training, a course, a lesson, taking the quiz (fail, then pass), what each
result shows, who reaches what (404 for drafts, other organizations and other people's attempts), and flat query
counts on My training."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.roles import Role
from safeguard.training.models import AttemptAnswer, Completion, Course, Delivery, LessonRead, Question, QuizAttempt
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_training_completions_support import answers, learner, read_all, started

ME = "/o/clinic/training/me/"


def course_url(course: Course) -> str:
    return f"/o/clinic/training/learn/{course.public_id}/"


def attempt_url(attempt: QuizAttempt) -> str:
    return f"/o/clinic/training/attempts/{attempt.public_id}/"


def form_data(picked: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: values for key, values in picked.items() if values}


# ---- My training -------------------------------------------------------------------------------------------------


def test_a_member_not_on_the_roster_is_told_whom_to_ask(cast: Cast) -> None:
    response = client_for(cast.workforce).get(ME)

    assert response.status_code == 200
    text = response.content.decode()
    assert "You are not on the workforce roster of Riverside Clinic." in text
    assert "so@clinic.test" in text


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 302), ("outsider", 404)])
def test_strangers_do_not_reach_my_training(cast: Cast, who: str, expected: int) -> None:
    user = None if who == "anonymous" else cast.outsider
    assert client_for(user).get(ME).status_code == expected


def test_my_training_lists_my_open_assignments_and_completions(cast: Cast) -> None:
    me, other = learner(cast), make.person(cast.org, "E-2")
    today = timezone.localdate()
    late = make.course(cast.org, "SEC-1", title="Phishing basics")
    soon = make.course(cast.org, "SEC-2", title="Passwords")
    done = make.course(cast.org, "SEC-3", title="Lost devices")
    make.assignment(me, late, due_on=today - timedelta(days=1), reason="Hired 2026-01-05")
    make.assignment(me, soon, due_on=today + timedelta(days=9), reason="Clicked a test email", confidential=True)
    make.assignment(other, done, due_on=today, reason="Someone else's")
    LessonRead.objects.create(organization=cast.org, person=me, lesson=soon.lessons.all()[0])
    completion = make.completion(me, done, score=90)

    response = client_for(cast.workforce).get(ME)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["assignment"].course.code, row["overdue"], row["started"], row["reason"]) for row in rows] == [
        ("SEC-1", True, False, "Hired 2026-01-05"),
        ("SEC-2", False, True, "Assigned by the security official"),
    ]
    text = response.content.decode()
    assert "Overdue" in text and "Someone else's" not in text and "Clicked a test email" not in text
    assert f"/o/clinic/training/completions/{completion.public_id}/certificate.pdf" in text
    assert list(response.context["page"].object_list) == [completion]


def test_my_training_query_count_does_not_grow(cast: Cast) -> None:
    me = learner(cast)
    client = client_for(cast.workforce)
    today = timezone.localdate()

    def add(n: int) -> None:
        for i in range(n):
            code = f"C-{Course.objects.count():03}"
            course = make.course(cast.org, code, lessons=1, quiz=[])
            make.assignment(me, course, due_on=today + timedelta(days=i))
            make.completion(me, course)
            LessonRead.objects.create(organization=cast.org, person=me, lesson=course.lessons.get())

    add(3)
    client.get(ME)  # warms up the session and the audit chain
    with CaptureQueriesContext(connection) as few:
        assert client.get(ME).status_code == 200
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(ME).status_code == 200

    assert len(many) == len(few)


# ---- a course and its lessons ------------------------------------------------------------------------------------


def test_any_published_course_of_my_organization_opens_assigned_or_not(cast: Cast) -> None:
    learner(cast)
    course = make.course(cast.org, "SEC-1", summary="**Why** it matters")

    response = client_for(cast.workforce).get(course_url(course))

    assert response.status_code == 200
    assert "<strong>Why</strong> it matters" in response.content.decode()
    assert response.context["progress"].closed_reason.startswith("Read every lesson first")


@pytest.mark.parametrize("status", [Course.Status.DRAFT, Course.Status.RETIRED])
def test_a_draft_or_retired_course_is_not_found(cast: Cast, status: str) -> None:
    learner(cast)
    course = make.course(cast.org, "SEC-1", status=status)

    assert client_for(cast.workforce).get(course_url(course)).status_code == 404


def test_another_organizations_course_is_not_found(cast: Cast) -> None:
    learner(cast)
    theirs = make.course(cast.other_org, "SEC-1")

    assert client_for(cast.workforce).get(course_url(theirs)).status_code == 404
    lesson = theirs.lessons.all()[0]
    assert client_for(cast.workforce).get(f"{course_url(theirs)}lessons/{lesson.public_id}/").status_code == 404


def test_posts_about_another_organizations_course_are_not_found(cast: Cast) -> None:
    learner(cast)
    theirs = make.course(cast.other_org, "SEC-1")
    lesson = theirs.lessons.all()[0]
    client = client_for(cast.workforce)

    assert client.post(f"{course_url(theirs)}lessons/{lesson.public_id}/read/").status_code == 404
    assert client.post(f"{course_url(theirs)}quiz/start/").status_code == 404
    assert not LessonRead.objects.exists() and not QuizAttempt.objects.exists()


def test_a_lesson_is_rendered_sanitized_and_marking_it_read_moves_on(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1", lessons=2)
    first, second = course.lessons.order_by("position")
    first.body = "Hello <script>alert(1)</script> [click](javascript:alert(1))"
    first.save()
    client = client_for(cast.workforce)

    page = client.get(f"{course_url(course)}lessons/{first.public_id}/")
    read = client.post(f"{course_url(course)}lessons/{first.public_id}/read/")
    last = client.post(f"{course_url(course)}lessons/{second.public_id}/read/")

    text = page.content.decode()
    assert "<script" not in text and 'href="javascript' not in text and "Hello &lt;script&gt;" in text
    assert read["Location"] == f"{course_url(course)}lessons/{second.public_id}/"
    assert last["Location"] == course_url(course)
    assert LessonRead.objects.filter(person=me).count() == 2


def test_an_external_course_shows_its_link_and_no_quiz(cast: Cast) -> None:
    learner(cast)
    course = make.course(
        cast.org, "EXT-1", delivery=Delivery.EXTERNAL, external_url="https://lms.example.test/c/1", lessons=0, quiz=[]
    )

    text = client_for(cast.workforce).get(course_url(course)).content.decode()

    assert "https://lms.example.test/c/1" in text
    assert "completion arrives here when the program imports it" in text
    assert "Start the quiz" not in text


def test_prerequisites_and_whether_they_are_met_are_shown(cast: Cast) -> None:
    me = learner(cast)
    basics, advanced = make.course(cast.org, "SEC-1", title="Basics"), make.course(cast.org, "SEC-2")
    advanced.prerequisites.add(basics)
    read_all(me, advanced)

    response = client_for(cast.workforce).get(course_url(advanced))

    assert [(m.course.code, m.met) for m in response.context["progress"].prerequisites] == [("SEC-1", False)]
    assert "Complete the required courses first: Basics." in response.content.decode()


# ---- the quiz ------------------------------------------------------------------------------------------------------


def test_fail_then_pass_over_http(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1", max_attempts=3)
    Question.objects.filter(course=course).update(explanation="Because EXPLAINED.")
    read_all(me, course)
    client = client_for(cast.workforce)

    start = client.post(f"{course_url(course)}quiz/start/")
    attempt = QuizAttempt.objects.get()
    assert start["Location"] == attempt_url(attempt)
    page = client.get(attempt_url(attempt)).content.decode()
    assert "Which email is a phishing sign?" in page and "correct" not in page.lower()

    failed = client.post(attempt_url(attempt), form_data(answers(attempt, [True, False])))
    assert failed["Location"] == f"{attempt_url(attempt)}result/"
    result = client.get(failed["Location"])
    text = result.content.decode()
    assert "50%: not passed" in text
    assert [row["number"] for row in result.context["wrong"]] == [2]
    assert "Question 2: Which keep a password safe?" in text
    assert "EXPLAINED" not in text and "A password manager" not in text  # no right answers after a fail

    client.post(f"{course_url(course)}quiz/start/")
    second = QuizAttempt.objects.get(number=2)
    passed = client.get(client.post(attempt_url(second), form_data(answers(second)))["Location"])
    text = passed.content.decode()
    assert "100%: passed" in text and "EXPLAINED" in text
    completion = Completion.objects.get(person=me, course=course)
    assert f"/o/clinic/training/completions/{completion.public_id}/certificate.pdf" in text


def test_an_unanswered_question_is_named_and_nothing_is_written(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1")
    attempt = started(cast, me, course)
    picked = answers(attempt)
    picked[attempt.question_order[1]] = []

    response = client_for(cast.workforce).post(attempt_url(attempt), form_data(picked))

    assert response.status_code == 200
    assert "Answer question 2." in response.content.decode()
    assert not AttemptAnswer.objects.exists()
    assert QuizAttempt.objects.get().submitted_at is None


def test_a_second_submit_over_http_is_refused(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1")
    attempt = started(cast, me, course)
    client = client_for(cast.workforce)
    client.post(attempt_url(attempt), form_data(answers(attempt, [False, False])))

    again = client.post(attempt_url(attempt), form_data(answers(attempt)), follow=True)

    assert "already submitted" in again.content.decode()
    assert QuizAttempt.objects.get().score == 0
    assert not Completion.objects.exists()
    assert AttemptAnswer.objects.count() == 2


def test_someone_elses_attempt_is_not_found(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1")
    attempt = started(cast, me, course)
    colleague = make_member(cast.org, "colleague@clinic.test", Role.WORKFORCE).user
    make.person(cast.org, "E-2", email="colleague@clinic.test")

    for url in (attempt_url(attempt), f"{attempt_url(attempt)}result/"):
        assert client_for(colleague).get(url).status_code == 404
    assert client_for(colleague).post(attempt_url(attempt), form_data(answers(attempt))).status_code == 404
    # Attempts are their taker's only: the owner (not on the roster) sees no one's.
    assert "You are not on the workforce roster" in client_for(cast.owner).get(attempt_url(attempt)).content.decode()
    assert QuizAttempt.objects.get().submitted_at is None


def test_the_course_page_says_when_the_attempts_are_used_up(cast: Cast) -> None:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1", max_attempts=1)
    attempt = started(cast, me, course)
    client = client_for(cast.workforce)
    client.post(attempt_url(attempt), form_data(answers(attempt, [False, False])))

    text = client.get(course_url(course)).content.decode()
    refused = client.post(f"{course_url(course)}quiz/start/", follow=True)

    assert "You have used all 1 attempts at this quiz" in text
    assert "You have used all 1 attempts" in refused.content.decode()
    assert QuizAttempt.objects.count() == 1


def test_a_terminated_person_is_not_a_learner(cast: Cast) -> None:
    learner(cast, status=Person.Status.TERMINATED, termination_at=timezone.now() - timedelta(days=1))
    course = make.course(cast.org, "SEC-1")

    response = client_for(cast.workforce).get(course_url(course))

    assert "You are not on the workforce roster" in response.content.decode()
