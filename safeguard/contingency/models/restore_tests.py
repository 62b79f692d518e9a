"""Restore tests (164.308(a)(7)(ii)(D)): a restore actually performed, measured against the asset's objectives as
they stood when it was recorded. The objectives are copied onto the test, so a later change to them does not
rewrite history."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RestoreOutcome(models.TextChoices):
    MET = "met", "Met the objectives"
    MISSED = "missed", "Restored, but an objective was missed or integrity not verified"
    FAILED = "failed", "Failed: not restored"


class RestoreTest(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey("risk.Asset", on_delete=models.PROTECT, related_name="restore_tests")
    backup_result = models.ForeignKey(
        "contingency.BackupResult", null=True, blank=True, on_delete=models.PROTECT, related_name="restore_tests"
    )
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    participants = models.TextField(blank=True, help_text="Others who took part, staff or vendors.")
    restore_point_at = models.DateTimeField(help_text="The time of the data restored.")
    # The restore is timed from the moment it began (the simulated outage) to service back and checked.
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    succeeded = models.BooleanField()
    integrity_verified = models.BooleanField()
    integrity_method = models.TextField(blank=True, help_text="How the restored data was checked.")
    issues_found = models.TextField(blank=True)
    rto_minutes = models.PositiveIntegerField(help_text="The RTO at the time of the test.")
    rpo_minutes = models.PositiveIntegerField(help_text="The RPO at the time of the test.")
    rto_met = models.BooleanField()
    rpo_met = models.BooleanField()
    outcome = models.CharField(max_length=8, choices=RestoreOutcome.choices)
    evidence = models.ForeignKey("core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["organization", "asset", "-started_at"], name="restore_test_org_asset")]
        constraints = [
            # One asset restored from one start time is one test: imports and the API rely on it to stay idempotent.
            models.UniqueConstraint(fields=["asset", "started_at"], name="restore_test_run_unique"),
            models.CheckConstraint(
                condition=models.Q(finished_at__gte=models.F("started_at")), name="restore_test_finish_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(restore_point_at__lte=models.F("started_at")),
                name="restore_test_point_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Restore test of {self.asset} on {self.started_at:%Y-%m-%d}"
