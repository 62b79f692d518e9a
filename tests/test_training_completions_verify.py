"""Verifying a certificate's code, on the page and over the API: who may (program viewers), what a valid code
shows, what a forged or another organization's code shows, and that checking writes nothing."""

from __future__ import annotations

from datetime import UTC

import pytest

from safeguard.core.models import User
from safeguard.core.roles import Role
from safeguard.training.certificate_codes import certificate_code
from safeguard.training.models import Completion
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_training_completions_support import learner, moment

PAGE = "/o/clinic/training/certificates/verify/"
API = "/api/v1/orgs/clinic/training/certificates/verify/"


@pytest.fixture
def completion(cast: Cast) -> Completion:
    course = make.course(cast.org, "SEC-1", title="Phishing basics", version=2)
    return make.completion(learner(cast), course, at=moment("2026-02-20 10:15"), score=85, course_version=2)


def page_user(cast: Cast, who: str) -> User | None:
    if who == "manager":
        return make_member(cast.org, "manager@clinic.test", Role.MANAGER).user
    return None if who == "anonymous" else getattr(cast, who)


# ---- the page ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("auditor", 200), ("manager", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_page_matrix(cast: Cast, completion: Completion, who: str, expected: int) -> None:
    before = audit_count()
    client = client_for(page_user(cast, who))

    assert client.get(PAGE).status_code == expected
    response = client.post(PAGE, {"code": certificate_code(completion)})

    assert response.status_code == expected
    if expected == 200:
        assert response.context["check"].valid
    assert audit_count() == before


def test_page_shows_what_a_valid_code_attests(cast: Cast, completion: Completion) -> None:
    response = client_for(cast.auditor).post(PAGE, {"code": certificate_code(completion)})

    text = response.content.decode()
    assert "Valid" in text and "Safeguard issued this certificate for Riverside Clinic" in text
    for expected in (str(completion.public_id), "E-1", "SEC-1", "2026-02-20T", "85"):
        assert expected in text, expected
    assert "The record still says the same" in text
    assert f"/o/clinic/training/completions/{completion.public_id}/" in text


def test_page_names_what_the_record_now_shows_differently(cast: Cast, completion: Completion) -> None:
    code = certificate_code(completion)
    completion.person.employee_id = "E-77"
    completion.person.save(update_fields=["employee_id"])

    text = " ".join(client_for(cast.owner).post(PAGE, {"code": code}).content.decode().split())

    assert "now shows a different employee id" in text


def test_page_refuses_a_forged_code_and_another_organizations(cast: Cast, completion: Completion) -> None:
    theirs = make.completion(make.person(cast.other_org, "E-1"), make.course(cast.other_org, "SEC-1"))
    code = certificate_code(completion)
    client = client_for(cast.owner)

    for bad in (code[:-2] + "zz", certificate_code(theirs)):
        response = client.post(PAGE, {"code": bad})
        assert response.status_code == 200
        assert response.context["check"].valid is False
        text = response.content.decode()
        assert "Not valid" in text and str(theirs.public_id) not in text


def test_page_asks_for_a_code(cast: Cast) -> None:
    response = client_for(cast.owner).post(PAGE, {"code": ""})

    assert response.context["check"] is None
    assert "This field is required." in response.content.decode()


def test_another_organizations_page_is_not_found(cast: Cast, completion: Completion) -> None:
    response = client_for(cast.owner).post("/o/other/training/certificates/verify/", {"code": "x"})

    assert response.status_code == 404


# ---- the API -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_api_matrix(cast: Cast, completion: Completion, who: str, expected: int) -> None:
    before = audit_count()

    response = client_as(cast, who).post(API, {"code": certificate_code(completion)}, format="json")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["valid"] is True
    assert audit_count() == before


def test_api_answers_a_valid_code(cast: Cast, completion: Completion) -> None:
    response = api_client(cast.auditor).post(API, {"code": certificate_code(completion)}, format="json")

    body = response.json()
    assert body["facts"] == {
        "completion_id": str(completion.public_id),
        "employee_id": "E-1",
        "course_code": "SEC-1",
        "course_version": 2,
        "completed_at": completion.completed_at.astimezone(UTC).isoformat(),
        "score": 85,
    }
    assert (body["valid"], body["on_record"], body["matches_record"], body["differences"]) == (True, True, True, [])
    assert body["completion"] == {
        "public_id": str(completion.public_id),
        "person": {"public_id": str(completion.person.public_id), "employee_id": "E-1", "name": "Nora Nurse"},
        "course": {"public_id": str(completion.course.public_id), "code": "SEC-1", "title": "Phishing basics"},
    }


def test_api_says_not_valid_for_a_forged_or_foreign_code(cast: Cast, completion: Completion) -> None:
    theirs = make.completion(make.person(cast.other_org, "E-1"), make.course(cast.other_org, "SEC-1"))
    client = api_client(cast.owner)

    for bad in (certificate_code(completion)[:-1], certificate_code(theirs), "not a code"):
        body = client.post(API, {"code": bad}, format="json").json()
        assert body == {
            "valid": False,
            "facts": None,
            "on_record": False,
            "matches_record": False,
            "differences": [],
            "completion": None,
        }


def test_api_says_when_the_completion_is_no_longer_on_record(cast: Cast, completion: Completion) -> None:
    code = certificate_code(completion)
    Completion.objects.filter(pk=completion.pk).delete()

    body = api_client(cast.owner).post(API, {"code": code}, format="json").json()

    assert (body["valid"], body["on_record"], body["completion"]) == (True, False, None)
    assert body["facts"]["completion_id"] == str(completion.public_id)


def test_api_bad_input(cast: Cast) -> None:
    for values in ({}, {"code": ""}, {"code": "x" * 4001}):
        response = api_client(cast.owner).post(API, values, format="json")
        assert response.status_code == 400
        assert "code" in error_of(response)["fields"]


def test_api_another_organization_is_not_found(cast: Cast) -> None:
    response = api_client(cast.owner).post(
        "/api/v1/orgs/other/training/certificates/verify/", {"code": "x"}, format="json"
    )

    assert response.status_code == 404
