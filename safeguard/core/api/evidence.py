"""Evidence: list, upload, versions, audited downloads, retention-guarded deletion."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.access import get_evidence_for_user, get_evidence_version_for_user
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Evidence, EvidenceVersion
from safeguard.core.queries import evidence_rows
from safeguard.core.roles import Perm
from safeguard.core.services.evidence import (
    evidence_add_version,
    evidence_delete,
    evidence_download_record,
    evidence_upload,
)

TAGS = ["evidence"]


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = PersonSerializer()
    uploaded_at = serializers.DateTimeField()


class EvidenceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    effective_date = serializers.DateField()
    retain_until = serializers.DateField()
    created_by = PersonSerializer()
    created_at = serializers.DateTimeField()
    latest_version = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_latest_version(self, evidence: Evidence) -> int | None:
        # `versions` is prefetched newest first by every query that feeds this serializer.
        versions = list(evidence.versions.all())
        return versions[0].number if versions else None


class EvidenceDetailSerializer(EvidenceSerializer):
    versions = VersionSerializer(many=True)


class EvidenceUploadSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    effective_date = serializers.DateField()
    retain_until = serializers.DateField(required=False, allow_null=True, help_text="At least six years on.")
    file = serializers.FileField()


class EvidenceFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Part of a title or description."
    )


class VersionUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


def _with_versions() -> Prefetch:
    return Prefetch("versions", queryset=EvidenceVersion.objects.select_related("uploaded_by").order_by("-number"))


def _evidence_with_versions(evidence: Evidence) -> Evidence:
    return Evidence.objects.select_related("created_by").prefetch_related(_with_versions()).get(pk=evidence.pk)


class EvidenceListView(ApiView):
    parser_classes = [MultiPartParser, FormParser]  # noqa: RUF012

    @extend_schema(
        summary="List evidence",
        description="Evidence that is not deleted, newest first; `q` searches titles and descriptions.",
        parameters=[EvidenceFilterSerializer],
        responses={200: EvidenceSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = EvidenceFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = (
            evidence_rows(membership.organization, text=filters.validated_data.get("q", "").strip())
            .select_related("created_by")
            .prefetch_related(_with_versions())
        )
        return self.paginated(items, EvidenceSerializer)

    @extend_schema(
        summary="Upload evidence",
        description="multipart/form-data. The file becomes version 1; retention defaults to six years on.",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = EvidenceUploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        evidence = evidence_upload(
            organization=membership.organization,
            actor=api_actor(request),
            title=data["title"],
            description=data["description"],
            effective_date=data["effective_date"],
            retain_until=data.get("retain_until"),
            upload=data["file"],
        )
        return Response(EvidenceDetailSerializer(_evidence_with_versions(evidence)).data, status=201)


class EvidenceDetailView(ApiView):
    @extend_schema(
        summary="Evidence with its versions",
        responses={200: EvidenceDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, evidence_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        evidence = get_evidence_for_user(membership, evidence_id)
        return Response(EvidenceDetailSerializer(_evidence_with_versions(evidence)).data)

    @extend_schema(
        summary="Delete evidence",
        description="Refused (400, nothing changed) before the retention date. Needs the delete-evidence permission.",
        request=None,
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, evidence_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.DELETE_EVIDENCE)
        evidence = get_evidence_for_user(membership, evidence_id, write=True)
        evidence_delete(organization=membership.organization, actor=api_actor(request), evidence=evidence)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceVersionListView(ApiView):
    parser_classes = [MultiPartParser, FormParser]  # noqa: RUF012

    @extend_schema(
        summary="Add a version",
        description="multipart/form-data. A new version beside the old ones: nothing is ever overwritten.",
        request={"multipart/form-data": VersionUploadSerializer},
        responses={201: VersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, evidence_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        evidence = get_evidence_for_user(membership, evidence_id, write=True)
        values = VersionUploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        version = evidence_add_version(
            organization=membership.organization,
            actor=api_actor(request),
            evidence=evidence,
            upload=values.validated_data["file"],
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadView(ApiView):
    @extend_schema(
        summary="Download a version",
        description="The file as uploaded; the download is recorded in the audit trail. "
        "The X-Content-SHA256 header carries the stored checksum.",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The file."), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, evidence_id: UUID, number: int) -> FileResponse:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        version = get_evidence_version_for_user(membership, evidence_id, number)
        # Open the file first: a missing file is a 404 with no "downloaded" event recorded.
        try:
            handle = version.file.open("rb")
        except FileNotFoundError:
            raise Http404("The stored file is missing; tell your administrator.") from None
        try:
            evidence_download_record(organization=membership.organization, actor=api_actor(request), version=version)
        except BaseException:
            handle.close()
            raise
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=version.original_name,
            content_type=version.content_type,
        )
        response["X-Content-SHA256"] = version.sha256
        return response
