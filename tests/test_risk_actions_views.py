"""Mitigation action pages: the list and its tabs (workforce owners see only theirs), the action page, update,
complete with a file or existing evidence, cancel; who may do what and flat query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import MitigationAction, Risk
from tests.conftest import Cast, client_for
from tests.test_risk_register_support import PDF, TODAY, make_action, make_risk, page

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

Status = MitigationAction.Status


def titles(response: TestResponse) -> list[str]:
    return [action.title for action in response.context["page"].object_list]


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def risk(cast: Cast) -> Risk:
    return make_risk(cast.org, 1, "Ransomware")


# ---- list ------------------------------------------------------------------------------------------------------


def test_tabs_split_open_overdue_and_done(cast: Cast, risk: Risk) -> None:
    make_action(risk, cast.official, days=-2, title="Late")
    make_action(risk, cast.official, days=5, title="Started", status=Status.IN_PROGRESS)
    make_action(risk, cast.official, days=-30, title="Dropped", status=Status.CANCELLED, completion_note="No")
    client = client_for(cast.owner)

    assert titles(client.get(page("action_list"))) == ["Late", "Started"]
    assert titles(client.get(page("action_list"), {"show": "overdue"})) == ["Late"]
    assert titles(client.get(page("action_list"), {"show": "done"})) == ["Dropped"]
    counts = {key: count for key, _label, count in client.get(page("action_list")).context["tabs"]}
    assert counts == {"open": 2, "overdue": 1, "done": 1}


def test_a_workforce_member_sees_only_their_own_actions(cast: Cast, risk: Risk) -> None:
    make_action(risk, cast.workforce, title="Nurse's")
    make_action(risk, cast.official, title="Official's")

    response = client_for(cast.workforce).get(page("action_list"))

    assert response.status_code == 200
    assert titles(response) == ["Nurse's"]
    assert "Official's" not in response.content.decode()
    assert page("register") not in response.content.decode()


def test_mine_narrows_the_list_for_program_viewers(cast: Cast, risk: Risk) -> None:
    make_action(risk, cast.owner, title="Owner's")
    make_action(risk, cast.official, title="Official's")

    assert titles(client_for(cast.owner).get(page("action_list"), {"mine": "1"})) == ["Owner's"]
    assert titles(client_for(cast.auditor).get(page("action_list"))) == ["Official's", "Owner's"]


def test_outsider_gets_404(cast: Cast) -> None:
    assert client_for(cast.outsider).get(page("action_list")).status_code == 404


def test_action_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)
    owners = [cast.owner, cast.official, cast.workforce]

    def add(numbers: range) -> None:
        for number in numbers:
            make_action(make_risk(cast.org, number), owners[number % 3], days=number - 5, title=f"Action {number}")

    add(range(1, 4))
    with CaptureQueriesContext(connection) as few:
        assert client.get(page("action_list")).status_code == 200
    add(range(4, 31))
    with CaptureQueriesContext(connection) as many:
        assert client.get(page("action_list")).status_code == 200

    assert len(many) == len(few)


# ---- the action page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 200), ("outsider", 404)])
def test_detail_matrix_for_the_workforce_members_own_action(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    action = make_action(risk, cast.workforce)
    org = "other" if who == "outsider" else "clinic"
    assert client_for(getattr(cast, who)).get(page("action_detail", action.public_id, org=org)).status_code == expected


def test_workforce_cannot_open_someone_elses_action(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.official)
    assert client_for(cast.workforce).get(page("action_detail", action.public_id)).status_code == 403


def test_the_owner_sees_complete_and_status_only_the_auditor_sees_no_forms(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)

    mine = client_for(cast.workforce).get(page("action_detail", action.public_id))
    audit = client_for(cast.auditor).get(page("action_detail", action.public_id))

    assert list(mine.context["update_form"].fields) == ["status"]
    assert "evidence" not in mine.context["complete_form"].fields  # cannot see the organization's evidence
    assert page("action_complete", action.public_id) in mine.content.decode()
    assert page("action_cancel", action.public_id) not in mine.content.decode()
    for name in ("action_complete", "action_update", "action_cancel"):
        assert page(name, action.public_id) not in audit.content.decode()


def test_owner_moves_their_action_in_progress(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)

    response = client_for(cast.workforce).post(page("action_update", action.public_id), {"status": "in_progress"})

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == Status.IN_PROGRESS


def test_manager_edits_every_field(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    data = {
        "title": "Patch every server",
        "owner": str(cast.official.public_id),
        "due_on": str(TODAY + timedelta(days=9)),
        "acceptance_criteria": "Scan report",
        "status": "open",
    }

    assert client_for(cast.owner).post(page("action_update", action.public_id), data).status_code == 302

    action.refresh_from_db()
    assert (action.title, action.owner, action.due_on) == (
        "Patch every server",
        cast.official,
        TODAY + timedelta(days=9),
    )


def test_complete_without_evidence_shows_the_reason_and_changes_nothing(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)

    response = client_for(cast.workforce).post(page("action_complete", action.public_id), {"note": "Done"})

    assert response.status_code == 200
    errors = response.context["complete_form"].non_field_errors()
    assert errors == ["Closing an action requires evidence: attach a file or choose existing evidence."]
    action.refresh_from_db()
    assert action.status == Status.OPEN
    assert not AuditEvent.objects.exists()


def test_owner_completes_with_a_file(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)

    response = client_for(cast.workforce).post(
        page("action_complete", action.public_id),
        {"note": "Patched", "completed_on": str(TODAY), "evidence_file": proof()},
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == Status.DONE and action.evidence == Evidence.objects.get()
    assert EvidenceLink.objects.filter(target_type="risk.mitigationaction", target_id=str(action.public_id)).exists()


def test_manager_completes_with_existing_evidence(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    evidence = evidence_upload(
        organization=cast.org, actor=Actor(user=cast.owner), title="Scan", upload=proof(), effective_date=TODAY
    )

    response = client_for(cast.owner).post(
        page("action_complete", action.public_id), {"evidence": str(evidence.public_id)}
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.evidence == evidence and action.completed_by == cast.owner


def test_cancel_needs_a_reason(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    client = client_for(cast.official)

    refused = client.post(page("action_cancel", action.public_id), {"reason": ""})
    assert refused.status_code == 200 and "reason" in refused.context["cancel_form"].errors

    assert client.post(page("action_cancel", action.public_id), {"reason": "Risk avoided"}).status_code == 302
    action.refresh_from_db()
    assert action.status == Status.CANCELLED


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_denied_action_writes_change_nothing(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    action = make_action(risk, cast.official)
    client = client_for(getattr(cast, who))
    org = "other" if who == "outsider" else "clinic"

    assert (
        client.post(page("action_update", action.public_id, org=org), {"status": "in_progress"}).status_code == expected
    )
    assert (
        client.post(page("action_complete", action.public_id, org=org), {"evidence_file": proof()}).status_code
        == expected
    )
    assert client.post(page("action_cancel", action.public_id, org=org), {"reason": "x"}).status_code == expected

    action.refresh_from_db()
    assert action.status == Status.OPEN
    assert not Evidence.objects.exists() and not AuditEvent.objects.exists()


def test_the_owner_of_an_action_cannot_cancel_it(cast: Cast, risk: Risk) -> None:
    action = make_action(risk, cast.workforce)
    assert client_for(cast.workforce).post(page("action_cancel", action.public_id), {"reason": "x"}).status_code == 403


def test_another_organizations_action_is_404(cast: Cast) -> None:
    theirs = make_action(make_risk(cast.other_org, 1), cast.outsider)
    assert client_for(cast.owner).get(page("action_detail", theirs.public_id)).status_code == 404
