"""Treating risks: mitigation actions, signed acceptances, and the triggers that call for a new analysis."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class MitigationAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risk_actions")
    risk = models.ForeignKey("risk.Risk", on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_actions")
    due_on = models.DateField()
    acceptance_criteria = models.TextField(help_text="What must be true, and shown, for the action to count as done.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completion_note = models.TextField(blank=True)
    evidence = models.ForeignKey("core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Set when the action went overdue and became an obligation, so escalation follows the usual path.
    obligation = models.OneToOneField(
        "core.Obligation", null=True, blank=True, on_delete=models.PROTECT, related_name="risk_action"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "title"]
        indexes = [models.Index(fields=["organization", "status", "due_on"], name="action_org_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(evidence__isnull=False, completed_on__isnull=False),
                name="action_done_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RiskAcceptance(models.Model):
    """A signed decision to accept a risk, with its rationale, until it expires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risk_acceptances")
    risk = models.ForeignKey("risk.Risk", on_delete=models.PROTECT, related_name="acceptances")
    rationale = models.TextField()
    expires_on = models.DateField()
    signature = models.OneToOneField("core.Signature", on_delete=models.PROTECT, related_name="risk_acceptance")
    accepted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"Acceptance of {self.risk} until {self.expires_on}"


class ReanalysisTrigger(models.Model):
    """Something that calls for the risk analysis to be updated, with the obligation it raised."""

    class Kind(models.TextChoices):
        LAPSED = "lapsed", "Analysis older than the re-analysis interval"
        ASSET_ADDED = "asset_added", "Asset added after approval"
        ASSET_CHANGED = "asset_changed", "Asset changed materially after approval"
        INCIDENT_CLOSED = "incident_closed", "Security incident closed"
        SIGNIFICANT_CHANGE = "significant_change", "Significant change recorded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risk_triggers")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    reason = models.TextField()
    asset = models.ForeignKey("risk.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    analysis = models.ForeignKey(
        "risk.RiskAnalysis",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triggers",
        help_text="The approved analysis the trigger calls into question.",
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    obligation = models.ForeignKey("core.Obligation", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.ForeignKey(
        "risk.RiskAnalysis", null=True, blank=True, on_delete=models.PROTECT, related_name="resolved_triggers"
    )

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["organization", "resolved_by"], name="trigger_org_resolved")]

    def __str__(self) -> str:
        return self.reason
