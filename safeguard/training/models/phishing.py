"""Phishing simulations: campaigns run in GoPhish or another vendor's tool, and each recipient's result."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class PhishingCampaign(models.Model):
    class Source(models.TextChoices):
        GOPHISH = "gophish", "GoPhish"
        OTHER = "other", "Another vendor (generic CSV)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="phishing_campaigns")
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=8, choices=Source.choices)
    vendor = models.CharField(max_length=100, blank=True, help_text="For another vendor: its name.")
    external_id = models.CharField(max_length=100, blank=True, help_text="The tool's campaign id, e.g. GoPhish's.")
    description = models.TextField(blank=True, help_text="The lure: template, sender, landing page.")
    launched_at = models.DateTimeField(null=True, blank=True, help_text="The first email sent.")
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-launched_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="phishing_campaign_external_unique",
            ),
            models.UniqueConstraint(fields=["organization", "name"], name="phishing_campaign_name_unique"),
        ]
        indexes = [models.Index(fields=["organization", "launched_at"], name="phish_campaign_org_launched")]

    def __str__(self) -> str:
        return self.name


class PhishingOutcome(models.TextChoices):
    """How far a recipient went, the furthest step counting: submitted data > clicked > opened > sent."""

    NOT_SENT = "not_sent", "Not sent"
    ERROR = "error", "Sending failed"
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Clicked the link"
    SUBMITTED = "submitted", "Submitted data"


class PhishingResult(models.Model):
    """One recipient of one campaign, with the first time of each step (re-imports keep the earliest)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(PhishingCampaign, on_delete=models.PROTECT, related_name="results")
    email = models.CharField(max_length=254, help_text="Lower-cased.")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    position = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="The tool's result id (GoPhish's rid).")
    person = models.ForeignKey(
        "workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="phishing_results"
    )
    # The person's department when the result was recorded: metrics by department stay true after a move.
    department = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=PhishingOutcome.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reported = models.BooleanField(default=False)
    reported_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0, help_text="Click events (0 when only the status is known).")

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["campaign", "email"], name="phishing_result_one_per_email")]
        indexes = [
            models.Index(fields=["organization", "person"], name="phish_result_org_person"),
            models.Index(fields=["campaign", "status"], name="phish_result_campaign_status"),
            models.Index(fields=["organization", "department"], name="phish_result_org_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.email} in {self.campaign_id}"

    @property
    def clicked(self) -> bool:
        return self.status in (PhishingOutcome.CLICKED, PhishingOutcome.SUBMITTED)
