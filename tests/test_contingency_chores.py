"""The contingency daily chores: an overdue corrective action becomes one obligation that follows the action and is
withdrawn when it closes; a tier 1–2 asset whose restore test comes due within 14 days gets one "Restore test due"
obligation, withdrawn once a test is recorded. Both are idempotent, audited, and write nothing on a dry run."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.contingency.chores import (
    escalate_overdue_corrective_actions,
    remind_restore_tests_due,
)
from safeguard.contingency.models import CorrectiveAction
from safeguard.core.audit import Actor
from safeguard.core.chores import registered_chores
from safeguard.core.models import AuditEvent, Obligation
from safeguard.core.services.obligations import obligation_complete
from tests.conftest import Cast, make_member
from tests.contingency_restore_factories import action, asset_with_objectives, stored_test

TODAY = timezone.localdate()
Status = CorrectiveAction.Status
Origin = CorrectiveAction.Origin


def overdue(cast: Cast, title: str = "Move the EHR backup", days: int = -3, **kw: object) -> CorrectiveAction:
    owner = kw.pop("owner", cast.workforce)
    return action(cast.org, owner, title, due_on=TODAY + timedelta(days=days), **kw)  # type: ignore[arg-type]


def test_both_chores_are_registered() -> None:
    chores = registered_chores()
    assert chores["contingency.overdue_actions"] is escalate_overdue_corrective_actions
    assert chores["contingency.restore_tests_due"] is remind_restore_tests_due


# ---- overdue corrective actions --------------------------------------------------------------------------------


def test_each_overdue_open_action_becomes_one_obligation_and_a_second_run_adds_none(cast: Cast) -> None:
    late = overdue(cast, origin=Origin.RESTORE_TEST)
    started = overdue(cast, "Call tree update", days=-1, status=Status.IN_PROGRESS, origin=Origin.ACTIVATION)
    overdue(cast, "Due today", days=0)
    overdue(cast, "Dropped", days=-9, status=Status.CANCELLED)
    theirs = action(cast.other_org, cast.outsider, "Theirs", due_on=TODAY - timedelta(days=2))

    lines = escalate_overdue_corrective_actions(TODAY, False)

    assert len(lines) == 3 and all("became an obligation" in line for line in lines)
    for record, citation in (
        (late, "164.308(a)(7)(ii)(D)"),
        (started, "164.308(a)(7)(ii)(C)"),
        (theirs, "164.308(a)(7)"),
    ):
        obligation = Obligation.objects.get(source=f"contingency.action:{record.public_id}")
        assert obligation.organization == record.organization
        assert (obligation.owner, obligation.due_on, obligation.citation) == (record.owner, record.due_on, citation)
        assert obligation.title == f"Overdue corrective action: {record.title}"
        assert obligation.status == Obligation.Status.OPEN
        event = AuditEvent.objects.get(action="contingency.action.overdue", object_id=str(record.public_id))
        assert event.changes == {"obligation": [None, str(obligation.public_id)]}
    assert Obligation.objects.count() == 3

    assert escalate_overdue_corrective_actions(TODAY, False) == []
    assert Obligation.objects.count() == 3


def test_dry_run_says_what_it_would_do_and_writes_nothing(cast: Cast) -> None:
    overdue(cast)
    audit_before = AuditEvent.objects.count()

    lines = escalate_overdue_corrective_actions(TODAY, True)

    assert len(lines) == 1 and "would become an obligation" in lines[0]
    assert not Obligation.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_an_overdue_action_whose_owner_left_goes_to_the_security_official(cast: Cast) -> None:
    leaver = make_member(cast.org, "leaver@clinic.test", "workforce").user
    record = overdue(cast, owner=leaver)
    leaver.memberships.update(is_active=False)

    lines = escalate_overdue_corrective_actions(TODAY, False)

    assert Obligation.objects.get(source=f"contingency.action:{record.public_id}").owner == cast.official
    assert "so@clinic.test owns it" in lines[0]


def test_a_done_action_withdraws_its_obligation_and_is_not_raised_again(cast: Cast) -> None:
    record = overdue(cast)
    escalate_overdue_corrective_actions(TODAY, False)
    CorrectiveAction.objects.filter(pk=record.pk).update(status=Status.DONE, completed_on=TODAY)

    lines = escalate_overdue_corrective_actions(TODAY, False)

    assert lines == [f"clinic: “Overdue corrective action: {record.title}” was withdrawn: its action is done"]
    assert Obligation.objects.get().status == Obligation.Status.CANCELLED
    assert AuditEvent.objects.filter(action="obligation.cancelled").count() == 1
    assert escalate_overdue_corrective_actions(TODAY, False) == []


def test_a_rescheduled_action_withdraws_its_obligation_until_it_is_overdue_again(cast: Cast) -> None:
    record = overdue(cast)
    escalate_overdue_corrective_actions(TODAY, False)
    CorrectiveAction.objects.filter(pk=record.pk).update(due_on=TODAY + timedelta(days=7))

    lines = escalate_overdue_corrective_actions(TODAY, False)

    assert "withdrawn: its action is now due on" in lines[0]
    later = TODAY + timedelta(days=8)
    assert "became an obligation" in escalate_overdue_corrective_actions(later, False)[0]
    assert Obligation.objects.filter(status=Obligation.Status.OPEN).get().due_on == TODAY + timedelta(days=7)


def test_the_obligation_follows_a_new_owner_of_the_overdue_action(cast: Cast) -> None:
    record = overdue(cast)
    escalate_overdue_corrective_actions(TODAY, False)
    CorrectiveAction.objects.filter(pk=record.pk).update(owner=cast.official, due_on=TODAY - timedelta(days=1))

    lines = escalate_overdue_corrective_actions(TODAY, False)

    obligation = Obligation.objects.get()
    assert (obligation.owner, obligation.due_on) == (cast.official, TODAY - timedelta(days=1))
    assert lines == [f"clinic: “{obligation.title}” follows its action's due_on and owner"]


# ---- restore tests coming due ----------------------------------------------------------------------------------


def test_tier_1_2_assets_due_within_14_days_get_one_obligation_each(cast: Cast) -> None:
    never = asset_with_objectives(cast.org, "EHR", tier=1, owner=cast.workforce)
    soon = asset_with_objectives(cast.org, "PACS", tier=2, cadence="quarterly")
    stored_test(soon, cast.official, on=TODAY - timedelta(days=80))  # next due in about 10 days
    fresh = asset_with_objectives(cast.org, "Billing", tier=2, cadence="quarterly")
    stored_test(fresh, cast.official, on=TODAY - timedelta(days=30))
    asset_with_objectives(cast.org, "Intranet", tier=3)
    asset_with_objectives(cast.org, "Old fax", tier=1, in_scope=False)

    lines = remind_restore_tests_due(TODAY, False)

    assert len(lines) == 2
    ehr = Obligation.objects.get(source=f"contingency.restore_test:{never.public_id}")
    assert (ehr.title, ehr.owner, ehr.due_on) == ("Restore test due: EHR", cast.workforce, TODAY)
    assert ehr.citation == "164.308(a)(7)(ii)(D)" and "never tested" in ehr.description
    pacs = Obligation.objects.get(source=f"contingency.restore_test:{soon.public_id}")
    assert pacs.owner == cast.official  # no asset owner: the security official
    assert TODAY < pacs.due_on <= TODAY + timedelta(days=14)
    assert AuditEvent.objects.filter(action="obligation.created").count() == 2

    assert remind_restore_tests_due(TODAY, False) == []
    assert Obligation.objects.count() == 2


def test_restore_reminders_stay_in_their_organization(cast: Cast) -> None:
    asset_with_objectives(cast.other_org, "Their EHR", tier=1)

    remind_restore_tests_due(TODAY, False)

    obligation = Obligation.objects.get()
    assert (obligation.organization, obligation.owner) == (cast.other_org, cast.outsider)


def test_recording_a_restore_test_withdraws_the_reminder(cast: Cast) -> None:
    asset = asset_with_objectives(cast.org, "EHR", tier=1, cadence="quarterly")
    remind_restore_tests_due(TODAY, False)
    stored_test(asset, cast.official, on=TODAY)

    lines = remind_restore_tests_due(TODAY, False)

    assert lines == ["clinic: “Restore test due: EHR” was withdrawn: no restore test is due soon"]
    assert Obligation.objects.get().status == Obligation.Status.CANCELLED


def test_a_reminder_completed_by_hand_is_raised_again_while_the_test_is_still_due(cast: Cast) -> None:
    asset_with_objectives(cast.org, "EHR", tier=1)
    remind_restore_tests_due(TODAY, False)
    obligation_complete(organization=cast.org, actor=Actor(user=cast.official), obligation=Obligation.objects.get())

    lines = remind_restore_tests_due(TODAY, False)

    assert len(lines) == 1 and "became an obligation" in lines[0]
    assert Obligation.objects.filter(status=Obligation.Status.OPEN).count() == 1


def test_restore_dry_run_writes_nothing(cast: Cast) -> None:
    asset_with_objectives(cast.org, "EHR", tier=1)
    audit_before = AuditEvent.objects.count()

    lines = remind_restore_tests_due(TODAY, True)

    assert lines == [
        f"clinic: restore test of EHR (due {TODAY:%Y-%m-%d}) would become an obligation; "
        "it has no owner, so so@clinic.test owns it"
    ]
    assert not Obligation.objects.exists() and AuditEvent.objects.count() == audit_before
