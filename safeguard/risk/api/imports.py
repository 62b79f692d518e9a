"""Imports of the inventory and the risk register over the API: upload, mapping, progress with errors or preview,
commit; and the downloads.

The same background tasks as the pages do the work: mapping and commit answer 202 and the job is polled.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core import tabular
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.roles import Perm
from safeguard.risk.access import get_import_for_user
from safeguard.risk.downloads import export_response
from safeguard.risk.models import ImportJob
from safeguard.risk.services import imports as services
from safeguard.risk.services.exports import inventory_export

TAGS = ["imports"]
ERRORS_SHOWN = 1000


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    column = serializers.CharField(help_text="The file's own column header.")
    message = serializers.CharField()


class PreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["create", "update"])
    values = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="As it will be written.")
    changes = serializers.ListField(child=serializers.CharField(), help_text="For an update, the fields that change.")


class ImportSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    state = serializers.ChoiceField(choices=ImportJob.State.choices)
    file_name = serializers.CharField()
    file_format = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField(allow_blank=True))
    mapping = serializers.DictField(child=serializers.CharField(), help_text="Our column → the file's header.")
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    progress = serializers.SerializerMethodField(help_text="Percent of the rows checked.")
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    failure = serializers.CharField()
    created_by = PersonSerializer()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.INT)
    def get_progress(self, job: ImportJob) -> int:
        return int(100 * job.processed_rows / job.total_rows) if job.total_rows else 0


class ImportDetailSerializer(ImportSerializer):
    error_count = serializers.SerializerMethodField(help_text="How many errors the check found in all.")
    errors = serializers.SerializerMethodField(  # type: ignore[assignment]  # named like a Serializer attribute
        help_text=f"The first {ERRORS_SHOWN} errors, in file order."
    )
    preview = PreviewRowSerializer(many=True, help_text="The first rows as they will be written.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_error_count(self, job: ImportJob) -> int:
        return len(job.errors)

    @extend_schema_field(ImportErrorSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict[str, Any]]:
        return list(job.errors[:ERRORS_SHOWN])


class UploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    file = serializers.FileField(help_text=f"CSV (UTF-8) or XLSX, at most {tabular.MAX_BYTES // 2**20} MB.")


class MappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Our column (name, kind, …; for risks reference, title, likelihood, …) → the file's header; "
        "leave a column out when the file lacks it.",
    )


class ImportFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices, required=False)
    state = serializers.ChoiceField(choices=ImportJob.State.choices, required=False)


class ImportListView(ApiView):
    @extend_schema(
        summary="List imports",
        description="Newest first. Needs the manage-program permission.",
        parameters=[ImportFilterSerializer],
        responses={200: ImportSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        filters = ImportFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = ImportJob.objects.filter(organization=membership.organization, **filters.validated_data)
        return self.paginated(jobs.select_related("created_by").order_by("-created_at", "-pk"), ImportSerializer)

    @extend_schema(
        summary="Upload a file to import",
        description="Reads the header row and guesses the mapping; nothing is checked or written yet. New risks go "
        "into the draft analysis when one is open, else into the register; a risk import is refused (400 on kind) "
        "while the open analysis is in review.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: ImportDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = UploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        job = services.import_start(
            organization=membership.organization,
            actor=api_actor(request),
            kind=values.validated_data["kind"],
            upload=values.validated_data["file"],
        )
        return Response(ImportDetailSerializer(job).data, status=status.HTTP_201_CREATED)


class ImportDetailView(ApiView):
    @extend_schema(
        summary="One import",
        description="Its state and progress; once checked, the errors (row, column, message) or the preview.",
        responses={200: ImportDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        job = get_import_for_user(membership, import_id)
        return Response(ImportDetailSerializer(job).data)


class ImportMappingView(ApiView):
    @extend_schema(
        summary="Map the columns and check every row",
        description="Saves the mapping and starts the check in the background: poll the import until it is "
        "ready or invalid.",
        request=MappingSerializer,
        responses={202: ImportDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        job = get_import_for_user(membership, import_id)
        values = MappingSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        job = services.import_map(
            organization=membership.organization,
            actor=api_actor(request),
            job=job,
            mapping=values.validated_data["mapping"],
        )
        return Response(ImportDetailSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportCommitView(ApiView):
    @extend_schema(
        summary="Commit a checked import",
        description="Only a ready import (checked, no errors). The file is checked again and written in the "
        "background, every row or none: poll the import until it is committed or failed.",
        request=None,
        responses={202: ImportDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        job = get_import_for_user(membership, import_id)
        job = services.import_commit(organization=membership.organization, actor=api_actor(request), job=job)
        return Response(ImportDetailSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class _FirstRenderer(BaseContentNegotiation):
    """Downloads take ?format=csv|xlsx for the file; DRF would read it as a renderer name. Errors stay JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


FORMAT = OpenApiParameter("format", str, enum=list(tabular.FORMATS), default="csv", description="File format.")


class _ExportView(ApiView):
    content_negotiation_class = _FirstRenderer
    kind = ImportJob.Kind.ASSETS

    def get(self, request: Request, org_slug: str) -> HttpResponseBase:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        file_format = request.query_params.get("format", "csv")
        export = inventory_export(
            organization=membership.organization, actor=api_actor(request), kind=self.kind, file_format=file_format
        )
        return export_response(export)


class AssetExportView(_ExportView):
    @extend_schema(
        summary="Download the assets",
        description="Every asset in the columns the import reads; the download is recorded in the audit trail.",
        parameters=[FORMAT],
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **error_responses(400, 403, 404),
        },
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> HttpResponseBase:
        return super().get(request, org_slug)


class FlowExportView(_ExportView):
    kind = ImportJob.Kind.DATA_FLOWS

    @extend_schema(
        summary="Download the data flows",
        description="Every data flow in the columns the import reads; the download is recorded in the audit trail.",
        parameters=[FORMAT],
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **error_responses(400, 403, 404),
        },
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> HttpResponseBase:
        return super().get(request, org_slug)


class RiskExportView(_ExportView):
    kind = ImportJob.Kind.RISKS

    @extend_schema(
        summary="Download the risk register",
        description="Every risk (open and closed) in the columns the risk import reads: reference, assets by name, "
        "ratings as numbers of the method's scales, citations and the owner's email. The download is recorded in "
        "the audit trail.",
        parameters=[FORMAT],
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **error_responses(400, 403, 404),
        },
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> HttpResponseBase:
        return super().get(request, org_slug)
