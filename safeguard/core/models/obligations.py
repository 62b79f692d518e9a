import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Cadence(models.TextChoices):
    ONCE = "once", "Once"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUAL = "semiannual", "Every six months"
    ANNUAL = "annual", "Annually"


CADENCE_MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.SEMIANNUAL: 6, Cadence.ANNUAL: 12}


class ObligationQuerySet(models.QuerySet["Obligation"]):
    def open(self) -> "ObligationQuerySet":
        return self.filter(status=Obligation.Status.OPEN)


class Obligation(models.Model):
    """A duty with a due date, recurring by cadence: completing it schedules the next occurrence."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="obligations")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    citation = models.CharField(max_length=40, blank=True, help_text="Catalog requirement this duty serves.")
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.ONCE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="obligations")
    due_on = models.DateField()
    remind_days_before = models.PositiveSmallIntegerField(default=14)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=80, default="user", help_text="'user' or the module that created it.")
    last_reminded_on = models.DateField(null=True, blank=True)
    escalated_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ObligationQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "title"]
        indexes = [models.Index(fields=["organization", "status", "due_on"], name="obligation_org_status_due")]

    def __str__(self) -> str:
        return self.title


class ObligationCompletion(models.Model):
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="completions")
    due_on = models.DateField()
    completed_on = models.DateField()
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    evidence = models.ForeignKey("core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_on"]

    def __str__(self) -> str:
        return f"{self.obligation} completed {self.completed_on}"
