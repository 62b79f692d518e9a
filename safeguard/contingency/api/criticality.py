"""The criticality analysis over the API: recovery profiles and dependencies between assets. Reading needs the
view-program permission, writing manage-program. Objectives are whole minutes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_dependency, get_recovery_profile
from safeguard.contingency.models import Tier
from safeguard.contingency.queries_criticality import dependency_rows, profile_rows
from safeguard.contingency.services import criticality as services
from safeguard.contingency.services.criticality import TEST_CADENCES
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset

TAGS = ["contingency"]
MINUTES_HELP = "Whole minutes, more than zero."


class CriticalityAssetRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class CriticalityProfileSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    asset = CriticalityAssetRefSerializer()
    in_scope = serializers.BooleanField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    business_functions = serializers.CharField()
    mtd_minutes = serializers.IntegerField(help_text="Maximum tolerable downtime, in minutes.")
    rto_minutes = serializers.IntegerField(help_text="Recovery time objective, in minutes; at most the MTD.")
    rpo_minutes = serializers.IntegerField(help_text="Recovery point objective (data age that may be lost), minutes.")
    manual_workarounds = serializers.CharField()
    restore_test_cadence = serializers.CharField(help_text="Blank: the tier's cadence from the settings.")
    notes = serializers.CharField()
    updated_by = PersonSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CriticalityProfileWriteSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    in_scope = serializers.BooleanField(required=False, default=True)
    business_functions = serializers.CharField(required=False, allow_blank=True, default="")
    mtd_minutes = serializers.IntegerField(help_text=MINUTES_HELP)
    rto_minutes = serializers.IntegerField(help_text=MINUTES_HELP + " At most the MTD.")
    rpo_minutes = serializers.IntegerField(
        help_text=MINUTES_HELP + " At most the retention of each active backup policy of the asset."
    )
    manual_workarounds = serializers.CharField(required=False, allow_blank=True, default="")
    restore_test_cadence = serializers.ChoiceField(
        choices=[("", "the tier's"), *((c, c) for c in TEST_CADENCES)], required=False, allow_blank=True, default=""
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CriticalityProfileCreateSerializer(CriticalityProfileWriteSerializer):
    asset = serializers.UUIDField(help_text="The public_id of an asset in service (or planned) without a profile.")


class CriticalityProfileFilterSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)


class CriticalityDependencySerializer(serializers.Serializer):
    asset = CriticalityAssetRefSerializer(help_text="The asset that needs the other one running first.")
    depends_on = CriticalityAssetRefSerializer(help_text="Restored before `asset`.")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class CriticalityDependencyWriteSerializer(serializers.Serializer):
    asset = serializers.UUIDField(help_text="The public_id of the asset that needs the other.")
    depends_on = serializers.UUIDField(help_text="The public_id of the asset it needs restored first.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CriticalityDependencyFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="Dependencies of or on this asset.")


def asset_in(organization: Organization, public_id: UUID, field: str) -> Asset:
    asset = Asset.objects.filter(organization=organization, public_id=public_id).first()
    if asset is None:
        raise ServiceError("No such asset in this organization's inventory.", field=field)
    return asset


class ProfileListView(ApiView):
    @extend_schema(
        summary="List recovery profiles",
        description="Every recovery profile (in and out of scope) by tier, then asset name.",
        parameters=[CriticalityProfileFilterSerializer],
        responses={200: CriticalityProfileSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = CriticalityProfileFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = profile_rows(membership.organization, tier=filters.validated_data.get("tier"))
        return self.paginated(rows, CriticalityProfileSerializer)

    @extend_schema(
        summary="Record an asset's recovery profile",
        description="Refused with a message naming the field when the RTO is longer than the MTD, an objective is "
        "not more than zero, or the RPO is longer than an active backup policy's retention (the policy is named).",
        request=CriticalityProfileCreateSerializer,
        responses={201: CriticalityProfileSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = CriticalityProfileCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        data["asset"] = asset_in(membership.organization, data["asset"], "asset")
        made = services.profile_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(CriticalityProfileSerializer(made).data, status=status.HTTP_201_CREATED)


class ProfileDetailView(ApiView):
    @extend_schema(
        summary="One recovery profile",
        responses={200: CriticalityProfileSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(CriticalityProfileSerializer(get_recovery_profile(membership, profile_id)).data)

    def _update(self, request: Request, org_slug: str, profile_id: UUID, *, partial: bool) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        profile = get_recovery_profile(membership, profile_id, write=True)
        values = CriticalityProfileWriteSerializer(data=request.data, partial=partial)
        values.is_valid(raise_exception=True)
        updated = services.profile_update(
            organization=membership.organization, actor=api_actor(request), profile=profile, **values.validated_data
        )
        return Response(CriticalityProfileSerializer(updated).data)

    @extend_schema(
        summary="Replace a recovery profile's values",
        description="Optional fields left out take their defaults.",
        request=CriticalityProfileWriteSerializer,
        responses={200: CriticalityProfileSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        return self._update(request, org_slug, profile_id, partial=False)

    @extend_schema(
        summary="Change a recovery profile",
        description="Fields left out keep their value.",
        request=CriticalityProfileWriteSerializer(partial=True),
        responses={200: CriticalityProfileSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        return self._update(request, org_slug, profile_id, partial=True)

    @extend_schema(
        summary="Delete a recovery profile",
        description="For a profile recorded by mistake; mark an asset that no longer matters out of scope instead. "
        "The audit trail keeps what the profile was.",
        responses={204: None, **error_responses(403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        profile = get_recovery_profile(membership, profile_id, write=True)
        services.profile_delete(organization=membership.organization, actor=api_actor(request), profile=profile)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DependencyListView(ApiView):
    @extend_schema(
        summary="List dependencies between assets",
        parameters=[CriticalityDependencyFilterSerializer],
        responses={200: CriticalityDependencySerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = CriticalityDependencyFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        asset_id = filters.validated_data.get("asset")
        asset = asset_in(membership.organization, asset_id, "asset") if asset_id else None
        return self.paginated(dependency_rows(membership.organization, asset), CriticalityDependencySerializer)

    @extend_schema(
        summary="Record that an asset needs another restored first",
        description="Refused for an asset needing itself, a dependency already recorded, or one that would close a "
        "cycle (the message gives the path).",
        request=CriticalityDependencyWriteSerializer,
        responses={201: CriticalityDependencySerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = CriticalityDependencyWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        for field in ("asset", "depends_on"):
            data[field] = asset_in(membership.organization, data[field], field)
        made = services.dependency_add(organization=membership.organization, actor=api_actor(request), **data)
        return Response(CriticalityDependencySerializer(made).data, status=status.HTTP_201_CREATED)


class DependencyDetailView(ApiView):
    @extend_schema(
        summary="Remove a dependency",
        description="Named by the two assets' public ids: the asset, then the one it needs.",
        responses={204: None, **error_responses(403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, asset_id: UUID, depends_on_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        dependency = get_dependency(membership, asset_id, depends_on_id, write=True)
        services.dependency_remove(
            organization=membership.organization, actor=api_actor(request), dependency=dependency
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
