"""The disaster recovery plan and the emergency mode operation plan (164.308(a)(7)(ii)(B) and (C)) as structured,
versioned records. A version is drafted, approved (signed, and then frozen) and superseded by the next approved
version. Printing is recorded, because the plan must be at hand when this system is down."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class PlanKind(models.TextChoices):
    DISASTER_RECOVERY = "disaster_recovery", "Disaster recovery plan"
    EMERGENCY_MODE = "emergency_mode", "Emergency mode operation plan"


class ContingencyPlan(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=PlanKind.choices)
    title = models.CharField(max_length=200)
    review_cadence = models.CharField(max_length=16, default="annual")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "title"]
        constraints = [models.UniqueConstraint(fields=["organization", "title"], name="contingency_plan_title")]

    def __str__(self) -> str:
        return self.title


class PlanVersion(models.Model):
    """One version of a plan. Lists are JSON so the plan prints as written:
    roles: [{"role", "person", "alternate", "duties"}];
    contacts: [{"name", "organization", "kind" (internal / vendor / business_associate), "role", "phone", "email",
    "called_by"}] where called_by names the contact who calls this one (the call tree);
    templates: [{"audience", "subject", "body"}];
    recovery_order: the order derived from the criticality analysis when the version was approved."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(ContingencyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    activation_criteria = models.TextField()
    roles = models.JSONField(default=list)
    contacts = models.JSONField(default=list)
    manual_procedures = models.TextField(help_text="What to do by hand in the first 24 to 72 hours.")
    templates = models.JSONField(default=list)
    return_criteria = models.TextField(help_text="When and how to return to normal operation.")
    covered_assets = models.ManyToManyField("risk.Asset", related_name="+")
    recovery_order = models.JSONField(default=list)
    revision_reason = models.TextField(blank=True)
    caused_by_exercise = models.ForeignKey(
        "contingency.Exercise", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_revisions"
    )
    caused_by_incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signature = models.OneToOneField(
        "core.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number"),
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(status="approved"), name="plan_one_approved_version"
            ),
            models.UniqueConstraint(fields=["plan"], condition=models.Q(status="draft"), name="plan_one_draft"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(signature__isnull=False, approved_at__isnull=False),
                name="plan_version_approved_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanPrint(models.Model):
    """A PDF of a version, made in the background: the plan's "last printed" is the latest one done. The file is
    kept so the copy handed out can be downloaded again and matched by its SHA-256."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="prints")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    printed_at = models.DateTimeField(null=True, blank=True, help_text="When the PDF was ready.")
    stored_name = models.CharField(max_length=255, blank=True, help_text="Where the PDF is kept in storage.")
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the PDF handed out.")
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="done") | models.Q(printed_at__isnull=False, sha256__gt=""),
                name="plan_print_done_has_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} printed {self.requested_at:%Y-%m-%d}"


class EmergencyActivation(models.Model):
    """The emergency mode or disaster recovery plan was invoked. decisions: [{"at", "by", "decision"}]."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    plan_version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="activations"
    )
    title = models.CharField(max_length=200)
    reason = models.TextField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    assets = models.ManyToManyField("risk.Asset", related_name="+", help_text="Systems affected.")
    decisions = models.JSONField(default=list)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    break_glass = models.ManyToManyField("access.BreakGlassActivation", blank=True, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="activation_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title
