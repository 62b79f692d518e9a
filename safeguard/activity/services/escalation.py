"""Escalation paths per severity (who is told, and how long they have to triage) and the run that keeps new
alerts moving along them: reminders before a deadline, the next level after it, and once past the last level a
final notice to the owners and security officials.

A path's levels are numbered from 1 without gaps, so levels are added at the end and removed from the end. With
no path configured for a severity, level 1 is the owners and security officials with the default deadline.

The run is idempotent. `last_notified_at` records the latest email for the alert: a reminder is due when the
level's interval has passed since it; the final notice has been sent when it is at or after the last deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max

from safeguard.activity.emails_alerts import final_recipients, level_recipients, send_alert_email
from safeguard.activity.models import Alert, AlertNote, AlertStatus, EscalationLevel, Severity
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError

DEFAULT_ACK_MINUTES: dict[str, int | None] = {
    Severity.CRITICAL: 60,
    Severity.HIGH: 240,
    Severity.MEDIUM: 1440,
    Severity.LOW: 4320,
    Severity.INFORMATIONAL: None,
}
NOTIFIABLE_ROLES = (Role.OWNER, Role.SECURITY_OFFICIAL, Role.PRIVACY_OFFICER, Role.REVIEWER)


def level_one_minutes(organization: Organization) -> dict[str, int | None]:
    """Each severity's first deadline in minutes (None: no deadline)."""
    minutes = dict(DEFAULT_ACK_MINUTES)
    configured = EscalationLevel.objects.filter(organization=organization, level=1)
    minutes.update(configured.values_list("severity", "ack_minutes"))
    return minutes


def paths(organization: Organization) -> dict[str, list[EscalationLevel]]:
    out: dict[str, list[EscalationLevel]] = {severity: [] for severity in Severity.values}
    for step in EscalationLevel.objects.filter(organization=organization).select_related("notify_user"):
        out[step.severity].append(step)
    return out


# ---- the path ---------------------------------------------------------------------------------------------------


def _check_step(
    organization: Organization, notify_user: User | None, notify_role: str, ack_minutes: int, remind: int | None
) -> None:
    if (notify_user is None) == (not notify_role):
        raise ServiceError("Name either one person or one role to notify, not both and not neither.", field="notify")
    if notify_role and notify_role not in NOTIFIABLE_ROLES:
        raise ServiceError(f"Notify a role that may triage alerts: {', '.join(NOTIFIABLE_ROLES)}.", field="notify_role")
    if notify_user is not None:
        member = Membership.objects.current().filter(organization=organization, user=notify_user).first()
        if member is None or member.role not in NOTIFIABLE_ROLES:
            raise ServiceError(f"{notify_user.email} may not triage alerts here.", field="notify_user")
    if ack_minutes < 1:
        raise ServiceError("Give at least 1 minute to triage.", field="ack_minutes")
    if remind is not None and not 1 <= remind < ack_minutes:
        raise ServiceError(
            "Remind at least every minute, and more often than the deadline (or leave it blank).",
            field="remind_every_minutes",
        )


def escalation_level_create(
    *,
    organization: Organization,
    actor: Actor,
    severity: str,
    notify_user: User | None = None,
    notify_role: str = "",
    ack_minutes: int,
    remind_every_minutes: int | None = None,
) -> EscalationLevel:
    """The next level of the severity's path."""
    if severity not in Severity.values:
        raise ServiceError(f"Choose a severity: {', '.join(Severity.values)}.", field="severity")
    _check_step(organization, notify_user, notify_role, ack_minutes, remind_every_minutes)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        last = EscalationLevel.objects.filter(organization=organization, severity=severity).aggregate(n=Max("level"))
        step = EscalationLevel.objects.create(
            organization=organization,
            severity=severity,
            level=(last["n"] or 0) + 1,
            notify_user=notify_user,
            notify_role=notify_role,
            ack_minutes=ack_minutes,
            remind_every_minutes=remind_every_minutes,
        )
        audit_record(
            actor=actor,
            action="activity.escalation_level_created",
            organization=organization,
            target=step,
            changes=_facts(step),
        )
    return step


def escalation_level_update(
    *,
    organization: Organization,
    actor: Actor,
    step: EscalationLevel,
    notify_user: User | None = None,
    notify_role: str = "",
    ack_minutes: int,
    remind_every_minutes: int | None = None,
) -> EscalationLevel:
    _check_step(organization, notify_user, notify_role, ack_minutes, remind_every_minutes)
    with transaction.atomic():
        before = _facts(step)
        step.notify_user = notify_user
        step.notify_role = notify_role
        step.ack_minutes = ack_minutes
        step.remind_every_minutes = remind_every_minutes
        step.save(update_fields=["notify_user", "notify_role", "ack_minutes", "remind_every_minutes"])
        after = _facts(step)
        changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        audit_record(
            actor=actor,
            action="activity.escalation_level_updated",
            organization=organization,
            target=step,
            changes=changes,
        )
    return step


def escalation_level_delete(*, organization: Organization, actor: Actor, step: EscalationLevel) -> None:
    """Only the last level goes: removing one in the middle would leave a gap."""
    with transaction.atomic():
        last = EscalationLevel.objects.filter(organization=organization, severity=step.severity).aggregate(
            n=Max("level")
        )["n"]
        if step.level != last:
            raise ServiceError(
                f"Remove level {last} of the {step.severity} path first: levels are numbered without gaps.",
                field="level",
            )
        audit_record(
            actor=actor,
            action="activity.escalation_level_deleted",
            organization=organization,
            target=step,
            changes=_facts(step),
        )
        step.delete()


def _facts(step: EscalationLevel) -> dict[str, object]:
    return {
        "severity": step.severity,
        "level": step.level,
        "notify_user": step.notify_user.email if step.notify_user else "",
        "notify_role": step.notify_role,
        "ack_minutes": step.ack_minutes,
        "remind_every_minutes": step.remind_every_minutes,
    }


# ---- the run ----------------------------------------------------------------------------------------------------


@dataclass
class EscalationTally:
    reminded: int = 0
    raised: int = 0
    final: int = 0

    def count(self, kind: str) -> None:
        name = {"reminder": "reminded", "level_raised": "raised", "final": "final"}[kind]
        setattr(self, name, getattr(self, name) + 1)

    def lines(self) -> list[str]:
        return [
            f"{self.reminded} reminder(s), {self.raised} alert(s) moved to the next level, {self.final} final notice(s)"
        ]


def path_levels(organization_ids: set[int]) -> dict[tuple[int, str, int], EscalationLevel]:
    """The organizations' path levels by (organization id, severity, level), as the run looks them up."""
    return {
        (step.organization_id, step.severity, step.level): step
        for step in EscalationLevel.objects.filter(organization_id__in=organization_ids)
    }


def _step(levels: dict[tuple[int, str, int], EscalationLevel], alert: Alert, level: int) -> EscalationLevel | None:
    return levels.get((alert.organization_id, alert.severity, level))


def _note(alert: Alert, action: str, now: datetime, comment: str) -> None:
    AlertNote.objects.create(
        organization_id=alert.organization_id, alert=alert, action=action, comment=comment, created_at=now
    )


def _due_action(
    alert: Alert, levels: dict[tuple[int, str, int], EscalationLevel], now: datetime
) -> tuple[str, EscalationLevel | None] | None:
    if alert.ack_due_at is None:
        return None
    current = _step(levels, alert, alert.escalation_level)
    if alert.ack_due_at > now:
        every = current.remind_every_minutes if current else None
        since = alert.last_notified_at or alert.created_at
        if every and since + timedelta(minutes=every) <= now:
            return "reminder", current
        return None
    following = _step(levels, alert, alert.escalation_level + 1)
    if following is not None:
        return "level_raised", following
    if alert.last_notified_at is None or alert.last_notified_at < alert.ack_due_at:
        return "final", None
    return None


def _act(alert: Alert, levels: dict[tuple[int, str, int], EscalationLevel], now: datetime) -> str | None:
    """Decide again under the row lock and act on the locked row: two scheduler workers may both have found the
    alert due, and only the first may email and write the note. The kind acted on, or None."""
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=alert.pk, status=AlertStatus.NEW)
            .first()
        )
        if locked is None:  # triaged meanwhile
            return None
        due = _due_action(locked, levels, now)
        if due is None:  # another worker acted first
            return None
        kind, step = due
        if kind == "level_raised" and step is not None:
            locked.escalation_level = step.level
            locked.ack_due_at = now + timedelta(minutes=step.ack_minutes)
            _note(locked, AlertNote.Action.LEVEL_RAISED, now, f"Not triaged in time: level {step.level} told.")
            recipients = level_recipients(locked, step.level)
        elif kind == "reminder":
            _note(locked, AlertNote.Action.REMINDED, now, f"Level {locked.escalation_level} reminded.")
            recipients = level_recipients(locked, locked.escalation_level)
        else:
            _note(locked, AlertNote.Action.REMINDED, now, "Past the last level: owners and security officials told.")
            recipients = final_recipients(locked)
        locked.last_notified_at = now
        locked.updated_at = now
        locked.save(update_fields=["escalation_level", "ack_due_at", "last_notified_at", "updated_at"])
        audit_record(
            actor=Actor.system("activity.escalation"),
            action=f"activity.alert_{kind}",
            organization=locked.organization,
            target=locked,
            changes={"level": locked.escalation_level, "recipients": len(recipients)},
        )
    send_alert_email(locked, kind, recipients)  # type: ignore[arg-type]
    return kind


def escalation_run(*, now: datetime, dry_run: bool = False) -> EscalationTally:
    """Every organization's new alerts with a deadline: remind, raise a level, or give the final notice."""
    alerts = list(
        Alert.objects.filter(status=AlertStatus.NEW, ack_due_at__isnull=False)
        .select_related("organization")
        .order_by("ack_due_at", "pk")
    )
    levels = path_levels({alert.organization_id for alert in alerts})
    tally = EscalationTally()
    for alert in alerts:
        due = _due_action(alert, levels, now)
        if due is None:
            continue
        if dry_run:
            tally.count(due[0])
            continue
        acted = _act(alert, levels, now)
        if acted is not None:
            tally.count(acted)
    return tally
