"""Plans over the API: the same rules as the pages (viewers read, managers write drafts, signers approve), other
organizations' plans are not found, errors come in the one envelope naming the item at fault, and a PDF is
requested (202), followed, and downloaded as the stored file once done (409 before)."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.contingency.models import ContingencyPlan, PlanPrint, PlanVersion
from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from tests.conftest import Cast, make_member
from tests.contingency_plan_factories import (
    CONTACTS,
    ROLES,
    TEMPLATES,
    a_print,
    approved,
    complete_draft,
    critical_asset,
    plan,
)
from tests.test_api_support import api_client, client_as, error_of

API = "/api/v1/orgs/clinic/contingency/"
Status = PlanVersion.Status


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_program_viewers_read_plans_and_versions(cast: Cast, who: str, expected: int):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    api = client_as(cast, who)
    target = version.plan.public_id
    for url in (
        f"{API}plans/",
        f"{API}plans/{target}/",
        f"{API}plans/{target}/versions/",
        f"{API}plans/{target}/prints/",
        f"{API}plan-versions/{version.public_id}/",
    ):
        assert api.get(url).status_code == expected, url


def test_the_whole_story_create_draft_edit_approve_print(cast: Cast, django_capture_on_commit_callbacks):
    ehr = critical_asset(cast.org, "EHR")
    owner = client_as(cast, "owner")
    response = owner.post(f"{API}plans/", {"kind": "disaster_recovery", "title": "DR plan"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["approved_version"], body["draft_version"], body["last_printed_at"]) == (
        "disaster_recovery",
        None,
        None,
        None,
    )
    target = body["public_id"]
    draft = owner.post(f"{API}plans/{target}/versions/", format="json")
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    version_id = draft.json()["public_id"]
    changes = {
        "activation_criteria": "EHR down an hour.",
        "roles": ROLES,
        "contacts": CONTACTS,
        "manual_procedures": "Paper.",
        "templates": TEMPLATES,
        "return_criteria": "Reconciled.",
        "covered_assets": [str(ehr.public_id)],
    }
    edited = owner.patch(f"{API}plan-versions/{version_id}/", changes, format="json")
    assert edited.status_code == 200
    assert edited.json()["covered_assets"] == [{"public_id": str(ehr.public_id), "name": "EHR"}]
    assert edited.json()["contacts"][2]["called_by"] == "Sam Lee"

    official = client_as(cast, "official")
    signed = official.post(f"{API}plan-versions/{version_id}/approve/", {"statement": "Read it."}, format="json")
    assert signed.status_code == 200
    body = signed.json()
    assert (body["status"], body["approved_by"], len(body["signature_sha256"])) == ("approved", "so@clinic.test", 64)
    assert body["recovery_order"] == [
        {
            "position": 1,
            "asset": str(ehr.public_id),
            "asset_name": "EHR",
            "tier": 1,
            "rto_minutes": 240,
            "waits_for": [],
            "covered": True,
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        requested = official.post(f"{API}plan-versions/{version_id}/prints/", format="json")
    assert requested.status_code == 202
    assert (requested.json()["state"], requested.json()["links"]["pdf"]) == ("queued", None)
    followed = official.get(requested.json()["links"]["self"]).json()
    assert followed["state"] == "done" and followed["printed_at"] is not None
    pdf = official.get(followed["links"]["pdf"])
    content = b"".join(pdf.streaming_content)  # type: ignore[attr-defined]
    assert pdf.status_code == 200 and content.startswith(b"%PDF")
    prints = owner.get(f"{API}plans/{target}/prints/").json()
    assert prints["count"] == 1
    assert prints["results"][0]["sha256"] == hashlib.sha256(content).hexdigest() == pdf["X-Content-SHA256"]
    assert prints["results"][0]["printed_by"] == "so@clinic.test"
    approved_on = timezone.localdate(PlanVersion.objects.get(public_id=version_id).approved_at)
    before = timezone.localdate()
    listed = owner.get(f"{API}plans/").json()["results"][0]
    after = timezone.localdate()  # the age is 1 when midnight fell since the approval
    assert listed["approved_version"]["public_id"] == version_id
    assert listed["approved_age_days"] in {(before - approved_on).days, (after - approved_on).days}
    assert listed["last_printed_at"] is not None


def test_errors_name_the_item_at_fault(cast: Cast):
    target = plan(cast.org, cast.owner)
    owner = client_as(cast, "owner")
    version_id = owner.post(f"{API}plans/{target.public_id}/versions/", format="json").json()["public_id"]
    bad = [{"name": "Ann", "kind": "internal", "phone": "1", "called_by": "Zed"}]
    error = error_of(owner.patch(f"{API}plan-versions/{version_id}/", {"contacts": bad}, format="json"))
    assert error["fields"] == {"contacts": ["Contact 1 (Ann): called by “Zed”, who is not in the contact list."]}
    theirs = critical_asset(cast.other_org, "Their EHR")
    error = error_of(
        owner.patch(f"{API}plan-versions/{version_id}/", {"covered_assets": [str(theirs.public_id)]}, format="json")
    )
    assert error["fields"] == {"covered_assets": [f"No such asset in this organization: {theirs.public_id}."]}
    second = owner.post(f"{API}plans/{target.public_id}/versions/", format="json")
    assert second.status_code == 400
    assert error_of(second)["message"] == "Version 1 is already a draft: edit it, or approve it first."


def test_approved_versions_are_frozen_over_the_api(cast: Cast):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    response = client_as(cast, "owner").patch(
        f"{API}plan-versions/{version.public_id}/", {"activation_criteria": "Other"}, format="json"
    )
    assert response.status_code == 400
    assert "only a draft can be edited" in error_of(response)["message"]


def test_auditors_and_managers_who_cannot_sign_are_refused_and_nothing_changes(cast: Cast):
    target = plan(cast.org, cast.owner)
    draft = complete_draft(target, cast.owner, [critical_asset(cast.org, "EHR")])
    privacy = api_client(make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user)
    auditor = client_as(cast, "auditor")
    before = AuditEvent.objects.count()
    assert auditor.post(f"{API}plans/", {"kind": "emergency_mode", "title": "EMO"}, format="json").status_code == 403
    assert auditor.post(f"{API}plans/{target.public_id}/versions/", format="json").status_code == 403
    assert (
        auditor.patch(f"{API}plan-versions/{draft.public_id}/", {"return_criteria": "x"}, format="json").status_code
        == 403
    )
    assert auditor.post(f"{API}plan-versions/{draft.public_id}/approve/", {}, format="json").status_code == 403
    assert privacy.post(f"{API}plan-versions/{draft.public_id}/approve/", {}, format="json").status_code == 403
    draft.refresh_from_db()
    assert (draft.status, draft.return_criteria) == (Status.DRAFT, "EHR restored and reconciled.")
    assert ContingencyPlan.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_other_organizations_plans_are_not_found(cast: Cast):
    theirs = approved(
        plan(cast.other_org, cast.outsider), cast.outsider, cast.outsider, [critical_asset(cast.other_org, "EHR")]
    )
    owner = client_as(cast, "owner")
    assert owner.get(f"{API}plans/{theirs.plan.public_id}/").status_code == 404
    assert owner.get(f"{API}plans/{theirs.plan.public_id}/prints/").status_code == 404
    assert owner.post(f"{API}plans/{theirs.plan.public_id}/versions/", format="json").status_code == 404
    assert owner.get(f"{API}plan-versions/{theirs.public_id}/").status_code == 404
    assert owner.post(f"{API}plan-versions/{theirs.public_id}/prints/", format="json").status_code == 404
    assert owner.post(f"{API}plan-versions/{theirs.public_id}/approve/", {}, format="json").status_code == 404
    assert owner.get(f"{API}plans/").json()["count"] == 0
    assert not PlanPrint.objects.exists()


def test_lists_cost_the_same_queries_for_one_plan_or_many(cast: Cast):
    owner = client_as(cast, "owner")

    def add(n: int) -> None:
        target = plan(cast.org, cast.owner, title=f"Plan {n}")
        approved(target, cast.owner, cast.official, [critical_asset(cast.org, f"Asset {n}")])

    add(0)
    owner.get(f"{API}plans/")
    target = ContingencyPlan.objects.get()
    a_print(target.versions.get(), cast.owner)
    with CaptureQueriesContext(connection) as one:
        owner.get(f"{API}plans/")
        owner.get(f"{API}plans/{target.public_id}/versions/")
        owner.get(f"{API}plans/{target.public_id}/prints/")
    for n in range(1, 5):
        add(n)
        a_print(approved(target, cast.owner, cast.official, [critical_asset(cast.org, f"Extra {n}")]), cast.auditor)
    with CaptureQueriesContext(connection) as many:
        assert owner.get(f"{API}plans/").json()["count"] == 5
        assert owner.get(f"{API}plans/{target.public_id}/versions/").json()["count"] == 5
        assert owner.get(f"{API}plans/{target.public_id}/prints/").json()["count"] == 5
    assert len(many) == len(one)


def test_a_print_not_done_is_409_to_download(cast: Cast):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    owner = client_as(cast, "owner")
    for state in (PlanPrint.State.QUEUED, PlanPrint.State.RUNNING, PlanPrint.State.FAILED):
        printed = a_print(version, cast.owner, state)
        response = owner.get(f"{API}plan-prints/{printed.public_id}/pdf/")
        assert response.status_code == 409, state
        assert error_of(response)["code"] == "not_ready"
        assert owner.get(f"{API}plan-prints/{printed.public_id}/").json()["state"] == state


@pytest.mark.parametrize(
    ("who", "expected"), [("auditor", 202), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_who_may_request_and_follow_a_print(cast: Cast, who: str, expected: int):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    done = a_print(version, cast.owner)
    before = AuditEvent.objects.count()
    api = client_as(cast, who)
    assert api.post(f"{API}plan-versions/{version.public_id}/prints/", format="json").status_code == expected
    read = 200 if expected == 202 else expected
    assert api.get(f"{API}plan-prints/{done.public_id}/").status_code == read
    if expected != 202:
        assert PlanPrint.objects.count() == 1 and AuditEvent.objects.count() == before


def test_another_organizations_print_is_not_found(cast: Cast):
    theirs = approved(
        plan(cast.other_org, cast.outsider), cast.outsider, cast.outsider, [critical_asset(cast.other_org, "EHR")]
    )
    printed = a_print(theirs, cast.outsider)
    owner = client_as(cast, "owner")
    assert owner.get(f"{API}plan-prints/{printed.public_id}/").status_code == 404
    assert owner.get(f"{API}plan-prints/{printed.public_id}/pdf/").status_code == 404
