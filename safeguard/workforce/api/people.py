"""The roster over the API: people (program viewers read; manage-program writes, through person_write like every
other source), roster sources, roster file uploads into the shared import pipeline, and issued items."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.file_imports import FileImportSerializer, upload_response
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import AwareDateTimeField, PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.access import get_issued_item_for_user, get_person_for_user
from safeguard.workforce.models import IssuedItem, Person, RosterSource, WorkerType
from safeguard.workforce.roster_import import KIND
from safeguard.workforce.services import roster as services
from safeguard.workforce.services.people import person_write

TAGS = ["workforce"]


class ManagerRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class RosterPersonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    name = serializers.CharField(source="full_name")
    email = serializers.CharField()
    user_name = serializers.CharField()
    department = serializers.CharField()
    job_role = serializers.CharField()
    manager = ManagerRefSerializer(allow_null=True)
    worker_type = serializers.ChoiceField(choices=WorkerType.choices)
    hire_date = serializers.DateField(allow_null=True)
    termination_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=Person.Status.choices)
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the person's source, not the field's
        choices=Person.Source.choices, help_text="What wrote the person last."
    )
    updated_at = serializers.DateTimeField()


class RosterPersonWriteSerializer(serializers.Serializer):
    employee_id = serializers.CharField(max_length=64)
    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, help_text="Work email.")
    user_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    job_role = serializers.CharField(max_length=100, required=False, allow_blank=True)
    manager = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, help_text="The manager's employee ID."
    )
    worker_type = serializers.ChoiceField(choices=WorkerType.choices, required=False)
    status = serializers.ChoiceField(
        choices=Person.Status.choices, required=False, help_text="Active or leave: terminated follows termination_at."
    )
    hire_date = serializers.DateField(required=False, allow_null=True)
    termination_at = AwareDateTimeField(required=False, allow_null=True, help_text="With its UTC offset.")


class PersonFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Person.Status.choices, required=False)
    department = serializers.CharField(required=False)
    worker_type = serializers.ChoiceField(choices=WorkerType.choices, required=False)
    q = serializers.CharField(required=False, help_text="Words in the name or email, or an exact employee ID.")


class RosterSourceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    time_zone = serializers.CharField()
    mapping = serializers.DictField(child=serializers.CharField(), help_text="Saved from the last committed file.")
    created_at = serializers.DateTimeField()


class RosterSourceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    time_zone = serializers.CharField(max_length=64, help_text="Area/City, e.g. America/New_York.")


class RosterImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The HR export: CSV (UTF-8) or XLSX.")
    source = serializers.UUIDField(  # type: ignore[assignment]  # the roster source, not the field's
        help_text="The roster source's public_id."
    )
    initial_load = serializers.BooleanField(
        required=False,
        help_text="Record people without opening workflows. Defaults to true when the roster is empty.",
    )


class IssuedItemSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person = serializers.UUIDField(source="person.public_id")
    kind = serializers.ChoiceField(choices=IssuedItem.Kind.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # the item's label, not the field's
    issued_on = serializers.DateField(allow_null=True)
    recovered_at = serializers.DateTimeField(allow_null=True)
    recovered_by = PersonSerializer(allow_null=True)
    note = serializers.CharField()


class IssuedItemWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IssuedItem.Kind.choices)
    label = serializers.CharField(max_length=200)  # type: ignore[assignment]  # the item's label
    issued_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class IssuedItemRecoverSerializer(serializers.Serializer):
    recovered_at = AwareDateTimeField(required=False, help_text="Defaults to now.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _people(organization: Organization) -> QuerySet[Person]:
    return Person.objects.filter(organization=organization).select_related("manager")


def _person_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("status") == Person.Status.TERMINATED:
        raise ServiceError("Give termination_at instead: the status follows from it.", field="status")
    if "manager" in data:
        employee_id = (data["manager"] or "").strip()
        manager = Person.objects.filter(organization=organization, employee_id=employee_id).first()
        if employee_id and manager is None:
            raise ServiceError(f"No one on the roster has the employee ID {employee_id}.", field="manager")
        data["manager"] = manager
    return data


def _write(request: Request, organization: Organization, person: Person | None, data: dict[str, Any]) -> Person:
    actor = api_actor(request)
    written, _ = person_write(
        organization=organization,
        actor=actor,
        person=person,
        values=_person_values(organization, data),
        source=Person.Source.MANUAL,
        trigger=f"Entered through the API by {actor.display}",
    )
    return written


class PersonListView(ApiView):
    @extend_schema(
        summary="List the workforce roster",
        description="By family name. Filters: status, department, worker_type, q (name or email words, or an "
        "exact employee ID).",
        parameters=[PersonFilterSerializer],
        responses={200: RosterPersonSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = PersonFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        people = services.filtered_people(_people(membership.organization), filters.validated_data)
        return self.paginated(people.order_by("family_name", "given_name", "employee_id"), RosterPersonSerializer)

    @extend_schema(
        summary="Add a person by hand",
        description="Opens a joiner workflow (a leaver one when the termination is recent). Needs the "
        "manage-program permission.",
        request=RosterPersonWriteSerializer,
        responses={201: RosterPersonSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = RosterPersonWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        person = _write(request, membership.organization, None, dict(values.validated_data))
        fresh = _people(membership.organization).get(pk=person.pk)
        return Response(RosterPersonSerializer(fresh).data, status=status.HTTP_201_CREATED)


class PersonDetailView(ApiView):
    @extend_schema(
        summary="One person of the roster",
        responses={200: RosterPersonSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(RosterPersonSerializer(get_person_for_user(membership, person_id)).data)

    @extend_schema(
        summary="Change a person",
        description="Fields left out keep their value. A new department, job role or manager opens a mover "
        "workflow, a termination a leaver workflow. Needs the manage-program permission.",
        request=RosterPersonWriteSerializer(partial=True),
        responses={200: RosterPersonSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        person = get_person_for_user(membership, person_id, write=True)
        values = RosterPersonWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        _write(request, membership.organization, person, dict(values.validated_data))
        return Response(RosterPersonSerializer(_people(membership.organization).get(pk=person.pk)).data)


class RosterSourceListView(ApiView):
    @extend_schema(
        summary="List the roster sources",
        description="The HR systems roster files come from, with their time zone and saved column mapping.",
        responses={200: RosterSourceSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        sources = RosterSource.objects.filter(organization=membership.organization).order_by("name")
        return self.paginated(sources, RosterSourceSerializer)

    @extend_schema(
        summary="Name a roster source",
        description="Needs the manage-program permission. Termination times without an offset in its files are "
        "read in its time zone.",
        request=RosterSourceWriteSerializer,
        responses={201: RosterSourceSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = RosterSourceWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        source = services.roster_source_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(RosterSourceSerializer(source).data, status=status.HTTP_201_CREATED)


class RosterImportView(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload a roster file",
        description="Starts an import of the HR export (multipart/form-data). Follow it under file-imports/: "
        "post the mapping (the source's saved mapping, else a guess, is already filled in), poll until ready, "
        "read the summary (joiners, movers, leavers, rows in error), then commit. Needs the manage-program "
        "permission.",
        request={"multipart/form-data": RosterImportUploadSerializer},
        responses={201: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        api_membership(request, org_slug, Perm.MANAGE_PROGRAM)  # before the body is read: MFA and role first
        data: Any = request.data  # a QueryDict: multipart
        options = {"source": data.get("source"), "initial_load": data.get("initial_load")}
        return upload_response(request, org_slug, KIND, Perm.MANAGE_PROGRAM, options)


class IssuedItemListView(ApiView):
    @extend_schema(
        summary="List the items issued to a person",
        description="Badges, keys, devices and tokens, recovered or not.",
        responses={200: IssuedItemSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        person = get_person_for_user(membership, person_id)
        items = IssuedItem.objects.filter(person=person).select_related("person", "recovered_by")
        return self.paginated(items.order_by("kind", "label", "pk"), IssuedItemSerializer)

    @extend_schema(
        summary="Record an item issued to a person",
        description="Needs the manage-program permission.",
        request=IssuedItemWriteSerializer,
        responses={201: IssuedItemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        person = get_person_for_user(membership, person_id, write=True)
        values = IssuedItemWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        item = services.item_issue(
            organization=membership.organization, actor=api_actor(request), person=person, **values.validated_data
        )
        return Response(IssuedItemSerializer(item).data, status=status.HTTP_201_CREATED)


class IssuedItemRecoverView(ApiView):
    @extend_schema(
        summary="Record an issued item as recovered",
        description="Once only. Needs the manage-program permission.",
        request=IssuedItemRecoverSerializer,
        responses={200: IssuedItemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, issued_item_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        item = get_issued_item_for_user(membership, issued_item_id, write=True)
        values = IssuedItemRecoverSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        item = services.item_recover(
            organization=membership.organization, actor=api_actor(request), item=item, **values.validated_data
        )
        return Response(IssuedItemSerializer(item).data)
