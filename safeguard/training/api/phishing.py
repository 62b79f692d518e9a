"""Phishing simulations over the API: campaigns with their metrics (list, create, read, change, delete while
empty), their results and metrics by department, the trend and repeat clickers over a period, and uploading a
results file to the shared import pipeline. Program viewers read; those who manage the program write and import.
The same services and queries as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.file_imports import FileImportSerializer, FileUploadSerializer
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import phishing_metrics as metrics
from safeguard.training import queries_phishing as queries
from safeguard.training.access import get_campaign_for_user
from safeguard.training.models import PhishingCampaign, PhishingOutcome
from safeguard.training.phishing_import import COMMAND_FORMATS, MAX_BYTES
from safeguard.training.services import phishing as services

TAGS = ["training phishing"]


class PhishingCountsSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Every recipient recorded.")
    sent = serializers.IntegerField(help_text="Emails delivered: sent, opened, clicked or submitted data.")
    opened = serializers.IntegerField(help_text="Opened, or went further.")
    clicked = serializers.IntegerField(help_text="Clicked the link, or went on to submit data.")
    submitted = serializers.IntegerField(help_text="Submitted data on the landing page.")
    reported = serializers.IntegerField(help_text="Delivered emails reported.")
    not_on_roster = serializers.IntegerField(help_text="Recipients matched to nobody on the roster.")
    open_rate = serializers.FloatField(allow_null=True, help_text="Over `sent` (0-1); null when nothing was sent.")
    click_rate = serializers.FloatField(allow_null=True, help_text="Over `sent` (0-1).")
    submit_rate = serializers.FloatField(allow_null=True, help_text="Over `sent` (0-1).")
    report_rate = serializers.FloatField(allow_null=True, help_text="Over `sent` (0-1).")


class PhishingReportDelaySerializer(serializers.Serializer):
    median_seconds = serializers.SerializerMethodField(help_text="Null when no reporter has both times.")
    text = serializers.CharField(help_text="E.g. “3 h 05 min”, or why there is no figure.")
    reporters = serializers.IntegerField()
    timed = serializers.IntegerField(help_text="Reporters with a send time and a report time.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_median_seconds(self, delay: metrics.ReportDelay) -> int | None:
        return round(delay.median.total_seconds()) if delay.median is not None else None


class PhishingCampaignSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(source="campaign.public_id")
    name = serializers.CharField(source="campaign.name")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the campaign's tool, not the field's source
        source="campaign.source", choices=PhishingCampaign.Source.choices
    )
    vendor = serializers.CharField(source="campaign.vendor")
    external_id = serializers.CharField(source="campaign.external_id", help_text="GoPhish's campaign id.")
    description = serializers.CharField(source="campaign.description")
    launched_at = serializers.DateTimeField(source="campaign.launched_at", allow_null=True)
    created_at = serializers.DateTimeField(source="campaign.created_at")
    updated_at = serializers.DateTimeField(source="campaign.updated_at")
    counts = PhishingCountsSerializer()
    time_to_report = PhishingReportDelaySerializer(source="delay")


class PhishingCampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the campaign's tool, not the field's source
        choices=PhishingCampaign.Source.choices, default=PhishingCampaign.Source.GOPHISH
    )
    vendor = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="For another vendor.")
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="GoPhish's campaign id, if known."
    )
    description = serializers.CharField(required=False, allow_blank=True)
    launched_at = serializers.DateTimeField(required=False, allow_null=True)


class PhishingCampaignUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True)
    launched_at = serializers.DateTimeField(allow_null=True, help_text="When the files had no send times.")


class PhishingPersonRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class PhishingResultSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    email = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    position = serializers.CharField()
    external_id = serializers.CharField(help_text="The tool's result id (GoPhish's rid).")
    person = PhishingPersonRefSerializer(allow_null=True, help_text="Null: not on the roster.")
    department = serializers.CharField(help_text="The person's department when the result was recorded.")
    status = serializers.ChoiceField(choices=PhishingOutcome.choices, help_text="The furthest step reached.")
    sent_at = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    clicked_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    reported = serializers.BooleanField()
    reported_at = serializers.DateTimeField(allow_null=True)
    clicks = serializers.IntegerField(help_text="Click events (0 when only the status is known).")


class PhishingResultFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="A status, or clicked_any for clicked or submitted data.")
    reported = serializers.BooleanField(required=False, allow_null=True, default=None)
    on_roster = serializers.BooleanField(required=False, allow_null=True, default=None)
    department = serializers.CharField(required=False, max_length=100)
    q = serializers.CharField(required=False, max_length=200, help_text="Part of an email or a name.")

    def validate_status(self, value: str) -> str:
        if value not in ("clicked_any", *PhishingOutcome.values):
            raise serializers.ValidationError(f"Use clicked_any or one of {', '.join(PhishingOutcome.values)}.")
        return value


class PhishingDepartmentSerializer(serializers.Serializer):
    department = serializers.CharField(help_text="As recorded on the results; blank: none or not on the roster.")
    counts = PhishingCountsSerializer()


class PhishingPeriodSerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False, help_text="Campaigns launched on or after this day; every launched campaign when left out."
    )


class PhishingTrendPointSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    launched_on = serializers.DateField(allow_null=True)
    sent = serializers.IntegerField()
    clicked = serializers.IntegerField()
    submitted = serializers.IntegerField()
    reported = serializers.IntegerField()
    click_rate = serializers.FloatField(allow_null=True)
    report_rate = serializers.FloatField(allow_null=True)


class PhishingTrendSerializer(serializers.Serializer):
    since = serializers.DateField(allow_null=True)
    campaigns = PhishingTrendPointSerializer(many=True, help_text="Oldest launch first.")


class PhishingRepeatClickerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Blank when not on the roster.")
    email = serializers.CharField()
    department = serializers.CharField()
    campaigns = serializers.IntegerField(help_text="Campaigns of the period where they clicked or submitted data.")
    last_launched = serializers.DateTimeField(allow_null=True)
    person_id = serializers.CharField(source="person_public_id", help_text="Blank when not on the roster.")
    employee_id = serializers.CharField()


class PhishingImportSerializer(FileUploadSerializer):
    file = serializers.FileField(  # the same field, with this import's limits
        help_text=f"CSV (UTF-8), XLSX or (gophish-json) JSON, at most {MAX_BYTES // 2**20} MB."
    )
    format = serializers.ChoiceField(choices=list(COMMAND_FORMATS), help_text="What the file is.")
    campaign_id = serializers.UUIDField(required=False, help_text="An existing campaign to add the results to.")
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="A new campaign's name (JSON: its own name)."
    )
    vendor = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="generic: the vendor.")
    time_zone = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="generic: how to read times without an offset."
    )
    launched_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Required for a file without send times (e.g. statuses only) into a campaign without a launch: "
        "the day its emails went out. Refused when the results give send times (the launch is the first of them).",
    )


# ---- helpers ----------------------------------------------------------------------------------------------------


def _campaign_out(campaign: PhishingCampaign) -> dict[str, Any]:
    return dict(PhishingCampaignSerializer(metrics.campaign_metrics(campaign)).data)


def _since(request: Request) -> date | None:
    values = PhishingPeriodSerializer(data=request.query_params)
    values.is_valid(raise_exception=True)
    return values.validated_data.get("since")


def _import_campaign(membership: Membership, campaign_id: UUID) -> PhishingCampaign:
    try:
        return get_campaign_for_user(membership, campaign_id, write=True)
    except Http404:
        raise ServiceError("No such phishing campaign in this organization.", field="campaign_id") from None


# ---- campaigns ------------------------------------------------------------------------------------------------


class PhishingCampaignListView(ApiView):
    @extend_schema(
        summary="List phishing campaigns",
        description="Latest launch first, each with its counts, rates (over the emails delivered) and median time "
        "to first report.",
        responses={200: PhishingCampaignSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        paginator, page = self.paginate(queries.campaigns(membership.organization))
        rows = metrics.campaign_rows(page)
        return paginator.get_paginated_response(PhishingCampaignSerializer(rows, many=True).data)

    @extend_schema(
        summary="Create a phishing campaign",
        description="An empty campaign to import results into (an import can also create one). Names are unique "
        "(case ignored); another vendor's campaign names the vendor. Needs the manage-program permission.",
        request=PhishingCampaignCreateSerializer,
        responses={201: PhishingCampaignSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = PhishingCampaignCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        campaign = services.campaign_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(_campaign_out(campaign), status=status.HTTP_201_CREATED)


class PhishingCampaignDetailView(ApiView):
    @extend_schema(
        summary="One phishing campaign, with its metrics",
        description="Counts, rates over the emails delivered, and the median time to first report (null, with the "
        "reason, when the files had no event times or nobody reported).",
        responses={200: PhishingCampaignSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, campaign_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_campaign_out(get_campaign_for_user(membership, campaign_id)))

    @extend_schema(
        summary="Change a phishing campaign",
        description="Its name, description, or launch (for files without send times); fields left out keep their "
        "value. Results come only from imports. Needs the manage-program permission.",
        request=PhishingCampaignUpdateSerializer(partial=True),
        responses={200: PhishingCampaignSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, campaign_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        campaign = get_campaign_for_user(membership, campaign_id, write=True)
        values = PhishingCampaignUpdateSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        campaign = services.campaign_update(
            organization=membership.organization, actor=api_actor(request), campaign=campaign, **values.validated_data
        )
        return Response(_campaign_out(campaign))

    @extend_schema(
        summary="Delete a phishing campaign",
        description="Only a campaign without results (results are evidence). Needs the manage-program permission.",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, campaign_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        campaign = get_campaign_for_user(membership, campaign_id, write=True)
        services.campaign_delete(organization=membership.organization, actor=api_actor(request), campaign=campaign)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhishingResultListView(ApiView):
    @extend_schema(
        summary="List a campaign's results",
        description="One per recipient, by email. Filters: status (or clicked_any), reported, on_roster, "
        "department (case ignored), q (part of an email or name).",
        parameters=[PhishingResultFilterSerializer],
        responses={200: PhishingResultSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, campaign_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        campaign = get_campaign_for_user(membership, campaign_id)
        filters = PhishingResultFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows: Any = queries.filter_results(queries.campaign_results(campaign), dict(filters.validated_data))
        return self.paginated(rows.order_by("email", "pk"), PhishingResultSerializer)


class PhishingCampaignDepartmentListView(ApiView):
    @extend_schema(
        summary="A campaign's metrics by department",
        description="By the department recorded on each result (the person's when it was recorded), by name.",
        responses={200: PhishingDepartmentSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, campaign_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        campaign = get_campaign_for_user(membership, campaign_id)
        rows = metrics.department_rows(queries.department_counts(queries.campaign_results(campaign)))
        return self.paginated(rows, PhishingDepartmentSerializer)


# ---- over time ------------------------------------------------------------------------------------------------


class PhishingTrendView(ApiView):
    @extend_schema(
        summary="Phishing trend",
        description="One point per campaign launched in the period, oldest first: counts and the click and report "
        "rates the trend chart draws.",
        parameters=[PhishingPeriodSerializer],
        responses={200: PhishingTrendSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        since = _since(request)
        points = metrics.campaign_trend(membership.organization, since=since)
        return Response(PhishingTrendSerializer({"since": since, "campaigns": points}).data)


class PhishingDepartmentListView(ApiView):
    @extend_schema(
        summary="Phishing metrics by department over a period",
        description="Every result of the campaigns launched in the period, by the department recorded on it.",
        parameters=[PhishingPeriodSerializer],
        responses={200: PhishingDepartmentSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        results = queries.period_results(membership.organization, _since(request))
        return self.paginated(metrics.department_rows(queries.department_counts(results)), PhishingDepartmentSerializer)


class PhishingRepeatClickerListView(ApiView):
    @extend_schema(
        summary="Repeat clickers",
        description="People (or emails matched to nobody) who clicked or submitted data in two campaigns or more "
        "launched in the period; most campaigns first.",
        parameters=[PhishingPeriodSerializer],
        responses={200: PhishingRepeatClickerSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        paginator, page = self.paginate(queries.repeat_clicks(membership.organization, _since(request)))
        rows = PhishingRepeatClickerSerializer(metrics.clicker_rows(page), many=True).data
        return paginator.get_paginated_response(rows)


# ---- imports --------------------------------------------------------------------------------------------------


class PhishingImportView(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload a phishing results file",
        description="Starts an import (GoPhish results CSV, events CSV, its API's JSON, or another vendor's CSV/XLSX) "
        "into an existing campaign (campaign_id) or a new one (name; vendor for another vendor's file). When the "
        "columns map without help, every row is checked straight away: follow the import at "
        "file-imports/{id}/, then commit it there.",
        request={"multipart/form-data": PhishingImportSerializer},
        responses={201: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = PhishingImportSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        launched = data.get("launched_on")
        options = {
            "name": data.get("name", ""),
            "vendor": data.get("vendor", ""),
            "time_zone": data.get("time_zone"),
            "launched_on": launched.isoformat() if launched else "",
        }
        if data.get("campaign_id"):
            options = {"campaign": str(_import_campaign(membership, data["campaign_id"]).public_id), **options}
        job = services.phishing_import_start(
            organization=membership.organization,
            actor=api_actor(request),
            kind=COMMAND_FORMATS[data["format"]],
            upload=data["file"],
            options=options,
        )
        return Response(FileImportSerializer(job).data, status=status.HTTP_201_CREATED)
