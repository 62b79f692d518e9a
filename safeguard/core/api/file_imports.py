"""File imports of any kind over the API: one import's state, its mapping, its commit. Each app's endpoint that
accepts an upload answers with the same representation, so a client follows one import the same way whatever
it imports. The work runs in the background: mapping and commit answer 202 and the import is polled."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core import tabular
from safeguard.core.access import get_file_import_for_user
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import FileImport
from safeguard.core.services import file_imports as services

TAGS = ["imports"]
ERRORS_SHOWN = 1000


class FileImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    column = serializers.CharField(help_text="The file's own column header.")
    message = serializers.CharField()


class SummaryLineSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the summary line's label, not the field's
    count = serializers.IntegerField()


class FileImportSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.CharField(help_text="What the file imports, e.g. workforce.roster or access.accounts.")
    options = serializers.DictField(help_text="What the import needs besides the file, e.g. the system.")
    state = serializers.ChoiceField(choices=FileImport.State.choices)
    file_name = serializers.CharField()
    file_format = serializers.CharField()
    sha256 = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField(allow_blank=True))
    mapping = serializers.DictField(child=serializers.CharField(), help_text="Our column → the file's header.")
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    progress = serializers.SerializerMethodField(help_text="Percent of the rows checked.")
    summary = SummaryLineSerializer(many=True, help_text="The importer's counts, e.g. joiners, movers, leavers.")
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    result = serializers.DictField(help_text="What the commit made, e.g. the snapshot's id.")
    failure = serializers.CharField()
    created_by = PersonSerializer()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error_count = serializers.SerializerMethodField(help_text="How many errors the check found in all.")
    errors = serializers.SerializerMethodField(  # type: ignore[assignment]  # named like a Serializer attribute
        help_text=f"The first {ERRORS_SHOWN} errors, in file order."
    )
    preview = serializers.ListField(child=serializers.DictField(), help_text="The first rows as they will be written.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_progress(self, job: FileImport) -> int:
        return int(100 * job.processed_rows / job.total_rows) if job.total_rows else 0

    @extend_schema_field(OpenApiTypes.INT)
    def get_error_count(self, job: FileImport) -> int:
        return len(job.errors)

    @extend_schema_field(FileImportErrorSerializer(many=True))
    def get_errors(self, job: FileImport) -> list[dict[str, Any]]:
        return list(job.errors[:ERRORS_SHOWN])


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"CSV (UTF-8) or XLSX, at most {tabular.MAX_BYTES // 2**20} MB.")


class FileMappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Our column → the file's header; leave a column out when the file lacks it.",
    )


class FileImportDetailView(ApiView):
    @extend_schema(
        summary="One file import",
        description="Its state and progress; once checked, the errors (row, column, message) or the summary and "
        "preview. Needs the permission of what it imports.",
        responses={200: FileImportSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, file_import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        job = get_file_import_for_user(membership, file_import_id)
        return Response(FileImportSerializer(job).data)


class FileImportMappingView(ApiView):
    @extend_schema(
        summary="Map the columns and check every row",
        description="Saves the mapping and starts the check in the background: poll the import until it is "
        "ready or invalid.",
        request=FileMappingSerializer,
        responses={202: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, file_import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        job = get_file_import_for_user(membership, file_import_id)
        values = FileMappingSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        job = services.import_map(
            organization=membership.organization,
            actor=api_actor(request),
            job=job,
            mapping=values.validated_data["mapping"],
        )
        return Response(FileImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class FileImportCommitView(ApiView):
    @extend_schema(
        summary="Commit a checked import",
        description="Only a ready import (checked, no errors). The file is checked again and written in the "
        "background, every row or none: poll the import until it is committed or failed.",
        request=None,
        responses={202: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, file_import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        job = get_file_import_for_user(membership, file_import_id)
        job = services.import_commit(organization=membership.organization, actor=api_actor(request), job=job)
        return Response(FileImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def upload_response(request: Request, org_slug: str, kind: str, permission: Any, options: dict[str, Any]) -> Response:
    """What an app's upload endpoint does once it knows the kind and options: 201 with the new import."""
    membership = api_membership(request, org_slug, permission)
    values = FileUploadSerializer(data=request.data)
    values.is_valid(raise_exception=True)
    job = services.import_start(
        organization=membership.organization,
        actor=api_actor(request),
        kind=kind,
        upload=values.validated_data["file"],
        options=options,
    )
    return Response(FileImportSerializer(job).data, status=status.HTTP_201_CREATED)
