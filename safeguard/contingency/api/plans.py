"""Disaster recovery and emergency mode operation plans over the API: plans, versions (start a draft, edit it,
approve or review it by signature), and printed copies (the PDF is made in the background: request it, follow its
state, download the stored file). The same access functions, queries
and services as the pages: program viewers read and print, program managers write, signers approve."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency import queries_plans as queries
from safeguard.contingency.access import get_plan, get_plan_print, get_plan_version
from safeguard.contingency.api.record_lookups import record_by_id
from safeguard.contingency.models import ContingencyPlan, Exercise, PlanPrint, PlanVersion
from safeguard.contingency.plan_pdf import plan_print_file_response
from safeguard.contingency.services import plans as services
from safeguard.contingency.services.plan_prints import plan_print_request
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import ErrorSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident
from safeguard.risk.models import Asset

TAGS = ["contingency plans"]


class PlanVersionSummarySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    number = serializers.IntegerField()
    approved_at = serializers.DateTimeField(allow_null=True)
    next_review_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


class PlanSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(source="plan.public_id")
    kind = serializers.CharField(source="plan.kind", help_text="disaster_recovery or emergency_mode.")
    title = serializers.CharField(source="plan.title")
    review_cadence = serializers.CharField(source="plan.review_cadence")
    created_at = serializers.DateTimeField(source="plan.created_at")
    approved_version = PlanVersionSummarySerializer(source="approved", allow_null=True)
    approved_age_days = serializers.IntegerField(allow_null=True)
    draft_version = PlanVersionSummarySerializer(source="draft", allow_null=True)
    last_printed_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When a PDF of the approved version was last made (done prints only): a copy of an older "
        "version is out of date.",
    )


class PlanCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="disaster_recovery or emergency_mode.")
    title = serializers.CharField(max_length=200)
    review_cadence = serializers.CharField(
        required=False, help_text="monthly, quarterly, semiannual or annual (the default)."
    )


class PlanRoleSerializer(serializers.Serializer):
    role = serializers.CharField(allow_blank=True, required=False)
    person = serializers.CharField(allow_blank=True, required=False)
    alternate = serializers.CharField(allow_blank=True, required=False)
    duties = serializers.CharField(allow_blank=True, required=False)


class PlanContactSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, required=False)
    organization = serializers.CharField(allow_blank=True, required=False)
    kind = serializers.CharField(allow_blank=True, required=False, help_text="internal, vendor or business_associate.")
    role = serializers.CharField(allow_blank=True, required=False)
    phone = serializers.CharField(allow_blank=True, required=False)
    email = serializers.CharField(allow_blank=True, required=False)
    called_by = serializers.CharField(
        allow_blank=True, required=False, help_text="The name of the contact who calls this one (the call tree)."
    )


class PlanTemplateSerializer(serializers.Serializer):
    audience = serializers.CharField(allow_blank=True, required=False)
    subject = serializers.CharField(allow_blank=True, required=False)
    body = serializers.CharField(allow_blank=True, required=False)


class PlanAssetRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class PlanRecoveryStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    asset = serializers.UUIDField()
    asset_name = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    rto_minutes = serializers.IntegerField(allow_null=True)
    waits_for = serializers.ListField(child=serializers.CharField(), help_text="Names of the assets it needs first.")
    covered = serializers.BooleanField(help_text="False: not covered itself, but needed by a covered asset.")


class PlanVersionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    plan = serializers.UUIDField(source="plan.public_id")
    number = serializers.IntegerField()
    status = serializers.CharField(help_text="draft, approved or superseded.")
    activation_criteria = serializers.CharField()
    roles = PlanRoleSerializer(many=True)
    contacts = PlanContactSerializer(many=True)
    manual_procedures = serializers.CharField()
    templates = PlanTemplateSerializer(many=True)
    return_criteria = serializers.CharField()
    covered_assets = PlanAssetRefSerializer(many=True, source="covered_assets.all")
    recovery_order = PlanRecoveryStepSerializer(
        many=True, help_text="Derived and stored at approval; empty for a draft."
    )
    revision_reason = serializers.CharField()
    caused_by_exercise = serializers.UUIDField(source="caused_by_exercise.public_id", allow_null=True, default=None)
    caused_by_incident = serializers.UUIDField(source="caused_by_incident.public_id", allow_null=True, default=None)
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    approved_by = serializers.EmailField(source="approved_by.email", allow_null=True, default=None)
    approved_at = serializers.DateTimeField(allow_null=True)
    next_review_on = serializers.DateField(allow_null=True)
    signature_sha256 = serializers.CharField(source="signature.content_sha256", allow_null=True, default=None)


class PlanVersionUpdateSerializer(serializers.Serializer):
    activation_criteria = serializers.CharField(required=False, allow_blank=True)
    roles = PlanRoleSerializer(many=True, required=False)
    contacts = PlanContactSerializer(many=True, required=False)
    manual_procedures = serializers.CharField(required=False, allow_blank=True)
    templates = PlanTemplateSerializer(many=True, required=False)
    return_criteria = serializers.CharField(required=False, allow_blank=True)
    covered_assets = serializers.ListField(child=serializers.UUIDField(), required=False)
    revision_reason = serializers.CharField(required=False, allow_blank=True)
    caused_by_exercise = serializers.UUIDField(required=False, allow_null=True)
    caused_by_incident = serializers.UUIDField(required=False, allow_null=True)


class PlanSignSerializer(serializers.Serializer):
    statement = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class PlanPrintLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    pdf = serializers.URLField(allow_null=True, help_text="Set once the PDF is ready.")


class PlanPrintSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    version = serializers.UUIDField(source="version.public_id")
    version_number = serializers.IntegerField(source="version.number")
    state = serializers.ChoiceField(choices=PlanPrint.State.choices)
    printed_by = serializers.EmailField(source="printed_by.email", help_text="Who asked for the copy.")
    requested_at = serializers.DateTimeField()
    printed_at = serializers.DateTimeField(allow_null=True, help_text="When the PDF was ready; null until done.")
    sha256 = serializers.CharField(help_text="SHA-256 of the stored PDF; empty until done.")
    failure = serializers.CharField(help_text="What went wrong, when the state is failed.")
    links = serializers.SerializerMethodField()

    @extend_schema_field(PlanPrintLinksSerializer)
    def get_links(self, printed: PlanPrint) -> dict[str, str | None]:
        request, slug = self.context["request"], self.context["org_slug"]
        done = printed.state == PlanPrint.State.DONE
        return {
            "self": request.build_absolute_uri(reverse("api:contingency_plan_print", args=[slug, printed.public_id])),
            "pdf": request.build_absolute_uri(reverse("api:contingency_plan_print_pdf", args=[slug, printed.public_id]))
            if done
            else None,
        }


class PrintNotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The PDF is not ready yet: follow the print until its state is done."
    default_code = "not_ready"


NOT_READY = OpenApiResponse(ErrorSerializer, description="The PDF is not ready (queued, rendering or failed).")


def _version_out(version: PlanVersion) -> dict[str, Any]:
    fresh = queries.versions(version.plan).select_related("signature").get(pk=version.pk)
    return dict(PlanVersionSerializer(fresh).data)


def assets_of(organization: Organization, ids: list[UUID], field: str) -> list[Asset]:
    found = list(Asset.objects.filter(organization=organization, public_id__in=ids))
    missing = sorted({str(i) for i in ids} - {str(asset.public_id) for asset in found})
    if missing:
        raise ServiceError(f"No such asset in this organization: {', '.join(missing)}.", field=field)
    return found


def _version_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    for name in ("roles", "contacts", "templates"):
        if name in values:
            values[name] = [dict(row) for row in values[name]]
    if "covered_assets" in values:
        values["covered_assets"] = assets_of(organization, values["covered_assets"], "covered_assets")
    if "caused_by_exercise" in values:
        values["caused_by_exercise"] = record_by_id(
            Exercise, organization, values["caused_by_exercise"], "caused_by_exercise", "exercise"
        )
    if "caused_by_incident" in values:
        values["caused_by_incident"] = record_by_id(
            Incident, organization, values["caused_by_incident"], "caused_by_incident", "incident"
        )
    return values


def _plan_out(plan: ContingencyPlan) -> dict[str, Any]:
    return dict(PlanSerializer(queries.plan_rows([plan])[0]).data)


class PlanListView(ApiView):
    @extend_schema(
        summary="List contingency plans",
        description="Each plan with its approved version (and its age in days), its draft in progress and when it "
        "was last printed.",
        responses={200: PlanSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        paginator, page = self.paginate(queries.plans(membership.organization))
        return paginator.get_paginated_response(PlanSerializer(queries.plan_rows(page), many=True).data)

    @extend_schema(
        summary="Create a plan",
        description="A disaster recovery or emergency mode operation plan, with no version yet. Needs manage-program.",
        request=PlanCreateSerializer,
        responses={201: PlanSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = PlanCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        plan = services.plan_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(_plan_out(plan), status=status.HTTP_201_CREATED)


class PlanDetailView(ApiView):
    @extend_schema(
        summary="One contingency plan", responses={200: PlanSerializer, **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str, plan_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_plan_out(get_plan(membership, plan_id)))


class PlanVersionListView(ApiView):
    @extend_schema(
        summary="List a plan's versions",
        description="Newest first.",
        responses={200: PlanVersionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, plan_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        plan = get_plan(membership, plan_id)
        return self.paginated(queries.versions(plan).select_related("signature"), PlanVersionSerializer)

    @extend_schema(
        summary="Start a draft",
        description="A new version, as a copy of the approved one (or empty). Refused while the plan has a draft. "
        "Needs manage-program.",
        request=None,
        responses={201: PlanVersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, plan_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        plan = get_plan(membership, plan_id, write=True)
        version = services.plan_version_draft(organization=membership.organization, actor=api_actor(request), plan=plan)
        return Response(_version_out(version), status=status.HTTP_201_CREATED)


class PlanVersionDetailView(ApiView):
    @extend_schema(
        summary="One plan version", responses={200: PlanVersionSerializer, **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_version_out(get_plan_version(membership, version_id)))

    @extend_schema(
        summary="Edit a draft",
        description="Any of the sections; lists replace the whole list and are checked item by item (an error "
        "names the item, e.g. “Contact 3 (Ann Lee): …”). Approved and superseded versions are frozen. Needs "
        "manage-program.",
        request=PlanVersionUpdateSerializer,
        responses={200: PlanVersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        version = get_plan_version(membership, version_id, write=True)
        values = PlanVersionUpdateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        changed = _version_values(organization, dict(values.validated_data))
        services.plan_version_update(organization=organization, actor=api_actor(request), version=version, **changed)
        return Response(_version_out(version))


class PlanVersionApproveView(ApiView):
    @extend_schema(
        summary="Approve a draft",
        description="A signature (meaning approved) over the version's content, including the recovery order "
        "derived from the criticality analysis for the covered assets, which is stored with the version. Refused "
        "when the analysis has a dependency cycle among them. The approved version before it is superseded; the "
        "next review falls one review cadence later. Needs sign-decisions.",
        request=PlanSignSerializer,
        responses={200: PlanVersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        version = get_plan_version(membership, version_id)
        values = PlanSignSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.plan_version_approve(
            organization=membership.organization,
            actor=api_actor(request),
            version=version,
            statement=values.validated_data.get("statement", ""),
        )
        return Response(_version_out(version))


class PlanVersionReviewView(ApiView):
    @extend_schema(
        summary="Review the approved version",
        description="A signature (meaning reviewed) saying the version stands as written; the next review moves "
        "one review cadence on. Needs sign-decisions.",
        request=PlanSignSerializer,
        responses={200: PlanVersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        version = get_plan_version(membership, version_id)
        values = PlanSignSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.plan_version_review(
            organization=membership.organization,
            actor=api_actor(request),
            version=version,
            statement=values.validated_data.get("statement", ""),
        )
        return Response(_version_out(version))


class PlanPrintRequestView(ApiView):
    @extend_schema(
        summary="Print a version as PDF",
        description="The whole plan for use offline: sections, call tree, recovery order, contacts. The PDF is made "
        "in the background: follow the print's `links.self` until its state is done, then fetch `links.pdf`. The "
        "same person's print of the version still waiting in the queue is reused.",
        request=None,
        responses={202: PlanPrintSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        version = get_plan_version(membership, version_id)
        printed = plan_print_request(organization=membership.organization, actor=api_actor(request), version=version)
        fresh = get_plan_print(membership, printed.public_id)
        context = {"request": request, "org_slug": org_slug}
        return Response(PlanPrintSerializer(fresh, context=context).data, status=status.HTTP_202_ACCEPTED)


class PlanPrintDetailView(ApiView):
    @extend_schema(
        summary="One printed copy",
        description="Its state (queued, running, done or failed) and, once done, the PDF link and SHA-256.",
        responses={200: PlanPrintSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, print_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        printed = get_plan_print(membership, print_id)
        return Response(PlanPrintSerializer(printed, context={"request": request, "org_slug": org_slug}).data)


class PlanPrintPdfView(ApiView):
    @extend_schema(
        summary="Download a printed copy",
        description="The stored PDF, as it was made (its SHA-256 also in the X-Content-SHA256 header); 409 until "
        "the print is done. The download is recorded in the audit trail.",
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            409: NOT_READY,
            **error_responses(403, 404),
        },
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, print_id: UUID) -> FileResponse:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        printed = get_plan_print(membership, print_id)
        if printed.state != PlanPrint.State.DONE:
            raise PrintNotReady()
        return plan_print_file_response(printed, organization=membership.organization, actor=api_actor(request))


class PlanPrintListView(ApiView):
    @extend_schema(
        summary="List a plan's printed copies",
        description="Newest request first, across the plan's versions, in every state: only done ones are copies.",
        responses={200: PlanPrintSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, plan_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        paginator, page = self.paginate(queries.plan_prints(get_plan(membership, plan_id)))
        context = {"request": request, "org_slug": org_slug}
        return paginator.get_paginated_response(PlanPrintSerializer(page, many=True, context=context).data)
