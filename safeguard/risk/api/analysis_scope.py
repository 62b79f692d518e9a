"""An open analysis's scope over the API: the assets it covers, adding one and removing one."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm
from safeguard.risk.access import get_analysis_for_user, get_asset_for_user
from safeguard.risk.api.analysis_risks import records_by_id
from safeguard.risk.models import Asset, AssetKind
from safeguard.risk.services import analyses as services

TAGS = ["risk analysis"]


class ScopeItemSerializer(serializers.Serializer):
    asset_id = serializers.UUIDField(source="asset.public_id")
    name = serializers.CharField(help_text="The asset's name when it entered the scope.")
    kind = serializers.ChoiceField(choices=AssetKind.choices, help_text="Its kind when it entered the scope.")
    status = serializers.ChoiceField(choices=Asset.Status.choices, help_text="Its status when it entered the scope.")


class ScopeAddSerializer(serializers.Serializer):
    asset_id = serializers.UUIDField(help_text="A planned or in-service asset of the organization.")


SCOPE_FIELDS = {"asset": "asset_id"}


class AnalysisScopeView(ApiView):
    @extend_schema(
        summary="The scope of an analysis",
        description="The assets it covers, by name.",
        responses={200: ScopeItemSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        analysis = get_analysis_for_user(membership, analysis_id)
        items = analysis.scope_items.select_related("asset").order_by("name", "pk")
        return self.paginated(items, ScopeItemSerializer)

    @extend_schema(
        summary="Add an asset to the scope of a draft analysis",
        description="The asset is recorded with the name, kind and status it has now. Retired assets are refused.",
        request=ScopeAddSerializer,
        responses={201: ScopeItemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        values = ScopeAddSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        [asset] = records_by_id(Asset, membership.organization, "asset_id", [values.validated_data["asset_id"]])
        with api_field_names(SCOPE_FIELDS):
            item = services.analysis_scope_add(
                organization=membership.organization, actor=api_actor(request), analysis=analysis, asset=asset
            )
        return Response(ScopeItemSerializer(item).data, status=status.HTTP_201_CREATED)


class AnalysisScopeItemView(ApiView):
    @extend_schema(
        summary="Take an asset out of the scope of a draft analysis",
        description="Refused while a risk of the analysis names the asset.",
        request=None,
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, analysis_id: UUID, asset_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        asset = get_asset_for_user(membership, asset_id, write=True)
        with api_field_names(SCOPE_FIELDS):
            services.analysis_scope_remove(
                organization=membership.organization, actor=api_actor(request), analysis=analysis, asset=asset
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
