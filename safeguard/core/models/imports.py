"""A file import that any domain app registers a kind for (see core/imports.py): upload → column mapping →
checked preview → all-or-nothing commit, with progress kept here so pages and the API can show it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class FileImport(models.Model):
    class State(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for the column mapping"
        VALIDATING = "validating", "Checking every row"
        INVALID = "invalid", "Has errors: nothing committed"
        READY = "ready", "Clean: ready to commit"
        COMMITTING = "committing", "Committing"
        COMMITTED = "committed", "Committed"
        FAILED = "failed", "Failed: nothing committed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="file_imports")
    kind = models.CharField(max_length=40, help_text="The registered importer, e.g. workforce.roster.")
    options = models.JSONField(default=dict, help_text="What the importer needs besides the file, e.g. the system.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADED)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)  # "csv" or "xlsx"
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=255, help_text="Where the uploaded file is kept in storage.")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text="Our field name → the file's column header.")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text='[{"row": 3, "column": "email", "message": "..."}]')
    preview = models.JSONField(default=list, help_text="Rows as they will be written, as the importer shows them.")
    summary = models.JSONField(
        default=list,
        help_text='Counts the importer reports, in order: [{"key": "joiners", "label": "Joiners", "count": 3}].',
    )
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, help_text="What the commit made, e.g. the snapshot's id.")
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "kind", "-created_at"], name="fileimport_org_kind")]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"
