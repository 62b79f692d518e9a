"""The ePHI inventory over the API: assets, data flows and the data-flow diagram. Reading needs the
view-program permission; writing needs manage-program."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.obligations import owner_in
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_asset_for_user, get_data_flow_for_user
from safeguard.risk.diagram import diagram_for_organization
from safeguard.risk.models import Asset, AssetKind, Transport, VolumeBand
from safeguard.risk.queries_assets import asset_rows, flow_rows
from safeguard.risk.services.assets import asset_create, asset_update
from safeguard.risk.services.flows import flow_create, flow_delete, flow_update

TAGS = ["assets"]


class AssetSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    description = serializers.CharField()
    owner = PersonSerializer(allow_null=True)
    hosting = serializers.CharField()
    volume_band = serializers.ChoiceField(choices=VolumeBand.choices)
    business_associate = serializers.CharField()
    status = serializers.ChoiceField(choices=Asset.Status.choices)
    in_service_since = serializers.DateTimeField(allow_null=True)
    material_change_at = serializers.DateTimeField(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AssetListSerializer(AssetSerializer):
    flow_count = serializers.IntegerField(help_text="Data flows into and out of the asset.")


class AssetFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices, required=False)
    status = serializers.ChoiceField(choices=Asset.Status.choices, required=False)
    q = serializers.CharField(required=False, help_text="Text in the name, hosting or business associate.")


class AssetWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="The owner's user public_id or email: a current member, not an auditor. null for nobody.",
    )
    hosting = serializers.CharField(max_length=200, required=False, allow_blank=True)
    volume_band = serializers.ChoiceField(choices=VolumeBand.choices, required=False)
    business_associate = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=Asset.Status.choices, required=False, help_text="Retire an asset by setting status to retired."
    )


class AssetRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssetKind.choices)


class FlowSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    source = AssetRefSerializer()  # type: ignore[assignment]  # named like a Field attribute
    destination = AssetRefSerializer()
    ephi = serializers.CharField()
    transport = serializers.ChoiceField(choices=Transport.choices)
    encrypted_in_transit = serializers.BooleanField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FlowFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="Flows into or out of this asset.")
    encrypted = serializers.BooleanField(required=False, allow_null=True, default=None)
    transport = serializers.ChoiceField(choices=Transport.choices, required=False)


class FlowWriteSerializer(serializers.Serializer):
    source = serializers.UUIDField(help_text="The public_id of the asset the ePHI leaves.")  # type: ignore[assignment]
    destination = serializers.UUIDField(help_text="The public_id of the asset the ePHI reaches.")
    ephi = serializers.CharField(max_length=200, help_text="What ePHI moves, e.g. 'lab results'.")
    transport = serializers.ChoiceField(choices=Transport.choices)
    encrypted_in_transit = serializers.BooleanField()
    notes = serializers.CharField(required=False, allow_blank=True)


class DiagramFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="Draw only this asset and the assets it exchanges with.")


def _owner(organization: Organization, data: dict[str, Any]) -> None:
    if data.get("owner") is not None:
        data["owner"] = owner_in(organization, data["owner"])


def _asset_in(organization: Organization, public_id: UUID, field: str) -> Asset:
    asset = Asset.objects.filter(organization=organization, public_id=public_id).first()
    if asset is None:
        raise ServiceError("No such asset in this organization's inventory.", field=field)
    return asset


def _flow_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    for field in ("source", "destination"):
        if field in data:
            data[field] = _asset_in(organization, data[field], field)
    return data


class AssetListView(ApiView):
    @extend_schema(
        summary="List assets",
        description="The ePHI inventory in name order, with each asset's number of data flows.",
        parameters=[AssetFilterSerializer],
        responses={200: AssetListSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = AssetFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.paginated(asset_rows(membership.organization, filters.validated_data), AssetListSerializer)

    @extend_schema(
        summary="Add an asset",
        description="An asset entering service after an approved risk analysis records a re-analysis trigger.",
        request=AssetWriteSerializer,
        responses={201: AssetSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = AssetWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        _owner(membership.organization, data)
        asset = asset_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class AssetDetailView(ApiView):
    @extend_schema(summary="One asset", responses={200: AssetSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, asset_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(AssetSerializer(get_asset_for_user(membership, asset_id)).data)

    @extend_schema(
        summary="Change an asset",
        description="Fields left out keep their value. Retire an asset with status=retired. A material change "
        "(kind, hosting, volume band, business associate) after an approved analysis records a re-analysis trigger.",
        request=AssetWriteSerializer(partial=True),
        responses={200: AssetSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, asset_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        asset = get_asset_for_user(membership, asset_id, write=True)
        values = AssetWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        _owner(membership.organization, data)
        data.setdefault("name", asset.name)  # the service checks the name on every update
        updated = asset_update(organization=membership.organization, actor=api_actor(request), asset=asset, **data)
        return Response(AssetSerializer(updated).data)


class FlowListView(ApiView):
    @extend_schema(
        summary="List data flows",
        parameters=[FlowFilterSerializer],
        responses={200: FlowSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = FlowFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(filters.validated_data)
        if "asset" in data:
            data["asset"] = _asset_in(membership.organization, data["asset"], "asset")
        return self.paginated(flow_rows(membership.organization, data), FlowSerializer)

    @extend_schema(
        summary="Record a data flow",
        request=FlowWriteSerializer,
        responses={201: FlowSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = FlowWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _flow_values(membership.organization, dict(values.validated_data))
        flow = flow_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)


class FlowDetailView(ApiView):
    @extend_schema(summary="One data flow", responses={200: FlowSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, flow_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(FlowSerializer(get_data_flow_for_user(membership, flow_id)).data)

    @extend_schema(
        summary="Change a data flow",
        description="Fields left out keep their value.",
        request=FlowWriteSerializer(partial=True),
        responses={200: FlowSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, flow_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        flow = get_data_flow_for_user(membership, flow_id, write=True)
        values = FlowWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = _flow_values(membership.organization, dict(values.validated_data))
        updated = flow_update(organization=membership.organization, actor=api_actor(request), flow=flow, **data)
        return Response(FlowSerializer(updated).data)

    @extend_schema(
        summary="Delete a data flow",
        description="For ePHI that no longer moves this way; the audit trail keeps what the flow was.",
        responses={204: None, **error_responses(403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, flow_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        flow = get_data_flow_for_user(membership, flow_id, write=True)
        flow_delete(organization=membership.organization, actor=api_actor(request), flow=flow)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JsonFirst(BaseContentNegotiation):
    """The diagram answers with SVG whatever the Accept header says (an <img> asks for image/*); its errors keep
    the JSON envelope."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class FlowDiagramView(ApiView):
    content_negotiation_class = JsonFirst

    @extend_schema(
        summary="Data-flow diagram (SVG)",
        description="The inventory drawn as an SVG image (image/svg+xml): assets as shapes by kind with a legend, "
        "data flows as arrows labelled with the ePHI they carry; flows not encrypted in transit are red and dashed "
        "and say so in their label. Retired assets are left out unless a flow still names them. Above 150 assets, "
        "the most connected are drawn and the image says how many were left out: pass `asset` to draw one asset "
        "and its neighbours.",
        parameters=[DiagramFilterSerializer],
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="The diagram."),
            **error_responses(400, 403, 404),
        },
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> HttpResponse:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = DiagramFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        asset_id = filters.validated_data.get("asset")
        asset = get_asset_for_user(membership, asset_id) if asset_id else None
        response = HttpResponse(diagram_for_organization(membership.organization, asset), "image/svg+xml")
        response["Content-Disposition"] = 'inline; filename="data-flows.svg"'
        return response
