"""What rules join events to, kept here: user aliases, work shifts, workstations and patient flags (imported by
patient_flag_import.py). Every change raises the reference version, so the store reloads before evaluating. An
edit is checked as a new record would be, and audited as the fields it changed, old → new."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from safeguard.activity.enrichment import reference_changed
from safeguard.activity.models import LogSource, UserAlias, WorkShift, Workstation
from safeguard.activity.services.sources import check_time_zone
from safeguard.core.audit import Actor, audit_record, field_changes
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


def _audit_edit(
    organization: Organization,
    actor: Actor,
    action: str,
    target: models.Model,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """An edit that changes nothing writes nothing: no event, and the store keeps its reference data."""
    changes = field_changes(before, after)
    if changes:
        audit_record(
            actor=actor, action=f"activity.{action}", organization=organization, target=target, changes=changes
        )
        reference_changed(organization)


def _own(organization: Organization, record: models.Model | None, what: str, field: str) -> None:
    if record is not None and getattr(record, "organization_id", None) != organization.pk:
        raise ServiceError(f"No such {what} in this organization.", field=field)


def _locked(model: type[Any], organization: Organization, record: models.Model, what: str) -> Any:
    """The row, locked until the edit commits, so the audit's old values are the ones it replaced."""
    found = model.objects.select_for_update().filter(pk=record.pk, organization=organization).first()
    if found is None:
        raise ServiceError(f"No such {what} in this organization.")
    return found


# ---- aliases --------------------------------------------------------------------------------------------------------


def _checked_alias(organization: Organization, person: Person, alias: str, source: LogSource | None) -> str:
    _own(organization, person, "person", "person")
    _own(organization, source, "log source", "source")
    alias = alias.strip()
    if not alias or len(alias) > 255:
        raise ServiceError("Write the name as the log does, in at most 255 characters.", field="alias")
    return alias


def _refuse_alias_clash(
    organization: Organization, alias: str, source: LogSource | None, but: UserAlias | None = None
) -> None:
    clash = UserAlias.objects.filter(organization=organization, alias_key=_key(alias), source=source)
    if but is not None:
        clash = clash.exclude(pk=but.pk)
    taken = clash.select_related("person").first()
    if taken is not None:
        where = f"in {source.name}" if source else "in every source"
        raise ServiceError(f"“{alias}” already names {taken.person.full_name} {where}.", field="alias")


def _alias_facts(row: UserAlias) -> dict[str, Any]:
    return {"person": row.person.employee_id, "alias": row.alias, "source": row.source.name if row.source else None}


def alias_create(
    *, organization: Organization, actor: Actor, person: Person, alias: str, source: LogSource | None = None
) -> UserAlias:
    """A name the logs use for a person: in one source, or (without one) in all of them."""
    if actor.user is None:
        raise ServiceError("An alias is recorded by a person.")
    alias = _checked_alias(organization, person, alias, source)
    with transaction.atomic():
        _refuse_alias_clash(organization, alias, source)
        row = UserAlias.objects.create(
            organization=organization,
            person=person,
            source=source,
            alias=alias,
            alias_key=_key(alias),
            created_by=actor.user,
        )
        _audit(organization, actor, "alias_created", row, _alias_facts(row))
    return row


def alias_update(
    *,
    organization: Organization,
    actor: Actor,
    user_alias: UserAlias,
    person: Person,
    alias: str,
    source: LogSource | None = None,
) -> UserAlias:
    """Rename an alias, move it to another person or source. The record is `user_alias` because `alias` is the
    name, as in alias_create."""
    alias = _checked_alias(organization, person, alias, source)
    with transaction.atomic():
        row: UserAlias = _locked(UserAlias, organization, user_alias, "alias")
        before = _alias_facts(row)
        _refuse_alias_clash(organization, alias, source, but=row)
        row.person, row.source, row.alias, row.alias_key = person, source, alias, _key(alias)
        row.save(update_fields=["person", "source", "alias", "alias_key"])
        _audit_edit(organization, actor, "alias_updated", row, before, _alias_facts(row))
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


def _checked_shift(
    organization: Organization,
    name: str,
    start_hour: int,
    end_hour: int,
    weekdays: Iterable[int],
    person: Person | None,
    department: str,
    job_role: str,
) -> dict[str, Any]:
    """The shift's fields, trimmed and checked, as the model takes them."""
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
    return {
        "name": name,
        "person": person,
        "department": department,
        "job_role": job_role,
        "start_hour": start_hour,
        "end_hour": end_hour,
        "weekdays": check_weekdays(weekdays),
    }


def _shift_facts(shift: WorkShift) -> dict[str, Any]:
    return {
        "name": shift.name,
        "person": shift.person.employee_id if shift.person else None,
        "department": shift.department,
        "job_role": shift.job_role,
        "hours": f"{shift.start_hour}-{shift.end_hour}",
        "weekdays": shift.weekdays,
    }


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
    values = _checked_shift(organization, name, start_hour, end_hour, weekdays, person, department, job_role)
    with transaction.atomic():
        shift = WorkShift.objects.create(organization=organization, **values)
        _audit(organization, actor, "shift_created", shift, _shift_facts(shift))
    return shift


def shift_update(
    *,
    organization: Organization,
    actor: Actor,
    shift: WorkShift,
    name: str,
    start_hour: int,
    end_hour: int,
    weekdays: Iterable[int],
    person: Person | None = None,
    department: str = "",
    job_role: str = "",
) -> WorkShift:
    """Every field is given again, as on creation: a person's shift becomes a department's by naming no person."""
    values = _checked_shift(organization, name, start_hour, end_hour, weekdays, person, department, job_role)
    with transaction.atomic():
        row: WorkShift = _locked(WorkShift, organization, shift, "shift")
        before = _shift_facts(row)
        for field, value in values.items():
            setattr(row, field, value)
        row.save(update_fields=list(values))
        _audit_edit(organization, actor, "shift_updated", row, before, _shift_facts(row))
    return row


def shift_delete(*, organization: Organization, actor: Actor, shift: WorkShift) -> None:
    with transaction.atomic():
        _audit(organization, actor, "shift_deleted", shift, {"name": shift.name})
        shift.delete()


# ---- workstations ---------------------------------------------------------------------------------------------------


def _checked_workstation(host: str, site: str, department: str, time_zone: str) -> dict[str, str]:
    host = host.strip()
    if not host or len(host) > 255:
        raise ServiceError("Write the host as the logs name it, in at most 255 characters.", field="host")
    return {
        "host": host,
        "host_key": _key(host),
        "site": site.strip()[:100],
        "department": department.strip()[:100],
        "time_zone": check_time_zone(time_zone) if time_zone.strip() else "",
    }


def _refuse_host_clash(organization: Organization, host: str, but: Workstation | None = None) -> None:
    clash = Workstation.objects.filter(organization=organization, host_key=_key(host))
    if but is not None:
        clash = clash.exclude(pk=but.pk)
    if clash.exists():
        raise ServiceError(f"The workstation {host} is already listed.", field="host")


def _workstation_facts(row: Workstation) -> dict[str, Any]:
    return {"host": row.host, "site": row.site, "department": row.department, "time_zone": row.time_zone}


def workstation_create(
    *, organization: Organization, actor: Actor, host: str, site: str = "", department: str = "", time_zone: str = ""
) -> Workstation:
    values = _checked_workstation(host, site, department, time_zone)
    with transaction.atomic():
        _refuse_host_clash(organization, values["host"])
        row = Workstation.objects.create(organization=organization, **values)
        _audit(organization, actor, "workstation_created", row, {"host": row.host, "site": row.site})
    return row


def workstation_update(
    *,
    organization: Organization,
    actor: Actor,
    workstation: Workstation,
    host: str,
    site: str = "",
    department: str = "",
    time_zone: str = "",
) -> Workstation:
    values = _checked_workstation(host, site, department, time_zone)
    with transaction.atomic():
        row: Workstation = _locked(Workstation, organization, workstation, "workstation")
        before = _workstation_facts(row)
        _refuse_host_clash(organization, values["host"], but=row)
        for field, value in values.items():
            setattr(row, field, value)
        row.save(update_fields=list(values))
        _audit_edit(organization, actor, "workstation_updated", row, before, _workstation_facts(row))
    return row


def workstation_delete(*, organization: Organization, actor: Actor, workstation: Workstation) -> None:
    with transaction.atomic():
        _audit(organization, actor, "workstation_deleted", workstation, {"host": workstation.host})
        workstation.delete()
