"""Registering an inventory asset as a system (one per asset, audited) and changing a system's settings."""

from __future__ import annotations

import pytest

from safeguard.access.models import System
from safeguard.access.services.systems import system_register, system_stats, system_update
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset, AssetKind
from tests import access_factories as make
from tests.conftest import Cast


def asset(cast: Cast, name: str = "Billing", **values: object) -> Asset:
    return Asset.objects.create(organization=cast.org, name=name, kind=AssetKind.APPLICATION, **values)


def test_registering_an_asset_makes_it_a_system(cast: Cast) -> None:
    billing = asset(cast)

    system = system_register(organization=cast.org, actor=Actor(user=cast.owner), asset=billing)

    assert (system.asset, system.organization, system.time_zone) == (billing, cast.org, "UTC")
    event = AuditEvent.objects.get(action="access.system.registered")
    assert (event.object_id, event.changes["name"]) == (str(system.public_id), [None, "Billing"])


def test_an_asset_is_registered_once(cast: Cast) -> None:
    billing = asset(cast)
    system_register(organization=cast.org, actor=Actor(user=cast.owner), asset=billing)

    with pytest.raises(ServiceError, match="Billing is already a system."):
        system_register(organization=cast.org, actor=Actor(user=cast.owner), asset=billing)
    assert System.objects.count() == 1


def test_a_retired_asset_is_refused(cast: Cast) -> None:
    old = asset(cast, "Old PACS", status=Asset.Status.RETIRED)

    with pytest.raises(ServiceError, match="Old PACS is retired"):
        system_register(organization=cast.org, actor=Actor(user=cast.owner), asset=old)


def test_another_organizations_asset_is_refused(cast: Cast) -> None:
    theirs = Asset.objects.create(organization=cast.other_org, name="Theirs", kind=AssetKind.APPLICATION)

    with pytest.raises(ServiceError, match="No such asset"):
        system_register(organization=cast.org, actor=Actor(user=cast.owner), asset=theirs)
    assert not AuditEvent.objects.filter(action="access.system.registered").exists()


def test_settings_change_is_audited(cast: Cast) -> None:
    system = make.system(cast.org, "EHR")

    system_update(
        organization=cast.org, actor=Actor(user=cast.owner), system=system, time_zone="America/Denver", inactive_days=45
    )

    system.refresh_from_db()
    assert (system.time_zone, system.inactive_days) == ("America/Denver", 45)
    event = AuditEvent.objects.get(action="access.system.updated")
    assert event.changes == {"inactive_days": [None, 45], "time_zone": ["UTC", "America/Denver"]}


def test_an_unchanged_save_writes_no_event(cast: Cast) -> None:
    system = make.system(cast.org, "EHR")

    system_update(
        organization=cast.org, actor=Actor(user=cast.owner), system=system, time_zone="UTC", inactive_days=None
    )

    assert not AuditEvent.objects.filter(action="access.system.updated").exists()


@pytest.mark.parametrize(
    ("time_zone", "inactive_days", "field", "message"),
    [
        ("Mars/Olympus", None, "time_zone", "'Mars/Olympus' is not a time zone: use a name such as America/New_York."),
        ("../etc/passwd", None, "time_zone", "'../etc/passwd' is not a time zone"),
        ("UTC", 0, "inactive_days", "Give between 1 and 3650 days, or leave it blank."),
        ("UTC", 9999, "inactive_days", "Give between 1 and 3650 days"),
    ],
)
def test_bad_settings_are_refused(
    cast: Cast, time_zone: str, inactive_days: int | None, field: str, message: str
) -> None:
    system = make.system(cast.org, "EHR")

    with pytest.raises(ServiceError) as refused:
        system_update(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            system=system,
            time_zone=time_zone,
            inactive_days=inactive_days,
        )

    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    system.refresh_from_db()
    assert (system.time_zone, system.inactive_days) == ("UTC", None)


def test_stats_count_the_latest_snapshot_only(cast: Cast) -> None:
    system = make.system(cast.org, "EHR")
    make.snapshot(system, [{"username": f"old{n}"} for n in range(5)])
    make.snapshot(
        system,
        [
            {"username": "a", "mfa_enabled": True},
            {"username": "b", "mfa_enabled": False, "privileged": True},
            {"username": "c", "status": "disabled", "mfa_enabled": None},
            {"username": "d", "classification": "pending"},
        ],
    )
    make.system(cast.org, "Billing")

    ehr, billing = sorted(system_stats(cast.org), key=lambda row: row.system.asset.name, reverse=True)

    assert (ehr.accounts, ehr.enabled, ehr.with_mfa, ehr.privileged_no_mfa) == (4, 3, 2, 1)
    assert (ehr.orphans, ehr.pending, ehr.mfa_percent) == (3, 1, 67)
    assert (billing.snapshot, billing.accounts, billing.mfa_percent) == (None, 0, None)
