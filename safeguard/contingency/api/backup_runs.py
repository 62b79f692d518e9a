"""The stored backup runs over the API (GET backup-results/), newest first: how a caller finds the run a restore test
used (POST restore-tests/ takes its id as `backup_result`)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from rest_framework import serializers

from safeguard.contingency.api.backups import BackupAssetSerializer
from safeguard.contingency.models import BackupResult, BackupStatus
from safeguard.core.api.serializers import AwareDateTimeField
from safeguard.core.models import Organization
from safeguard.incidents.api.fields import OneOf

URL_OFFSET = "the + of an offset is %2B in a URL"


class BackupRunRowSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text="The run's id: POST restore-tests/ takes it as `backup_result`.")
    policy = serializers.UUIDField(source="policy.public_id", help_text="The backup policy that ran.")
    asset = BackupAssetSerializer(source="policy.asset")
    job_name = serializers.CharField(source="policy.job_name")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    status = OneOf(BackupStatus.values)
    size_bytes = serializers.IntegerField(allow_null=True)
    restore_point_at = serializers.DateTimeField(allow_null=True, help_text="Null for a failed run.")
    run_id = serializers.CharField(help_text="The backup tool's id for the run; blank when it gave none.")
    message = serializers.CharField()
    batch = serializers.UUIDField(source="batch_public_id", help_text="The import that delivered it.")


class BackupRunFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="Only this asset's runs (its public id).")
    policy = serializers.UUIDField(required=False, help_text="Only this backup policy's runs (its public id).")
    status = OneOf(BackupStatus.values, required=False)
    since = AwareDateTimeField(
        required=False, help_text=f"Started at or after, ISO 8601 with a UTC offset ({URL_OFFSET})."
    )
    until = AwareDateTimeField(required=False, help_text=f"Started before, ISO 8601 with a UTC offset ({URL_OFFSET}).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "Must be after 'since'."})
        return attrs


def backup_runs(organization: Organization, wanted: dict[str, Any]) -> QuerySet[BackupResult]:
    """The organization's runs matching the filters, newest first, with what a row shows in the same query."""
    rows = (
        BackupResult.objects.filter(organization=organization)
        .select_related("policy__asset")
        # The import's id only: its errors and mapping can be large.
        .annotate(batch_public_id=F("batch__public_id"))
    )
    if "asset" in wanted:
        rows = rows.filter(policy__asset__public_id=wanted["asset"])
    if "policy" in wanted:
        rows = rows.filter(policy__public_id=wanted["policy"])
    if "status" in wanted:
        rows = rows.filter(status=wanted["status"])
    if "since" in wanted:
        rows = rows.filter(started_at__gte=wanted["since"])
    if "until" in wanted:
        rows = rows.filter(started_at__lt=wanted["until"])
    return rows.order_by("-started_at", "-pk")
