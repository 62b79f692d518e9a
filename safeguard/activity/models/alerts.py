"""Alerts raised by rules, their triage history, suppressions and the escalation path for each severity."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeguard.activity.models.rules import Severity


class AlertStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ESCALATED = "escalated", "Escalated"
    FALSE_POSITIVE = "false_positive", "False positive"
    BENIGN = "benign", "Benign true positive"


OPEN_ALERT_STATUSES = (AlertStatus.NEW, AlertStatus.TRIAGED)


class Alert(models.Model):
    """One rule firing for one group key in one suppression period. `uid` is a hash of (rule, group key, period
    start), so evaluating the same events again updates the alert instead of raising another."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    uid = models.CharField(max_length=64)
    rule = models.ForeignKey("activity.DetectionRule", on_delete=models.PROTECT, related_name="alerts")
    title = models.CharField(max_length=256)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    group_key = models.JSONField(default=dict, help_text='The group-by values: {"user_name": "jdoe"}.')
    group_text = models.CharField(max_length=500, help_text="The group key as one line, for display and search.")
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        "activity.LogSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
        help_text="The source of all the evidence, when there is one.",
    )
    # Every source with evidence: a review of a source looks at the alerts its events contributed to.
    sources = models.ManyToManyField("activity.LogSource", blank=True, related_name="alerts_contributed")
    bucket_start = models.DateTimeField(help_text="Start of the suppression period the alert stands for.")
    first_seen = models.DateTimeField(help_text="The first anchor: the event that completed the first match.")
    last_seen = models.DateTimeField()
    window_seconds = models.PositiveIntegerField(default=0, help_text="The rule's window (0: a single event).")
    metric_name = models.CharField(max_length=64, blank=True)
    metric_value = models.FloatField(null=True, blank=True, help_text="The largest value the window reached.")
    anchor_count = models.PositiveIntegerField(default=1)
    evidence_uids = models.JSONField(default=list, help_text="The contributing events' uids (the first 1,000).")
    evidence_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ack_due_at = models.DateTimeField(null=True, blank=True, help_text="Triage deadline at the current level.")
    escalation_level = models.PositiveSmallIntegerField(default=1)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    run = models.ForeignKey("activity.RuleRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-first_seen", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "uid"], name="alert_uid_unique")]
        indexes = [
            models.Index(fields=["organization", "status", "-first_seen"], name="alert_org_status"),
            models.Index(fields=["organization", "rule", "-first_seen"], name="alert_org_rule"),
            models.Index(fields=["organization", "severity", "status"], name="alert_org_severity"),
            models.Index(fields=["organization", "ack_due_at"], name="alert_org_ack_due"),
        ]

    def __str__(self) -> str:
        # Not the group key: this text lands in the audit trail, which auditors read, and may name a suspect.
        return f"{self.title} ({self.severity}, {self.first_seen:%Y-%m-%d})"


class AlertNote(models.Model):
    """The alert's history: each triage decision, assignment, comment, reminder and escalation."""

    class Action(models.TextChoices):
        RAISED = "raised", "Raised"
        ASSIGNED = "assigned", "Assigned"
        COMMENTED = "commented", "Commented"
        STATUS = "status", "Status changed"
        REMINDED = "reminded", "Reminder sent"
        LEVEL_RAISED = "level_raised", "Escalated to the next level"
        INCIDENT = "incident", "Linked to an incident"

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notes")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.alert_id}"


class Suppression(models.Model):
    """No new alerts from a rule (for one group key, or for all) while it lasts; anchors are still counted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey("activity.DetectionRule", on_delete=models.PROTECT, related_name="suppressions")
    group_text = models.CharField(max_length=500, blank=True, help_text="Blank: every group key of the rule.")
    reason = models.TextField()
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Blank: until revoked.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "rule"], name="suppression_org_rule")]

    def __str__(self) -> str:
        return f"Suppression of rule {self.rule_id} ({'one group key' if self.group_text else 'every group key'})"


class EscalationLevel(models.Model):
    """One step of a severity's escalation path: who is told, and how long they have to triage before the
    alert moves to the next step."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    level = models.PositiveSmallIntegerField(help_text="1 is told first.")
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notify_role = models.CharField(max_length=32, blank=True, help_text="Or everyone holding this role.")
    ack_minutes = models.PositiveIntegerField(help_text="Minutes to triage before the next level is told.")
    remind_every_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Remind this level this often until the deadline; blank: no reminders."
    )

    class Meta:
        ordering = ["severity", "level"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "severity", "level"], name="escalation_level_unique")
        ]

    def __str__(self) -> str:
        return f"{self.severity} level {self.level}"
