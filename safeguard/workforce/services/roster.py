"""Roster sources (where HR files come from: their column mapping and time zone) and the badges, keys and devices
issued to people, which a leaver's workflow asks to recover.

People themselves are written only by services/people.py person_write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.time_zones import is_time_zone
from safeguard.workforce.models import IssuedItem, Person, RosterSource

SOURCE_FIELDS = ("name", "time_zone")
ITEM_FIELDS = ("kind", "label", "issued_on", "note")


# ---- reads the pages and the API share --------------------------------------------------------------------------


def filtered_people(people: QuerySet[Person], filters: Mapping[str, Any]) -> QuerySet[Person]:
    """The roster narrowed by the list's filters: status, department, worker type, and words (name, employee
    ID or email)."""
    for name in ("status", "department", "worker_type"):
        if filters.get(name):
            people = people.filter(**{name: filters[name]})
    words = str(filters.get("q") or "").strip()
    if words:
        people = people.filter(
            Q(employee_id__iexact=words)
            | Q(given_name__icontains=words)
            | Q(family_name__icontains=words)
            | Q(email__icontains=words)
        )
    return people


def departments(organization: Organization) -> list[str]:
    rows = Person.objects.filter(organization=organization).exclude(department="").values_list("department", flat=True)
    return list(rows.distinct().order_by("department"))


def time_zone_error(name: str) -> str | None:
    if not is_time_zone(name):
        return f"{name!r} is not a time zone: use an Area/City name such as America/New_York."
    return None


def _source_errors(
    organization: Organization, name: str, time_zone: str, current: RosterSource | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Name the source, e.g. the HR system the file comes from."
    elif len(name) > 100:
        errors["name"] = "At most 100 characters."
    else:
        taken = RosterSource.objects.filter(organization=organization, name__iexact=name)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            errors["name"] = f"There is already a roster source named {name!r}."
    problem = time_zone_error(time_zone)
    if problem:
        errors["time_zone"] = problem
    return errors


def roster_source_create(*, organization: Organization, actor: Actor, name: str, time_zone: str) -> RosterSource:
    name, time_zone = name.strip(), time_zone.strip()
    ServiceError.raise_first(_source_errors(organization, name, time_zone, None))
    try:
        with transaction.atomic():
            source = RosterSource.objects.create(organization=organization, name=name, time_zone=time_zone)
            audit_record(
                actor=actor,
                action="workforce.roster_source.created",
                organization=organization,
                target=source,
                changes={"name": [None, name], "time_zone": [None, time_zone]},
            )
    except IntegrityError:  # a concurrent request took the name between the check and the insert
        raise ServiceError(f"There is already a roster source named {name!r}.", field="name") from None
    return source


def roster_source_update(
    *, organization: Organization, actor: Actor, source: RosterSource, name: str, time_zone: str
) -> RosterSource:
    name, time_zone = name.strip(), time_zone.strip()
    ServiceError.raise_first(_source_errors(organization, name, time_zone, source))
    with transaction.atomic():
        before = snapshot(source, SOURCE_FIELDS)
        source.name, source.time_zone = name, time_zone
        changes = field_changes(before, snapshot(source, SOURCE_FIELDS))
        if not changes:
            return source
        source.save(update_fields=["name", "time_zone"])
        audit_record(
            actor=actor,
            action="workforce.roster_source.updated",
            organization=organization,
            target=source,
            changes=changes,
        )
    return source


def roster_source_remember_mapping(
    *, organization: Organization, source: RosterSource, mapping: dict[str, str]
) -> None:
    """Keep the mapping of a committed file for the source's next file. The pipeline calls this inside the
    commit's transaction, whose own audit event names the person; this one says what the source now holds."""
    if source.mapping == mapping:
        return
    before = dict(source.mapping)
    source.mapping = dict(mapping)
    source.save(update_fields=["mapping"])
    audit_record(
        actor=Actor.system("import"),
        action="workforce.roster_source.mapping_saved",
        organization=organization,
        target=source,
        changes={"mapping": [before, source.mapping]},
    )


# ---- issued items ----------------------------------------------------------------------------------------------


def item_issue(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    kind: str,
    label: str,
    issued_on: date | None = None,
    note: str = "",
) -> IssuedItem:
    label = label.strip()
    errors: dict[str, str] = {}
    if person.organization_id != organization.pk:
        raise ServiceError("No such person.")
    if kind not in IssuedItem.Kind.values:
        errors["kind"] = f"Use one of {', '.join(IssuedItem.Kind.values)}."
    if not label:
        errors["label"] = "Say what was issued: an asset tag, serial number or key number."
    elif len(label) > 200:
        errors["label"] = "At most 200 characters."
    if issued_on is not None and issued_on > timezone.localdate():
        errors["issued_on"] = "The issue date cannot be in the future."
    ServiceError.raise_first(errors)
    with transaction.atomic():
        item = IssuedItem.objects.create(
            organization=organization, person=person, kind=kind, label=label, issued_on=issued_on, note=note
        )
        audit_record(
            actor=actor,
            action="workforce.issued_item.issued",
            organization=organization,
            target=item,
            changes={"person": [None, str(person.public_id)], **field_changes({}, snapshot(item, ITEM_FIELDS))},
        )
    return item


def item_recover(
    *,
    organization: Organization,
    actor: Actor,
    item: IssuedItem,
    recovered_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
    complete_tasks: bool = True,
) -> IssuedItem:
    """Record that the item came back; once only, and not before it was issued or after now. A leaver's open task
    to recover it is completed too (`complete_tasks=False` when that task is what records the recovery)."""
    now = now or timezone.now()
    recovered_at = recovered_at or now
    if item.organization_id != organization.pk:
        raise ServiceError("No such issued item.")
    if item.recovered_at is not None:
        raise ServiceError(f"{item} was already recovered on {timezone.localdate(item.recovered_at)}.")
    if recovered_at > now:
        raise ServiceError("The recovery time cannot be in the future.", field="recovered_at")
    if item.issued_on and timezone.localdate(recovered_at) < item.issued_on:
        raise ServiceError(f"{item} was issued on {item.issued_on}, after that time.", field="recovered_at")
    with transaction.atomic():
        item.recovered_at = recovered_at
        item.recovered_by = actor.user
        if note.strip():
            item.note = f"{item.note}\n{note.strip()}".strip()
        item.save(update_fields=["recovered_at", "recovered_by", "note"])
        audit_record(
            actor=actor,
            action="workforce.issued_item.recovered",
            organization=organization,
            target=item,
            changes={"recovered_at": [None, recovered_at], "note": [None, note.strip()]},
        )
        if complete_tasks:
            from safeguard.workforce.services.tasks import recovery_observed

            recovery_observed(organization=organization, actor=actor, item=item, recovered_at=recovered_at)
        request_evaluation_on_commit(organization, "workforce.item_recovered")
    return item
