"""Attested activity reviews: for each reviewed source and period, someone looked at the alerts and the
statistics and signed. The record and its statistics are the evidence of 164.308(a)(1)(ii)(D)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ActivityReview(models.Model):
    class Conclusion(models.TextChoices):
        NO_ISSUES = "no_issues", "Nothing inappropriate found"
        ISSUES_FOUND = "issues_found", "Issues found and followed up"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("activity.LogSource", on_delete=models.PROTECT, related_name="reviews")
    period_start = models.DateField(help_text="First day of the period (the source's local days).")
    period_end = models.DateField(help_text="Last day of the period, inclusive.")
    due_on = models.DateField(help_text="Signed on time up to and including this day.")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    statistics = models.JSONField(default=dict, blank=True, help_text="What the reviewer saw, as signed.")
    conclusion = models.CharField(max_length=16, choices=Conclusion.choices, blank=True)
    notes = models.TextField(blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signature = models.ForeignKey("core.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "source_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "period_start"], name="activity_review_one_per_period"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="activity_review_period_order"
            ),
        ]
        indexes = [models.Index(fields=["organization", "due_on"], name="activity_review_org_due")]

    def __str__(self) -> str:
        return f"Review of {self.source_id} {self.period_start}–{self.period_end}"
