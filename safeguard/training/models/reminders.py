"""Security reminders (164.308(a)(5)(ii)(A)): posts to an audience, by email too if asked, with read receipts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SecurityReminder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="security_reminders")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown. Rendered sanitized.")
    topics = models.ManyToManyField("training.Topic", blank=True, related_name="reminders")
    audience = models.CharField(max_length=20, default="everyone", help_text="One of the roster audiences.")
    audience_values = models.JSONField(default=list, blank=True)
    send_email = models.BooleanField(default=True, help_text="Also email it to each person on the roster.")
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0, help_text="People it was delivered to.")
    repeat_months = models.PositiveSmallIntegerField(
        default=0, help_text="When sent, schedule the same reminder again this many months later; 0: once."
    )
    repeats = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeated_by",
        help_text="The reminder this one repeats.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        indexes = [models.Index(fields=["organization", "status", "scheduled_for"], name="reminder_org_status_at")]

    def __str__(self) -> str:
        return self.title


class ReminderDelivery(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    reminder = models.ForeignKey(SecurityReminder, on_delete=models.PROTECT, related_name="deliveries")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="reminder_deliveries")
    delivered_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reminder_id", "person_id"]
        constraints = [models.UniqueConstraint(fields=["reminder", "person"], name="reminder_delivery_once")]
        indexes = [models.Index(fields=["organization", "person", "read_at"], name="delivery_org_person_read")]

    def __str__(self) -> str:
        return f"Delivery of {self.reminder_id} to {self.person_id}"
