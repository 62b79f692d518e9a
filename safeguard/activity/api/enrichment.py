"""Enrichment data over the API: user aliases, work shifts and workstations (list, create, read, change, delete)
and patient flags (list; files go through the shared import endpoint with kind activity.patient_flags). Activity viewers
read; managers of activity review write. Patient flags name patients: reading them needs view-events.

A change is PUT (every field, as on creation: one left out takes its default) or PATCH (fields left out keep their
value); either way the service checks the whole record as it would a new one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity.models import LogSource, PatientFlag, UserAlias, WorkShift, Workstation
from safeguard.activity.services import enrichment_records as services
from safeguard.core.access import one_in_org
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.workforce.models import Person

TAGS = ["activity enrichment"]


class EnrichmentPersonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class AliasSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    alias = serializers.CharField()
    person = EnrichmentPersonSerializer()
    source = serializers.UUIDField(  # type: ignore[assignment]  # the log source, not the field's source
        source="source.public_id", allow_null=True, default=None, help_text="Null: every source."
    )


class AliasCreateSerializer(serializers.Serializer):
    alias = serializers.CharField(max_length=255)
    person = serializers.UUIDField(help_text="A person of the roster.")
    source = serializers.UUIDField(required=False, allow_null=True, help_text="Only in this source's events.")  # type: ignore[assignment]


class ShiftSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    person = EnrichmentPersonSerializer(allow_null=True)
    department = serializers.CharField()
    job_role = serializers.CharField()
    start_hour = serializers.IntegerField()
    end_hour = serializers.IntegerField()
    weekdays = serializers.ListField(child=serializers.IntegerField(), help_text="ISO days: Monday = 1.")


class ShiftCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    person = serializers.UUIDField(required=False, allow_null=True)
    department = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    job_role = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    start_hour = serializers.IntegerField()
    end_hour = serializers.IntegerField()
    weekdays = serializers.ListField(child=serializers.IntegerField(), default=[1, 2, 3, 4, 5])


class WorkstationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    host = serializers.CharField()
    site = serializers.CharField(allow_blank=True, required=False, default="")
    department = serializers.CharField(allow_blank=True, required=False, default="")
    time_zone = serializers.CharField(allow_blank=True, required=False, default="")


class WorkstationCreateSerializer(WorkstationSerializer):
    public_id = None  # type: ignore[assignment]


class PatientFlagSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    patient_ref = serializers.CharField()
    last_name = serializers.CharField()
    vip = serializers.BooleanField()
    restricted = serializers.BooleanField()
    employee = EnrichmentPersonSerializer(allow_null=True)
    note = serializers.CharField()
    updated_at = serializers.DateTimeField()


def _person(membership: Membership, public_id: UUID | None) -> Person | None:
    return None if public_id is None else one_in_org(Person.objects.all(), membership, public_id, "person")


def _source(membership: Membership, public_id: UUID | None) -> LogSource | None:
    return None if public_id is None else one_in_org(LogSource.objects.all(), membership, public_id, "log source")


def _given(request: Request, serializer: type[serializers.Serializer], partial: bool) -> dict[str, Any]:
    values = serializer(data=request.data, partial=partial)
    values.is_valid(raise_exception=True)
    return dict(values.validated_data)


def _delete(request: Request, org_slug: str, model: type[Model], public_id: UUID, what: str) -> Response:
    membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
    record = one_in_org(model.objects.all(), membership, public_id, what)  # type: ignore[attr-defined]
    remove = getattr(services, f"{what}_delete")
    remove(organization=membership.organization, actor=api_actor(request), **{what: record})
    return Response(status=status.HTTP_204_NO_CONTENT)


class AliasListView(ApiView):
    @extend_schema(
        summary="List user aliases", responses={200: AliasSerializer(many=True), **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        rows = UserAlias.objects.filter(organization=membership.organization).select_related("person", "source")
        return self.paginated(rows.order_by("alias_key", "pk"), AliasSerializer)

    @extend_schema(
        summary="Add a user alias",
        description="A name the logs use for a person, in one source or in all. Needs manage-activity.",
        request=AliasCreateSerializer,
        responses={201: AliasSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = AliasCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = values.validated_data
        alias = services.alias_create(
            organization=membership.organization,
            actor=api_actor(request),
            person=_person(membership, data["person"]),  # type: ignore[arg-type]
            alias=data["alias"],
            source=_source(membership, data.get("source")),
        )
        return Response(AliasSerializer(alias).data, status=status.HTTP_201_CREATED)


def _alias(membership: Membership, public_id: UUID) -> UserAlias:
    return one_in_org(UserAlias.objects.select_related("person", "source"), membership, public_id, "alias")


class AliasDetailView(ApiView):
    @extend_schema(summary="One user alias", responses={200: AliasSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, alias_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(AliasSerializer(_alias(membership, alias_id)).data)

    @extend_schema(
        summary="Replace a user alias",
        description="Every field, as on creation (no source: every source). Needs manage-activity.",
        request=AliasCreateSerializer,
        responses={200: AliasSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str, alias_id: UUID) -> Response:
        return self._update(request, org_slug, alias_id, partial=False)

    @extend_schema(
        summary="Change a user alias",
        description="Fields left out keep their value; a null source means every source. Needs manage-activity.",
        request=AliasCreateSerializer(partial=True),
        responses={200: AliasSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, alias_id: UUID) -> Response:
        return self._update(request, org_slug, alias_id, partial=True)

    def _update(self, request: Request, org_slug: str, alias_id: UUID, *, partial: bool) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        row = _alias(membership, alias_id)
        data = _given(request, AliasCreateSerializer, partial)
        values: dict[str, Any] = {"person": row.person, "alias": row.alias, "source": row.source} if partial else {}
        values.update(data)
        if "person" in data:
            values["person"] = _person(membership, data["person"])
        if "source" in data:
            values["source"] = _source(membership, data["source"])
        row = services.alias_update(
            organization=membership.organization, actor=api_actor(request), user_alias=row, **values
        )
        return Response(AliasSerializer(row).data)

    @extend_schema(summary="Delete a user alias", responses={204: None, **error_responses(403, 404)}, tags=TAGS)
    def delete(self, request: Request, org_slug: str, alias_id: UUID) -> Response:
        return _delete(request, org_slug, UserAlias, alias_id, "alias")


class ShiftListView(ApiView):
    @extend_schema(
        summary="List work shifts", responses={200: ShiftSerializer(many=True), **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        rows = WorkShift.objects.filter(organization=membership.organization).select_related("person")
        return self.paginated(rows.order_by("name", "pk"), ShiftSerializer)

    @extend_schema(
        summary="Add a work shift",
        description="For a person, or a department and/or job role. Needs manage-activity.",
        request=ShiftCreateSerializer,
        responses={201: ShiftSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = ShiftCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        data["person"] = _person(membership, data.get("person"))
        shift = services.shift_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


SHIFT_FIELDS = ("name", "person", "department", "job_role", "start_hour", "end_hour", "weekdays")


def _shift(membership: Membership, public_id: UUID) -> WorkShift:
    return one_in_org(WorkShift.objects.select_related("person"), membership, public_id, "shift")


class ShiftDetailView(ApiView):
    @extend_schema(summary="One work shift", responses={200: ShiftSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, shift_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(ShiftSerializer(_shift(membership, shift_id)).data)

    @extend_schema(
        summary="Replace a work shift",
        description="Every field, as on creation. Needs manage-activity.",
        request=ShiftCreateSerializer,
        responses={200: ShiftSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str, shift_id: UUID) -> Response:
        return self._update(request, org_slug, shift_id, partial=False)

    @extend_schema(
        summary="Change a work shift",
        description="Fields left out keep their value; the result must still be a valid shift (a person's own "
        "shift names no department or job role: send them empty when giving a person). Needs manage-activity.",
        request=ShiftCreateSerializer(partial=True),
        responses={200: ShiftSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, shift_id: UUID) -> Response:
        return self._update(request, org_slug, shift_id, partial=True)

    def _update(self, request: Request, org_slug: str, shift_id: UUID, *, partial: bool) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        row = _shift(membership, shift_id)
        data = _given(request, ShiftCreateSerializer, partial)
        values = {field: getattr(row, field) for field in SHIFT_FIELDS} if partial else {}
        values.update(data)
        if "person" in data:
            values["person"] = _person(membership, data["person"])
        row = services.shift_update(organization=membership.organization, actor=api_actor(request), shift=row, **values)
        return Response(ShiftSerializer(row).data)

    @extend_schema(summary="Delete a work shift", responses={204: None, **error_responses(403, 404)}, tags=TAGS)
    def delete(self, request: Request, org_slug: str, shift_id: UUID) -> Response:
        return _delete(request, org_slug, WorkShift, shift_id, "shift")


class WorkstationListView(ApiView):
    @extend_schema(
        summary="List workstations",
        responses={200: WorkstationSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        rows = Workstation.objects.filter(organization=membership.organization).order_by("host_key")
        return self.paginated(rows, WorkstationSerializer)

    @extend_schema(
        summary="Add a workstation",
        request=WorkstationCreateSerializer,
        responses={201: WorkstationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = WorkstationCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        row = services.workstation_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(WorkstationSerializer(row).data, status=status.HTTP_201_CREATED)


WORKSTATION_FIELDS = ("host", "site", "department", "time_zone")


class WorkstationDetailView(ApiView):
    @extend_schema(
        summary="One workstation", responses={200: WorkstationSerializer, **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str, workstation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        row = one_in_org(Workstation.objects.all(), membership, workstation_id, "workstation")
        return Response(WorkstationSerializer(row).data)

    @extend_schema(
        summary="Replace a workstation",
        description="Every field, as on creation: one left out is blank. Needs manage-activity.",
        request=WorkstationCreateSerializer,
        responses={200: WorkstationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str, workstation_id: UUID) -> Response:
        return self._update(request, org_slug, workstation_id, partial=False)

    @extend_schema(
        summary="Change a workstation",
        description="Fields left out keep their value. Needs manage-activity.",
        request=WorkstationCreateSerializer(partial=True),
        responses={200: WorkstationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, workstation_id: UUID) -> Response:
        return self._update(request, org_slug, workstation_id, partial=True)

    def _update(self, request: Request, org_slug: str, workstation_id: UUID, *, partial: bool) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        row = one_in_org(Workstation.objects.all(), membership, workstation_id, "workstation")
        values = {field: getattr(row, field) for field in WORKSTATION_FIELDS} if partial else {}
        values.update(_given(request, WorkstationCreateSerializer, partial))
        row = services.workstation_update(
            organization=membership.organization, actor=api_actor(request), workstation=row, **values
        )
        return Response(WorkstationSerializer(row).data)

    @extend_schema(summary="Delete a workstation", responses={204: None, **error_responses(403, 404)}, tags=TAGS)
    def delete(self, request: Request, org_slug: str, workstation_id: UUID) -> Response:
        return _delete(request, org_slug, Workstation, workstation_id, "workstation")


class PatientFlagListView(ApiView):
    @extend_schema(
        summary="List patient flags",
        description="Needs view-events: the list names patients. Import a file through the imports endpoint with "
        "kind activity.patient_flags.",
        responses={200: PatientFlagSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_EVENTS)
        rows = PatientFlag.objects.filter(organization=membership.organization).select_related("employee")
        return self.paginated(rows.order_by("patient_key"), PatientFlagSerializer)
