"""Exercises over the API: list, record, read, change and delete one; add and remove timeline entries; list and
add its corrective actions. Program viewers read; program managers change. The same access function and services
as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency import queries_exercises as queries
from safeguard.contingency.access import get_exercise
from safeguard.contingency.api.record_lookups import member_by_email, members_by_email, records_by_id
from safeguard.contingency.models import ContingencyPlan, CorrectiveAction, Exercise
from safeguard.contingency.services import exercises as services
from safeguard.contingency.services.actions import corrective_action_create
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.incidents.api.fields import OneOf
from safeguard.risk.models import Asset

TAGS = ["contingency"]


class ExerciseTimelineEntrySerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True, help_text="Names the entry for removal.")
    at = serializers.DateTimeField()
    entry = serializers.CharField(max_length=1000)


class ExerciseRecordSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")


class ExerciseSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = OneOf(Exercise.Kind.values)
    title = serializers.CharField()
    scenario = serializers.CharField()
    held_on = serializers.DateField()
    facilitator = PersonSerializer(allow_null=True)
    participants = PersonSerializer(many=True, source="participants.all")
    other_participants = serializers.CharField()
    plans = ExerciseRecordSerializer(many=True, source="plans.all", help_text="Plans exercised.")
    assets = ExerciseRecordSerializer(many=True, source="assets.all")
    timeline = ExerciseTimelineEntrySerializer(many=True)
    outcomes = serializers.CharField()
    lessons_learned = serializers.CharField()
    completed = serializers.BooleanField()
    action_count = serializers.IntegerField(help_text="Corrective actions raised from it.")
    recorded_by = serializers.EmailField(source="recorded_by.email")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ExerciseWriteSerializer(serializers.Serializer):
    kind = OneOf(Exercise.Kind.values)
    title = serializers.CharField(max_length=200)
    scenario = serializers.CharField()
    held_on = serializers.DateField()
    facilitator = serializers.EmailField(required=False, allow_null=True, help_text="A member's email.")
    participants = serializers.ListField(child=serializers.EmailField(), required=False, help_text="Members' emails.")
    other_participants = serializers.CharField(required=False, allow_blank=True)
    plans = serializers.ListField(child=serializers.UUIDField(), required=False, help_text="Plans' public ids.")
    assets = serializers.ListField(child=serializers.UUIDField(), required=False, help_text="Assets' public ids.")
    outcomes = serializers.CharField(required=False, allow_blank=True)
    lessons_learned = serializers.CharField(required=False, allow_blank=True)
    completed = serializers.BooleanField(required=False)


class ExerciseActionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.EmailField(source="owner.email")
    due_on = serializers.DateField()
    status = OneOf(CorrectiveAction.Status.values)
    completed_on = serializers.DateField(allow_null=True)


class ExerciseActionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.EmailField(help_text="A current member's email (not an auditor).")
    due_on = serializers.DateField()


def _resolve(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    """Names from the request → this organization's records, for the service."""
    if "facilitator" in data:
        data["facilitator"] = member_by_email(organization, data["facilitator"], "facilitator")
    if "participants" in data:
        data["participants"] = members_by_email(organization, data["participants"], "participants")
    if "plans" in data:
        data["plans"] = records_by_id(ContingencyPlan, organization, data["plans"], "plans", "plan")
    if "assets" in data:
        data["assets"] = records_by_id(Asset, organization, data["assets"], "assets", "asset")
    return data


def _exercise_out(exercise: Exercise) -> dict[str, Any]:
    row = queries.exercises(exercise.organization).prefetch_related("participants", "plans", "assets")
    return dict(ExerciseSerializer(row.get(pk=exercise.pk)).data)


class ExerciseListView(ApiView):
    @extend_schema(
        summary="List exercises",
        description="Newest first.",
        responses={200: ExerciseSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rows = queries.exercises(membership.organization).prefetch_related("participants", "plans", "assets")
        return self.paginated(rows, ExerciseSerializer)

    @extend_schema(
        summary="Record an exercise",
        description="Completed needs outcomes and a date not in the future. Needs the manage-program permission.",
        request=ExerciseWriteSerializer,
        responses={201: ExerciseSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = ExerciseWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _resolve(membership.organization, dict(values.validated_data))
        exercise = services.exercise_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(_exercise_out(exercise), status=status.HTTP_201_CREATED)


class ExerciseDetailView(ApiView):
    @extend_schema(summary="One exercise", responses={200: ExerciseSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, exercise_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_exercise_out(get_exercise(membership, exercise_id)))

    @extend_schema(
        summary="Change an exercise",
        description="Fields left out keep their value; lists given replace the old ones. Needs manage-program.",
        request=ExerciseWriteSerializer(partial=True),
        responses={200: ExerciseSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, exercise_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        exercise = get_exercise(membership, exercise_id, write=True)
        values = ExerciseWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = _resolve(membership.organization, dict(values.validated_data))
        services.exercise_update(
            organization=membership.organization, actor=api_actor(request), exercise=exercise, **data
        )
        return Response(_exercise_out(exercise))

    @extend_schema(
        summary="Delete an exercise",
        description="Refused once corrective actions or plan revisions cite it. Needs manage-program.",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, exercise_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        exercise = get_exercise(membership, exercise_id, write=True)
        services.exercise_delete(organization=membership.organization, actor=api_actor(request), exercise=exercise)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExerciseTimelineView(ApiView):
    @extend_schema(
        summary="Add a timeline entry to an exercise",
        description="The entry takes its place in time order. Needs manage-program.",
        request=ExerciseTimelineEntrySerializer,
        responses={201: ExerciseTimelineEntrySerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, exercise_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        exercise = get_exercise(membership, exercise_id, write=True)
        values = ExerciseTimelineEntrySerializer(data=request.data)
        values.is_valid(raise_exception=True)
        item = services.exercise_timeline_add(
            organization=membership.organization, actor=api_actor(request), exercise=exercise, **values.validated_data
        )
        return Response(ExerciseTimelineEntrySerializer(item).data, status=status.HTTP_201_CREATED)


class ExerciseTimelineEntryView(ApiView):
    @extend_schema(
        summary="Remove a timeline entry from an exercise",
        description="Needs manage-program.",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, exercise_id: UUID, entry_id: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        exercise = get_exercise(membership, exercise_id, write=True)
        services.exercise_timeline_remove(
            organization=membership.organization, actor=api_actor(request), exercise=exercise, entry_id=entry_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExerciseActionListView(ApiView):
    @extend_schema(
        summary="List an exercise's corrective actions",
        responses={200: ExerciseActionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, exercise_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(queries.exercise_actions(get_exercise(membership, exercise_id)), ExerciseActionSerializer)

    @extend_schema(
        summary="Add a corrective action to an exercise",
        description="An owner (a current member who is not an auditor) and a due date. Needs manage-program.",
        request=ExerciseActionWriteSerializer,
        responses={201: ExerciseActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, exercise_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        exercise = get_exercise(membership, exercise_id, write=True)
        values = ExerciseActionWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data["owner"] = member_by_email(membership.organization, data["owner"], "owner")
        action = corrective_action_create(
            organization=membership.organization,
            actor=api_actor(request),
            origin=CorrectiveAction.Origin.EXERCISE,
            exercise=exercise,
            **data,
        )
        return Response(ExerciseActionSerializer(action).data, status=status.HTTP_201_CREATED)
