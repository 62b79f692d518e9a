"""Writing the roster: one function every source goes through (roster file, SCIM, the person form), so that
every change is validated, audited and classified the same way, and opens the same joiner, mover or leaver
workflow.

A change is classified by comparing the person before and after:
- joiner: a new person who is not terminated, or a terminated person who comes back (rehire: their leaver workflow
  still open is cancelled);
- leaver: a termination time appears (future ones too: the workflow opens on notice, its clock starts then);
- a notice withdrawn (a future termination cleared before it took effect) is no rehire: the person never left, so
  the change is an update (or a mover's) and the leaver workflow opened on notice is cancelled;
- mover: department, job role or manager changes for someone who stays;
- update: anything else (a corrected email, a new name); unchanged: nothing differs.
A person added already terminated is a leaver only if their termination is recent (LEAVER_LOOKBACK): an HR
export that lists people who left years ago must not open a workflow for each of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Person, WorkerType, Workflow
from safeguard.workforce.signals import roster_changed

PERSON_FIELDS = (
    "employee_id",
    "given_name",
    "family_name",
    "email",
    "user_name",
    "external_id",
    "department",
    "job_role",
    "manager",
    "worker_type",
    "hire_date",
    "termination_at",
    "status",
)
MOVER_FIELDS = ("department", "job_role", "manager")
LEAVER_LOOKBACK = timedelta(days=90)
Kind = Workflow.Kind


@dataclass(frozen=True)
class RosterChange:
    """What a write did to a person: joiner, mover, leaver, update or unchanged, and the fields that changed."""

    kind: str
    changes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def opens_workflow(self) -> bool:
        return self.kind in Kind.values


def derive_status(values: dict[str, Any], now: datetime) -> str:
    """Terminated once the termination time has passed; otherwise what the source says (active or on leave)."""
    termination_at = values.get("termination_at")
    if termination_at is not None and termination_at <= now:
        return Person.Status.TERMINATED
    status = values.get("status") or Person.Status.ACTIVE
    return Person.Status.ACTIVE if status == Person.Status.TERMINATED else status


@dataclass(frozen=True)
class TakenKeys:
    """Employee IDs and lower-cased user names that other people of the organization hold, each with its holder
    as a message names them. Loaded by taken_keys, or preloaded by a caller that checked a batch itself."""

    employee_ids: dict[str, str] = field(default_factory=dict)
    user_names: dict[str, str] = field(default_factory=dict)


def _holder(person: Person) -> str:
    name = person.full_name
    return name if name == person.employee_id else f"{name} ({person.employee_id})"


def taken_keys(organization: Organization, values: dict[str, Any], current: Person | None) -> TakenKeys:
    """The keys among `values` that someone else holds: one query, none when neither key changes."""
    employee_id = str(values.get("employee_id") or "").strip()
    user_name = str(values.get("user_name") or "").strip()
    if current is not None:
        employee_id = "" if employee_id == current.employee_id else employee_id
        user_name = "" if user_name.lower() == current.user_name.lower() else user_name
    wanted = (Q(employee_id=employee_id) if employee_id else Q()) | (
        Q(user_name__iexact=user_name) if user_name else Q()
    )
    if not wanted:
        return TakenKeys()
    others = Person.objects.filter(wanted, organization=organization)
    if current is not None and current.pk is not None:
        others = others.exclude(pk=current.pk)
    taken = TakenKeys()
    for other in others.only("employee_id", "user_name", "given_name", "family_name"):
        if employee_id and other.employee_id == employee_id:
            taken.employee_ids[employee_id] = other.full_name
        if user_name and other.user_name.lower() == user_name.lower():
            taken.user_names[user_name.lower()] = _holder(other)
    return taken


def person_errors(
    values: dict[str, Any], *, current: Person | None = None, taken: TakenKeys | None = None
) -> dict[str, str]:
    """Every problem with a person's values, by field; shared by the form, the roster import and SCIM. With
    `taken`, an employee ID or user name someone else holds is refused too."""
    errors: dict[str, str] = {}
    employee_id = str(values.get("employee_id", current.employee_id if current else "") or "").strip()
    if not employee_id:
        errors["employee_id"] = "Give the employee id: it is how the roster recognises a person."
    elif len(employee_id) > 64:
        errors["employee_id"] = "An employee id has at most 64 characters."
    email = values.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = f"{email!r} is not an email address."
    for name, limit in (("given_name", 100), ("family_name", 100), ("department", 100), ("job_role", 100)):
        if len(str(values.get(name) or "")) > limit:
            errors[name] = f"At most {limit} characters."
    if "worker_type" in values and values["worker_type"] not in WorkerType.values:
        errors["worker_type"] = f"Use one of {', '.join(WorkerType.values)}."
    if "status" in values and values["status"] and values["status"] not in Person.Status.values:
        errors["status"] = f"Use one of {', '.join(Person.Status.values)}."
    hire_date: date | None = values.get("hire_date", current.hire_date if current else None)
    termination_at: datetime | None = values.get("termination_at", current.termination_at if current else None)
    if hire_date and termination_at and timezone.localdate(termination_at) < hire_date:
        field_name = "termination_at" if "termination_at" in values else "hire_date"
        errors[field_name] = (
            f"The termination ({timezone.localdate(termination_at)}) is before the hire date ({hire_date})."
        )
    manager = values.get("manager")
    if manager is not None and current is not None and manager.pk == current.pk:
        errors["manager"] = "A person cannot be their own manager."
    if taken is not None:
        errors.update({name: text for name, text in _clashes(values, taken).items() if name not in errors})
    return errors


def _clashes(values: dict[str, Any], taken: TakenKeys) -> dict[str, str]:
    errors: dict[str, str] = {}
    employee_id = str(values.get("employee_id") or "").strip()
    if employee_id in taken.employee_ids:
        errors["employee_id"] = f"Employee ID {employee_id} already belongs to {taken.employee_ids[employee_id]}."
    user_name = str(values.get("user_name") or "").strip()
    if user_name.lower() in taken.user_names:
        errors["user_name"] = (
            f"The user name {user_name!r} already belongs to {taken.user_names[user_name.lower()]}; user names are "
            "compared whatever their case."
        )
    return errors


def classify(before: dict[str, Any] | None, after: dict[str, Any], now: datetime) -> RosterChange:
    if before is None:
        termination_at = after.get("termination_at")
        if termination_at is None:
            return RosterChange(Kind.JOINER)
        if termination_at > now - LEAVER_LOOKBACK:
            return RosterChange(Kind.LEAVER)
        return RosterChange("update")
    changes = field_changes(before, after)
    if not changes:
        return RosterChange("unchanged")
    if before.get("termination_at") is None and after.get("termination_at") is not None:
        return RosterChange(Kind.LEAVER, changes)
    if before.get("termination_at") is not None and after.get("termination_at") is None and not _withdrawn(before, now):
        return RosterChange(Kind.JOINER, changes)  # a rehire
    if after.get("termination_at") is None and any(name in changes for name in MOVER_FIELDS):
        return RosterChange(Kind.MOVER, changes)
    return RosterChange("update", changes)


def _withdrawn(before: dict[str, Any], now: datetime) -> bool:
    """A termination cleared before it took effect: the person never left."""
    return before["termination_at"] > now and before.get("status") != Person.Status.TERMINATED


def person_write(
    *,
    organization: Organization,
    actor: Actor,
    person: Person | None,
    values: dict[str, Any],
    source: str,
    trigger: str,
    open_workflows: bool = True,
    now: datetime | None = None,
    taken: TakenKeys | None = None,
) -> tuple[Person, RosterChange]:
    """Create (person=None) or update a person with `values` (only the fields given change), audit it and open
    the workflow the change calls for. `open_workflows=False` records people without workflows (an initial
    load of the roster). `taken` is for a caller that already checked a batch's employee IDs and user names
    against the whole roster (the roster import); otherwise they are looked up here."""
    now = now or timezone.now()
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    if person is not None and person.organization_id != organization.pk:
        raise ServiceError("No such person.")
    if taken is None:
        taken = taken_keys(organization, values, person)
    ServiceError.raise_first(person_errors(values, current=person, taken=taken))
    with transaction.atomic():
        before = snapshot(person, PERSON_FIELDS) if person is not None else None
        if person is None:
            person = Person(organization=organization, source=source, created_at=now)
        for name, value in values.items():
            setattr(person, name, value.strip() if isinstance(value, str) else value)
        person.status = derive_status(snapshot(person, PERSON_FIELDS), now)
        after = snapshot(person, PERSON_FIELDS)
        change = classify(before, after, now)
        if change.kind == "unchanged":
            return person, change
        person.source = source
        person.updated_at = now
        person.save()
        audit_record(
            actor=actor,
            action="workforce.person.created" if before is None else "workforce.person.updated",
            organization=organization,
            target=person,
            changes=field_changes(before or {}, after),
        )
        from safeguard.workforce.services.workflows import leaver_cancel, leaver_retime, workflow_open

        if change.kind == Kind.JOINER and before is not None:
            leaver_cancel(organization=organization, actor=actor, person=person, reason="Rehired", now=now)
        elif change.kind in ("update", Kind.MOVER) and "termination_at" in change.changes:
            leaver_retime(organization=organization, actor=actor, person=person, now=now)
        if open_workflows and change.opens_workflow:
            workflow_open(
                organization=organization,
                actor=actor,
                person=person,
                kind=change.kind,
                trigger=trigger,
                changes=change.changes,
                now=now,
            )
        roster_changed.send(sender=Person, organization=organization, person=person, change=change)
        request_evaluation_on_commit(organization, "workforce.person_changed")
    return person, change
