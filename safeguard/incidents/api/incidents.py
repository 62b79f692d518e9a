"""Incidents over the API: list (open first) and read for activity viewers (escalation comments may name
patients); change for triagers and program managers. The same access function and services as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Case, IntegerField, Value, When
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import User
from safeguard.core.services.errors import ServiceError
from safeguard.incidents import queries, services
from safeguard.incidents.access import READ_INCIDENTS, get_incident
from safeguard.incidents.api.fields import OneOf
from safeguard.incidents.models import Incident, IncidentSeverity, IncidentStatus

TAGS = ["incidents"]


class IncidentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    severity = OneOf(IncidentSeverity.values)
    status = OneOf(IncidentStatus.values)
    owner = serializers.EmailField(source="owner.email")
    is_suspected_breach = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    alerts = serializers.SerializerMethodField(help_text="Public ids of the linked alerts.")

    def get_alerts(self, incident: Incident) -> list[str]:
        return [str(alert.public_id) for alert in incident.alerts.all()]


class IncidentFilterSerializer(serializers.Serializer):
    status = OneOf(["open", *IncidentStatus.values], required=False)


class IncidentChangeSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    severity = OneOf(IncidentSeverity.values, required=False)
    status = OneOf(IncidentStatus.values, required=False)
    owner = serializers.EmailField(required=False)
    is_suspected_breach = serializers.BooleanField(required=False)


def _rows(organization: Any, status: str = "") -> Any:
    opened = Case(When(status__in=services.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = queries.incidents(organization, status).prefetch_related("alerts")
    return rows.annotate(closed=opened).order_by("closed", "-opened_at", "-pk")


class IncidentListView(ApiView):
    @extend_schema(
        summary="List incidents",
        parameters=[IncidentFilterSerializer],
        responses={200: IncidentSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, READ_INCIDENTS)
        values = IncidentFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        return self.paginated(
            _rows(membership.organization, values.validated_data.get("status", "")), IncidentSerializer
        )


class IncidentDetailView(ApiView):
    @extend_schema(summary="One incident", responses={200: IncidentSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, incident_id: UUID) -> Response:
        membership = api_membership(request, org_slug, READ_INCIDENTS)
        return Response(IncidentSerializer(get_incident(membership, incident_id)).data)

    @extend_schema(
        summary="Change an incident",
        description="Title, description, severity, status, owner (an email of a member who may handle alerts) "
        "and the suspected-breach flag. Needs triage-alerts or manage-program.",
        request=IncidentChangeSerializer,
        responses={200: IncidentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, incident_id: UUID) -> Response:
        membership = api_membership(request, org_slug, READ_INCIDENTS)
        incident = get_incident(membership, incident_id, write=True)
        values = IncidentChangeSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        if "owner" in data:
            owner = User.objects.filter(email__iexact=data["owner"], memberships__organization=membership.organization)
            data["owner"] = owner.first()
            if data["owner"] is None:
                raise ServiceError("Nobody with that email belongs to this organization.", field="owner")
        services.incident_update(membership.organization, api_actor(request), incident=incident, **data)
        return Response(IncidentSerializer(get_incident(membership, incident_id)).data)
