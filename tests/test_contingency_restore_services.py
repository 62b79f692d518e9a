"""Recording a restore test: what is refused and why, what is measured and copied, and the corrective action a
failed or missed test opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, RestoreTest
from safeguard.contingency.services.restore_tests import (
    RestoreInput,
    profile_of,
    restore_test_problems,
    restore_test_record,
    restore_test_write,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from tests.contingency_restore_factories import asset_with_objectives, backup_run, recorded, restore_input
from tests.risk_factories import asset as plain_asset
from tests.risk_factories import risk as make_risk

pytestmark = pytest.mark.django_db


def _start(hours_ago: int = 3) -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(hours=hours_ago)


def _refused(cast, values: RestoreInput, field: str, words: str) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        restore_test_record(organization=cast.org, actor=Actor(user=cast.official), values=values)
    assert refused.value.field == field
    assert words in refused.value.message
    assert RestoreTest.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_test_within_the_objectives_is_met_copies_them_and_opens_no_action(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=120, rpo=60)
    test = recorded(ehr, cast.official, started=_start(), minutes=120, data_age_minutes=60)
    assert (test.outcome, test.rto_met, test.rpo_met) == ("met", True, True)
    assert (test.rto_minutes, test.rpo_minutes) == (120, 60)
    assert test.recorded_by == cast.official
    assert not CorrectiveAction.objects.exists()
    event = AuditEvent.objects.get(action="contingency.restore_test.recorded")
    assert event.object_id == str(test.public_id)
    assert event.changes["outcome"] == [None, "met"]


def test_a_missed_rto_opens_an_action_for_the_asset_owner_saying_by_how_much(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=120, rpo=60, owner=cast.owner)
    register_risk = make_risk(cast.org, 7, likelihood=3, impact=4)
    values = restore_input(ehr, cast.official, started=_start(5), minutes=185)
    test = restore_test_record(
        organization=cast.org, actor=Actor(user=cast.official), values=values, risk=register_risk
    )
    assert (test.outcome, test.rto_met, test.rpo_met) == ("missed", False, True)
    action = CorrectiveAction.objects.get()
    assert action.title == "Restore test of EHR missed its RTO by 1 h 05 min"
    assert (action.origin, action.restore_test, action.asset, action.risk) == ("restore_test", test, ehr, register_risk)
    assert action.owner == cast.owner
    assert action.due_on == timezone.localdate() + timedelta(days=30)
    assert AuditEvent.objects.filter(action="contingency.action.created", object_id=str(action.public_id)).exists()


def test_a_failed_restore_opens_an_action_owned_by_the_recorder_when_the_asset_has_no_owner(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    recorded(ehr, cast.official, started=_start(), succeeded=False)
    action = CorrectiveAction.objects.get()
    assert action.title == "Restore test of EHR failed: the data was not restored"
    assert action.owner == cast.official


def test_both_objectives_missed_names_both(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=60, rpo=30)
    recorded(ehr, cast.official, started=_start(), minutes=90, data_age_minutes=45)
    assert CorrectiveAction.objects.get().title == "Restore test of EHR missed its RTO by 30 min and its RPO by 15 min"


def test_without_a_restore_point_time_is_refused(cast):
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=_start())
    values.restore_point_at = None
    _refused(cast, values, "restore_point_at", "Give the restore point time")


def test_finishing_before_starting_is_refused(cast):
    start = _start()
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=start)
    values.finished_at = start - timedelta(seconds=1)
    _refused(cast, values, "finished_at", "cannot finish before it started")


def test_a_restore_point_after_the_start_is_refused(cast):
    start = _start()
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=start)
    values.restore_point_at = start + timedelta(minutes=1)
    _refused(cast, values, "restore_point_at", "after the restore started")


def test_an_asset_without_objectives_is_told_to_set_them_first(cast):
    values = restore_input(
        plain_asset(cast.org, "Fax server", since=timezone.localdate()), cast.official, started=_start()
    )
    _refused(cast, values, "asset", "set its RTO and RPO")


def test_times_without_a_zone_are_refused(cast):
    start = _start()
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=start)
    values.started_at = start.replace(tzinfo=None)
    _refused(cast, values, "started_at", "time zone")


def test_a_restore_in_the_future_is_refused(cast):
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=_start(hours_ago=-2))
    _refused(cast, values, "started_at", "in the future")


def test_a_performer_from_another_organization_is_refused(cast):
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.outsider, started=_start())
    _refused(cast, values, "performed_by", "not a current member")


def test_another_organizations_asset_is_refused(cast):
    values = restore_input(asset_with_objectives(cast.other_org, "EHR"), cast.official, started=_start())
    _refused(cast, values, "asset", "No such asset")


def test_integrity_verified_needs_the_method(cast):
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=_start())
    values.integrity_method = " "
    _refused(cast, values, "integrity_method", "how the restored data was checked")


def test_the_same_asset_and_start_twice_is_refused(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    start = _start()
    recorded(ehr, cast.official, started=start)
    with pytest.raises(ServiceError, match="already recorded"):
        recorded(ehr, cast.official, started=start)
    assert RestoreTest.objects.count() == 1


def test_choosing_a_backup_run_sets_the_restore_point(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rpo=600)
    point = _start(8)
    run = backup_run(ehr, point=point)
    values = restore_input(ehr, cast.official, started=_start())
    values.restore_point_at, values.backup_result = None, run
    test = restore_test_record(organization=cast.org, actor=Actor(user=cast.official), values=values)
    assert test.restore_point_at == point.astimezone(UTC)
    assert test.backup_result == run
    assert test.rpo_met is True


def test_a_failed_backup_run_cannot_be_the_restore_point(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    values = restore_input(ehr, cast.official, started=_start())
    values.restore_point_at, values.backup_result = None, backup_run(ehr, point=None, status="failed")
    _refused(cast, values, "backup_result", "failed")


def test_another_assets_backup_run_is_refused(cast):
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=_start())
    values.backup_result = backup_run(asset_with_objectives(cast.org, "PACS"), point=_start(8))
    _refused(cast, values, "backup_result", "not one of EHR's")


def test_a_risk_of_another_organization_cannot_be_linked(cast):
    values = restore_input(asset_with_objectives(cast.org, "EHR"), cast.official, started=_start(12), minutes=600)
    with pytest.raises(ServiceError) as refused:
        restore_test_record(
            organization=cast.org,
            actor=Actor(user=cast.official),
            values=values,
            risk=make_risk(cast.other_org, 1, likelihood=2, impact=2),
        )
    assert refused.value.field == "risk"
    assert not RestoreTest.objects.exists()


def test_a_restore_within_the_objectives_but_not_verified_is_missed_and_opens_an_action(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=120, rpo=60)
    test = recorded(ehr, cast.official, started=_start(), minutes=30, verified=False)
    assert (test.outcome, test.rto_met, test.rpo_met, test.integrity_verified) == ("missed", True, True, False)
    action = CorrectiveAction.objects.get()
    assert (action.title, action.restore_test) == ("Restore test of EHR: integrity not verified", test)


def test_a_duplicate_written_after_its_check_is_refused_with_a_clear_error(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    started = _start()
    values = restore_input(ehr, cast.official, started=started)
    # Checked while no such test existed, as a second request racing the first would be.
    checked, problems = restore_test_problems(cast.org, values, profile=profile_of(ehr), now=timezone.now())
    assert checked is not None and problems == {}
    recorded(ehr, cast.official, started=started)
    with pytest.raises(ServiceError) as refused:
        restore_test_write(organization=cast.org, actor=Actor(user=cast.official), checked=checked)
    assert refused.value.field == "started_at"
    assert refused.value.message == "A restore test of EHR that started at this time is already recorded."
    assert RestoreTest.objects.count() == 1
    assert AuditEvent.objects.filter(action="contingency.restore_test.recorded").count() == 1
