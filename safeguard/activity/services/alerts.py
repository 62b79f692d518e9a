"""Triage: assigning an alert, commenting, deciding it (triaged, false positive, benign true positive) and
escalating it into an incident. Every change leaves an AlertNote and an audit event.

new → triaged; new or triaged → false positive / benign, which close it and need a comment; new or triaged →
escalated only by escalation into an incident, which also needs a comment. A closed alert stays closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from safeguard.activity.models import Alert, AlertNote, AlertStatus
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident
from safeguard.incidents.services import OPEN_STATUSES as OPEN_INCIDENT
from safeguard.incidents.services import open_incident

CLOSING = (AlertStatus.FALSE_POSITIVE, AlertStatus.BENIGN)
ALLOWED: dict[str, tuple[str, ...]] = {
    AlertStatus.NEW: (AlertStatus.TRIAGED, *CLOSING),
    AlertStatus.TRIAGED: CLOSING,
}
COMMENT_MAX = 5000
BULK_MAX = 500


def _label(status: str) -> str:
    return AlertStatus(status).label.lower()


def _check_comment(comment: str, *, required: str = "") -> str:
    comment = comment.strip()
    if required and not comment:
        raise ServiceError(required, field="comment")
    if len(comment) > COMMENT_MAX:
        raise ServiceError(f"A comment has at most {COMMENT_MAX} characters.", field="comment")
    return comment


def check_transition(alert: Alert, status: str, comment: str) -> None:
    if status not in AlertStatus.values:
        raise ServiceError(f"Choose a status: {', '.join(AlertStatus.values)}.", field="status")
    if status == AlertStatus.ESCALATED:
        raise ServiceError("Escalate an alert with the escalate action: it opens or joins an incident.", field="status")
    if status not in ALLOWED.get(alert.status, ()):
        if alert.status not in ALLOWED:
            raise ServiceError(f"The alert is closed ({_label(alert.status)}); it cannot change.", field="status")
        raise ServiceError(f"A {_label(alert.status)} alert cannot become {_label(status)}.", field="status")
    if status in CLOSING and not comment.strip():
        raise ServiceError(f"Say why the alert is {_label(status)}: a comment is required.", field="comment")


def check_assignee(organization: Organization, assignee: User) -> None:
    member = Membership.objects.current().filter(organization=organization, user=assignee).first()
    if member is None or not member.has(Perm.TRIAGE_ALERTS):
        raise ServiceError(f"{assignee.email} may not triage alerts here.", field="assignee")


def _note(alert: Alert, actor: Actor, action: str, now: datetime, **values: str) -> AlertNote:
    return AlertNote.objects.create(
        organization_id=alert.organization_id, alert=alert, action=action, actor=actor.user, created_at=now, **values
    )


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("rule", "organization").get(pk=alert.pk)


def _apply_status(alert: Alert, actor: Actor, status: str, comment: str, now: datetime) -> None:
    before = alert.status
    alert.status = status
    if before == AlertStatus.NEW:
        alert.triaged_at, alert.triaged_by = now, actor.user
    if status in (*CLOSING, AlertStatus.ESCALATED):
        alert.closed_at = now
    alert.updated_at = now
    alert.save(update_fields=["status", "triaged_at", "triaged_by", "closed_at", "updated_at"])
    _note(alert, actor, AlertNote.Action.STATUS, now, from_status=before, to_status=status, comment=comment)


def alert_set_status(
    organization: Organization,
    actor: Actor,
    *,
    alert: Alert,
    status: str,
    comment: str = "",
    now: datetime | None = None,
) -> Alert:
    now = now or timezone.now()
    comment = _check_comment(comment)
    with transaction.atomic():
        alert = _locked(alert)
        check_transition(alert, status, comment)
        before = alert.status
        _apply_status(alert, actor, status, comment, now)
        audit_record(
            actor=actor,
            action="activity.alert_status_changed",
            organization=organization,
            target=alert,
            changes={"status": [before, status], "comment": comment},
        )
    return alert


def alert_assign(
    organization: Organization, actor: Actor, *, alert: Alert, assignee: User | None, now: datetime | None = None
) -> Alert:
    now = now or timezone.now()
    if assignee is not None:
        check_assignee(organization, assignee)
    with transaction.atomic():
        alert = _locked(alert)
        if alert.assignee_id == (assignee.pk if assignee else None):
            return alert
        before = alert.assignee.email if alert.assignee else ""
        alert.assignee = assignee
        alert.updated_at = now
        alert.save(update_fields=["assignee", "updated_at"])
        after = assignee.email if assignee else ""
        _note(alert, actor, AlertNote.Action.ASSIGNED, now, comment=f"Assigned to {after}" if after else "Unassigned")
        audit_record(
            actor=actor,
            action="activity.alert_assigned",
            organization=organization,
            target=alert,
            changes={"assignee": [before, after]},
        )
    return alert


def alert_comment(
    organization: Organization, actor: Actor, *, alert: Alert, comment: str, now: datetime | None = None
) -> AlertNote:
    now = now or timezone.now()
    comment = _check_comment(comment, required="Write the comment.")
    with transaction.atomic():
        note = _note(alert, actor, AlertNote.Action.COMMENTED, now, comment=comment)
        audit_record(
            actor=actor, action="activity.alert_commented", organization=organization, target=alert, changes={}
        )
    return note


@dataclass(frozen=True)
class TriageChange:
    status: str = ""
    comment: str = ""
    assignee: User | None = None
    unassign: bool = False


def alerts_bulk_triage(
    organization: Organization,
    actor: Actor,
    *,
    alerts: Sequence[Alert],
    change: TriageChange,
    now: datetime | None = None,
) -> int:
    """The same change to every selected alert, all or nothing: the first refusal names its alert."""
    now = now or timezone.now()
    if not alerts:
        raise ServiceError("Select at least one alert.", field="alerts")
    if len(alerts) > BULK_MAX:
        raise ServiceError(f"Select at most {BULK_MAX} alerts at once.", field="alerts")
    if not (change.status or change.assignee or change.unassign or change.comment.strip()):
        raise ServiceError("Choose a status, an assignee or write a comment.", field="status")
    with transaction.atomic():
        for alert in alerts:
            try:
                if change.assignee is not None or change.unassign:
                    alert_assign(organization, actor, alert=alert, assignee=change.assignee, now=now)
                if change.status:
                    alert_set_status(
                        organization, actor, alert=alert, status=change.status, comment=change.comment, now=now
                    )
                elif change.comment.strip():
                    alert_comment(organization, actor, alert=alert, comment=change.comment, now=now)
            except ServiceError as error:
                raise ServiceError(f"{alert.title} ({alert.group_text}): {error.message}", field=error.field) from error
    return len(alerts)


def alerts_escalate(
    organization: Organization,
    actor: Actor,
    *,
    alerts: Sequence[Alert],
    comment: str,
    incident: Incident | None = None,
    title: str = "",
    severity: str = "",
    owner: User | None = None,
    is_suspected_breach: bool = False,
    now: datetime | None = None,
) -> Incident:
    """Escalate the alerts into a new incident (title, severity, owner) or an existing open one."""
    now = now or timezone.now()
    comment = _check_comment(comment, required="Say why the alert is escalated: a comment is required.")
    if not alerts:
        raise ServiceError("Select at least one alert.", field="alerts")
    with transaction.atomic():
        locked = [_locked(alert) for alert in alerts]
        for alert in locked:
            if alert.status not in ALLOWED:
                raise ServiceError(
                    f"{alert.title} ({alert.group_text}) is closed ({_label(alert.status)}); it cannot be escalated.",
                    field="alerts",
                )
        if incident is None:
            if owner is None:
                raise ServiceError("Choose who owns the new incident.", field="owner")
            incident = open_incident(
                organization,
                actor,
                title=title or locked[0].title,
                severity=severity or _incident_severity(locked),
                owner=owner,
                alerts=locked,
                is_suspected_breach=is_suspected_breach,
                description=comment,
                now=now,
            )
        elif incident.organization_id != organization.pk or incident.status not in OPEN_INCIDENT:
            raise ServiceError("Choose an open incident of this organization.", field="incident")
        for alert in locked:
            before = alert.status
            alert.incident = incident
            alert.save(update_fields=["incident"])
            _apply_status(alert, actor, AlertStatus.ESCALATED, comment, now)
            _note(alert, actor, AlertNote.Action.INCIDENT, now, comment=incident.reference)
            audit_record(
                actor=actor,
                action="activity.alert_escalated",
                organization=organization,
                target=alert,
                changes={"status": [before, AlertStatus.ESCALATED], "incident": incident.reference, "comment": comment},
            )
    return incident


def _incident_severity(alerts: Sequence[Alert]) -> str:
    from safeguard.activity.models import SEVERITY_RANK

    highest = max((alert.severity for alert in alerts), key=lambda level: SEVERITY_RANK[level])
    return "low" if highest == "informational" else highest
