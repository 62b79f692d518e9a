"""What rules join events to, kept here: user aliases, work shifts, workstations and patient flags (imported by
patient_flag_import.py). Every change raises the reference version, so the store reloads before evaluating."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from safeguard.activity.enrichment import reference_changed
from safeguard.activity.models import LogSource, UserAlias, WorkShift, Workstation
from safeguard.activity.services.sources import check_time_zone
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person

ISO_DAYS = range(1, 8)


def _key(text: str) -> str:
    return text.strip().lower()


def _audit(
    organization: Organization, actor: Actor, action: str, target: models.Model, changes: dict[str, Any]
) -> None:
    removed = action.endswith("_deleted")
    audit_record(
        actor=actor,
        action=f"activity.{action}",
        organization=organization,
        target=target,
        changes={key: [value, None] if removed else [None, value] for key, value in changes.items()},
    )
    reference_changed(organization)


def _own(organization: Organization, record: models.Model | None, what: str, field: str) -> None:
    if record is not None and getattr(record, "organization_id", None) != organization.pk:
        raise ServiceError(f"No such {what} in this organization.", field=field)


# ---- aliases --------------------------------------------------------------------------------------------------------


def alias_create(
    *, organization: Organization, actor: Actor, person: Person, alias: str, source: LogSource | None = None
) -> UserAlias:
    """A name the logs use for a person: in one source, or (without one) in all of them."""
    if actor.user is None:
        raise ServiceError("An alias is recorded by a person.")
    _own(organization, person, "person", "person")
    _own(organization, source, "log source", "source")
    alias = alias.strip()
    if not alias or len(alias) > 255:
        raise ServiceError("Write the name as the log does, in at most 255 characters.", field="alias")
    with transaction.atomic():
        clash = UserAlias.objects.filter(organization=organization, alias_key=_key(alias), source=source)
        taken = clash.select_related("person").first()
        if taken is not None:
            where = f"in {source.name}" if source else "in every source"
            raise ServiceError(f"“{alias}” already names {taken.person.full_name} {where}.", field="alias")
        row = UserAlias.objects.create(
            organization=organization,
            person=person,
            source=source,
            alias=alias,
            alias_key=_key(alias),
            created_by=actor.user,
        )
        _audit(
            organization,
            actor,
            "alias_created",
            row,
            {"person": person.employee_id, "alias": alias, "source": source.name if source else None},
        )
    return row


def alias_delete(*, organization: Organization, actor: Actor, alias: UserAlias) -> None:
    with transaction.atomic():
        _audit(organization, actor, "alias_deleted", alias, {"alias": alias.alias})
        alias.delete()


# ---- shifts ---------------------------------------------------------------------------------------------------------


def check_weekdays(weekdays: Iterable[Any]) -> list[int]:
    days = sorted(set(weekdays))
    if not days or any(not isinstance(day, int) or day not in ISO_DAYS for day in days):
        raise ServiceError("Choose the working days: ISO numbers, Monday = 1 … Sunday = 7.", field="weekdays")
    return days


def shift_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    start_hour: int,
    end_hour: int,
    weekdays: Iterable[int],
    person: Person | None = None,
    department: str = "",
    job_role: str = "",
) -> WorkShift:
    """A shift for one person, or for a department and/or job role (at least one of them)."""
    name, department, job_role = name.strip(), department.strip(), job_role.strip()
    if not name or len(name) > 100:
        raise ServiceError("Name the shift, e.g. “Night shift”, in at most 100 characters.", field="name")
    _own(organization, person, "person", "person")
    if person is None and not department and not job_role:
        raise ServiceError("Say whose shift it is: a person, or a department or job role.", field="person")
    if person is not None and (department or job_role):
        raise ServiceError("A person's own shift names no department or job role.", field="department")
    if not 0 <= start_hour <= 23:
        raise ServiceError("Start at an hour from 0 to 23.", field="start_hour")
    if not 1 <= end_hour <= 24 or end_hour == start_hour:
        raise ServiceError("End at an hour from 1 to 24, other than the start.", field="end_hour")
    days = check_weekdays(weekdays)
    with transaction.atomic():
        shift = WorkShift.objects.create(
            organization=organization,
            name=name,
            person=person,
            department=department,
            job_role=job_role,
            start_hour=start_hour,
            end_hour=end_hour,
            weekdays=days,
        )
        _audit(
            organization,
            actor,
            "shift_created",
            shift,
            {
                "name": name,
                "person": person.employee_id if person else None,
                "department": department,
                "job_role": job_role,
                "hours": f"{start_hour}-{end_hour}",
                "weekdays": days,
            },
        )
    return shift


def shift_delete(*, organization: Organization, actor: Actor, shift: WorkShift) -> None:
    with transaction.atomic():
        _audit(organization, actor, "shift_deleted", shift, {"name": shift.name})
        shift.delete()


# ---- workstations ---------------------------------------------------------------------------------------------------


def workstation_create(
    *, organization: Organization, actor: Actor, host: str, site: str = "", department: str = "", time_zone: str = ""
) -> Workstation:
    host = host.strip()
    if not host or len(host) > 255:
        raise ServiceError("Write the host as the logs name it, in at most 255 characters.", field="host")
    zone = check_time_zone(time_zone) if time_zone.strip() else ""
    with transaction.atomic():
        if Workstation.objects.filter(organization=organization, host_key=_key(host)).exists():
            raise ServiceError(f"The workstation {host} is already listed.", field="host")
        row = Workstation.objects.create(
            organization=organization,
            host=host,
            host_key=_key(host),
            site=site.strip()[:100],
            department=department.strip()[:100],
            time_zone=zone,
        )
        _audit(organization, actor, "workstation_created", row, {"host": host, "site": row.site})
    return row


def workstation_delete(*, organization: Organization, actor: Actor, workstation: Workstation) -> None:
    with transaction.atomic():
        _audit(organization, actor, "workstation_deleted", workstation, {"host": workstation.host})
        workstation.delete()
