"""Acknowledgement services: documents and versions, publishing (supersedes, asks the audience again), the one
door for acknowledgements (current version only, once per person, paper with its signed page), the joiner steps it
completes, and the sanction policy's mirror of the risk records."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.services.sanctions import sanction_policy_approve, sanction_policy_create
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AckRequest, AudienceKind
from safeguard.training.queries_acks import AckState, my_acknowledgements
from safeguard.training.services.acknowledgements import (
    acknowledgement_record,
    document_retire,
    document_update,
    sanction_policy_publish,
    sanction_policy_sync,
    version_publish,
    version_update,
)
from safeguard.workforce.models import Person, WorkflowTask
from tests.access_factories import person
from tests.conftest import Cast
from tests.test_risk_sanctions_support import approved
from tests.test_training_acks_support import (
    GUIDE,
    TODAY,
    actions,
    actor,
    audit_count,
    document,
    draft,
    last_event,
    nurse,
    published,
    scan,
)
from tests.test_workflows_support import joiner, task_of

Method = Acknowledgement.Method
Status = AckDocumentVersion.Status
TaskKind = WorkflowTask.Kind


def record(cast: Cast, version: AckDocumentVersion, who: Person, **values: object) -> Acknowledgement:
    values.setdefault("method", Method.EMAIL_LINK)
    return acknowledgement_record(
        organization=cast.org,
        actor=values.pop("by", actor(None)),  # type: ignore[arg-type]
        version=version,
        person=who,
        **values,  # type: ignore[arg-type]
    )


# ---- documents and versions --------------------------------------------------------------------------------------


def test_a_document_starts_without_a_version_and_asks_nobody(cast: Cast) -> None:
    nurse(cast)

    doc = document(cast, "Lost device: what to do", kind=GUIDE)

    assert (doc.kind, doc.audience, doc.due_days) == (GUIDE, AudienceKind.EVERYONE, 30)
    assert not AckRequest.objects.exists()
    assert actions()[-1] == "training.ack_document.created"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": "  "}, "title", "Give the document a title, e.g. “Acceptable use policy”."),
        ({"kind": "sanction_policy"}, "kind", "The sanction-policy document is made when the sanction policy"),
        ({"audience": AudienceKind.DEPARTMENT}, "audience_values", "Name at least one department."),
        ({"audience": AudienceKind.NEW_HIRES}, "audience_values", "Choose one of the audiences: everyone on the"),
        ({"due_days": 0}, "due_days", "People have between 1 and 365 days to acknowledge."),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_written(
    cast: Cast, values: dict[str, object], field: str, message: str
) -> None:
    before = audit_count()
    arguments: dict[str, object] = {"title": "Policy", "kind": "policy", **values}

    with pytest.raises(ServiceError) as refused:
        document(cast, **arguments)  # type: ignore[arg-type]

    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    assert not AckDocument.objects.exists()
    assert audit_count() == before


def test_two_documents_cannot_share_a_title_whatever_the_case(cast: Cast) -> None:
    document(cast, "Acceptable use policy")

    with pytest.raises(ServiceError, match="Another document is already titled “ACCEPTABLE use policy”"):
        document(cast, "ACCEPTABLE use policy")


def test_one_draft_at_a_time(cast: Cast) -> None:
    doc = document(cast)
    draft(cast, doc)

    with pytest.raises(ServiceError, match="Version 1 is still a draft: edit or publish it"):
        draft(cast, doc, "Another text")


def test_a_published_version_is_frozen(cast: Cast) -> None:
    version = published(cast, document(cast))
    before = audit_count()

    with pytest.raises(ServiceError, match="Version 1 is published: only a draft can be edited"):
        version_update(organization=cast.org, actor=actor(cast.official), version=version, body="Changed")

    version.refresh_from_db()
    assert version.body == "Use work systems for work."
    assert audit_count() == before


def test_publishing_asks_every_current_person_of_the_audience(cast: Cast) -> None:
    nurse_ = nurse(cast)
    on_leave = person(cast.org, "N-2", status=Person.Status.LEAVE)
    person(cast.org, "N-3", termination_at=timezone.now() - timedelta(days=3))
    person(cast.org, "B-1", department="Billing")
    doc = document(cast, audience=AudienceKind.DEPARTMENT, values=["nursing"], due_days=14)

    version = published(cast, doc)

    requests = AckRequest.objects.filter(version=version).order_by("person__employee_id")
    assert [(r.person, r.due_on) for r in requests] == [
        (nurse_, TODAY + timedelta(days=14)),
        (on_leave, TODAY + timedelta(days=14)),
    ]
    event = AuditEvent.objects.get(action="training.ack_version.published")
    assert event.changes["requested"] == [None, 2]
    assert event.changes["status"] == ["draft", "published"]


def test_a_new_version_supersedes_the_last_and_asks_everyone_again(cast: Cast) -> None:
    nurse_ = nurse(cast)
    doc = document(cast)
    first = published(cast, doc)
    record(cast, first, nurse_)

    second = published(cast, doc, "New rules for personal devices.", today=TODAY + timedelta(days=100))

    first.refresh_from_db()
    assert (first.status, second.status, second.number) == (Status.SUPERSEDED, Status.PUBLISHED, 2)
    request = AckRequest.objects.get(version=second, person=nurse_)
    assert request.due_on == TODAY + timedelta(days=130)
    assert last_event("training.ack_version.published").changes["supersedes"] == [
        None,
        "v1",
    ]
    state = my_acknowledgements(cast.org, nurse_, today=TODAY + timedelta(days=100))
    assert [(row.version, row.state) for row in state] == [(second, AckState.PENDING)]


def test_only_a_draft_is_published(cast: Cast) -> None:
    version = published(cast, document(cast))

    with pytest.raises(ServiceError, match="Version 1 is published: only a draft can be published"):
        version_publish(organization=cast.org, actor=actor(cast.official), version=version)


def test_moving_into_the_audience_by_an_edit_asks_at_once(cast: Cast) -> None:
    billing = person(cast.org, "B-1", department="Billing")
    doc = document(cast, audience=AudienceKind.DEPARTMENT, values=["Nursing"])
    version = published(cast, doc)
    assert not AckRequest.objects.filter(person=billing).exists()

    document_update(
        organization=cast.org,
        actor=actor(cast.official),
        document=doc,
        audience_values=["Nursing", "Billing"],
        today=TODAY,
    )

    assert AckRequest.objects.get(person=billing).version == version
    assert last_event("training.ack_document.updated").changes["requested"] == [None, 1]


# ---- acknowledging -----------------------------------------------------------------------------------------------


def test_acknowledging_by_link_is_recorded_once(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    before = audit_count()

    first = record(cast, version, nurse_, ip="203.0.113.9", user_agent="Firefox")
    again = record(cast, version, nurse_)

    assert again == first
    assert (first.method, first.ip, first.user_agent, first.recorded_by) == (
        Method.EMAIL_LINK,
        "203.0.113.9",
        "Firefox",
        None,
    )
    assert Acknowledgement.objects.count() == 1
    assert actions()[before:] == ["training.acknowledgement.recorded"]


def test_a_superseded_version_is_refused_naming_the_current_one(cast: Cast) -> None:
    nurse_ = nurse(cast)
    doc = document(cast)
    first = published(cast, doc)
    published(cast, doc, "Second text")
    before = audit_count()

    with pytest.raises(ServiceError) as refused:
        record(cast, first, nurse_)

    assert refused.value.message == (
        "Version 1 of “Acceptable use policy” was replaced by a newer version; acknowledge version 2 instead."
    )
    assert not Acknowledgement.objects.exists()
    assert audit_count() == before


def test_drafts_retired_documents_and_people_outside_the_audience_are_refused(cast: Cast) -> None:
    nurse_ = nurse(cast)
    biller = person(cast.org, "B-1", department="Billing")
    doc = document(cast, audience=AudienceKind.DEPARTMENT, values=["Nursing"])
    version = draft(cast, doc)

    with pytest.raises(ServiceError, match="is a draft: it cannot be acknowledged until published"):
        record(cast, version, nurse_)
    version_publish(organization=cast.org, actor=actor(cast.official), version=version)
    with pytest.raises(ServiceError, match="“Acceptable use policy” is not addressed to Pat B-1"):
        record(cast, version, biller)
    document_retire(organization=cast.org, actor=actor(cast.official), document=doc)
    with pytest.raises(ServiceError, match="was retired: it no longer needs acknowledging"):
        record(cast, version, nurse_)
    assert not Acknowledgement.objects.exists()


def test_in_app_is_only_for_the_person_themselves(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))

    with pytest.raises(ServiceError, match="Only the person can acknowledge in Safeguard"):
        record(cast, version, nurse_, method=Method.IN_APP, by=actor(cast.owner))
    done = record(cast, version, nurse_, method=Method.IN_APP, by=actor(cast.workforce))

    assert (done.method, done.recorded_by) == (Method.IN_APP, cast.workforce)


def test_paper_needs_the_signed_page_and_a_plausible_date(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    now = timezone.now()

    cases: list[tuple[dict[str, Any], str]] = [
        ({"acknowledged_at": now}, "Attach the signed page (a scan or a photo)."),
        ({"evidence_file": scan()}, "Give the date the page was signed."),
        ({"acknowledged_at": now + timedelta(days=1), "evidence_file": scan()}, "cannot be signed in the future"),
        ({"acknowledged_at": now - timedelta(days=3), "evidence_file": scan()}, "a page signed before then is of"),
    ]
    for values, message in cases:
        with pytest.raises(ServiceError, match=re.escape(message)):
            record(cast, version, nurse_, method=Method.PAPER, by=actor(cast.official), **values)
    assert not Acknowledgement.objects.exists()


def test_paper_is_recorded_with_its_evidence_and_a_repeat_is_an_error(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    signed = timezone.now()

    done = record(
        cast,
        version,
        nurse_,
        method=Method.PAPER,
        by=actor(cast.official),
        acknowledged_at=signed,
        evidence_file=scan(),
    )

    assert (done.method, done.recorded_by, done.acknowledged_at) == (Method.PAPER, cast.official, signed)
    assert done.evidence is not None and done.evidence.title.startswith("Signed acknowledgement of Acceptable use")
    with pytest.raises(
        ServiceError, match=f"Nora Nurse already acknowledged version 1 on {timezone.localdate(signed):%Y-%m-%d}"
    ):
        record(
            cast,
            version,
            nurse_,
            method=Method.PAPER,
            by=actor(cast.official),
            acknowledged_at=signed,
            evidence_file=scan(),
        )


def test_another_organizations_person_is_refused(cast: Cast) -> None:
    version = published(cast, document(cast))
    theirs = person(cast.other_org, "X-1")

    with pytest.raises(ServiceError, match="No such person on this organization's roster"):
        record(cast, version, theirs)


def test_acknowledging_asks_for_a_fresh_evaluation(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    asked: list[str] = []
    monkeypatch.setattr(
        "safeguard.training.services.acknowledgements.request_evaluation_on_commit",
        lambda organization, trigger: asked.append(trigger),
    )

    record(cast, version, nurse_)
    record(cast, version, nurse_)  # a repeat changes nothing, so asks nothing

    assert asked == ["training.acknowledgements"]


# ---- joiner steps ------------------------------------------------------------------------------------------------


def test_the_sanction_policy_acknowledged_completes_the_joiners_step(cast: Cast) -> None:
    workflow = joiner(cast, "E-100")
    approved(cast)
    version = AckDocumentVersion.objects.get(document__kind=AckDocument.Kind.SANCTION_POLICY)

    record(cast, version, workflow.person)

    assert task_of(workflow, TaskKind.ACK_SANCTION).status == WorkflowTask.Status.DONE
    assert task_of(workflow, TaskKind.ACK_SECURITY).status == WorkflowTask.Status.OPEN


def test_every_policy_addressed_acknowledged_completes_the_security_step(cast: Cast) -> None:
    workflow = joiner(cast, "E-100")
    newcomer = workflow.person
    use = published(cast, document(cast, "Acceptable use policy"))
    incidents = published(cast, document(cast, "Incident reporting policy"))
    guide = published(cast, document(cast, "Lost device guide", kind=GUIDE))
    published(cast, document(cast, "Billing policy", audience=AudienceKind.DEPARTMENT, values=["Billing"]))

    record(cast, use, newcomer)
    record(cast, guide, newcomer)
    assert task_of(workflow, TaskKind.ACK_SECURITY).status == WorkflowTask.Status.OPEN
    record(cast, incidents, newcomer)

    step = task_of(workflow, TaskKind.ACK_SECURITY)
    assert step.status == WorkflowTask.Status.DONE
    assert step.note == (
        "Acknowledged every security policy addressed to them: Acceptable use policy v1, Incident reporting policy v1."
    )


# ---- the sanction policy's mirror --------------------------------------------------------------------------------


def test_approving_the_sanction_policy_publishes_it_for_everyone(cast: Cast) -> None:
    nurse_ = nurse(cast)
    policy = approved(cast, "Violations are sanctioned by level.")

    version = AckDocumentVersion.objects.select_related("document").get(sanction_policy=policy)
    assert (version.document.title, version.document.kind, version.document.audience) == (
        "Sanction policy",
        AckDocument.Kind.SANCTION_POLICY,
        AudienceKind.EVERYONE,
    )
    assert (version.number, version.status, version.body) == (
        1,
        Status.PUBLISHED,
        "Violations are sanctioned by level.",
    )
    assert AckRequest.objects.filter(version=version, person=nurse_).exists()
    assert "training.ack_version.published" in actions()


def test_a_new_approval_supersedes_the_mirror_and_asks_again(cast: Cast) -> None:
    nurse_ = nurse(cast)
    first = approved(cast, "First text.")
    record(cast, AckDocumentVersion.objects.get(sanction_policy=first), nurse_)
    second = sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Second text.")
    sanction_policy_approve(organization=cast.org, actor=actor(cast.official), policy=second, statement="Approved.")

    versions = AckDocumentVersion.objects.filter(document__kind=AckDocument.Kind.SANCTION_POLICY).order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, Status.SUPERSEDED), (2, Status.PUBLISHED)]
    assert AckRequest.objects.filter(version=versions[1], person=nurse_).exists()
    assert not Acknowledgement.objects.filter(version=versions[1]).exists()


def test_sanction_versions_are_not_written_or_retired_here(cast: Cast) -> None:
    approved(cast)
    doc = AckDocument.objects.get(kind=AckDocument.Kind.SANCTION_POLICY)

    with pytest.raises(ServiceError, match="Sanction-policy versions come from the sanction policy approved"):
        draft(cast, doc)
    with pytest.raises(ServiceError, match="is not retired here"):
        document_retire(organization=cast.org, actor=actor(cast.official), document=doc)
    with pytest.raises(ServiceError, match="its kind and audience do not change"):
        document_update(
            organization=cast.org,
            actor=actor(cast.official),
            document=doc,
            audience=AudienceKind.DEPARTMENT,
            audience_values=["Nursing"],
        )


def test_sync_mirrors_a_policy_approved_before_and_then_does_nothing(cast: Cast) -> None:
    policy = approved(cast)
    AckRequest.objects.all().delete()
    Acknowledgement.objects.all().delete()
    AckDocumentVersion.objects.all().delete()

    made = sanction_policy_sync(organization=cast.org, actor=actor(cast.official))
    again = sanction_policy_sync(organization=cast.org, actor=actor(cast.official))

    assert made is not None and made.sanction_policy == policy and made.status == Status.PUBLISHED
    assert again is None
    assert sanction_policy_publish(organization=cast.org, policy=policy, actor=actor(cast.official)) == made


def test_an_unapproved_policy_is_not_mirrored(cast: Cast) -> None:
    draft_policy = sanction_policy_create(organization=cast.org, actor=actor(cast.owner), body="Text.")

    with pytest.raises(ServiceError, match="is not approved"):
        sanction_policy_publish(organization=cast.org, policy=draft_policy, actor=actor(cast.official))


def test_my_acknowledgements_lists_overdue_first_in_three_queries(cast: Cast, django_assert_num_queries) -> None:
    nurse_ = nurse(cast)
    done = published(cast, document(cast, "A policy"), today=TODAY)
    late = published(cast, document(cast, "B policy"), today=TODAY - timedelta(days=60))
    published(cast, document(cast, "C billing", audience=AudienceKind.DEPARTMENT, values=["Billing"]))
    record(cast, done, nurse_, acknowledged_at=datetime(2026, 3, 3, tzinfo=UTC))

    with django_assert_num_queries(3):
        rows = my_acknowledgements(cast.org, nurse_, today=TODAY)

    assert [(row.document.title, row.state) for row in rows] == [
        ("B policy", AckState.OVERDUE),
        ("A policy", AckState.ACKNOWLEDGED),
    ]
    assert rows[0].due_on == TODAY - timedelta(days=30)
    assert late.number == 1


def test_the_acknowledged_share_rounds_down_in_whole_numbers_like_the_check() -> None:
    from safeguard.training.queries_acks import StatusCounts

    assert StatusCounts(total=100, acknowledged=29, pending=71, overdue=0, missed=0).percent == 29
    assert StatusCounts(total=2000, acknowledged=1899, pending=101, overdue=0, missed=0).percent == 94
    assert StatusCounts(total=0, acknowledged=0, pending=0, overdue=0, missed=0).percent is None
