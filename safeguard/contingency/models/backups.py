"""The data backup plan (164.308(a)(7)(ii)(A)): backup policies per asset and the results of their jobs, imported
from backup tools. A result is identified by its policy and start time, so importing the same file twice adds
nothing."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class BackupMethod(models.TextChoices):
    FULL = "full", "Full"
    INCREMENTAL = "incremental", "Incremental"
    DIFFERENTIAL = "differential", "Differential"
    SNAPSHOT = "snapshot", "Snapshot"
    REPLICATION = "replication", "Replication"
    EXPORT = "export", "Export / dump"
    OTHER = "other", "Other"


class BackupPolicy(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey("risk.Asset", on_delete=models.PROTECT, related_name="backup_policies")
    job_name = models.CharField(
        max_length=200, help_text="The backup tool's name for the job: imported results are matched by it."
    )
    method = models.CharField(max_length=16, choices=BackupMethod.choices)
    schedule = models.CharField(max_length=200, help_text="When it runs, as the tool is set, e.g. 'daily 01:00'.")
    interval_hours = models.PositiveIntegerField(
        default=24, help_text="Hours between runs: a run is missing when none started within it (plus grace)."
    )
    retention_days = models.PositiveIntegerField(help_text="How long restore points are kept.")
    encrypted_at_rest = models.BooleanField()
    immutable_copy = models.BooleanField(help_text="A copy that cannot be altered or deleted before it expires.")
    offline_copy = models.BooleanField(help_text="A copy disconnected from the network (air gap, tape, vault).")
    offsite_location = models.CharField(max_length=200, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Business associates get their own module later; until then the operator is named here.
    business_associate = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset__name", "job_name"]
        constraints = [
            models.UniqueConstraint("organization", "asset", Lower("job_name"), name="backup_policy_job_unique"),
            models.CheckConstraint(condition=models.Q(interval_hours__gte=1), name="backup_policy_interval_1h"),
            models.CheckConstraint(condition=models.Q(retention_days__gte=1), name="backup_policy_retention_1d"),
        ]

    def __str__(self) -> str:
        return f"{self.asset}: {self.job_name}"


class BackupHookToken(models.Model):
    """A bearer token a backup tool's post-job hook uses to record its runs. It can do nothing else: no person's
    token (with all that person's rights) has to sit on a backup server. Only the SHA-256 of the key is kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="Which tool or server uses it, e.g. 'Veeam on backup01'.")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class BackupImport(models.Model):
    """One delivery of backup results (a file, an API call, a post-job hook, a command run): all or nothing."""

    class Channel(models.TextChoices):
        UPLOAD = "upload", "File upload"
        API = "api", "API"
        HOOK = "hook", "Backup tool hook"
        COMMAND = "command", "Command"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused: nothing stored"
        FAILED = "failed", "Failed: nothing stored"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=8, blank=True)  # "csv" or "ndjson"
    stored_name = models.CharField(max_length=255, blank=True, help_text="Where the upload is kept in storage.")
    sha256 = models.CharField(max_length=64, blank=True)
    mapping = models.JSONField(default=dict, help_text="Our field name → the file's column or key.")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="The import zone when it was delivered: its times without an offset are read in it, however "
        "late the file is read. Blank on imports made before it was kept: the current import zone.",
    )
    rows_read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text='[{"row": 3, "field": "finished", "reason": "..."}]')
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hook_token = models.ForeignKey(
        BackupHookToken,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="imports",
        help_text="The hook token that delivered it, when a backup tool did.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="backup_import_org_created")]

    def __str__(self) -> str:
        return f"Backup results {self.file_name or self.get_channel_display()}"


class BackupStatus(models.TextChoices):
    SUCCESS = "success", "Succeeded"
    WARNING = "warning", "Succeeded with warnings"
    FAILED = "failed", "Failed"


class BackupResult(models.Model):
    """A backup job run. A run that succeeded (with or without warnings) left a restore point."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(BackupPolicy, on_delete=models.PROTECT, related_name="results")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=BackupStatus.choices)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    restore_point_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    run_id = models.CharField(max_length=200, blank=True, help_text="The backup tool's id for the run, if any.")
    batch = models.ForeignKey(BackupImport, on_delete=models.PROTECT, related_name="results")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "started_at"], name="backup_result_run_unique"),
            models.CheckConstraint(
                condition=models.Q(finished_at__gte=models.F("started_at")), name="backup_result_finish_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(size_bytes__isnull=True) | models.Q(size_bytes__gte=0),
                name="backup_result_size_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(status="failed") | models.Q(restore_point_at__isnull=False),
                name="backup_result_good_has_point",
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "status", "-restore_point_at"], name="backup_result_latest_good"),
            models.Index(fields=["organization", "-started_at"], name="backup_result_org_started"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
