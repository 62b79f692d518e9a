"""Plan versioning and approval: one draft at a time, a draft copies the approved version, approved versions are
frozen, approval supersedes, stores the recovery order and refuses a dependency cycle; only signers approve; list
sections are checked item by item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import PlanVersion, RecoveryProfile
from safeguard.contingency.services.plans import (
    plan_create,
    plan_version_approve,
    plan_version_draft,
    plan_version_review,
    plan_version_update,
)
from safeguard.core.audit import Actor
from safeguard.core.dates import add_months
from safeguard.core.models import AuditEvent, Signature
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast, make_member
from tests.contingency_plan_factories import CONTACTS, approved, complete_draft, critical_asset, needs, plan

Status = PlanVersion.Status


def test_a_plan_has_one_draft_at_a_time(cast: Cast):
    target = plan(cast.org, cast.owner)
    first = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=target)
    with pytest.raises(ServiceError, match="Version 1 is already a draft"):
        plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=target)
    assert list(target.versions.values_list("number", "status")) == [(first.number, Status.DRAFT)]


def test_titles_are_unique_per_organization_and_kind_is_checked(cast: Cast):
    plan(cast.org, cast.owner, "DR plan")
    with pytest.raises(ServiceError, match="Another plan is called") as error:
        plan(cast.org, cast.owner, "dr PLAN")
    assert error.value.field == "title"
    with pytest.raises(ServiceError) as kind_error:
        plan_create(organization=cast.org, actor=Actor(user=cast.owner), kind="business_continuity", title="BC")
    assert kind_error.value.field == "kind"
    plan(cast.other_org, cast.outsider, "DR plan")  # another organization may use the title


def test_approval_signs_supersedes_and_sets_the_next_review(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    target = plan(cast.org, cast.owner)
    first = approved(target, cast.owner, cast.official, [ehr])
    assert first.status == Status.APPROVED
    assert first.next_review_on == add_months(timezone.localdate(first.approved_at), 12)
    signature = first.signature
    assert signature is not None
    assert (signature.meaning, signature.signer, signature.target_id) == (
        "approved",
        cast.official,
        str(first.public_id),
    )

    second = approved(target, cast.owner, cast.official, [ehr], revision_reason="New vendor desk number")
    first.refresh_from_db()
    assert (first.status, second.status, second.number) == (Status.SUPERSEDED, Status.APPROVED, 2)
    event = AuditEvent.objects.filter(action="contingency.plan_version.approved").order_by("sequence").last()
    assert event is not None and event.changes["supersedes"] == [None, ["v1"]]


def test_a_new_draft_copies_the_approved_version(cast: Cast):
    ehr, lab = critical_asset(cast.org, "EHR"), critical_asset(cast.org, "Lab system", tier=2)
    target = plan(cast.org, cast.owner)
    first = approved(target, cast.owner, cast.official, [ehr, lab])
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=target)
    assert draft.number == 2
    assert (draft.contacts, draft.roles, draft.activation_criteria) == (
        first.contacts,
        first.roles,
        first.activation_criteria,
    )
    assert set(draft.covered_assets.all()) == {ehr, lab}
    assert draft.recovery_order == [] and draft.signature_id is None


def test_approved_versions_are_frozen(cast: Cast):
    target = plan(cast.org, cast.owner)
    version = approved(target, cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="only a draft can be edited"):
        plan_version_update(
            organization=cast.org, actor=Actor(user=cast.owner), version=version, activation_criteria="Changed"
        )
    with pytest.raises(ServiceError, match="not a draft"):
        plan_version_approve(organization=cast.org, actor=Actor(user=cast.official), version=version)
    version.refresh_from_db()
    assert version.activation_criteria == "The EHR is down for more than one hour."
    assert AuditEvent.objects.count() == before


def test_approval_stores_the_recovery_order_from_the_dependencies(cast: Cast):
    directory = critical_asset(cast.org, "Directory", tier=2, rto=120)
    ehr = critical_asset(cast.org, "EHR", tier=1, rto=240)
    billing = critical_asset(cast.org, "Billing", tier=2, rto=60)
    needs(cast.org, ehr, directory)
    target = plan(cast.org, cast.owner)
    version = approved(target, cast.owner, cast.official, [ehr, billing])
    order = [(step["position"], step["asset_name"], step["covered"]) for step in version.recovery_order]
    # The directory comes first: the tier 1 EHR waits for it (and it is pulled in though not covered itself).
    assert order == [(1, "Directory", False), (2, "EHR", True), (3, "Billing", True)]
    assert version.recovery_order[1]["waits_for"] == ["Directory"]
    assert version.recovery_order[1]["asset"] == str(ehr.public_id)
    assert (version.recovery_order[2]["tier"], version.recovery_order[2]["rto_minutes"]) == (2, 60)

    # The snapshot is what was signed: a later change to the analysis does not rewrite it.
    RecoveryProfile.objects.filter(asset=billing).update(tier=1)
    version.refresh_from_db()
    assert version.recovery_order[2]["tier"] == 2


def test_approval_is_refused_when_the_covered_assets_have_a_dependency_cycle(cast: Cast):
    ehr, directory = critical_asset(cast.org, "EHR"), critical_asset(cast.org, "Directory")
    needs(cast.org, ehr, directory)
    needs(cast.org, directory, ehr)
    target = plan(cast.org, cast.owner)
    draft = complete_draft(target, cast.owner, [ehr])
    signatures = Signature.objects.count()
    with pytest.raises(
        ServiceError, match="dependency cycle among the covered assets \\(Directory → EHR → Directory\\)"
    ):
        plan_version_approve(organization=cast.org, actor=Actor(user=cast.official), version=draft)
    draft.refresh_from_db()
    assert (draft.status, draft.recovery_order, Signature.objects.count()) == (Status.DRAFT, [], signatures)


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.MANAGER])
def test_only_those_who_sign_decisions_approve(cast: Cast, role: str):
    member = make_member(cast.org, f"{role}@clinic.test", role).user
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [critical_asset(cast.org, "EHR")])
    with pytest.raises(ServiceError, match="Only the security official or an owner can sign"):
        plan_version_approve(organization=cast.org, actor=Actor(user=member), version=draft)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not AuditEvent.objects.filter(action="contingency.plan_version.approved").exists()


def test_an_incomplete_draft_cannot_be_approved(cast: Cast):
    target = plan(cast.org, cast.owner)
    draft = complete_draft(target, cast.owner, [], manual_procedures="  ")
    with pytest.raises(ServiceError) as error:
        plan_version_approve(organization=cast.org, actor=Actor(user=cast.official), version=draft)
    assert error.value.field == "manual_procedures"
    draft = plan_version_update(
        organization=cast.org, actor=Actor(user=cast.owner), version=draft, manual_procedures="Paper."
    )
    with pytest.raises(ServiceError, match="Choose the assets the plan covers"):
        plan_version_approve(organization=cast.org, actor=Actor(user=cast.official), version=draft)


@pytest.mark.parametrize(
    ("contacts", "message"),
    [
        ([{"name": "Ann", "kind": "internal"}], "Contact 1 \\(Ann\\): give a phone number"),
        ([{"name": "Ann", "kind": "friend", "phone": "1"}], "Contact 1 \\(Ann\\): kind must be one of"),
        (
            [*CONTACTS, {"name": "Bo", "kind": "vendor", "phone": "2", "called_by": "Zed"}],
            "Contact 4 \\(Bo\\): called by “Zed”, who is not in the contact list",
        ),
        (
            [
                {"name": "Ann", "kind": "internal", "phone": "1", "called_by": "Bo"},
                {"name": "Bo", "kind": "internal", "phone": "2", "called_by": "Ann"},
            ],
            "Contact 1 \\(Ann\\): the call tree goes round in a loop \\(Ann → Bo → Ann\\)",
        ),
        (
            [{"name": "Ann", "kind": "internal", "phone": "1"}, {"name": "ann", "kind": "vendor", "phone": "2"}],
            "Contact 2 \\(ann\\): another contact has the same name",
        ),
        ([{"name": "Ann", "kind": "internal", "phone": "1", "pager": "3"}], "Contact 1: unknown field pager"),
    ],
)
def test_contacts_are_checked_item_by_item(cast: Cast, contacts: list[dict[str, str]], message: str):
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=plan(cast.org, cast.owner))
    with pytest.raises(ServiceError, match=message) as error:
        plan_version_update(organization=cast.org, actor=Actor(user=cast.owner), version=draft, contacts=contacts)
    assert error.value.field == "contacts"
    draft.refresh_from_db()
    assert draft.contacts == []


def test_roles_need_a_person_and_templates_a_body(cast: Cast):
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=plan(cast.org, cast.owner))
    actor = Actor(user=cast.owner)
    with pytest.raises(ServiceError, match="Role 2 \\(Scribe\\): name the person who fills it"):
        roles = [{"role": "Lead", "person": "Dana"}, {"role": "Scribe"}]
        plan_version_update(organization=cast.org, actor=actor, version=draft, roles=roles)
    with pytest.raises(ServiceError, match="Template 1: the body is missing") as error:
        plan_version_update(
            organization=cast.org, actor=actor, version=draft, templates=[{"audience": "Staff", "subject": "Down"}]
        )
    assert error.value.field == "templates"


def test_links_and_assets_must_belong_to_the_organization(cast: Cast):
    theirs = critical_asset(cast.other_org, "Their EHR")
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=plan(cast.org, cast.owner))
    with pytest.raises(ServiceError, match="No such asset") as error:
        plan_version_update(organization=cast.org, actor=Actor(user=cast.owner), version=draft, covered_assets=[theirs])
    assert error.value.field == "covered_assets"
    assert draft.covered_assets.count() == 0


def test_every_change_is_audited_with_what_changed(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [ehr])
    event = AuditEvent.objects.filter(action="contingency.plan_version.updated").get()
    assert event.changes["covered_assets"] == [[], ["EHR"]]
    assert event.changes["manual_procedures"] == ["", "Paper charts; phone orders to the lab."]
    assert AuditEvent.objects.filter(action="contingency.plan.created").count() == 1
    assert AuditEvent.objects.filter(action="contingency.plan_version.drafted", object_id=str(draft.public_id)).exists()


def test_review_moves_the_next_review_and_needs_an_approved_version(cast: Cast):
    target = plan(cast.org, cast.owner)
    version = approved(target, cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    PlanVersion.objects.filter(pk=version.pk).update(next_review_on=timezone.localdate() - timedelta(days=3))
    reviewed = plan_version_review(
        organization=cast.org, actor=Actor(user=cast.official), version=version, statement="Checked the numbers."
    )
    assert reviewed.next_review_on == add_months(timezone.localdate(), 12)
    assert Signature.objects.filter(meaning="reviewed", target_id=str(version.public_id)).count() == 1
    draft = plan_version_draft(organization=cast.org, actor=Actor(user=cast.owner), plan=target)
    with pytest.raises(ServiceError, match="Only the approved version can be reviewed"):
        plan_version_review(organization=cast.org, actor=Actor(user=cast.official), version=draft, statement="x")
