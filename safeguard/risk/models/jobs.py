"""Background work the risk pages start and show progress for: imports and report files."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportJob(models.Model):
    """A CSV/XLSX import: upload → column mapping → validated preview → all-or-nothing commit."""

    class Kind(models.TextChoices):
        ASSETS = "assets", "Assets"
        DATA_FLOWS = "data_flows", "Data flows"
        RISKS = "risks", "Risks"

    class State(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for the column mapping"
        VALIDATING = "validating", "Checking every row"
        INVALID = "invalid", "Has errors: nothing committed"
        READY = "ready", "Clean: ready to commit"
        COMMITTING = "committing", "Committing"
        COMMITTED = "committed", "Committed"
        FAILED = "failed", "Failed: nothing committed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risk_imports")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADED)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)  # "csv" or "xlsx"
    stored_name = models.CharField(max_length=255, help_text="Where the uploaded file is kept in storage.")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text="Our field name → the file's column header.")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text='[{"row": 3, "column": "kind", "message": "..."}]')
    preview = models.JSONField(default=list, help_text="The first rows as they will be written.")
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.file_name}"


class ReportJob(models.Model):
    """A report file built in the background: the analysis PDF or the register workbook."""

    class Kind(models.TextChoices):
        ANALYSIS_PDF = "analysis_pdf", "Risk analysis report (PDF)"
        REGISTER_XLSX = "register_xlsx", "Risk register (XLSX)"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risk_reports")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    analysis = models.ForeignKey("risk.RiskAnalysis", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    stored_name = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    failure = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} requested {self.requested_at:%Y-%m-%d %H:%M}"
