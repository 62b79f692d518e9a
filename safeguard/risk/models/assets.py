"""The ePHI asset inventory: where ePHI lives (assets) and how it moves between them (data flows)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class AssetKind(models.TextChoices):
    APPLICATION = "application", "Application"
    DATABASE = "database", "Database"
    SERVER = "server", "Server"
    ENDPOINT = "endpoint", "Endpoint / device"
    MEDICAL_DEVICE = "medical_device", "Medical device"
    NETWORK = "network", "Network"
    CLOUD_SERVICE = "cloud_service", "Cloud service"
    STORAGE = "storage", "Storage / backup"
    PHYSICAL = "physical", "Paper / physical location"


class VolumeBand(models.TextChoices):
    """How many individuals' records the asset holds: 500 is the breach-notification threshold that matters."""

    NONE = "none", "No records at rest"
    UNDER_500 = "under_500", "Fewer than 500"
    UNDER_10K = "500_to_10k", "500 – 9,999"
    UNDER_100K = "10k_to_100k", "10,000 – 99,999"
    OVER_100K = "100k_plus", "100,000 or more"
    UNKNOWN = "unknown", "Unknown"


class AssetQuerySet(models.QuerySet["Asset"]):
    def in_service(self) -> "AssetQuerySet":
        return self.filter(status=Asset.Status.IN_SERVICE)


class Asset(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_SERVICE = "in_service", "In service"
        RETIRED = "retired", "Retired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="assets")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AssetKind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_assets"
    )
    hosting = models.CharField(max_length=200, blank=True, help_text="Where it runs or is kept: site, room, cloud.")
    volume_band = models.CharField(max_length=16, choices=VolumeBand.choices, default=VolumeBand.UNKNOWN)
    # Business associates get their own module later; until then the operator is named here.
    business_associate = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_SERVICE)
    # When the asset entered service and when it last changed in a way a risk analysis must look at again.
    in_service_since = models.DateTimeField(null=True, blank=True)
    material_change_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="asset_name_unique_in_org"),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="asset_org_status")]

    def __str__(self) -> str:
        return self.name


class Transport(models.TextChoices):
    TLS = "tls", "HTTPS / TLS"
    SFTP = "sftp", "SFTP / SCP"
    VPN = "vpn", "VPN / private link"
    HL7 = "hl7", "HL7 / MLLP interface"
    DATABASE = "database", "Database connection"
    EMAIL = "email", "Email"
    FAX = "fax", "Fax"
    REMOVABLE_MEDIA = "removable_media", "Removable media"
    PAPER = "paper", "Paper / courier"
    OTHER = "other", "Other"


class DataFlow(models.Model):
    """ePHI moving from one asset to another. A flow is named by (source, destination, what ePHI)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="data_flows")
    source = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="flows_out")
    destination = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="flows_in")
    ephi = models.CharField(max_length=200, help_text="What ePHI moves, e.g. 'lab results', 'claims (837)'.")
    transport = models.CharField(max_length=32, choices=Transport.choices)
    encrypted_in_transit = models.BooleanField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source__name", "destination__name", "ephi"]
        constraints = [
            models.UniqueConstraint(
                "organization", "source", "destination", Lower("ephi"), name="data_flow_unique_in_org"
            ),
            models.CheckConstraint(condition=~models.Q(source=models.F("destination")), name="data_flow_not_a_loop"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.destination}: {self.ephi}"
