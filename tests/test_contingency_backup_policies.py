"""Backup policy rules: retention against the RPO (both named), job names unique per asset whatever their case,
responsible people who can act, and an audit event for every change."""

from __future__ import annotations

import pytest

from safeguard.contingency.models import BackupPolicy
from safeguard.contingency.services.backups import (
    backup_policy_create,
    backup_policy_set_active,
    backup_policy_update,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset
from tests.conftest import Cast
from tests.contingency_backup_factories import asset, policy

VALUES = {
    "job_name": "EHR nightly",
    "method": "full",
    "schedule": "daily 01:00",
    "interval_hours": 24,
    "retention_days": 30,
    "encrypted_at_rest": True,
    "immutable_copy": True,
    "offline_copy": False,
}


def create(cast: Cast, target: Asset, **changes: object) -> BackupPolicy:
    return backup_policy_create(organization=cast.org, actor=Actor(cast.owner), asset=target, **(VALUES | changes))


def test_retention_shorter_than_rpo_is_refused_naming_both(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=3 * 1440)
    with pytest.raises(ServiceError) as refused:
        create(cast, ehr, retention_days=2)
    assert refused.value.field == "retention_days"
    assert "retention of 2 d " in refused.value.message and "objective of 3 d " in refused.value.message
    assert not BackupPolicy.objects.exists()


def test_retention_exactly_the_rpo_is_accepted(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=3 * 1440)
    made = create(cast, ehr, retention_days=3)
    assert made.retention_days == 3


def test_job_names_are_unique_per_asset_whatever_the_case(cast: Cast) -> None:
    ehr, pacs = asset(cast.org, "EHR"), asset(cast.org, "PACS")
    create(cast, ehr)
    with pytest.raises(ServiceError) as refused:
        create(cast, ehr, job_name="ehr NIGHTLY")
    assert refused.value.field == "job_name"
    assert create(cast, pacs).job_name == "EHR nightly"  # another asset may use the name


def test_asset_of_another_organization_is_refused(cast: Cast) -> None:
    elsewhere = asset(cast.other_org, "EHR")
    with pytest.raises(ServiceError) as refused:
        create(cast, elsewhere)
    assert refused.value.field == "asset"


def test_auditor_cannot_be_responsible(cast: Cast) -> None:
    with pytest.raises(ServiceError) as refused:
        create(cast, asset(cast.org, "EHR"), responsible=cast.auditor)
    assert refused.value.field == "responsible"


def test_update_checks_retention_against_rpo_and_audits_changes(cast: Cast) -> None:
    made = policy(asset(cast.org, "EHR", rpo=2 * 1440), retention_days=30)
    with pytest.raises(ServiceError):
        backup_policy_update(organization=cast.org, actor=Actor(cast.owner), policy=made, retention_days=1)
    backup_policy_update(organization=cast.org, actor=Actor(cast.owner), policy=made, offline_copy=True)
    event = AuditEvent.objects.get(action="contingency.backup_policy.updated")
    assert event.changes == {"offline_copy": [False, True]}


def test_deactivation_is_audited_once(cast: Cast) -> None:
    made = policy(asset(cast.org, "EHR"))
    for _ in range(2):
        backup_policy_set_active(organization=cast.org, actor=Actor(cast.owner), policy=made, active=False)
    made.refresh_from_db()
    assert made.active is False
    assert AuditEvent.objects.filter(action="contingency.backup_policy.deactivated").count() == 1


def test_create_is_audited(cast: Cast) -> None:
    made = create(cast, asset(cast.org, "EHR"))
    event = AuditEvent.objects.get(action="contingency.backup_policy.created")
    assert event.object_id == str(made.public_id)
    assert event.changes["job_name"] == [None, "EHR nightly"]
