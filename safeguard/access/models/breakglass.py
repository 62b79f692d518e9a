"""The break-glass register: pre-authorized emergency accounts and every use of them, each reviewed after."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class BreakGlassAccount(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey("access.System", on_delete=models.PROTECT, related_name="break_glass_accounts")
    username = models.CharField(max_length=200)
    purpose = models.TextField(help_text="When it may be used, e.g. EHR downtime or an emergency with no login.")
    custodians = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    review_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Hours after use within which it is reviewed."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["system_id", "username"]
        constraints = [models.UniqueConstraint(fields=["system", "username"], name="breakglass_one_per_account")]

    def __str__(self) -> str:
        return self.username


class BreakGlassActivation(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        ACTIVITY = "activity", "Raised by activity review"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(BreakGlassAccount, on_delete=models.PROTECT, related_name="activations")
    used_by = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    used_by_name = models.CharField(max_length=200, blank=True, help_text="Who used it, when not on the roster.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was used, as stated at the time.")
    records_accessed = models.TextField(blank=True, help_text="Which patients or records, if known.")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    review_due_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    justified = models.BooleanField(null=True, blank=True)
    review_notes = models.TextField(blank=True)
    sanction = models.ForeignKey(
        "risk.SanctionRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When the overdue review was escalated.")

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["organization", "started_at"], name="activation_org_started")]

    def __str__(self) -> str:
        return f"Use of {self.account_id} at {self.started_at:%Y-%m-%d %H:%M}"
