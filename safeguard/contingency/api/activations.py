"""Emergency-mode activations over the API: list, record, read, correct or close (PATCH ended_at), and add a
decision to the log. Activations are kept, so there is no delete. Program viewers read; program managers write."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.access.models import BreakGlassActivation
from safeguard.contingency import queries_plans as queries
from safeguard.contingency.access import get_activation
from safeguard.contingency.api.plans import PlanAssetRefSerializer, assets_of
from safeguard.contingency.api.record_lookups import record_by_id
from safeguard.contingency.models import EmergencyActivation, PlanVersion
from safeguard.contingency.services import activations as services
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident

TAGS = ["emergency activations"]


class ActivationDecisionSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    by = serializers.EmailField(help_text="The person who recorded it.")
    decision = serializers.CharField()


class EmergencyActivationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    reason = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="Null while the activation is ongoing.")
    plan_version = serializers.UUIDField(source="plan_version.public_id", allow_null=True, default=None)
    assets = PlanAssetRefSerializer(many=True, source="assets.all", help_text="Systems affected.")
    incident = serializers.UUIDField(source="incident.public_id", allow_null=True, default=None)
    break_glass = serializers.SerializerMethodField(help_text="Public ids of the linked break-glass uses.")
    decisions = ActivationDecisionSerializer(many=True)
    recorded_by = serializers.EmailField(source="recorded_by.email")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_break_glass(self, activation: EmergencyActivation) -> list[str]:
        return [str(use.public_id) for use in activation.break_glass.all()]


class EmergencyActivationWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    reason = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    plan_version = serializers.UUIDField(required=False, allow_null=True, help_text="An approved or superseded one.")
    assets = serializers.ListField(child=serializers.UUIDField(), help_text="Public ids of the systems affected.")
    incident = serializers.UUIDField(required=False, allow_null=True)
    break_glass = serializers.ListField(child=serializers.UUIDField(), required=False)


class ActivationDecisionAddSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, help_text="Default: now.")
    decision = serializers.CharField(max_length=5000)


def _rows(organization: Organization) -> Any:
    return queries.activations(organization).prefetch_related(
        Prefetch("break_glass", queryset=BreakGlassActivation.objects.only("public_id"))
    )


def _out(organization: Organization, activation: EmergencyActivation) -> dict[str, Any]:
    return dict(EmergencyActivationSerializer(_rows(organization).get(pk=activation.pk)).data)


def _values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "assets" in values:
        values["assets"] = assets_of(organization, values["assets"], "assets")
    if "plan_version" in values:
        values["plan_version"] = record_by_id(
            PlanVersion, organization, values["plan_version"], "plan_version", "plan version"
        )
    if "incident" in values:
        values["incident"] = record_by_id(Incident, organization, values["incident"], "incident", "incident")
    if "break_glass" in values:
        ids = values["break_glass"]
        found = list(BreakGlassActivation.objects.filter(organization=organization, public_id__in=ids))
        if len(found) != len(set(ids)):
            raise ServiceError("No such break-glass use in this organization.", field="break_glass")
        values["break_glass"] = found
    return values


class ActivationListView(ApiView):
    @extend_schema(
        summary="List emergency activations",
        description="Newest first.",
        responses={200: EmergencyActivationSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(_rows(membership.organization), EmergencyActivationSerializer)

    @extend_schema(
        summary="Record an emergency activation",
        description="Needs manage-program.",
        request=EmergencyActivationWriteSerializer,
        responses={201: EmergencyActivationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = EmergencyActivationWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        activation = services.activation_create(
            organization=organization, actor=api_actor(request), **_values(organization, dict(values.validated_data))
        )
        return Response(_out(organization, activation), status=status.HTTP_201_CREATED)


class ActivationDetailView(ApiView):
    @extend_schema(
        summary="One emergency activation",
        responses={200: EmergencyActivationSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, activation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_out(membership.organization, get_activation(membership, activation_id)))

    @extend_schema(
        summary="Correct, complete or close an activation",
        description="Any of the fields; set ended_at to close it (null reopens it). Lists replace the whole list. "
        "Needs manage-program.",
        request=EmergencyActivationWriteSerializer(partial=True),
        responses={200: EmergencyActivationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, activation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        activation = get_activation(membership, activation_id, write=True)
        values = EmergencyActivationWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        services.activation_update(
            organization=organization,
            actor=api_actor(request),
            activation=activation,
            **_values(organization, dict(values.validated_data)),
        )
        return Response(_out(organization, activation))


class ActivationDecisionView(ApiView):
    @extend_schema(
        summary="Log a decision",
        description="Appended to the activation's decision log with the caller as its author. Needs manage-program.",
        request=ActivationDecisionAddSerializer,
        responses={201: EmergencyActivationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, activation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        activation = get_activation(membership, activation_id, write=True)
        values = ActivationDecisionAddSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.activation_decision_add(
            organization=membership.organization,
            actor=api_actor(request),
            activation=activation,
            decision=values.validated_data["decision"],
            at=values.validated_data.get("at"),
        )
        return Response(_out(membership.organization, activation), status=status.HTTP_201_CREATED)
