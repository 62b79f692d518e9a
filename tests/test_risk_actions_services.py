"""Mitigation actions: create, update (owners may move their own), complete only with evidence, cancel, and the
daily chore that turns overdue actions into obligations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.core.audit import Actor
from safeguard.core.chores import registered_chores
from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Obligation, ObligationCompletion
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import MitigationAction, Risk
from safeguard.risk.services.actions import (
    action_cancel,
    action_complete,
    action_create,
    action_update,
    escalate_overdue_actions,
)
from tests.conftest import Cast, make_member
from tests.test_risk_register_support import PDF, TODAY, make_action, make_risk

Status = MitigationAction.Status


def proof(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def as_(user: object) -> Actor:
    return Actor(user=user)  # type: ignore[arg-type]


# ---- create and update -----------------------------------------------------------------------------------------


def test_create_stores_the_action_with_an_audit_row(cast: Cast) -> None:
    risk = make_risk(cast.org, 1)

    action = action_create(
        organization=cast.org,
        actor=as_(cast.official),
        risk=risk,
        title=" Encrypt laptops ",
        owner=cast.workforce,
        due_on=TODAY + timedelta(days=60),
        acceptance_criteria="Every laptop reports BitLocker on.",
    )

    assert (action.title, action.owner, action.status) == ("Encrypt laptops", cast.workforce, Status.OPEN)
    event = AuditEvent.objects.get(action="risk.action.created")
    assert event.changes["risk"] == [None, "R-0001"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"acceptance_criteria": ""}, "acceptance_criteria"),
        ({"due_on": TODAY - timedelta(days=1)}, "due_on"),
        ({"due_on": add_years(TODAY, 6)}, "due_on"),
    ],
)
def test_create_refuses_bad_values_naming_the_field(cast: Cast, values: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {
        "title": "Encrypt laptops",
        "owner": cast.workforce,
        "due_on": TODAY + timedelta(days=5),
        "acceptance_criteria": "Report attached.",
        **values,
    }
    with pytest.raises(ServiceError) as refused:
        action_create(organization=cast.org, actor=as_(cast.official), risk=make_risk(cast.org, 1), **fields)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert not MitigationAction.objects.exists() and not AuditEvent.objects.exists()


def test_create_refuses_an_auditor_owner_and_a_closed_risk(cast: Cast) -> None:
    risk = make_risk(cast.org, 1)
    common = {"title": "T", "due_on": TODAY, "acceptance_criteria": "C"}
    with pytest.raises(ServiceError, match="auditor"):
        action_create(organization=cast.org, actor=as_(cast.official), risk=risk, owner=cast.auditor, **common)  # type: ignore[arg-type]
    Risk.objects.filter(pk=risk.pk).update(status=Risk.Status.CLOSED)
    with pytest.raises(ServiceError, match="closed"):
        action_create(organization=cast.org, actor=as_(cast.official), risk=risk, owner=cast.owner, **common)  # type: ignore[arg-type]


def test_the_owner_of_an_action_may_change_its_status_only(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.workforce)

    action_update(organization=cast.org, actor=as_(cast.workforce), action=action, status=Status.IN_PROGRESS)
    action.refresh_from_db()
    assert action.status == Status.IN_PROGRESS

    with pytest.raises(ServiceError) as refused:
        action_update(
            organization=cast.org, actor=as_(cast.workforce), action=action, due_on=TODAY + timedelta(days=90)
        )
    assert refused.value.field == "due_on"
    action.refresh_from_db()
    assert action.due_on == TODAY + timedelta(days=30)


def test_someone_else_cannot_update_an_action(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)

    with pytest.raises(ServiceError, match="Only the action's owner"):
        action_update(organization=cast.org, actor=as_(cast.workforce), action=action, status=Status.IN_PROGRESS)
    assert not AuditEvent.objects.exists()


def test_update_cannot_mark_done_without_completing(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)

    with pytest.raises(ServiceError, match="complete the action with evidence") as refused:
        action_update(organization=cast.org, actor=as_(cast.official), action=action, status=Status.DONE)
    assert refused.value.field == "status"


def test_a_new_due_date_and_owner_carry_to_the_actions_obligation(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official, days=-3)
    escalate_overdue_actions(TODAY, False)
    action.refresh_from_db()

    action_update(
        organization=cast.org,
        actor=as_(cast.official),
        action=action,
        due_on=TODAY + timedelta(days=14),
        owner=cast.workforce,
    )

    assert action.obligation is not None
    action.obligation.refresh_from_db()
    assert (action.obligation.due_on, action.obligation.owner) == (TODAY + timedelta(days=14), cast.workforce)


# ---- complete --------------------------------------------------------------------------------------------------


def test_complete_without_evidence_is_refused_and_changes_nothing(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)

    with pytest.raises(ServiceError) as refused:
        action_complete(organization=cast.org, actor=as_(cast.official), action=action, note="Done")

    assert refused.value.message == "Closing an action requires evidence: attach a file or choose existing evidence."
    action.refresh_from_db()
    assert action.status == Status.OPEN and action.completed_on is None
    assert not AuditEvent.objects.exists()


def test_complete_with_a_file_stores_and_links_evidence_and_completes_the_obligation(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.workforce, days=-2)
    escalate_overdue_actions(TODAY, False)
    action.refresh_from_db()

    action_complete(
        organization=cast.org, actor=as_(cast.workforce), action=action, evidence_file=proof(), note="All patched"
    )

    action.refresh_from_db()
    evidence = Evidence.objects.get()
    assert (action.status, action.evidence, action.completed_by) == (Status.DONE, evidence, cast.workforce)
    assert action.completed_on == TODAY and action.completion_note == "All patched"
    assert EvidenceLink.objects.filter(
        evidence=evidence, target_type="risk.mitigationaction", target_id=str(action.public_id)
    ).exists()
    assert action.obligation is not None
    action.obligation.refresh_from_db()
    assert action.obligation.status == Obligation.Status.DONE
    assert ObligationCompletion.objects.get().evidence == evidence
    assert AuditEvent.objects.filter(action="risk.action.completed").count() == 1


def test_complete_with_existing_evidence_links_it(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)
    evidence = evidence_upload(
        organization=cast.org, actor=as_(cast.official), title="Scan", upload=proof(), effective_date=TODAY
    )

    action_complete(
        organization=cast.org, actor=as_(cast.official), action=action, evidence=evidence, completed_on=TODAY
    )

    action.refresh_from_db()
    assert action.evidence == evidence
    assert evidence.links.filter(target_type="risk.mitigationaction").count() == 1


def test_complete_refuses_both_kinds_of_evidence_and_another_orgs_evidence(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)
    theirs = evidence_upload(
        organization=cast.other_org, actor=as_(cast.outsider), title="Theirs", upload=proof(), effective_date=TODAY
    )
    with pytest.raises(ServiceError, match="not both"):
        action_complete(
            organization=cast.org, actor=as_(cast.official), action=action, evidence=theirs, evidence_file=proof()
        )
    with pytest.raises(ServiceError, match="No such evidence") as refused:
        action_complete(organization=cast.org, actor=as_(cast.official), action=action, evidence=theirs)
    assert refused.value.field == "evidence"
    assert Evidence.objects.count() == 1


def test_complete_refuses_a_future_date_and_a_done_action(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)
    with pytest.raises(ServiceError) as refused:
        action_complete(
            organization=cast.org,
            actor=as_(cast.official),
            action=action,
            evidence_file=proof(),
            completed_on=TODAY + timedelta(days=1),
        )
    assert refused.value.field == "completed_on"
    assert not Evidence.objects.exists()

    action_complete(organization=cast.org, actor=as_(cast.official), action=action, evidence_file=proof())
    with pytest.raises(ServiceError, match="only an open action"):
        action_complete(organization=cast.org, actor=as_(cast.official), action=action, evidence_file=proof())


def test_only_the_owner_or_a_manager_completes(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official)
    with pytest.raises(ServiceError, match="Only the action's owner"):
        action_complete(organization=cast.org, actor=as_(cast.workforce), action=action, evidence_file=proof())
    assert not Evidence.objects.exists()


# ---- cancel ----------------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_cancels_the_obligation(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.official, days=-1)
    escalate_overdue_actions(TODAY, False)
    action.refresh_from_db()

    with pytest.raises(ServiceError) as refused:
        action_cancel(organization=cast.org, actor=as_(cast.official), action=action, reason=" ")
    assert refused.value.field == "reason"

    action_cancel(organization=cast.org, actor=as_(cast.official), action=action, reason="Replaced by new EHR")
    action.refresh_from_db()
    assert (action.status, action.completion_note) == (Status.CANCELLED, "Replaced by new EHR")
    assert action.obligation is not None
    action.obligation.refresh_from_db()
    assert action.obligation.status == Obligation.Status.CANCELLED


def test_the_actions_owner_cannot_cancel_it(cast: Cast) -> None:
    action = make_action(make_risk(cast.org, 1), cast.workforce)
    with pytest.raises(ServiceError, match="managers"):
        action_cancel(organization=cast.org, actor=as_(cast.workforce), action=action, reason="Not needed")


# ---- the overdue chore -----------------------------------------------------------------------------------------


def test_the_chore_is_registered() -> None:
    assert registered_chores()["risk.overdue_actions"] is escalate_overdue_actions


def test_each_overdue_action_becomes_one_obligation_and_a_second_run_adds_none(cast: Cast) -> None:
    risk = make_risk(cast.org, 7, "Ransomware")
    late = make_action(risk, cast.workforce, days=-5, title="Patch servers")
    started = make_action(risk, cast.official, days=-1, title="Test backups", status=Status.IN_PROGRESS)
    make_action(risk, cast.official, days=0, title="Due today")
    make_action(risk, cast.official, days=-9, title="Dropped", status=Status.CANCELLED)
    other = make_action(make_risk(cast.other_org, 1), cast.outsider, days=-2, title="Theirs")

    lines = escalate_overdue_actions(TODAY, False)

    assert len(lines) == 3
    assert any("R-0007 “Patch servers”" in line and "became an obligation" in line for line in lines)
    for action in (late, started, other):
        action.refresh_from_db()
        assert action.obligation is not None
        obligation = action.obligation
        assert obligation.owner == action.owner and obligation.due_on == action.due_on
        assert obligation.citation == "164.308(a)(1)(ii)(B)" and obligation.source == "risk.action"
        assert obligation.title == f"Overdue risk action: {action.title}"
        assert obligation.organization == action.organization
    assert Obligation.objects.count() == 3

    assert escalate_overdue_actions(TODAY, False) == []
    assert Obligation.objects.count() == 3


def test_dry_run_says_what_it_would_do_and_writes_nothing(cast: Cast) -> None:
    make_action(make_risk(cast.org, 1), cast.workforce, days=-5)
    audit_before = AuditEvent.objects.count()

    lines = escalate_overdue_actions(TODAY, True)  # dry run

    assert len(lines) == 1 and "would become an obligation" in lines[0]
    assert not Obligation.objects.exists()
    assert MitigationAction.objects.get().obligation is None
    assert AuditEvent.objects.count() == audit_before


def test_an_overdue_action_whose_owner_left_goes_to_the_security_official(cast: Cast) -> None:
    leaver = make_member(cast.org, "leaver@clinic.test", "workforce").user
    action = make_action(make_risk(cast.org, 1), leaver, days=-5)
    leaver.memberships.update(is_active=False)

    lines = escalate_overdue_actions(TODAY, False)

    action.refresh_from_db()
    assert action.obligation is not None and action.obligation.owner == cast.official
    assert "its owner has left" in lines[0]
