"""Sanction services: policy versions, approval and review; the log's rules; nothing confidential in the trail."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db.models import Max

from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Membership, Signature
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_upload
from safeguard.core.services.signatures import content_hash
from safeguard.risk.models import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.services.sanctions import (
    CONFIDENTIAL,
    LOG_TYPE,
    POLICY_TYPE,
    sanction_log_review,
    sanction_policy_approve,
    sanction_policy_create,
    sanction_policy_review,
    sanction_policy_update,
    sanction_read_record,
    sanction_update,
    signed_content,
)
from safeguard.tracker.models import EvaluationRun
from tests.conftest import Cast
from tests.test_risk_sanctions_support import (
    NOTES,
    PERSON,
    TODAY,
    VIOLATION,
    actor,
    approved,
    draft,
    leaked,
    member,
    pdf,
    sanction,
)

Status = SanctionPolicy.Status


def evidence(cast: Cast, title: str = "Signed sanction policy") -> Evidence:
    return evidence_upload(
        organization=cast.org, actor=actor(cast.owner), title=title, upload=pdf(), effective_date=TODAY
    )


# ---- policy versions ------------------------------------------------------------------------------------------


def test_versions_are_numbered_per_organization(cast: Cast) -> None:
    assert [draft(cast).version for _ in range(3)] == [1, 2, 3]
    assert draft(cast, org=cast.other_org).version == 1


def test_a_new_draft_is_audited_with_its_text(cast: Cast) -> None:
    policy = draft(cast, "Coaching first, then written warnings.")

    event = AuditEvent.objects.get(action="risk.sanction_policy.created")
    assert event.object_id == str(policy.public_id)
    assert event.changes["version"] == [None, 1]
    assert event.changes["body"] == [None, "Coaching first, then written warnings."]
    assert policy.status == Status.DRAFT and policy.created_by == cast.owner


@pytest.mark.parametrize(("title", "body", "field"), [("Sanction policy", "  ", "body"), (" ", "Text", "title")])
def test_a_draft_needs_a_title_and_a_body(cast: Cast, title: str, body: str, field: str) -> None:
    with pytest.raises(ServiceError) as refused:
        sanction_policy_create(organization=cast.org, actor=actor(cast.owner), title=title, body=body)

    assert refused.value.field == field
    assert not SanctionPolicy.objects.exists()
    assert not AuditEvent.objects.exists()


def test_existing_evidence_becomes_the_document_and_is_linked(cast: Cast) -> None:
    document = evidence(cast)

    policy = sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Text", document=document)

    assert policy.document == document
    assert EvidenceLink.objects.filter(evidence=document, target_type=POLICY_TYPE, target_id=str(policy.public_id))
    assert AuditEvent.objects.get(action="risk.sanction_policy.created").changes["document"] == [
        None,
        str(document.public_id),
    ]


def test_an_uploaded_document_is_stored_as_linked_evidence(cast: Cast) -> None:
    policy = sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Text", document_file=pdf())

    policy.refresh_from_db()
    assert policy.document is not None
    assert policy.document.title == "Sanction policy v1"
    assert EvidenceLink.objects.filter(evidence=policy.document, target_id=str(policy.public_id)).exists()


def test_a_bad_upload_names_the_document_file_and_writes_nothing(cast: Cast) -> None:
    bad = pdf(content=b"not a pdf at all")

    with pytest.raises(ServiceError) as refused:
        sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Text", document_file=bad)

    assert refused.value.field == "document_file"
    assert not SanctionPolicy.objects.exists()
    assert not Evidence.objects.exists()


def test_evidence_of_another_organization_is_refused(cast: Cast) -> None:
    theirs = evidence_upload(
        organization=cast.other_org, actor=actor(cast.outsider), title="Theirs", upload=pdf(), effective_date=TODAY
    )

    with pytest.raises(ServiceError) as refused:
        sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Text", document=theirs)

    assert refused.value.field == "document"
    assert not SanctionPolicy.objects.exists()


def test_both_a_pick_and_an_upload_are_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError) as refused:
        sanction_policy_create(
            organization=cast.org, actor=actor(cast.owner), body="T", document=evidence(cast), document_file=pdf()
        )
    assert refused.value.field == "document_file"


def test_a_draft_can_be_edited_and_the_change_is_audited(cast: Cast) -> None:
    policy = draft(cast, "Old text")

    sanction_policy_update(organization=cast.org, actor=actor(cast.official), policy=policy, body="New text")

    policy.refresh_from_db()
    assert policy.body == "New text"
    assert AuditEvent.objects.get(action="risk.sanction_policy.updated").changes == {"body": ["Old text", "New text"]}


def test_editing_to_the_same_text_writes_no_event(cast: Cast) -> None:
    policy = draft(cast, "Same")
    sanction_policy_update(organization=cast.org, actor=actor(cast.owner), policy=policy, body="Same")
    assert not AuditEvent.objects.filter(action="risk.sanction_policy.updated").exists()


def test_an_empty_body_is_refused_on_edit(cast: Cast) -> None:
    policy = draft(cast, "Keep me")
    with pytest.raises(ServiceError) as refused:
        sanction_policy_update(organization=cast.org, actor=actor(cast.owner), policy=policy, body="")
    assert refused.value.field == "body"
    policy.refresh_from_db()
    assert policy.body == "Keep me"


def test_the_document_can_be_removed_from_a_draft(cast: Cast) -> None:
    policy = sanction_policy_create(
        organization=cast.org, actor=actor(cast.owner), body="Text", document=evidence(cast)
    )
    sanction_policy_update(organization=cast.org, actor=actor(cast.owner), policy=policy, document=None)
    policy.refresh_from_db()
    assert policy.document is None


def test_an_approved_version_cannot_be_edited(cast: Cast) -> None:
    policy = approved(cast, "Frozen")
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError, match="only a draft can be edited"):
        sanction_policy_update(organization=cast.org, actor=actor(cast.owner), policy=policy, body="Changed")

    policy.refresh_from_db()
    assert policy.body == "Frozen"
    assert AuditEvent.objects.count() == before


# ---- approval and review ----------------------------------------------------------------------------------------


def test_approval_signs_the_version_and_starts_the_review_clock(cast: Cast, django_capture_on_commit_callbacks) -> None:
    policy = draft(cast)

    with django_capture_on_commit_callbacks(execute=True):
        sanction_policy_approve(
            organization=cast.org, actor=actor(cast.official), policy=policy, statement="Approved at the May meeting."
        )

    policy.refresh_from_db()
    signature = policy.approval
    assert signature is not None
    assert policy.status == Status.APPROVED
    assert signature.meaning == Signature.Meaning.APPROVED
    assert (signature.target_type, signature.target_id) == (POLICY_TYPE, str(policy.public_id))
    assert signature.signer == cast.official and signature.statement == "Approved at the May meeting."
    assert signature.content_sha256 == content_hash(
        {"version": 1, "title": "Sanction policy", "body": policy.body, "document_sha256": None}
    )
    assert policy.approved_at == policy.last_reviewed_at == signature.signed_at
    assert AuditEvent.objects.filter(action="risk.sanction_policy.approved", object_id=str(policy.public_id)).exists()
    assert EvaluationRun.objects.filter(organization=cast.org, trigger="risk.sanction_policy_approved").exists()


def test_the_signed_content_covers_the_documents_bytes(cast: Cast) -> None:
    document = evidence(cast)
    policy = sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Text", document=document)

    content = signed_content(policy)

    assert content["document_sha256"] == document.versions.get().sha256


def test_approving_supersedes_the_version_approved_before(cast: Cast) -> None:
    first = approved(cast)
    second = approved(cast, "Revised")

    first.refresh_from_db()
    assert (first.status, second.status) == (Status.SUPERSEDED, Status.APPROVED)
    event = AuditEvent.objects.get(action="risk.sanction_policy.approved", object_id=str(second.public_id))
    assert event.changes["supersedes"] == [None, ["v1"]]


@pytest.mark.parametrize("status", [Status.APPROVED, Status.SUPERSEDED])
def test_only_a_draft_can_be_approved(cast: Cast, status: str) -> None:
    policy = draft(cast)
    SanctionPolicy.objects.filter(pk=policy.pk).update(status=status)
    before = Signature.objects.count()

    with pytest.raises(ServiceError, match="not a draft"):
        sanction_policy_approve(organization=cast.org, actor=actor(cast.owner), policy=policy, statement="Yes")

    assert Signature.objects.count() == before


def test_an_older_draft_cannot_replace_a_newer_approved_version(cast: Cast) -> None:
    old_draft = draft(cast)
    newer = approved(cast)

    with pytest.raises(ServiceError, match="newer"):
        sanction_policy_approve(organization=cast.org, actor=actor(cast.owner), policy=old_draft, statement="Yes")

    newer.refresh_from_db()
    assert newer.status == Status.APPROVED


def test_approval_needs_a_statement(cast: Cast) -> None:
    policy = draft(cast)
    with pytest.raises(ServiceError) as refused:
        sanction_policy_approve(organization=cast.org, actor=actor(cast.owner), policy=policy, statement=" ")
    assert refused.value.field == "statement"
    assert not Signature.objects.exists()


def test_a_privacy_officer_cannot_sign_an_approval(cast: Cast) -> None:
    officer = member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER)
    policy = draft(cast)
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError, match="security official or an owner"):
        sanction_policy_approve(organization=cast.org, actor=actor(officer), policy=policy, statement="Yes")

    policy.refresh_from_db()
    assert policy.status == Status.DRAFT
    assert AuditEvent.objects.count() == before


def test_the_yearly_review_is_signed_without_a_new_version(cast: Cast, django_capture_on_commit_callbacks) -> None:
    policy = approved(cast)
    approved_at = policy.approved_at

    with django_capture_on_commit_callbacks(execute=True):
        sanction_policy_review(
            organization=cast.org, actor=actor(cast.owner), policy=policy, statement="Reviewed; still fits."
        )

    policy.refresh_from_db()
    review = Signature.objects.get(meaning=Signature.Meaning.REVIEWED)
    assert review.target_id == str(policy.public_id)
    assert policy.last_reviewed_at == review.signed_at
    assert policy.approved_at == approved_at
    assert SanctionPolicy.objects.aggregate(n=Max("version"))["n"] == 1
    assert AuditEvent.objects.filter(action="risk.sanction_policy.reviewed").exists()
    assert EvaluationRun.objects.filter(trigger="risk.sanction_policy_reviewed").exists()


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUPERSEDED])
def test_only_the_approved_version_can_be_reviewed(cast: Cast, status: str) -> None:
    policy = draft(cast)
    SanctionPolicy.objects.filter(pk=policy.pk).update(status=status)

    with pytest.raises(ServiceError, match="only the approved version"):
        sanction_policy_review(organization=cast.org, actor=actor(cast.owner), policy=policy, statement="Ok")

    assert not Signature.objects.exists()


# ---- the log ----------------------------------------------------------------------------------------------------


def test_a_sanction_is_recorded_and_its_event_holds_field_names_only(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = sanction(cast, person=cast.workforce, incident_reference="INC-7")

    assert record.person_name == PERSON and record.created_by == cast.owner
    event = AuditEvent.objects.get(action="risk.sanction.recorded")
    assert event.object_repr == f"Sanction {record.public_id}"
    # Auditors read the trail but not the log: not even the level is in it.
    assert event.changes["level"] == [None, CONFIDENTIAL]
    assert event.changes["violation"] == [None, CONFIDENTIAL]
    assert set(event.changes) == {
        "person_name",
        "person",
        "occurred_on",
        "decided_on",
        "violation",
        "policy_breached",
        "incident_reference",
        "level",
        "decided_by",
        "notes",
    }
    assert leaked(VIOLATION, PERSON, NOTES, "INC-7", str(cast.workforce.public_id), "Minimum necessary") == []
    # The dashboard shows triggers to every program reader: a neutral label, not "a sanction was recorded".
    assert EvaluationRun.objects.filter(trigger="risk.sanctions").exists()


def test_an_edit_records_which_fields_changed_and_never_their_values(cast: Cast) -> None:
    record = sanction(cast)

    sanction_update(
        organization=cast.org,
        actor=actor(cast.official),
        sanction=record,
        violation="Shared a login with a locum",
        notes="",
        level=SanctionLevel.SUSPENSION,
    )

    event = AuditEvent.objects.get(action="risk.sanction.updated")
    assert event.changes == {
        "level": [CONFIDENTIAL, CONFIDENTIAL],
        "notes": [CONFIDENTIAL, CONFIDENTIAL],
        "violation": [CONFIDENTIAL, CONFIDENTIAL],
    }
    assert leaked(VIOLATION, NOTES, "Shared a login") == []
    record.refresh_from_db()
    assert record.violation == "Shared a login with a locum"


def test_an_edit_that_changes_nothing_writes_no_event(cast: Cast) -> None:
    record = sanction(cast)
    sanction_update(organization=cast.org, actor=actor(cast.owner), sanction=record, person_name=PERSON)
    assert not AuditEvent.objects.filter(action="risk.sanction.updated").exists()


def test_an_unknown_field_is_refused(cast: Cast) -> None:
    record = sanction(cast)
    with pytest.raises(ServiceError, match="Unknown fields: created_by"):
        sanction_update(organization=cast.org, actor=actor(cast.owner), sanction=record, created_by=cast.auditor)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"person_name": " "}, "person_name"),
        ({"violation": ""}, "violation"),
        ({"policy_breached": ""}, "policy_breached"),
        ({"level": "flogging"}, "level"),
        ({"decided_on": TODAY + timedelta(days=1)}, "decided_on"),
        ({"occurred_on": TODAY - timedelta(days=1), "decided_on": TODAY - timedelta(days=2)}, "occurred_on"),
        ({"occurred_on": date(1989, 12, 31)}, "occurred_on"),
    ],
)
def test_the_log_refuses_incomplete_or_impossible_records(cast: Cast, values: dict[str, Any], field: str) -> None:
    with pytest.raises(ServiceError) as refused:
        sanction(cast, **values)
    assert refused.value.field == field
    assert not SanctionRecord.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_decision_today_on_a_same_day_violation_is_accepted(cast: Cast) -> None:
    record = sanction(cast, occurred_on=TODAY, decided_on=TODAY)
    assert record.decided_on == TODAY


@pytest.mark.parametrize("who", ["outsider", "former"])
def test_whoever_decided_must_be_a_current_member(cast: Cast, who: str) -> None:
    decider = cast.outsider
    if who == "former":
        decider = member(cast.org, "left@clinic.test", Role.SECURITY_OFFICIAL)
        Membership.objects.filter(user=decider).update(is_active=False)

    with pytest.raises(ServiceError) as refused:
        sanction(cast, decided_by=decider)

    assert refused.value.field == "decided_by"


def test_the_person_may_be_a_former_member_but_not_an_outsider(cast: Cast) -> None:
    Membership.objects.filter(user=cast.workforce).update(is_active=False)
    assert sanction(cast, person=cast.workforce).person == cast.workforce

    with pytest.raises(ServiceError) as refused:
        sanction(cast, person=cast.outsider)
    assert refused.value.field == "person"


def test_an_edit_is_checked_like_a_new_record(cast: Cast) -> None:
    record = sanction(cast)
    with pytest.raises(ServiceError) as refused:
        sanction_update(
            organization=cast.org, actor=actor(cast.owner), sanction=record, decided_on=TODAY + timedelta(days=5)
        )
    assert refused.value.field == "decided_on"
    record.refresh_from_db()
    assert record.decided_on == TODAY - timedelta(days=3)


def test_a_read_is_recorded_without_the_contents(cast: Cast) -> None:
    record = sanction(cast)

    sanction_read_record(organization=cast.org, actor=actor(cast.official), sanction=record)

    event = AuditEvent.objects.get(action="risk.sanction.viewed")
    assert (event.actor, event.object_id, event.changes) == (cast.official, str(record.public_id), {})


def test_the_log_review_is_a_signature_on_the_organizations_log(cast: Cast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signature = sanction_log_review(
            organization=cast.org, actor=actor(cast.official), statement="Q1 2026 reviewed: nothing to record."
        )

    assert (signature.target_type, signature.target_id) == (LOG_TYPE, str(cast.org.public_id))
    assert signature.meaning == Signature.Meaning.REVIEWED
    assert EvaluationRun.objects.filter(trigger="risk.sanctions").exists()


@pytest.mark.parametrize(("who", "statement"), [("official", ""), ("privacy", "Reviewed")])
def test_the_log_review_needs_a_statement_and_a_signer(cast: Cast, who: str, statement: str) -> None:
    user = cast.official if who == "official" else member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER)
    with pytest.raises(ServiceError):
        sanction_log_review(organization=cast.org, actor=actor(user), statement=statement)
    assert not Signature.objects.exists()
