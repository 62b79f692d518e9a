"""The audit trail, read-only: newest first, filtered by action, actor email and date range."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.queries import audit_events
from safeguard.core.roles import Perm


class AuditEventSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label", help_text="Email, or the system process, at the time.")
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    changes = serializers.DictField(help_text="Field name → [before, after].")
    ip_address = serializers.IPAddressField(allow_null=True)
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class AuditFilterSerializer(serializers.Serializer):
    action = serializers.CharField(
        required=False, max_length=80, help_text="Action or its prefix: evidence.uploaded, or evidence. for all."
    )
    actor = serializers.CharField(required=False, max_length=254, help_text="Part of the actor's email or label.")
    object_type = serializers.CharField(required=False, max_length=80, help_text="e.g. core.evidence")
    since = serializers.DateField(required=False, help_text="On or after this day.")
    until = serializers.DateField(required=False, help_text="On or before this day.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": "Must be on or after 'since'."})
        return attrs


class AuditEventListView(ApiView):
    @extend_schema(
        summary="List audit events",
        description="The organization's tamper-evident trail, newest first. Needs the view-audit permission.",
        parameters=[AuditFilterSerializer],
        responses={200: AuditEventSerializer(many=True), **error_responses(400, 403, 404)},
        tags=["audit"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_AUDIT)
        filters = AuditFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        events = audit_events(
            membership.organization,
            action=wanted.get("action", ""),
            actor=wanted.get("actor", ""),
            object_type=wanted.get("object_type", ""),
            since=wanted.get("since"),
            until=wanted.get("until"),
        )
        return self.paginated(events, AuditEventSerializer)
