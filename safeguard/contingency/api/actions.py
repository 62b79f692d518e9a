"""Corrective actions over the API: list (open, overdue, closed; by origin; mine), create, read, change,
complete and cancel. Program viewers (auditors included) read; program managers change. The same access
functions and services as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_corrective_action
from safeguard.contingency.api.record_lookups import evidence_by_id, member_by_email, record_by_id
from safeguard.contingency.models import CorrectiveAction
from safeguard.contingency.queries_actions import STATES, corrective_actions
from safeguard.contingency.services import actions as services
from safeguard.core.access import require_program
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.incidents.api.fields import OneOf
from safeguard.risk.models import Asset, Risk

TAGS = ["contingency corrective actions"]


class CorrectiveActionRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")


class CorrectiveActionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    origin = OneOf(CorrectiveAction.Origin.values)
    title = serializers.CharField()
    description = serializers.CharField()
    owner = PersonSerializer()
    due_on = serializers.DateField()
    status = OneOf(CorrectiveAction.Status.values)
    overdue = serializers.SerializerMethodField()
    restore_test = serializers.UUIDField(source="restore_test.public_id", allow_null=True, default=None)
    exercise = serializers.UUIDField(source="exercise.public_id", allow_null=True, default=None)
    asset = CorrectiveActionRefSerializer(allow_null=True)
    risk = CorrectiveActionRefSerializer(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    completion_note = serializers.CharField(help_text="What was done, or why it was cancelled.")
    evidence = serializers.UUIDField(source="evidence.public_id", allow_null=True, default=None)
    created_at = serializers.DateTimeField()

    def get_overdue(self, action: CorrectiveAction) -> bool:
        return action.status in services.OPEN_STATUSES and action.due_on < timezone.localdate()


class CorrectiveActionFilterSerializer(serializers.Serializer):
    state = OneOf(STATES, required=False, default="open")
    origin = OneOf(CorrectiveAction.Origin.values, required=False, default="")
    mine = serializers.BooleanField(required=False, default=False, help_text="Only actions you own.")


class CorrectiveActionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.EmailField(help_text="A current member who is not an auditor.")
    due_on = serializers.DateField()
    origin = OneOf(CorrectiveAction.Origin.values, required=False, default="other")
    asset = serializers.UUIDField(required=False, allow_null=True, default=None)
    risk = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="A risk of the register.")


class CorrectiveActionChangeSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.EmailField(required=False)
    due_on = serializers.DateField(required=False)
    status = OneOf(services.OPEN_STATUSES, required=False)
    risk = serializers.UUIDField(required=False, allow_null=True)


class CorrectiveActionCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="What was done.")
    completed_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default today.")
    evidence = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="Existing evidence.")


class CorrectiveActionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


def _resolved(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    """Emails and public ids as the organization's rows; unknown ones are refused on their field."""
    if "owner" in data:
        data["owner"] = member_by_email(organization, data["owner"], "owner")
    if "asset" in data:
        data["asset"] = record_by_id(Asset, organization, data["asset"], "asset", "asset")
    if "risk" in data:
        data["risk"] = record_by_id(Risk, organization, data["risk"], "risk", "risk")
    return data


def _fresh(membership: Any, action_id: UUID) -> Response:
    return Response(CorrectiveActionSerializer(get_corrective_action(membership, action_id)).data)


class ActionListView(ApiView):
    @extend_schema(
        summary="List corrective actions",
        description="Open ones (open or in progress) by default, soonest due first.",
        parameters=[CorrectiveActionFilterSerializer],
        responses={200: CorrectiveActionSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        values = CorrectiveActionFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        rows = corrective_actions(
            membership.organization,
            today=timezone.localdate(),
            state=data["state"],
            origin=data["origin"],
            owner=membership.user if data["mine"] else None,
        ).select_related("evidence")
        return self.paginated(rows, CorrectiveActionSerializer)

    @extend_schema(
        summary="Create a corrective action",
        description="Needs manage-program. Restore tests that fail or miss an objective open their own.",
        request=CorrectiveActionCreateSerializer,
        responses={201: CorrectiveActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        require_program(membership, True)
        values = CorrectiveActionCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _resolved(membership.organization, dict(values.validated_data))
        action = services.corrective_action_create(
            organization=membership.organization, actor=api_actor(request), **data
        )
        body = CorrectiveActionSerializer(get_corrective_action(membership, action.public_id)).data
        return Response(body, status=status.HTTP_201_CREATED)


class ActionDetailView(ApiView):
    @extend_schema(
        summary="One corrective action",
        responses={200: CorrectiveActionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        return _fresh(api_membership(request, org_slug), action_id)

    @extend_schema(
        summary="Change an open corrective action",
        description="Title, description, owner (a member's email), due date, status (open or in progress) and "
        "the risk it is linked to (null unlinks). Complete or cancel it with its own endpoints.",
        request=CorrectiveActionChangeSerializer,
        responses={200: CorrectiveActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        action = get_corrective_action(membership, action_id, write=True)
        values = CorrectiveActionChangeSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _resolved(membership.organization, dict(values.validated_data))
        services.corrective_action_update(
            organization=membership.organization, actor=api_actor(request), action=action, **data
        )
        return _fresh(membership, action_id)


class ActionCompleteView(ApiView):
    @extend_schema(
        summary="Complete a corrective action",
        description="Says what was done; existing evidence may be linked as proof.",
        request=CorrectiveActionCompleteSerializer,
        responses={200: CorrectiveActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        action = get_corrective_action(membership, action_id, write=True)
        values = CorrectiveActionCompleteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        services.corrective_action_complete(
            organization=membership.organization,
            actor=api_actor(request),
            action=action,
            note=data["note"],
            completed_on=data["completed_on"],
            evidence=evidence_by_id(membership.organization, data["evidence"]),
        )
        return _fresh(membership, action_id)


class ActionCancelView(ApiView):
    @extend_schema(
        summary="Cancel a corrective action",
        request=CorrectiveActionCancelSerializer,
        responses={200: CorrectiveActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        action = get_corrective_action(membership, action_id, write=True)
        values = CorrectiveActionCancelSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.corrective_action_cancel(
            organization=membership.organization,
            actor=api_actor(request),
            action=action,
            reason=values.validated_data["reason"],
        )
        return _fresh(membership, action_id)
