"""Mitigation actions over the API: a risk's actions, the list (own only for workforce), update by the owner,
completion with evidence (file or existing), cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.audit import Actor
from safeguard.core.models import Evidence, EvidenceLink
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import MitigationAction, Risk
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_register_support import PDF, TODAY, api, make_action, make_risk

Status = MitigationAction.Status


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def risk(cast: Cast) -> Risk:
    return make_risk(cast.org, 1, "Ransomware")


def titles(response: object) -> list[str]:
    return [row["title"] for row in response.json()["results"]]  # type: ignore[attr-defined]


# ---- a risk's actions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 201), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_create_matrix(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    before = audit_count()
    body = {
        "title": "Encrypt laptops",
        "owner": cast.workforce.email,
        "due_on": str(TODAY + timedelta(days=20)),
        "acceptance_criteria": "BitLocker report",
    }

    response = client_as(cast, who).post(api("risk_actions", risk.public_id), body, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert response.json()["owner"]["email"] == cast.workforce.email
        assert response.json()["risk"]["reference"] == "R-0001"
    else:
        assert not MitigationAction.objects.exists() and audit_count() == before


def test_create_names_the_fields_at_fault(cast: Cast, risk: Risk) -> None:
    client = api_client(cast.owner)
    malformed = client.post(api("risk_actions", risk.public_id), {"due_on": "soon"}, format="json")
    assert set(error_of(malformed)["fields"]) == {"title", "owner", "due_on", "acceptance_criteria"}
    body = {"title": "T", "owner": cast.auditor.email, "due_on": str(TODAY), "acceptance_criteria": "C"}
    auditor_owner = client.post(api("risk_actions", risk.public_id), body, format="json")
    assert auditor_owner.status_code == 400 and list(error_of(auditor_owner)["fields"]) == ["owner"]


def test_a_risks_actions(cast: Cast, risk: Risk) -> None:
    make_action(risk, cast.official, title="Patch")
    make_action(make_risk(cast.org, 2), cast.official, title="Elsewhere")
    assert titles(api_client(cast.auditor).get(api("risk_actions", risk.public_id))) == ["Patch"]
    assert api_client(cast.workforce).get(api("risk_actions", risk.public_id)).status_code == 403


# ---- the list --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected", "shown"),
    [
        ("owner", 200, ["Late", "Nurse's"]),
        ("auditor", 200, ["Late", "Nurse's"]),
        ("workforce", 200, ["Nurse's"]),
        ("outsider", 200, []),
        ("anonymous", 401, None),
    ],
)
def test_list_matrix(cast: Cast, risk: Risk, who: str, expected: int, shown: list[str] | None) -> None:
    make_action(risk, cast.official, days=-1, title="Late")
    make_action(risk, cast.workforce, title="Nurse's")
    org = "other" if who == "outsider" else "clinic"  # the outsider reads their own organization: none there
    response = client_as(cast, who).get(api("risk_action_list", org=org))
    assert response.status_code == expected
    if shown is not None:
        assert titles(response) == shown


def test_outsider_cannot_list_the_clinics_actions(cast: Cast) -> None:
    assert api_client(cast.outsider).get(api("risk_action_list")).status_code == 404


def test_list_filters(cast: Cast, risk: Risk) -> None:
    make_action(risk, cast.official, days=-1, title="Late")
    make_action(risk, cast.official, days=3, title="Started", status=Status.IN_PROGRESS)
    client = api_client(cast.official)

    assert titles(client.get(api("risk_action_list"), {"overdue": "true"})) == ["Late"]
    assert titles(client.get(api("risk_action_list"), {"overdue": "false"})) == ["Started"]
    assert titles(client.get(api("risk_action_list"), {"status": "in_progress"})) == ["Started"]
    bad = client.get(api("risk_action_list"), {"status": "finished"})
    assert bad.status_code == 400 and list(error_of(bad)["fields"]) == ["status"]


def test_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = api_client(cast.owner)

    def add(numbers: range) -> None:
        for number in numbers:
            make_action(make_risk(cast.org, number), cast.official, title=f"A{number}")

    add(range(1, 4))
    with CaptureQueriesContext(connection) as few:
        assert client.get(api("risk_action_list")).status_code == 200
    add(range(4, 31))
    with CaptureQueriesContext(connection) as many:
        assert client.get(api("risk_action_list")).status_code == 200

    assert len(many) == len(few)


# ---- one action ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("workforce", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
)
def test_detail_matrix_for_the_workforce_members_own_action(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    action = make_action(risk, cast.workforce)
    assert client_as(cast, who).get(api("risk_action", action.public_id)).status_code == expected


def test_workforce_cannot_read_someone_elses_action(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.official)
    assert api_client(cast.workforce).get(api("risk_action", action.public_id)).status_code == 403


def test_owner_patches_the_status_but_not_the_due_date(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    client = api_client(cast.workforce)

    moved = client.patch(api("risk_action", action.public_id), {"status": "in_progress"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"

    refused = client.patch(
        api("risk_action", action.public_id), {"due_on": str(TODAY + timedelta(days=99))}, format="json"
    )
    assert refused.status_code == 400 and list(error_of(refused)["fields"]) == ["due_on"]
    action.refresh_from_db()
    assert action.due_on == TODAY + timedelta(days=30)


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("outsider", 404)])
def test_patch_denied(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    action = make_action(risk, cast.official)
    before = audit_count()
    response = client_as(cast, who).patch(
        api("risk_action", action.public_id), {"status": "in_progress"}, format="json"
    )
    assert response.status_code == expected
    assert MitigationAction.objects.get().status == Status.OPEN and audit_count() == before


# ---- complete and cancel ---------------------------------------------------------------------------------------


def test_complete_without_evidence_is_a_400_that_changes_nothing(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    before = audit_count()

    response = api_client(cast.workforce).post(api("risk_action_complete", action.public_id), {"note": "Done"})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "evidence_id": ["Closing an action requires evidence: attach a file or choose existing evidence."]
    }
    assert MitigationAction.objects.get().status == Status.OPEN and audit_count() == before


def test_complete_with_a_multipart_file(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)

    response = api_client(cast.workforce).post(
        api("risk_action_complete", action.public_id), {"evidence_file": proof(), "note": "Patched"}, format="multipart"
    )

    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert response.json()["status"] == "done" and response.json()["evidence_id"] == str(evidence.public_id)
    assert EvidenceLink.objects.filter(target_type="risk.mitigationaction", target_id=str(action.public_id)).exists()


def test_complete_with_existing_evidence_and_a_stranger_evidence_id(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.official)
    ours = evidence_upload(
        organization=cast.org, actor=Actor(user=cast.owner), title="Ours", upload=proof(), effective_date=TODAY
    )
    theirs = evidence_upload(
        organization=cast.other_org,
        actor=Actor(user=cast.outsider),
        title="Theirs",
        upload=proof(),
        effective_date=TODAY,
    )
    client = api_client(cast.official)

    stranger = client.post(
        api("risk_action_complete", action.public_id), {"evidence_id": str(theirs.public_id)}, format="json"
    )
    assert stranger.status_code == 400 and list(error_of(stranger)["fields"]) == ["evidence_id"]

    done = client.post(
        api("risk_action_complete", action.public_id), {"evidence_id": str(ours.public_id)}, format="json"
    )
    assert done.status_code == 200 and done.json()["evidence_id"] == str(ours.public_id)


@pytest.mark.parametrize(("who", "expected"), [("workforce", 403), ("auditor", 403), ("outsider", 404)])
def test_complete_denied_to_others(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    action = make_action(risk, cast.official)
    before = audit_count()
    response = client_as(cast, who).post(
        api("risk_action_complete", action.public_id), {"evidence_file": proof()}, format="multipart"
    )
    assert response.status_code == expected
    assert not Evidence.objects.exists() and audit_count() == before


def test_cancel_through_the_api(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    assert (
        api_client(cast.workforce).post(api("risk_action_cancel", action.public_id), {"reason": "x"}).status_code == 403
    )
    blank = api_client(cast.owner).post(api("risk_action_cancel", action.public_id), {"reason": ""}, format="json")
    assert blank.status_code == 400 and list(error_of(blank)["fields"]) == ["reason"]

    response = api_client(cast.owner).post(
        api("risk_action_cancel", action.public_id), {"reason": "Avoided"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["completion_note"]) == ("cancelled", "Avoided")
