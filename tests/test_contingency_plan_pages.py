"""Plan pages: program viewers read, program managers write drafts, signers approve; other organizations' plans
are not found; the list and history cost the same queries whatever their length; the text formats of the list
sections round-trip and report the line at fault."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.contingency.models import ContingencyPlan, PlanVersion
from safeguard.contingency.services.plans import plan_version_draft
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from tests.conftest import Cast, client_for, make_member
from tests.contingency_plan_factories import approved, complete_draft, critical_asset, plan

Status = PlanVersion.Status
BASE = "/o/clinic/contingency/plans/"

DRAFT_FORM = {
    "activation_criteria": "EHR down for an hour.",
    "roles": "Incident commander | Dana Ortiz | Sam Lee | Declares\nScribe | Lee Park",
    "contacts": "Dana Ortiz | Clinic | internal | Lead | 555-0100\n\n"
    "MedSoft desk | MedSoft | business associate | Support | 800-555-0199 | desk@medsoft.test | Dana Ortiz",
    "manual_procedures": "Paper charts.",
    "templates": "Staff | EHR down\nUse the red binder.\nCall the desk.\n---\nPatients | Delays\nWe are on paper.",
    "return_criteria": "EHR reconciled.",
    "revision_reason": "",
}


def pages_for(cast: Cast, version: PlanVersion) -> list[str]:
    target = version.plan
    return [
        BASE,
        f"{BASE}{target.public_id}/",
        f"{BASE}versions/{version.public_id}/",
        f"{BASE}versions/{version.public_id}/print/",
    ]


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_program_viewers_read_plans(cast: Cast, who: str, expected: int):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    client = client_for(getattr(cast, who))
    for url in pages_for(cast, version):
        assert client.get(url).status_code == expected, url


def test_auditors_cannot_write_and_nothing_changes(cast: Cast):
    target = plan(cast.org, cast.owner)
    draft = complete_draft(target, cast.owner, [critical_asset(cast.org, "EHR")])
    before = AuditEvent.objects.count()
    auditor = client_for(cast.auditor)
    assert auditor.get(f"{BASE}new/").status_code == 403
    assert auditor.post(f"{BASE}new/", {"kind": "emergency_mode", "title": "EMO"}).status_code == 403
    assert auditor.post(f"{BASE}{target.public_id}/draft/").status_code == 403
    assert auditor.post(f"{BASE}versions/{draft.public_id}/edit/", DRAFT_FORM).status_code == 403
    assert auditor.post(f"{BASE}versions/{draft.public_id}/approve/", {}).status_code == 403
    draft.refresh_from_db()
    assert (draft.status, draft.activation_criteria) == (Status.DRAFT, "The EHR is down for more than one hour.")
    assert ContingencyPlan.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_a_program_manager_who_cannot_sign_cannot_approve(cast: Cast):
    privacy = make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [critical_asset(cast.org, "EHR")])
    client = client_for(privacy)
    assert client.get(f"{BASE}versions/{draft.public_id}/edit/").status_code == 200
    assert client.post(f"{BASE}versions/{draft.public_id}/approve/", {}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_other_organizations_plans_are_not_found(cast: Cast):
    theirs = approved(
        plan(cast.other_org, cast.outsider), cast.outsider, cast.outsider, [critical_asset(cast.other_org, "EHR")]
    )
    client = client_for(cast.owner)
    for url in pages_for(cast, theirs):
        if url != BASE:
            assert client.get(url).status_code == 404, url
    assert client.post(f"{BASE}versions/{theirs.public_id}/prints/").status_code == 404
    assert client.post(f"{BASE}{theirs.plan.public_id}/draft/").status_code == 404
    assert client.post(f"{BASE}versions/{theirs.public_id}/approve/", {}).status_code == 404
    assert theirs.plan.title not in client.get(BASE).content.decode()


def test_create_a_plan_write_a_draft_in_the_text_format_and_approve_it(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    owner = client_for(cast.owner)
    response = owner.post(
        f"{BASE}new/", {"kind": "emergency_mode", "title": "Emergency mode plan", "review_cadence": "annual"}
    )
    target = ContingencyPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}{target.public_id}/"
    response = owner.post(f"{BASE}{target.public_id}/draft/")
    draft = target.versions.get()
    assert response["Location"] == f"{BASE}versions/{draft.public_id}/edit/"

    response = owner.post(f"{BASE}versions/{draft.public_id}/edit/", {**DRAFT_FORM, "covered_assets": [ehr.public_id]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.roles[1] == {"role": "Scribe", "person": "Lee Park", "alternate": "", "duties": ""}
    assert draft.contacts[1]["kind"] == "business_associate" and draft.contacts[1]["called_by"] == "Dana Ortiz"
    assert draft.templates == [
        {"audience": "Staff", "subject": "EHR down", "body": "Use the red binder.\nCall the desk."},
        {"audience": "Patients", "subject": "Delays", "body": "We are on paper."},
    ]
    # The edit form shows the lists in the format they were written in.
    form = owner.get(f"{BASE}versions/{draft.public_id}/edit/").content.decode()
    assert (
        "MedSoft desk | MedSoft | business associate | Support | 800-555-0199 | desk@medsoft.test | Dana Ortiz" in form
    )

    response = client_for(cast.official).post(f"{BASE}versions/{draft.public_id}/approve/", {"statement": "Checked."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and draft.recovery_order[0]["asset_name"] == "EHR"
    shown = owner.get(f"{BASE}versions/{draft.public_id}/").content.decode()
    assert "<td>Business associate</td>" in shown and "<td>800-555-0199</td>" in shown


def test_list_errors_name_the_line_or_the_item(cast: Cast):
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=plan(cast.org, cast.owner))
    owner = client_for(cast.owner)
    too_many = {**DRAFT_FORM, "roles": "A | B\nA | B | C | D | E"}
    page = owner.post(f"{BASE}versions/{draft.public_id}/edit/", too_many).content.decode()
    assert "Line 2: a role has at most 4 parts separated by “|”, this line has 5." in page
    unknown_caller = {**DRAFT_FORM, "contacts": "Ann | Clinic | internal | Lead | 555 | | Zed"}
    page = owner.post(f"{BASE}versions/{draft.public_id}/edit/", unknown_caller).content.decode()
    assert "Contact 1 (Ann): called by “Zed”, who is not in the contact list." in page
    draft.refresh_from_db()
    assert (draft.roles, draft.contacts) == ([], [])


def test_approval_refusal_is_shown_on_the_version_page(cast: Cast):
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [])
    response = client_for(cast.official).post(f"{BASE}versions/{draft.public_id}/approve/", {})
    assert response.status_code == 200
    assert "Choose the assets the plan covers." in response.content.decode()


def test_history_names_the_sections_each_version_changed(cast: Cast):
    ehr, lab = critical_asset(cast.org, "EHR"), critical_asset(cast.org, "Lab", tier=2)
    target = plan(cast.org, cast.owner)
    approved(target, cast.owner, cast.official, [ehr])
    approved(target, cast.owner, cast.official, [ehr, lab], return_criteria="Lab results reconciled too.")
    page = client_for(cast.owner).get(f"{BASE}{target.public_id}/").content.decode()
    assert "<td>Return-to-normal criteria, Covered assets, Recovery order</td>" in page
    assert "Activation criteria, Roles and alternates, Contacts and call tree" in page  # v1: everything is new


def test_a_version_without_changes_says_so(cast: Cast):
    target = plan(cast.org, cast.owner)
    first = approved(target, cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=target)
    page = client_for(cast.owner).get(f"{BASE}versions/{draft.public_id}/").content.decode()
    # The draft has no recovery order yet: that is the only difference from v1.
    assert f"Changed from v{first.number}" in page and "<dd>Recovery order</dd>" in page


def _plans(cast: Cast, prefix: str, count: int) -> None:
    for n in range(count):
        target = plan(cast.org, cast.owner, title=f"{prefix} {n}")
        approved(target, cast.owner, cast.official, [critical_asset(cast.org, f"{prefix} asset {n}")])
        plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=target)


def test_the_list_costs_the_same_queries_for_one_plan_or_many(cast: Cast):
    client = client_for(cast.owner)
    _plans(cast, "First", 1)
    client.get(BASE)
    with CaptureQueriesContext(connection) as one:
        assert client.get(BASE).status_code == 200
    _plans(cast, "More", 5)
    with CaptureQueriesContext(connection) as many:
        assert client.get(BASE).status_code == 200
    assert len(many) == len(one)


def test_the_history_costs_the_same_queries_for_one_version_or_many(cast: Cast):
    target = plan(cast.org, cast.owner)
    ehr = critical_asset(cast.org, "EHR")
    approved(target, cast.owner, cast.official, [ehr])
    client = client_for(cast.owner)
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"{BASE}{target.public_id}/").status_code == 200
    for _ in range(4):
        approved(target, cast.owner, cast.official, [ehr])
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{BASE}{target.public_id}/").status_code == 200
    assert len(many) == len(one)
