"""The effectiveness page and GET training/effectiveness/: who may read them, what they show, that another
organization's records never count, and flat query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import Organization, User
from safeguard.core.roles import Role
from safeguard.training.models import Assignment, AttemptAnswer, PhishingOutcome, QuizAttempt
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client, client_as
from tests.test_training_checks_support import at

API = "/api/v1/orgs/clinic/training/effectiveness/"
TODAY = timezone.localdate()


def page_url(slug: str = "clinic") -> str:
    return reverse("training:effectiveness", args=[slug])


def records(organization: Organization, user: User, count: int, prefix: str = "E") -> None:
    """`count` people in as many departments, each with an on-time, a late and an overdue assignment, a quiz
    attempt with answers, and a phishing result."""
    course = make.course(organization, f"{prefix}-C{count}", title=f"Course {prefix}{count}")
    second = make.course(organization, f"{prefix}-D{count}")
    third = make.course(organization, f"{prefix}-F{count}")
    question = course.questions.order_by("position").first()
    campaign = make.campaign(organization, f"{prefix} campaign {count}", launched_at=at(TODAY - timedelta(days=9)))
    for n in range(count):
        who = make.person(organization, f"{prefix}{count}-{n}", department=f"Dept {n}")
        done = Assignment.Status.COMPLETED
        make.assignment(who, course, due_on=TODAY - timedelta(days=10), status=done, completed_on=TODAY)
        make.assignment(who, second, due_on=TODAY - timedelta(days=10), status=done, completed_on=TODAY - timedelta(11))
        make.assignment(who, third, due_on=TODAY - timedelta(days=3))
        attempt = QuizAttempt.objects.create(
            organization=organization,
            person=who,
            course=course,
            user=user,
            number=1,
            score=50,
            passed=False,
            submitted_at=at(TODAY - timedelta(days=2)),
        )
        for correct in (True, False, False, False, False):
            AttemptAnswer.objects.create(
                organization=organization, attempt=attempt, question=question, question_text="?", correct=correct
            )
        make.phishing_result(campaign, f"{who.employee_id}@x.test", status=PhishingOutcome.CLICKED)


# ---- the page ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_page_matrix(cast: Cast, who: str, expected: int) -> None:
    user = {"owner": cast.owner, "auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    assert client_for(user).get(page_url()).status_code == expected


def test_anonymous_is_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(page_url())
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_manager_reads_the_page(cast: Cast) -> None:
    manager = make_member(cast.org, "m@clinic.test", Role.MANAGER).user
    assert client_for(manager).get(page_url()).status_code == 200


def test_page_shows_the_figures(cast: Cast) -> None:
    records(cast.org, cast.owner, 2)
    body = client_for(cast.owner).get(page_url()).content.decode()
    assert "<strong>66%</strong> completed" in body  # 4 of 6, rounded down as the tracker does
    assert "<strong>33%</strong> on time" in body
    assert "on average 10.0 days late" in body
    assert "Dept 0" in body and "Dept 1" in body
    assert "Course E2" in body
    assert "Which email is a phishing sign?" in body and "80.0%" in body
    assert "Safeguard does not record security incidents yet" in body


def test_page_with_nothing_recorded(cast: Cast) -> None:
    body = client_for(cast.owner).get(page_url()).content.decode()
    assert "No assignment fell due in the last 12 months." in body
    assert "No quiz was submitted in the last 12 months." in body
    assert "No phishing simulation is recorded yet." in body


def test_page_ignores_another_organizations_records(cast: Cast) -> None:
    records(cast.other_org, cast.outsider, 2, prefix="O")
    body = client_for(cast.owner).get(page_url()).content.decode()
    assert "No assignment fell due in the last 12 months." in body
    assert "Course O2" not in body


def count_queries(fetch: Callable[[], Any]) -> int:
    fetch()  # warm sessions and caches
    with CaptureQueriesContext(connection) as queries:
        fetch()
    return len(queries)


def test_page_query_count_is_flat(cast: Cast) -> None:
    client = client_for(cast.owner)
    records(cast.org, cast.owner, 3)
    few = count_queries(lambda: client.get(page_url()))
    records(cast.org, cast.owner, 30, prefix="F")
    assert count_queries(lambda: client.get(page_url())) == few


# ---- the API -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_matrix(cast: Cast, who: str, expected: int) -> None:
    assert client_as(cast, who).get(API).status_code == expected


def test_api_reports_the_figures(cast: Cast) -> None:
    records(cast.org, cast.owner, 2)
    records(cast.other_org, cast.outsider, 3, prefix="O")
    body = api_client(cast.owner).get(API).json()
    assert body["as_of"] == TODAY.isoformat()
    assert body["timeliness"] == {
        "department": "All",
        "due": 6,
        "completed": 4,
        "on_time": 2,
        "late": 2,
        "open_overdue": 2,
        "avg_days_late": 10.0,
        "completion_rate": 66,
        "on_time_rate": 33,
    }
    assert [row["department"] for row in body["by_department"]] == ["Dept 0", "Dept 1"]
    [quiz] = body["quiz_scores"]
    assert (quiz["code"], quiz["attempts"], quiz["average_score"], quiz["first_pass_rate"]) == ("E-C2", 2, 50.0, 0.0)
    [missed] = body["most_missed_questions"]
    assert (missed["answers"], missed["wrong"], missed["miss_rate"]) == (10, 8, 80.0)
    assert body["incidents_human_error"]["available"] is False
    assert isinstance(body["phishing_trend"], list)


def test_api_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)
    records(cast.org, cast.owner, 3)
    few = count_queries(lambda: client.get(API))
    records(cast.org, cast.owner, 30, prefix="F")
    assert count_queries(lambda: client.get(API)) == few
