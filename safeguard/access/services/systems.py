"""Systems: the ePHI assets of the inventory whose user accounts Safeguard tracks. One per asset; registering one
is what lets its account lists be imported and reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from safeguard.access.models import Account, AccountSnapshot, AccountStatus, Classification, System
from safeguard.access.queries import latest_snapshot_ids, systems
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.time_zones import is_time_zone
from safeguard.risk.models import Asset

SETTINGS_FIELDS = ("time_zone", "inactive_days")
MAX_INACTIVE_DAYS = 3650


def system_register(*, organization: Organization, actor: Actor, asset: Asset) -> System:
    """Make an asset of the inventory a system with accounts."""
    if asset.organization_id != organization.pk:
        raise ServiceError("No such asset in this organization.", field="asset")
    if asset.status == Asset.Status.RETIRED:
        raise ServiceError(f"{asset.name} is retired: its accounts are no longer tracked.", field="asset")
    if System.objects.filter(asset=asset).exists():
        raise ServiceError(f"{asset.name} is already a system.", field="asset")
    try:
        with transaction.atomic():
            system = System.objects.create(organization=organization, asset=asset)
            audit_record(
                actor=actor,
                action="access.system.registered",
                organization=organization,
                target=system,
                changes={"asset": [None, str(asset.public_id)], "name": [None, asset.name]},
            )
            request_evaluation_on_commit(organization, "access.system_registered")
    except IntegrityError:
        raise ServiceError(f"{asset.name} is already a system.", field="asset") from None
    return system


def time_zone_error(name: str) -> str:
    if not is_time_zone(name):
        return f"{name!r} is not a time zone: use a name such as America/New_York."
    return ""


def system_update(
    *, organization: Organization, actor: Actor, system: System, time_zone: str, inactive_days: int | None
) -> System:
    """Change how the system's lists are read (the zone of times without an offset) and its inactivity limit
    (None: the organization's)."""
    if system.organization_id != organization.pk:
        raise ServiceError("No such system.")
    time_zone = time_zone.strip()
    errors: dict[str, str] = {}
    if problem := time_zone_error(time_zone):
        errors["time_zone"] = problem
    if inactive_days is not None and not 1 <= inactive_days <= MAX_INACTIVE_DAYS:
        errors["inactive_days"] = f"Give between 1 and {MAX_INACTIVE_DAYS} days, or leave it blank."
    ServiceError.raise_first(errors)
    with transaction.atomic():
        before = snapshot(system, SETTINGS_FIELDS)
        system.time_zone = time_zone
        system.inactive_days = inactive_days
        changes = field_changes(before, snapshot(system, SETTINGS_FIELDS))
        if changes:
            system.save(update_fields=list(changes))
            audit_record(
                actor=actor, action="access.system.updated", organization=organization, target=system, changes=changes
            )
            request_evaluation_on_commit(organization, "access.system_updated")
    return system


# ---- reads the system pages and the dashboard share ---------------------------------------------------------------


def unregistered_assets(organization: Organization) -> QuerySet[Asset]:
    """Assets of the inventory that could become systems: not retired, not yet registered."""
    return (
        Asset.objects.filter(organization=organization, access_system__isnull=True)
        .exclude(status=Asset.Status.RETIRED)
        .order_by("name")
    )


STAT_FIELDS = ("accounts", "enabled", "with_mfa", "privileged_no_mfa", "orphans", "pending")


@dataclass
class SystemStats:
    """One system and the figures of its latest snapshot (zero before any list is imported)."""

    system: System
    snapshot: AccountSnapshot | None = None
    accounts: int = 0
    enabled: int = 0
    with_mfa: int = 0
    privileged_no_mfa: int = 0
    orphans: int = 0
    pending: int = 0

    @property
    def mfa_percent(self) -> int | None:
        return round(100 * self.with_mfa / self.enabled) if self.enabled else None


def system_stats(organization: Organization, only: System | None = None) -> list[SystemStats]:
    """Every system (or `only` one) with its latest snapshot's counts, in four queries whatever the number of
    accounts."""
    latest = latest_snapshot_ids(organization, [only.pk] if only else None)
    snapshots = {snapshot.system_id: snapshot for snapshot in AccountSnapshot.objects.filter(pk__in=latest.values())}
    enabled = Q(status=AccountStatus.ACTIVE)
    counts: dict[int, dict[str, Any]] = {
        row["system_id"]: dict(row)
        for row in Account.objects.filter(snapshot_id__in=latest.values())
        .values("system_id")
        .annotate(
            accounts=Count("pk"),
            enabled=Count("pk", filter=enabled),
            with_mfa=Count("pk", filter=enabled & Q(mfa_enabled=True)),
            privileged_no_mfa=Count("pk", filter=enabled & Q(privileged=True) & ~Q(mfa_enabled=True)),
            orphans=Count("pk", filter=Q(classification=Classification.ORPHAN)),
            pending=Count("pk", filter=Q(classification=Classification.PENDING)),
        )
        .order_by()
    }
    found = []
    chosen = systems(organization).order_by("asset__name")
    for system in chosen.filter(pk=only.pk) if only else chosen:
        row = counts.get(system.pk, {})
        figures: dict[str, int] = {name: row.get(name, 0) for name in STAT_FIELDS}
        found.append(SystemStats(system=system, snapshot=snapshots.get(system.pk), **figures))
    return found


def accounts_filtered(accounts: QuerySet[Account], values: dict[str, Any]) -> QuerySet[Account]:
    """Accounts narrowed by a filter's clean values: classification, status, privileged ("yes"/"no" or a bool),
    no_mfa (enabled without MFA, or MFA not stated) and q (username, display name or email)."""
    if values.get("classification"):
        accounts = accounts.filter(classification=values["classification"])
    if values.get("status"):
        accounts = accounts.filter(status=values["status"])
    privileged = values.get("privileged")
    if privileged in ("yes", "no", True, False):
        accounts = accounts.filter(privileged=privileged in ("yes", True))
    if values.get("no_mfa"):
        accounts = accounts.filter(status=AccountStatus.ACTIVE).exclude(mfa_enabled=True)
    text = (values.get("q") or "").strip()
    if text:
        accounts = accounts.filter(
            Q(username__icontains=text) | Q(display_name__icontains=text) | Q(email__icontains=text)
        )
    return accounts
