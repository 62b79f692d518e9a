"""What the rules join events to at evaluation time, besides the roster and the account registry of other apps:
identities (one person's EHR id, IdP login and VPN name), work shifts, workstations and patient flags."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

ISO_WEEKDAYS = [1, 2, 3, 4, 5]  # Monday to Friday, ISO numbering (Monday = 1 … Sunday = 7)


def weekdays_default() -> list[int]:
    return list(ISO_WEEKDAYS)


class UserAlias(models.Model):
    """A name the logs use for a person of the roster. Without one, a log's user is matched to a person by the
    roster's login name, email or employee id (case-insensitive)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="log_aliases")
    source = models.ForeignKey(
        "activity.LogSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aliases",
        help_text="Only in this source's events; blank: in every source.",
    )
    alias = models.CharField(max_length=255, help_text="As the log writes it, e.g. an EHR user id or a VPN name.")
    alias_key = models.CharField(max_length=255, editable=False, help_text="The alias, trimmed and lower-cased.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["alias_key"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "source", "alias_key"], name="alias_unique_per_source"),
            models.UniqueConstraint(
                fields=["organization", "alias_key"],
                condition=models.Q(source__isnull=True),
                name="alias_unique_everywhere",
            ),
        ]

    def __str__(self) -> str:
        return self.alias


class WorkShift(models.Model):
    """When someone normally works, in the facility's local time. The most specific applies: a person's own
    shift, else their job role's, else their department's, else the organization's business hours."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="e.g. 'Night shift', 'ED rotation'.")
    person = models.ForeignKey(
        "workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="work_shifts"
    )
    department = models.CharField(max_length=100, blank=True)
    job_role = models.CharField(max_length=100, blank=True)
    start_hour = models.PositiveSmallIntegerField(help_text="0–23, local time.")
    end_hour = models.PositiveSmallIntegerField(help_text="1–24; earlier than the start for a shift past midnight.")
    weekdays = models.JSONField(default=weekdays_default, help_text="ISO days: Monday = 1 … Sunday = 7.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Workstation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    host = models.CharField(max_length=255, help_text="As the logs name it (host name or terminal id).")
    host_key = models.CharField(max_length=255, editable=False)
    site = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Blank: the source's zone.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["host_key"]
        constraints = [models.UniqueConstraint(fields=["organization", "host_key"], name="workstation_unique")]

    def __str__(self) -> str:
        return self.host


class PatientFlag(models.Model):
    """What the rules know about a patient: a VIP or restricted record, a workforce member's own record, and the
    surname for same-surname checks. Imported from a CSV (the EHR's or the privacy office's list)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    patient_ref = models.CharField(max_length=100, help_text="The patient id as the logs write it (MRN).")
    patient_key = models.CharField(max_length=100, editable=False)
    last_name = models.CharField(max_length=100, blank=True)
    vip = models.BooleanField(default=False)
    restricted = models.BooleanField(default=False)
    employee = models.ForeignKey(
        "workforce.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The workforce member this record belongs to (their own chart).",
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient_key"]
        constraints = [models.UniqueConstraint(fields=["organization", "patient_key"], name="patient_flag_unique")]

    def __str__(self) -> str:
        return self.patient_ref
