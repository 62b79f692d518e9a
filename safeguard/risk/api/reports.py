"""Report files over the API: request the analysis PDF or the register workbook (202: built in the background),
follow a job's state and progress, download the file. Program viewers, auditors included, may do all three."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_analysis_for_user, get_report_for_user
from safeguard.risk.models import ReportJob, RiskAnalysis
from safeguard.risk.queries import report_jobs
from safeguard.risk.reports.download import report_file_response
from safeguard.risk.reports.jobs import report_request

TAGS = ["reports"]


class ReportLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    download = serializers.URLField(allow_null=True, help_text="Set once the report is done.")


class ReportSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ReportJob.Kind.choices)
    analysis_id = serializers.UUIDField(source="analysis.public_id", allow_null=True, default=None)
    state = serializers.ChoiceField(choices=ReportJob.State.choices)
    progress = serializers.IntegerField(help_text="Percent done.")
    file_name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes; 0 until done.")
    sha256 = serializers.CharField(help_text="Of the stored file; empty until done.")
    failure = serializers.CharField(help_text="What went wrong, when the state is failed.")
    requested_by = PersonSerializer()
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    links = serializers.SerializerMethodField()

    @extend_schema_field(ReportLinksSerializer)
    def get_links(self, job: ReportJob) -> dict[str, str | None]:
        request, slug = self.context["request"], self.context["org_slug"]
        done = job.state == ReportJob.State.DONE
        return {
            "self": request.build_absolute_uri(reverse("api:risk_report", args=[slug, job.public_id])),
            "download": request.build_absolute_uri(reverse("api:risk_report_download", args=[slug, job.public_id]))
            if done
            else None,
        }


class ReportFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportJob.Kind.choices, required=False)
    state = serializers.ChoiceField(choices=ReportJob.State.choices, required=False)


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportJob.Kind.choices)
    analysis_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="The analysis, for analysis_pdf; leave out for register_xlsx."
    )


def analysis_in(membership: Membership, analysis_id: UUID | None) -> RiskAnalysis | None:
    if analysis_id is None:
        return None
    try:
        return get_analysis_for_user(membership, analysis_id)
    except (Http404, PermissionDenied):
        raise ServiceError("No such analysis in this organization.", field="analysis_id") from None


class ReportListView(ApiView):
    @extend_schema(
        summary="List report jobs",
        description="The organization's report files, newest request first, with their state and progress.",
        parameters=[ReportFilterSerializer],
        responses={200: ReportSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = ReportFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = report_jobs(membership.organization)
        for name in ("kind", "state"):
            if name in filters.validated_data:
                jobs = jobs.filter(**{name: filters.validated_data[name]})
        paginator, page = self.paginate(jobs.order_by("-requested_at", "-pk"))
        return paginator.get_paginated_response(
            ReportSerializer(page, many=True, context={"request": request, "org_slug": org_slug}).data
        )

    @extend_schema(
        summary="Request a report",
        description='{"kind": "analysis_pdf", "analysis_id": …} for the Risk Analysis Report, or '
        '{"kind": "register_xlsx"} for the register workbook. The file is built in the background: follow the '
        "job's `links.self` until its state is done, then fetch `links.download`. An identical request still "
        "waiting in the queue is reused.",
        request=ReportRequestSerializer,
        responses={202: ReportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        values = ReportRequestSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = values.validated_data
        with api_field_names({"analysis": "analysis_id"}):
            job = report_request(
                organization=membership.organization,
                actor=api_actor(request),
                kind=data["kind"],
                analysis=analysis_in(membership, data.get("analysis_id")),
            )
        return Response(
            ReportSerializer(job, context={"request": request, "org_slug": org_slug}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ReportDetailView(ApiView):
    @extend_schema(
        summary="One report job",
        description="Its state, progress and, once done, the download link, size and SHA-256.",
        responses={200: ReportSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, report_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        job = get_report_for_user(membership, report_id)
        return Response(ReportSerializer(job, context={"request": request, "org_slug": org_slug}).data)


class ReportDownloadView(ApiView):
    @extend_schema(
        summary="Download a report file",
        description="The PDF or XLSX file; 404 until the job is done. The download is recorded in the audit trail, "
        "and the X-Content-SHA256 header carries the file's checksum.",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The file."), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, report_id: UUID) -> FileResponse:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        job = get_report_for_user(membership, report_id)
        return report_file_response(job, organization=membership.organization, actor=api_actor(request))
