"""The reference data rules join events to, built from the main database: the roster, identities (aliases,
logins, emails, employee ids), resolved shifts, the account registry, patient flags and workstations.

A handful of queries whatever the roster's size: each table is read once, as plain values, and joined here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F

from safeguard.access.models import AccountDesignation, BreakGlassAccount, Classification
from safeguard.activity.models import ActivitySettings, LogSource, PatientFlag, UserAlias, WorkShift, Workstation
from safeguard.activity.services.settings import activity_settings
from safeguard.activity.store.base import ReferenceData
from safeguard.core.models import Organization
from safeguard.workforce.models import Person

DESIGNATED_TYPES: dict[str, str] = {Classification.SERVICE: "service", Classification.SHARED: "shared"}


def reference_data(organization: Organization) -> ReferenceData:
    config = activity_settings(organization)
    people = list(
        Person.objects.filter(organization=organization)
        .order_by("pk")
        .values(
            "pk",
            "family_name",
            "department",
            "job_role",
            "hire_date",
            "termination_at",
            "user_name",
            "email",
            "employee_id",
        )
    )
    sources = list(
        LogSource.objects.filter(organization=organization)
        .order_by("pk")
        .values("pk", "name", "kind", "time_zone", "asset_id")
    )
    return ReferenceData(
        version=config.reference_version,
        people=[_person_row(person) for person in people],
        identities=_identities(organization, people),
        shifts=_shifts(organization, people, config),
        accounts=_accounts(organization, sources),
        patients=_patients(organization),
        workstations=[
            {"host": row["host_key"], "site": row["site"], "department": row["department"]}
            for row in Workstation.objects.filter(organization=organization)
            .order_by("host_key")
            .values("host_key", "site", "department")
        ],
        sources=[
            {"source_id": row["pk"], "name": row["name"], "kind": row["kind"], "time_zone": row["time_zone"]}
            for row in sources
        ],
    )


def reference_changed(organization: Organization) -> None:
    """Raise the organization's reference version so the store reloads before the next evaluation."""
    updated = ActivitySettings.objects.filter(organization=organization).update(
        reference_version=F("reference_version") + 1
    )
    if not updated:
        activity_settings(organization)
        ActivitySettings.objects.filter(organization=organization).update(reference_version=F("reference_version") + 1)


def start_of_day(day: date | None) -> datetime | None:
    """A hire date takes effect at midnight in the installation's zone (rosters give no time)."""
    if day is None:
        return None
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(str(settings.TIME_ZONE))).astimezone(UTC)


def _person_row(person: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "person_id": person["pk"],
        "last_name": person["family_name"].strip().lower(),
        "department": person["department"],
        "job_role": person["job_role"],
        "hire_at": start_of_day(person["hire_date"]),
        "termination_at": person["termination_at"],
    }


def _key(text: str) -> str:
    return text.strip().lower()


def _identities(organization: Organization, people: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Aliases as recorded, then each person's login, email and employee id. A name two people share on the
    roster is ambiguous, so it matches nobody automatically; an alias valid everywhere overrides it."""
    aliases = list(
        UserAlias.objects.filter(organization=organization)
        .order_by("alias_key", "source_id", "pk")
        .values("alias_key", "source_id", "person_id")
    )
    rows = [
        {"identity": alias["alias_key"], "source_id": alias["source_id"], "person_id": alias["person_id"]}
        for alias in aliases
    ]
    aliased_everywhere = {alias["alias_key"] for alias in aliases if alias["source_id"] is None}
    claims: dict[str, set[int]] = defaultdict(set)
    for person in people:
        for value in (person["user_name"], person["email"], person["employee_id"]):
            if value and value.strip():
                claims[_key(value)].add(person["pk"])
    for identity in sorted(claims):
        owners = claims[identity]
        if len(owners) == 1 and identity not in aliased_everywhere:
            rows.append({"identity": identity, "source_id": None, "person_id": next(iter(owners))})
    return rows


def _shifts(
    organization: Organization, people: Sequence[Mapping[str, Any]], config: ActivitySettings
) -> list[dict[str, Any]]:
    """Each person's shift: their own, else their job role's, else their department's (a shift naming both a
    department and a role counts as the role's, for people in both). People with none use business hours."""
    shifts = list(
        WorkShift.objects.filter(organization=organization)
        .order_by("pk")
        .values("person_id", "department", "job_role", "start_hour", "end_hour", "weekdays")
    )
    own: dict[int, Mapping[str, Any]] = {}
    by_role: dict[tuple[str, str], Mapping[str, Any]] = {}
    by_department: dict[str, Mapping[str, Any]] = {}
    for shift in shifts:
        if shift["person_id"] is not None:
            own.setdefault(shift["person_id"], shift)
        elif shift["job_role"]:
            by_role.setdefault((_key(shift["department"]), _key(shift["job_role"])), shift)
        elif shift["department"]:
            by_department.setdefault(_key(shift["department"]), shift)
    rows = []
    for person in people:
        department, role = _key(person["department"]), _key(person["job_role"])
        found = (
            own.get(person["pk"])
            or (by_role.get((department, role)) if role else None)
            or (by_role.get(("", role)) if role else None)
            or (by_department.get(department) if department else None)
        )
        if found is not None:
            rows.append(_shift_row(person["pk"], found["start_hour"], found["end_hour"], found["weekdays"]))
    rows.append(_shift_row(None, config.business_start_hour, config.business_end_hour, config.business_weekdays))
    return rows


def _shift_row(person_id: int | None, start: int, end: int, weekdays: Iterable[int]) -> dict[str, Any]:
    return {"person_id": person_id, "start_hour": start, "end_hour": end, "weekdays": sorted(set(weekdays))}


def _accounts(organization: Organization, sources: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Break-glass, service and shared accounts, in the log sources that record their system (every source when
    no source records it)."""
    sources_by_asset: dict[int, list[int | None]] = defaultdict(list)
    for source in sources:
        if source["asset_id"] is not None:
            sources_by_asset[source["asset_id"]].append(source["pk"])
    found: list[tuple[str, int, str]] = [
        (_key(row["username"]), row["system__asset_id"], "break_glass")
        for row in BreakGlassAccount.objects.filter(organization=organization)
        .order_by("pk")
        .values("username", "system__asset_id")
    ]
    found += [
        (row["username_key"], row["system__asset_id"], DESIGNATED_TYPES[row["classification"]])
        for row in AccountDesignation.objects.filter(organization=organization, classification__in=DESIGNATED_TYPES)
        .order_by("pk")
        .values("username_key", "system__asset_id", "classification")
    ]
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, int | None]] = set()
    for identity, asset_id, account_type in found:
        for source_id in sources_by_asset.get(asset_id) or [None]:
            if (identity, source_id) not in seen:  # break-glass first: it wins over a designation
                seen.add((identity, source_id))
                rows.append({"identity": _key(identity), "source_id": source_id, "account_type": account_type})
    return rows


def _patients(organization: Organization) -> list[dict[str, Any]]:
    return [
        {
            "patient": row["patient_ref"],
            "last_name": row["last_name"].strip().lower(),
            "vip": row["vip"],
            "restricted": row["restricted"],
            "employee_person_id": row["employee_id"],
        }
        for row in PatientFlag.objects.filter(organization=organization)
        .order_by("patient_key")
        .values("patient_ref", "last_name", "vip", "restricted", "employee_id")
    ]
