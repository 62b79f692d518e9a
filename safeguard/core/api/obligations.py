"""Obligations: recurring duties. Program viewers see all; other members see the ones they own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.access import get_evidence_for_user, get_obligation_for_user, obligations_for_user
from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Evidence, Membership, Obligation, Organization, User
from safeguard.core.models.obligations import Cadence
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.obligations import obligation_complete, obligation_create, obligation_update

TAGS = ["obligations"]


class ObligationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    citation = serializers.CharField()
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    owner = PersonSerializer()
    due_on = serializers.DateField()
    remind_days_before = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Obligation.Status.choices)
    source = serializers.CharField()  # type: ignore[assignment]  # named like a Field attribute
    created_at = serializers.DateTimeField()


class ObligationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Obligation.Status.choices, required=False)


class ObligationWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    citation = serializers.CharField(max_length=40, required=False, allow_blank=True)
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
    owner = serializers.CharField(help_text="The owner's user public_id or email; must be a current member.")
    due_on = serializers.DateField()
    remind_days_before = serializers.IntegerField(min_value=0, max_value=365, required=False)


class CompletionInputSerializer(serializers.Serializer):
    due_on = serializers.DateField(
        required=False,
        help_text="The due date being completed, as last read. When given, a repeated request (the duty has "
        "since moved on) is refused with 400 instead of completing the next occurrence too.",
    )
    note = serializers.CharField(required=False, default="", allow_blank=True)
    evidence_id = serializers.UUIDField(required=False, allow_null=True, help_text="Existing evidence of the work.")
    evidence_file = serializers.FileField(required=False, help_text="Or a new file, stored as evidence (multipart).")


class CompletionSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    completed_on = serializers.DateField()
    completed_by = PersonSerializer()
    note = serializers.CharField()
    evidence_id = serializers.UUIDField(source="evidence.public_id", allow_null=True, default=None)
    obligation = ObligationSerializer()


def owner_in(organization: Organization, value: str) -> User:
    """A current member named by user public_id or email (400 on `owner` otherwise)."""
    members = Membership.objects.current().filter(organization=organization).select_related("user")
    try:
        match = Q(user__public_id=UUID(value))
    except ValueError:
        match = Q(user__email__iexact=value.strip())
    member = members.filter(match).first()
    if member is None:
        raise ServiceError("The owner must be a current member of this organization.", field="owner")
    return member.user


def evidence_for_completion(membership: Membership, evidence_id: UUID | None) -> Evidence | None:
    if evidence_id is None:
        return None
    try:
        return get_evidence_for_user(membership, evidence_id)
    except (Http404, PermissionDenied):
        raise ServiceError("No such evidence in this organization.", field="evidence_id") from None


class ObligationListView(ApiView):
    @extend_schema(
        summary="List obligations",
        description="Soonest due first. Members without the view-program permission see only their own.",
        parameters=[ObligationFilterSerializer],
        responses={200: ObligationSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        filters = ObligationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = obligations_for_user(membership).select_related("owner")
        if "status" in filters.validated_data:
            items = items.filter(status=filters.validated_data["status"])
        return self.paginated(items.order_by("due_on", "title", "pk"), ObligationSerializer)

    @extend_schema(
        summary="Create an obligation",
        request=ObligationWriteSerializer,
        responses={201: ObligationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = ObligationWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        data["owner"] = owner_in(membership.organization, data["owner"])
        obligation = obligation_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(ObligationSerializer(obligation).data, status=status.HTTP_201_CREATED)


class ObligationDetailView(ApiView):
    @extend_schema(
        summary="One obligation",
        responses={200: ObligationSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, obligation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        obligation = get_obligation_for_user(membership, obligation_id)
        return Response(ObligationSerializer(obligation).data)

    @extend_schema(
        summary="Change an obligation",
        description="Fields left out keep their value. Needs the manage-program permission.",
        request=ObligationWriteSerializer(partial=True),
        responses={200: ObligationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, obligation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        obligation = get_obligation_for_user(membership, obligation_id, write=True)
        values = ObligationWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        if "owner" in data:
            data["owner"] = owner_in(membership.organization, data["owner"])
        updated = obligation_update(
            organization=membership.organization, actor=api_actor(request), obligation=obligation, **data
        )
        return Response(ObligationSerializer(updated).data)


class ObligationCompleteView(ApiView):
    @extend_schema(
        summary="Complete an obligation",
        description="Records the completion; a recurring duty moves to its next due date. "
        "The owner may complete their own; otherwise the manage-program permission is needed.",
        request={
            "application/json": CompletionInputSerializer,
            "multipart/form-data": CompletionInputSerializer,
        },
        responses={201: CompletionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, obligation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        obligation = get_obligation_for_user(membership, obligation_id, write=True)
        values = CompletionInputSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        with api_field_names({"evidence": "evidence_id"}):
            completion = obligation_complete(
                organization=membership.organization,
                actor=api_actor(request),
                obligation=obligation,
                note=data["note"],
                evidence=evidence_for_completion(membership, data.get("evidence_id")),
                evidence_file=data.get("evidence_file"),
                due_on=data.get("due_on"),
            )
        return Response(CompletionSerializer(completion).data, status=status.HTTP_201_CREATED)
