"""Log sources (an ePHI system's audit log, an identity provider's sign-in log…) and the ingestion runs that feed
the event store. Events themselves live in the event store (store/), not in this database."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeguard.workforce.models.people import default_time_zone


class SourceKind(models.TextChoices):
    EHR = "ehr", "EHR / clinical application"
    IDENTITY = "identity", "Identity provider"
    VPN_FIREWALL = "vpn_firewall", "VPN / firewall"
    CLOUD = "cloud", "Cloud platform"
    OTHER = "other", "Other system"


class SourceFormat(models.TextChoices):
    FHIR_AUDIT = "fhir_audit", "FHIR AuditEvent (R4/R5, NDJSON or Bundle)"
    EHR_CSV = "ehr_csv", "EHR access log (CSV with a column mapping)"
    SYSLOG = "syslog", "Syslog (RFC 5424 / RFC 3164)"
    OKTA = "okta", "Okta System Log (JSON)"
    ENTRA = "entra", "Microsoft Entra sign-in log (JSON)"
    CLOUDTRAIL = "cloudtrail", "AWS CloudTrail (JSON)"
    NORMALIZED = "normalized", "Normalized events (NDJSON in Safeguard's schema)"


class LogSource(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="log_sources")
    name = models.CharField(max_length=100, help_text="How commands and pages name it, e.g. 'EHR' or 'Okta'.")
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    format = models.CharField(max_length=16, choices=SourceFormat.choices)
    asset = models.ForeignKey(
        "risk.Asset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="log_sources",
        help_text="The inventory's system whose activity this log records.",
    )
    contains_ephi = models.BooleanField(default=True, help_text="The system holds or gives access to ePHI.")
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        help_text="The facility's zone: local hour and day of week, and times written without an offset.",
    )
    mapping = models.JSONField(
        default=dict, blank=True, help_text="For CSV sources: our field → the export's column header."
    )
    expected_daily_events = models.PositiveIntegerField(null=True, blank=True)
    silent_after_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Raise a 'silent source' alert when nothing has arrived for this many hours."
    )
    review_every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days in each activity review period (7 = weekly); blank: not reviewed."
    )
    review_grace_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days after a period ends within which its review is signed on time."
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    # Kept by ingestion so pages and checks need not ask the event store.
    first_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    event_count = models.BigIntegerField(default=0, editable=False)
    silent_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="log_source_name_unique")]
        indexes = [models.Index(fields=["organization", "is_active"], name="log_source_org_active")]

    def __str__(self) -> str:
        return self.name


class IngestToken(models.Model):
    """A bearer token a log shipper uses to post one source's events to the HTTP ingestion endpoint."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(LogSource, on_delete=models.PROTECT, related_name="ingest_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IngestBatch(models.Model):
    """One ingestion: a file, an HTTP batch or a listener's flush. Counts and samples of rejected lines are kept
    so nothing is dropped silently."""

    class Channel(models.TextChoices):
        UPLOAD = "upload", "File upload"
        HTTP = "http", "HTTP endpoint"
        LISTENER = "listener", "Syslog listener"
        COMMAND = "command", "Command line"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Reading"
        DONE = "done", "Done"
        # Events stored before a failure stay stored (a retry counts them as duplicates): see `accepted`.
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(LogSource, on_delete=models.PROTECT, related_name="batches")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=255, blank=True)
    stored_name = models.CharField(max_length=255, blank=True, help_text="The upload in storage until it is read.")
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    parser = models.CharField(max_length=40, blank=True)
    parser_version = models.CharField(max_length=20, blank=True)
    lines_read = models.BigIntegerField(default=0, help_text="Progress: lines (or records) read so far.")
    accepted = models.BigIntegerField(default=0, help_text="New events stored.")
    duplicates = models.BigIntegerField(default=0, help_text="Events already in the store (same id or raw hash).")
    rejected = models.BigIntegerField(default=0, help_text="Lines that could not be read: see rejects.")
    rejects = models.JSONField(
        default=list, blank=True, help_text="Samples of rejected lines: line, field, reason and a raw excerpt."
    )
    first_event_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "source", "-created_at"], name="ingest_batch_source")]

    def __str__(self) -> str:
        return f"Ingestion {self.public_id} of {self.source_id}"
