"""Backup policies and backup status over the API: program viewers read, program managers add and change
policies (a policy is deactivated with `active: false`, never deleted). The same access functions, services and
status query as the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_backup_policy
from safeguard.contingency.api.record_lookups import member_by_email
from safeguard.contingency.models import BackupMethod, BackupPolicy
from safeguard.contingency.queries_backups import backed_up_assets, backup_status
from safeguard.contingency.services import backups as services
from safeguard.core.access import parse_public_id
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.api.fields import OneOf
from safeguard.risk.models import Asset

TAGS = ["contingency"]


class BackupAssetSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class BackupPolicySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    asset = BackupAssetSerializer()
    job_name = serializers.CharField(help_text="The backup tool's name for the job: results are matched by it.")
    method = OneOf(BackupMethod.values)
    schedule = serializers.CharField()
    interval_hours = serializers.IntegerField(help_text="Hours between runs; a run is missing after this plus grace.")
    retention_days = serializers.IntegerField()
    encrypted_at_rest = serializers.BooleanField()
    immutable_copy = serializers.BooleanField()
    offline_copy = serializers.BooleanField()
    offsite_location = serializers.CharField()
    responsible = serializers.EmailField(source="responsible.email", allow_null=True, default=None)
    business_associate = serializers.CharField()
    active = serializers.BooleanField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class BackupPolicyChangeSerializer(serializers.Serializer):
    job_name = serializers.CharField(max_length=200, required=False)
    method = OneOf(BackupMethod.values, required=False)
    schedule = serializers.CharField(max_length=200, required=False)
    interval_hours = serializers.IntegerField(min_value=1, required=False)
    retention_days = serializers.IntegerField(min_value=1, required=False)
    encrypted_at_rest = serializers.BooleanField(required=False)
    immutable_copy = serializers.BooleanField(required=False)
    offline_copy = serializers.BooleanField(required=False)
    offsite_location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    responsible = serializers.EmailField(required=False, allow_null=True, help_text="A current member, not an auditor.")
    business_associate = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="false deactivates the policy; its results stay.")


class BackupPolicyCreateSerializer(BackupPolicyChangeSerializer):
    asset = serializers.UUIDField(help_text="The asset's public id.")
    job_name = serializers.CharField(max_length=200)
    method = OneOf(BackupMethod.values)
    schedule = serializers.CharField(max_length=200)
    retention_days = serializers.IntegerField(min_value=1)
    encrypted_at_rest = serializers.BooleanField()
    immutable_copy = serializers.BooleanField()
    offline_copy = serializers.BooleanField()
    active = None  # type: ignore[assignment]  # a new policy is active


class BackupPolicyFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="Only this asset's policies.")
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class BackupStatusSerializer(serializers.Serializer):
    asset = BackupAssetSerializer()
    rpo_minutes = serializers.IntegerField(allow_null=True, help_text="Null: the asset has no recovery profile.")
    latest_good_restore_point = serializers.DateTimeField(allow_null=True)
    age_minutes = serializers.IntegerField(allow_null=True, help_text="Age of that point now.")
    within_rpo = serializers.BooleanField(allow_null=True, help_text="Age ≤ RPO; null without an RPO.")
    failed_last_30_days = serializers.IntegerField()
    missing_last_30_days = serializers.IntegerField()
    has_active_policy = serializers.BooleanField()


def _asset(organization: Organization, public_id: UUID) -> Asset:
    found = Asset.objects.filter(organization=organization, public_id=public_id).first()
    if found is None:
        raise ServiceError("No such asset in this organization.", field="asset")
    return found


def _policy_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    values = {name: value for name, value in data.items() if name not in ("asset", "active")}
    if "responsible" in values:
        values["responsible"] = member_by_email(organization, values["responsible"], "responsible")
    return values


def policy_rows(organization: Organization) -> QuerySet[BackupPolicy]:
    return BackupPolicy.objects.filter(organization=organization).select_related("asset", "responsible")


class BackupPolicyListView(ApiView):
    @extend_schema(
        summary="List backup policies",
        parameters=[BackupPolicyFilterSerializer],
        responses={200: BackupPolicySerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        values = BackupPolicyFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        rows = policy_rows(membership.organization)
        if values.validated_data.get("asset"):
            rows = rows.filter(asset__public_id=values.validated_data["asset"])
        if values.validated_data.get("active") is not None:
            rows = rows.filter(active=values.validated_data["active"])
        return self.paginated(rows.order_by("asset__name", "job_name", "pk"), BackupPolicySerializer)

    @extend_schema(
        summary="Add a backup policy",
        description="Job names are unique per asset (case is ignored); a retention shorter than the asset's RPO is "
        "refused. Needs manage-program.",
        request=BackupPolicyCreateSerializer,
        responses={201: BackupPolicySerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = BackupPolicyCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        policy = services.backup_policy_create(
            organization=organization,
            actor=api_actor(request),
            asset=_asset(organization, values.validated_data["asset"]),
            **_policy_values(organization, values.validated_data),
        )
        found = get_backup_policy(membership, policy.public_id)
        return Response(BackupPolicySerializer(found).data, status=status.HTTP_201_CREATED)


class BackupPolicyDetailView(ApiView):
    @extend_schema(
        summary="One backup policy", responses={200: BackupPolicySerializer, **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str, policy_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        return Response(BackupPolicySerializer(get_backup_policy(membership, policy_id)).data)

    @extend_schema(
        summary="Change, deactivate or reactivate a backup policy",
        request=BackupPolicyChangeSerializer,
        responses={200: BackupPolicySerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, policy_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        policy = get_backup_policy(membership, policy_id, write=True)
        values = BackupPolicyChangeSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization, actor = membership.organization, api_actor(request)
        changes = _policy_values(organization, values.validated_data)
        if changes:
            policy = services.backup_policy_update(organization=organization, actor=actor, policy=policy, **changes)
        if "active" in values.validated_data:
            services.backup_policy_set_active(
                organization=organization, actor=actor, policy=policy, active=values.validated_data["active"]
            )
        return Response(BackupPolicySerializer(get_backup_policy(membership, policy_id)).data)


class BackupStatusFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="Only this asset.")


class BackupStatusListView(ApiView):
    @extend_schema(
        summary="Backup status per asset",
        description="For each asset with a recovery profile or a backup policy: the latest good restore point, "
        "its age against the RPO, and the failed and missing runs of the last 30 days.",
        parameters=[BackupStatusFilterSerializer],
        responses={200: BackupStatusSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        values = BackupStatusFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        rows = backed_up_assets(membership.organization)
        if values.validated_data.get("asset"):
            rows = rows.filter(public_id=parse_public_id(values.validated_data["asset"]))
        paginator, page = self.paginate(rows)
        statuses = backup_status(membership.organization, now=timezone.now(), assets=page)
        body = [_status_row(asset, statuses[asset.pk]) for asset in page]
        return paginator.get_paginated_response(BackupStatusSerializer(body, many=True).data)


def _status_row(asset: Asset, found: Any) -> dict[str, Any]:
    age: timedelta | None = found.age
    return {
        "asset": asset,
        "rpo_minutes": found.rpo_minutes,
        "latest_good_restore_point": found.latest_good_at,
        "age_minutes": int(age.total_seconds() // 60) if age is not None else None,
        "within_rpo": found.within_rpo,
        "failed_last_30_days": found.failed_30d,
        "missing_last_30_days": found.missing_30d,
        "has_active_policy": found.has_policy,
    }
