"""Incidents: opening one (usually from escalated alerts), changing its status, owner and facts.

References are INC-<year>-<NNNN>, numbered per organization and year. Allocation locks the organization's row,
so two incidents opened at once never take the same number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident, IncidentSeverity, IncidentStatus

if TYPE_CHECKING:
    from safeguard.activity.models import Alert

TITLE_MAX = 200
OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.IN_PROGRESS, IncidentStatus.ON_HOLD)
EDITABLE = ("title", "description", "severity", "status", "owner", "is_suspected_breach")


def _next_reference(organization: Organization, year: int) -> str:
    """Call inside the transaction that creates the incident; the organization row stays locked until it ends."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    prefix = f"INC-{year}-"
    references = Incident.objects.filter(organization=organization, reference__startswith=prefix)
    numbers = [int(ref.removeprefix(prefix)) for ref in references.values_list("reference", flat=True)]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def check_owner(organization: Organization, owner: User) -> None:
    member = Membership.objects.current().filter(organization=organization, user=owner).first()
    if member is None or not (member.has(Perm.TRIAGE_ALERTS) or member.has(Perm.MANAGE_PROGRAM)):
        raise ServiceError(f"{owner.email} cannot own an incident here: they may not handle alerts.", field="owner")


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ServiceError("Give the incident a title, e.g. “Record snooping on a VIP chart”.", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title


def _check_severity(severity: str) -> None:
    if severity not in IncidentSeverity.values:
        raise ServiceError(f"Choose a severity: {', '.join(IncidentSeverity.values)}.", field="severity")


def open_incident(
    organization: Organization,
    actor: Actor,
    *,
    title: str,
    severity: str,
    owner: User,
    alerts: Sequence[Alert] = (),
    is_suspected_breach: bool = False,
    description: str = "",
    now: datetime | None = None,
) -> Incident:
    """A new incident; the alerts given are linked to it (the caller changes their status)."""
    now = now or timezone.now()
    title = _check_title(title)
    _check_severity(severity)
    check_owner(organization, owner)
    if actor.user is None:
        raise ServiceError("An incident is opened by a person.", field="actor")
    with transaction.atomic():
        incident = Incident.objects.create(
            organization=organization,
            reference=_next_reference(organization, timezone.localdate(now).year),
            title=title,
            description=description.strip(),
            severity=severity,
            owner=owner,
            is_suspected_breach=is_suspected_breach,
            opened_by=actor.user,
            opened_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="incidents.incident_opened",
            organization=organization,
            target=incident,
            changes={
                "reference": incident.reference,
                "severity": severity,
                "owner": owner.email,
                "is_suspected_breach": is_suspected_breach,
                "alerts": [str(alert.public_id) for alert in alerts],
            },
        )
    return incident


def incident_update(
    organization: Organization,
    actor: Actor,
    *,
    incident: Incident,
    now: datetime | None = None,
    **values: object,
) -> Incident:
    """Change any of EDITABLE. Resolving or closing stamps the time; reopening clears it."""
    now = now or timezone.now()
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"These cannot be changed: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if "title" in values:
        values["title"] = _check_title(str(values["title"]))
    if "severity" in values:
        _check_severity(str(values["severity"]))
    if "status" in values and values["status"] not in IncidentStatus.values:
        raise ServiceError(f"Choose a status: {', '.join(IncidentStatus.values)}.", field="status")
    owner = values.get("owner")
    if isinstance(owner, User):
        check_owner(organization, owner)
    with transaction.atomic():
        changes: dict[str, list[object]] = {}
        for name, value in values.items():
            old = getattr(incident, name)
            if old != value:
                changes[name] = [old.email if isinstance(old, User) else old, getattr(value, "email", value)]
                setattr(incident, name, value)
        if not changes:
            return incident
        if "status" in changes:
            incident.resolved_at = now if incident.status == IncidentStatus.RESOLVED else incident.resolved_at
            incident.closed_at = now if incident.status == IncidentStatus.CLOSED else None
            if incident.status in OPEN_STATUSES:
                incident.resolved_at = None
        incident.updated_at = now
        incident.save()
        audit_record(
            actor=actor,
            action="incidents.incident_updated",
            organization=organization,
            target=incident,
            changes=changes,
        )
    return incident
