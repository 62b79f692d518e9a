"""Criticality rules: objectives in order, an RPO the backups can reach, dependencies without cycles, and every
change audited."""

from __future__ import annotations

import pytest

from safeguard.contingency.models import AssetDependency, BackupPolicy, RecoveryProfile
from safeguard.contingency.services.criticality import (
    dependency_add,
    dependency_remove,
    profile_create,
    profile_delete,
    profile_update,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset
from tests.contingency_criticality_factories import needs, plain_asset, profile, profiled

pytestmark = pytest.mark.django_db


def values(**overrides: object) -> dict[str, object]:
    return {
        "tier": 1,
        "business_functions": "Charting",
        "mtd_minutes": 480,
        "rto_minutes": 240,
        "rpo_minutes": 60,
        **overrides,
    }


def create(cast, asset: Asset, **overrides: object) -> RecoveryProfile:
    return profile_create(organization=cast.org, actor=Actor(cast.owner), asset=asset, **values(**overrides))  # type: ignore[arg-type]


def policy(asset: Asset, *, retention_days: int, job: str = "nightly", active: bool = True) -> BackupPolicy:
    return BackupPolicy.objects.create(
        organization=asset.organization,
        asset=asset,
        job_name=job,
        method="full",
        schedule="daily 01:00",
        retention_days=retention_days,
        encrypted_at_rest=True,
        immutable_copy=False,
        offline_copy=False,
        active=active,
    )


def refused(cast, asset: Asset, **overrides: object) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        create(cast, asset, **overrides)
    assert not RecoveryProfile.objects.filter(asset=asset).exists()
    return caught.value


def test_create_stores_minutes_and_audits(cast):
    ehr = plain_asset(cast.org, "EHR")
    made = create(cast, ehr, business_functions="  Charting  ")
    assert (made.tier, made.mtd_minutes, made.rto_minutes, made.rpo_minutes) == (1, 480, 240, 60)
    assert made.business_functions == "Charting"
    event = AuditEvent.objects.get(action="contingency.profile.created")
    assert event.changes["rto_minutes"] == [None, 240]
    assert event.object_id == str(made.public_id)


def test_rto_equal_to_mtd_is_accepted(cast):
    assert create(cast, plain_asset(cast.org, "EHR"), rto_minutes=480).rto_minutes == 480


def test_rto_longer_than_mtd_is_refused_with_both_values(cast):
    error = refused(cast, plain_asset(cast.org, "EHR"), rto_minutes=481)
    assert error.field == "rto_minutes"
    assert "(8 h 01 min)" in error.message and "(8 h)" in error.message


@pytest.mark.parametrize("field", ["mtd_minutes", "rto_minutes", "rpo_minutes"])
@pytest.mark.parametrize("value", [0, -5])
def test_objectives_must_be_positive(cast, field, value):
    error = refused(cast, plain_asset(cast.org, "EHR"), **{field: value})
    assert error.field == field
    assert "more than zero" in error.message


@pytest.mark.parametrize("tier", [0, 5])
def test_tier_outside_one_to_four_is_refused(cast, tier):
    assert refused(cast, plain_asset(cast.org, "EHR"), tier=tier).field == "tier"


def test_rpo_longer_than_an_active_policy_retention_names_the_policy(cast):
    ehr = plain_asset(cast.org, "EHR")
    policy(ehr, retention_days=30, job="monthly archive")
    policy(ehr, retention_days=7, job="nightly")
    policy(ehr, retention_days=1, job="old", active=False)
    error = refused(cast, ehr, rpo_minutes=7 * 1440 + 1, mtd_minutes=20000, rto_minutes=60)
    assert error.field == "rpo_minutes"
    assert "“nightly”" in error.message and "7-day" in error.message


def test_rpo_exactly_the_retention_is_accepted(cast):
    ehr = plain_asset(cast.org, "EHR")
    policy(ehr, retention_days=7)
    assert create(cast, ehr, rpo_minutes=7 * 1440, mtd_minutes=20000).rpo_minutes == 7 * 1440


def test_in_scope_needs_business_functions(cast):
    assert refused(cast, plain_asset(cast.org, "EHR"), business_functions="  ").field == "business_functions"
    kiosk = create(cast, plain_asset(cast.org, "Kiosk"), business_functions="", in_scope=False)
    assert kiosk.in_scope is False


def test_second_profile_for_an_asset_is_refused(cast):
    ehr = plain_asset(cast.org, "EHR")
    create(cast, ehr)
    with pytest.raises(ServiceError, match="already has a recovery profile"):
        create(cast, ehr)


def test_other_organizations_or_retired_asset_is_refused(cast):
    theirs = plain_asset(cast.other_org, "Theirs")
    assert "this organization" in refused(cast, theirs).message
    old = plain_asset(cast.org, "Old", status=Asset.Status.RETIRED)
    assert "retired" in refused(cast, old).message


def test_update_changes_only_given_fields_and_audits_the_difference(cast):
    made = profile(plain_asset(cast.org, "EHR"), tier=2, rto=240, mtd=1440)
    profile_update(organization=cast.org, actor=Actor(cast.owner), profile=made, rto_minutes=120)
    made.refresh_from_db()
    assert (made.tier, made.rto_minutes, made.updated_by) == (2, 120, cast.owner)
    event = AuditEvent.objects.get(action="contingency.profile.updated")
    assert event.changes == {"rto_minutes": [240, 120]}


def test_update_that_breaks_a_rule_changes_nothing(cast):
    made = profile(plain_asset(cast.org, "EHR"), rto=240, mtd=1440)
    with pytest.raises(ServiceError):
        profile_update(organization=cast.org, actor=Actor(cast.owner), profile=made, mtd_minutes=100)
    made.refresh_from_db()
    assert made.mtd_minutes == 1440
    assert not AuditEvent.objects.filter(action="contingency.profile.updated").exists()


def test_update_with_no_change_writes_nothing(cast):
    made = profile(plain_asset(cast.org, "EHR"), tier=2)
    profile_update(organization=cast.org, actor=Actor(cast.owner), profile=made, tier=2)
    assert not AuditEvent.objects.filter(action="contingency.profile.updated").exists()


def test_delete_removes_and_audits(cast):
    made = profile(plain_asset(cast.org, "EHR"))
    profile_delete(organization=cast.org, actor=Actor(cast.owner), profile=made)
    assert not RecoveryProfile.objects.exists()
    assert AuditEvent.objects.get(action="contingency.profile.deleted").changes["asset"] == ["EHR", None]


def add(cast, asset: Asset, depends_on: Asset) -> AssetDependency:
    return dependency_add(organization=cast.org, actor=Actor(cast.owner), asset=asset, depends_on=depends_on)


def test_dependency_added_and_audited(cast):
    ehr, db = profiled(cast.org, "EHR"), profiled(cast.org, "DB")
    made = add(cast, ehr, db)
    assert (made.asset, made.depends_on) == (ehr, db)
    event = AuditEvent.objects.get(action="contingency.dependency.added")
    assert event.changes["depends_on"] == [None, "DB"]


def test_self_dependency_refused(cast):
    ehr = profiled(cast.org, "EHR")
    with pytest.raises(ServiceError, match="cannot depend on itself"):
        add(cast, ehr, ehr)


def test_duplicate_dependency_refused_with_message(cast):
    ehr, db = profiled(cast.org, "EHR"), profiled(cast.org, "DB")
    add(cast, ehr, db)
    with pytest.raises(ServiceError, match="already recorded as needing DB"):
        add(cast, ehr, db)
    assert AssetDependency.objects.count() == 1


def test_dependency_closing_a_cycle_is_refused_with_the_path(cast):
    a, b, c = profiled(cast.org, "App"), profiled(cast.org, "Broker"), profiled(cast.org, "Cache")
    needs(a, b)
    needs(b, c)
    with pytest.raises(ServiceError) as caught:
        add(cast, c, a)
    assert "App needs Broker needs Cache already, so Cache cannot also need App" in caught.value.message
    assert AssetDependency.objects.count() == 2


def test_two_way_dependency_is_a_cycle(cast):
    a, b = profiled(cast.org, "App"), profiled(cast.org, "Broker")
    needs(a, b)
    with pytest.raises(ServiceError, match="App needs Broker already, so Broker cannot also need App"):
        add(cast, b, a)


def test_dependency_on_other_organizations_asset_refused(cast):
    ehr = profiled(cast.org, "EHR")
    theirs = plain_asset(cast.other_org, "Theirs")
    with pytest.raises(ServiceError) as caught:
        add(cast, ehr, theirs)
    assert caught.value.field == "depends_on"


def test_remove_dependency_audits(cast):
    made = needs(profiled(cast.org, "EHR"), profiled(cast.org, "DB"))
    dependency_remove(organization=cast.org, actor=Actor(cast.owner), dependency=made)
    assert not AssetDependency.objects.exists()
    assert AuditEvent.objects.get(action="contingency.dependency.removed").changes["asset"] == ["EHR", None]
