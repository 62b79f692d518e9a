import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Status(models.TextChoices):
    MET = "met", "Met"
    PARTIALLY_MET = "partially_met", "Partially met"
    NOT_MET = "not_met", "Not met"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    UNKNOWN = "unknown", "Unknown"


class Basis(models.TextChoices):
    RECORDS = "records", "Verified by records"
    ATTESTATION = "attestation", "Manual attestation"
    DECISION = "decision", "Addressable decision"
    NONE = "none", "Nothing recorded"


class Verdict(models.Model):
    """The current verdict on one requirement for one organization, as the last evaluation computed it."""

    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="verdicts")
    requirement = models.ForeignKey("catalog.Requirement", on_delete=models.PROTECT, related_name="verdicts")
    status = models.CharField(max_length=20, choices=Status.choices)
    basis = models.CharField(max_length=20, choices=Basis.choices)
    reason = models.TextField()
    records = models.JSONField(default=list, help_text="[{type, id, label, url}] behind the verdict.")
    lapses_on = models.DateField(null=True, blank=True)
    next_action = models.TextField(blank=True)
    checks = models.JSONField(default=list, help_text="Names of the automated checks registered for it.")
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "requirement"], name="verdict_one_per_requirement")
        ]

    def __str__(self) -> str:
        return f"{self.requirement.citation}: {self.status}"


class EvaluationRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="evaluation_runs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    trigger = models.CharField(max_length=80)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    evaluated = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"evaluation {self.state} ({self.trigger})"


class DailySnapshot(models.Model):
    """Progress on one day, for the dashboard's trend."""

    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    overall_percent = models.FloatField()
    by_safeguard = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="snapshot_one_per_day")]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.overall_percent:.0f}%"


class Attestation(models.Model):
    """A signed statement that a requirement is met, with evidence, for requirements no check verifies yet."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="attestations")
    requirement = models.ForeignKey("catalog.Requirement", on_delete=models.PROTECT, related_name="attestations")
    statement = models.TextField()
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attested_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-attested_at"]

    def __str__(self) -> str:
        return f"Attestation for {self.requirement.citation} until {self.expires_on}"


class AddressableDecision(models.Model):
    """How the organization handles an addressable specification (164.306(d)(3)), with approver sign-off."""

    class Decision(models.TextChoices):
        IMPLEMENTED = "implemented", "Implemented as specified"
        ALTERNATIVE = "alternative", "Equivalent alternative measure"
        NOT_REASONABLE = "not_reasonable", "Not reasonable and appropriate"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="decisions")
    requirement = models.ForeignKey("catalog.Requirement", on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    rationale = models.TextField()
    alternative_measure = models.TextField(blank=True)
    review_on = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signature = models.OneToOneField(
        "core.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="addressable_decision"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.requirement.citation}: {self.get_decision_display()}"
