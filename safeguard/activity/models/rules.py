"""Detection rules (Sigma YAML, one document per row) and the evaluation runs that apply them to the events."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Severity(models.TextChoices):
    """Sigma's `level` values, lowest first."""

    INFORMATIONAL = "informational", "Informational"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class DetectionRule(models.Model):
    class Kind(models.TextChoices):
        DETECTION = "detection", "Detection (single event)"
        CORRELATION = "correlation", "Correlation (threshold or sequence)"
        FILTER = "filter", "Filter (tuning)"
        # Not Sigma: raised by the scheduler when a source stops sending (there is no event to match).
        SILENT_SOURCE = "silent_source", "Silent source"

    class Mode(models.TextChoices):
        DISABLED = "disabled", "Disabled"
        SHADOW = "shadow", "Shadow: count, don't alert"
        ENABLED = "enabled", "Enabled"

    class Origin(models.TextChoices):
        PACK = "pack", "Safeguard's HIPAA rule pack"
        CUSTOM = "custom", "Written or uploaded here"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="detection_rules")
    name = models.CharField(max_length=100, help_text="Sigma `name`: what correlation rules and filters refer to.")
    sigma_id = models.CharField(max_length=64, blank=True, help_text="Sigma `id`, a UUID.")
    title = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    level = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MEDIUM)
    yaml = models.TextField(blank=True, help_text="The Sigma document.")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.DISABLED)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.CUSTOM)
    pack_version = models.CharField(max_length=20, blank=True)
    edited = models.BooleanField(default=False, help_text="A pack rule changed here: pack updates leave it alone.")
    overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per-organization tuning without editing the rule: {"threshold": 8, "timespan": "15m"}.',
    )
    suppression_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="One alert per group key per this period; blank: the rule's default."
    )
    citations = models.JSONField(default=list, blank=True, help_text="Catalog citations the rule serves.")
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True, editable=False)
    last_anchor_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    shadow_count = models.BigIntegerField(default=0, editable=False, help_text="Anchors counted in shadow mode.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="detection_rule_name_unique")]
        indexes = [models.Index(fields=["organization", "mode"], name="detection_rule_org_mode")]

    def __str__(self) -> str:
        return self.title


class RuleRun(models.Model):
    """One evaluation of the organization's rules over a window of event time."""

    class Trigger(models.TextChoices):
        MICRO = "micro", "Micro-batch (schedule)"
        NIGHTLY = "nightly", "Nightly re-run for late events"
        INGEST = "ingest", "After an ingestion"
        MANUAL = "manual", "Run by hand"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    window_start = models.DateTimeField(help_text="Anchors (the events that complete a match) at or after this.")
    window_end = models.DateTimeField(help_text="…and before this.")
    rules_run = models.PositiveIntegerField(default=0)
    anchors = models.PositiveIntegerField(default=0)
    alerts_created = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    shadow_anchors = models.PositiveIntegerField(default=0)
    stats = models.JSONField(
        default=list, blank=True, help_text='Per rule: [{"rule": "auth_brute_force", "ms": 12, "anchors": 3, ...}]'
    )
    failure = models.TextField(blank=True)
    batch = models.ForeignKey(
        "activity.IngestBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="rule_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-requested_at"], name="rule_run_org_requested")]

    def __str__(self) -> str:
        return f"Rule run {self.public_id}"


class RuleTest(models.Model):
    """A rule tried against a sample file before it is enabled: nothing is stored but this record. The file is
    kept until a background task has read it (queued → running → done or failed)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(DetectionRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="tests")
    yaml = models.TextField(help_text="The rule as tested (it may differ from the saved one).")
    source_format = models.CharField(max_length=16)
    source = models.ForeignKey(
        "activity.LogSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The source whose mapping and time zone read the file; blank: the format's defaults.",
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255, blank=True, help_text="The sample in storage until it is read.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    lines_read = models.BigIntegerField(default=0, help_text="Progress: lines (or records) read so far.")
    events_read = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    matches = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list, blank=True, help_text="The alerts it would raise (the first 100).")
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    tested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tested_at = models.DateTimeField(default=timezone.now, help_text="When the test was asked for.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-tested_at"]

    def __str__(self) -> str:
        return f"Test of {self.rule_id or 'a draft rule'} on {self.file_name}"
