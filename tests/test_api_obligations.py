"""Obligations over the API: list (own only for workforce), create, change, complete; owners by id or email."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, EvidenceLink, Obligation, ObligationCompletion, User
from safeguard.core.services.evidence import evidence_upload
from safeguard.core.services.obligations import obligation_create
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of

BASE = "/api/v1/orgs/clinic/obligations/"
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def duty(cast: Cast, owner: User, title: str = "Quarterly access review", cadence: str = "quarterly") -> Obligation:
    return obligation_create(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title=title,
        owner=owner,
        due_on=timezone.localdate() + timedelta(days=10),
        cadence=cadence,
    )


@pytest.mark.parametrize(
    ("who", "expected", "titles"),
    [
        ("owner", 200, ["Annual risk analysis", "Training"]),
        ("workforce", 200, ["Training"]),
        ("auditor", 200, ["Annual risk analysis", "Training"]),
        ("outsider", 404, None),
        ("anonymous", 401, None),
    ],
)
def test_list_matrix(cast: Cast, who: str, expected: int, titles: list[str] | None) -> None:
    duty(cast, cast.official, "Annual risk analysis")
    duty(cast, cast.workforce, "Training")
    response = client_as(cast, who).get(BASE)
    assert response.status_code == expected
    if titles is not None:
        assert sorted(r["title"] for r in response.json()["results"]) == titles


def test_list_filters_by_status(cast: Cast) -> None:
    duty(cast, cast.official, "Open one")
    Obligation.objects.filter(pk=duty(cast, cast.official, "Done one").pk).update(status=Obligation.Status.DONE)
    client = api_client(cast.owner)
    assert [r["title"] for r in client.get(BASE, {"status": "done"}).json()["results"]] == ["Done one"]
    bad = client.get(BASE, {"status": "someday"})
    assert bad.status_code == 400
    assert list(error_of(bad)["fields"]) == ["status"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    body = {"title": "Restore test", "owner": cast.official.email, "due_on": "2030-01-31", "cadence": "quarterly"}
    response = client_as(cast, who).post(BASE, body, format="json")
    assert response.status_code == expected
    created = Obligation.objects.filter(title="Restore test")
    if expected == 201:
        assert created.get().owner == cast.official
        assert response.json()["owner"]["email"] == cast.official.email
        assert AuditEvent.objects.filter(action="obligation.created").count() == 1
    else:
        assert not created.exists()
        assert audit_count() == before


def test_owner_may_be_named_by_public_id(cast: Cast) -> None:
    body = {"title": "Training", "owner": str(cast.workforce.public_id), "due_on": "2030-01-31"}
    response = api_client(cast.owner).post(BASE, body, format="json")
    assert response.status_code == 201
    assert Obligation.objects.get().owner == cast.workforce


@pytest.mark.parametrize("owner", ["owner@other.test", "nobody@clinic.test", "00000000-0000-0000-0000-000000000000"])
def test_owner_must_be_a_current_member(cast: Cast, owner: str) -> None:
    response = api_client(cast.owner).post(BASE, {"title": "T", "owner": owner, "due_on": "2030-01-31"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"owner": ["The owner must be a current member of this organization."]}
    assert not Obligation.objects.exists()


def test_create_malformed_body_names_the_fields(cast: Cast) -> None:
    body = {"owner": cast.owner.email, "due_on": "tomorrow", "cadence": "hourly", "remind_days_before": -1}
    response = api_client(cast.owner).post(BASE, body, format="json")
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert set(fields) == {"title", "due_on", "cadence", "remind_days_before"}


def test_unknown_citation_is_refused_by_the_service(cast: Cast) -> None:
    body = {"title": "T", "owner": cast.owner.email, "due_on": "2030-01-31", "citation": "999.1(z)"}
    response = api_client(cast.owner).post(BASE, body, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["citation"]


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("workforce", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
)
def test_detail_matrix_for_the_workforce_members_own_duty(cast: Cast, who: str, expected: int) -> None:
    obligation = duty(cast, cast.workforce, "Training")
    assert client_as(cast, who).get(f"{BASE}{obligation.public_id}/").status_code == expected


def test_workforce_cannot_read_someone_elses_duty(cast: Cast) -> None:
    obligation = duty(cast, cast.official)
    assert api_client(cast.workforce).get(f"{BASE}{obligation.public_id}/").status_code == 403


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED_WRITE])
def test_change_matrix(cast: Cast, who: str, expected: int) -> None:
    obligation = duty(cast, cast.workforce, "Training")
    before = audit_count()
    response = client_as(cast, who).patch(f"{BASE}{obligation.public_id}/", {"due_on": "2031-05-01"}, format="json")
    assert response.status_code == expected
    obligation.refresh_from_db()
    if expected == 200:
        assert obligation.due_on == date(2031, 5, 1)
        assert AuditEvent.objects.get(action="obligation.updated").changes["due_on"][1] == "2031-05-01"
    else:
        assert obligation.due_on != date(2031, 5, 1)
        assert audit_count() == before


def test_change_owner_by_email(cast: Cast) -> None:
    obligation = duty(cast, cast.workforce)
    response = api_client(cast.owner).patch(
        f"{BASE}{obligation.public_id}/", {"owner": cast.official.email.upper()}, format="json"
    )
    assert response.status_code == 200
    obligation.refresh_from_db()
    assert obligation.owner == cast.official


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 201), ("workforce", 201), ("auditor", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_complete_matrix_for_the_workforce_members_own_duty(cast: Cast, who: str, expected: int) -> None:
    obligation = duty(cast, cast.workforce, "Training", cadence="annual")
    due = obligation.due_on
    before = audit_count()
    response = client_as(cast, who).post(f"{BASE}{obligation.public_id}/complete/", {"note": "Done"}, format="json")
    assert response.status_code == expected
    obligation.refresh_from_db()
    if expected == 201:
        assert obligation.due_on == date(due.year + 1, due.month, due.day)
        assert response.json()["obligation"]["due_on"] == obligation.due_on.isoformat()
        assert ObligationCompletion.objects.get().completed_by.email == response.json()["completed_by"]["email"]
    else:
        assert obligation.due_on == due
        assert not ObligationCompletion.objects.exists()
        assert audit_count() == before


def test_complete_with_a_new_file(cast: Cast) -> None:
    obligation = duty(cast, cast.official)
    proof = SimpleUploadedFile("restore-log.txt", b"restored 12 files", content_type="text/plain")
    response = api_client(cast.official).post(
        f"{BASE}{obligation.public_id}/complete/", {"note": "ok", "evidence_file": proof}, format="multipart"
    )
    assert response.status_code == 201, response.content
    completion = ObligationCompletion.objects.get()
    assert completion.evidence is not None
    assert response.json()["evidence_id"] == str(completion.evidence.public_id)
    assert EvidenceLink.objects.filter(evidence=completion.evidence, target_id=str(obligation.public_id)).exists()


def test_complete_with_another_orgs_evidence_is_refused(cast: Cast) -> None:
    foreign = evidence_upload(
        organization=cast.other_org,
        actor=Actor(user=cast.outsider),
        title="Theirs",
        upload=SimpleUploadedFile("a.txt", b"x", content_type="text/plain"),
        effective_date=date(2025, 1, 1),
    )
    obligation = duty(cast, cast.official)
    before = audit_count()
    response = api_client(cast.owner).post(
        f"{BASE}{obligation.public_id}/complete/", {"evidence_id": str(foreign.public_id)}, format="json"
    )
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["evidence_id"]
    assert not ObligationCompletion.objects.exists()
    assert audit_count() == before


def test_completing_a_done_duty_is_refused(cast: Cast) -> None:
    obligation = duty(cast, cast.official, cadence="once")
    client = api_client(cast.owner)
    assert client.post(f"{BASE}{obligation.public_id}/complete/", {}, format="json").status_code == 201
    again = client.post(f"{BASE}{obligation.public_id}/complete/", {}, format="json")
    assert again.status_code == 400
    assert "not open" in str(error_of(again)["message"])


def test_other_orgs_obligation_is_404(cast: Cast) -> None:
    obligation = duty(cast, cast.official)
    outsider = api_client(cast.outsider)
    for org in ("clinic", "other"):
        url = f"/api/v1/orgs/{org}/obligations/{obligation.public_id}/"
        assert outsider.get(url).status_code == 404
        assert outsider.patch(url, {"title": "Mine"}, format="json").status_code == 404
        assert outsider.post(f"{url}complete/", {}, format="json").status_code == 404
    obligation.refresh_from_db()
    assert obligation.title == "Quarterly access review"
    assert not ObligationCompletion.objects.exists()


def test_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count_for(n: int) -> int:
        owners = [cast.owner, cast.official, cast.workforce]
        for i in range(Obligation.objects.count(), n):
            duty(cast, owners[i % 3], f"Duty {i}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BASE).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)


def test_repeating_a_completion_that_names_its_due_date_is_refused(cast: Cast) -> None:
    obligation = duty(cast, cast.official)
    client = api_client(cast.official)
    body = {"due_on": obligation.due_on.isoformat(), "note": "Reviewed"}
    assert client.post(f"{BASE}{obligation.public_id}/complete/", body, format="json").status_code == 201
    obligation.refresh_from_db()
    before = audit_count()

    again = client.post(f"{BASE}{obligation.public_id}/complete/", body, format="json")

    assert again.status_code == 400
    assert error_of(again)["fields"] == {
        "due_on": [f"This occurrence was already completed; the duty is now due on {obligation.due_on:%Y-%m-%d}."]
    }
    assert ObligationCompletion.objects.count() == 1
    assert audit_count() == before
    moved = obligation.due_on
    obligation.refresh_from_db()
    assert obligation.due_on == moved


@pytest.mark.parametrize("due_on", ["9999-12-31", "1989-12-31"])
def test_a_due_date_out_of_range_is_refused_on_the_field(cast: Cast, due_on: str) -> None:
    obligation = duty(cast, cast.official)
    client = api_client(cast.owner)
    body = {"title": "Far away", "owner": cast.official.email, "due_on": due_on}
    before = audit_count()

    created = client.post(BASE, body, format="json")
    changed = client.patch(f"{BASE}{obligation.public_id}/", {"due_on": due_on}, format="json")

    for response in (created, changed):
        assert response.status_code == 400
        assert list(error_of(response)["fields"]) == ["due_on"]
    assert Obligation.objects.count() == 1
    assert audit_count() == before


def test_completing_a_stored_duty_due_in_year_9999_is_a_400(cast: Cast) -> None:
    obligation = duty(cast, cast.official, cadence="monthly")
    Obligation.objects.filter(pk=obligation.pk).update(due_on=date(9999, 12, 1))
    before = audit_count()

    response = api_client(cast.official).post(f"{BASE}{obligation.public_id}/complete/", {}, format="json")

    assert response.status_code == 400
    assert "too far ahead" in error_of(response)["message"]
    assert not ObligationCompletion.objects.exists()
    assert audit_count() == before
