"""Risk analyses over the API: start, read, change a draft, submit, return, approve (risks and scope have their
own modules: analysis_risks.py, analysis_scope.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.roles import Perm, Role
from safeguard.risk.access import get_analysis_for_user
from safeguard.risk.api.common import SignatureSerializer
from safeguard.risk.models import Risk, RiskAnalysis
from safeguard.risk.queries import analysis_lapses_on
from safeguard.risk.services import analyses as services

TAGS = ["risk analysis"]


# --- analyses ---------------------------------------------------------------------------------------------------


class AnalysisSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=RiskAnalysis.Status.choices)
    started_at = serializers.DateTimeField()
    started_by = PersonSerializer()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    lapses_on = serializers.SerializerMethodField(help_text="When an approved analysis stops being current.")
    approval = SignatureSerializer(allow_null=True)

    def get_lapses_on(self, analysis: RiskAnalysis) -> str | None:
        lapses_on = analysis_lapses_on(analysis)
        return lapses_on.isoformat() if lapses_on else None


class AnalysisDetailSerializer(AnalysisSerializer):
    methodology = serializers.CharField()
    method = serializers.JSONField(help_text="The risk method as frozen when the analysis started.")
    scope_count = serializers.IntegerField()
    risk_count = serializers.IntegerField()
    unrated = serializers.ListField(child=serializers.CharField(), help_text="References of risks not yet rated.")
    levels = serializers.DictField(child=serializers.IntegerField(), help_text="Risks per inherent level.")


class AnalysisStartSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    methodology = serializers.CharField(
        required=False, help_text="Defaults to the methodology of the organization's risk method."
    )


class AnalysisWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    methodology = serializers.CharField(required=False)


class AnalysisFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RiskAnalysis.Status.choices, required=False)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="What needs another look before approval.")


class ApproveSerializer(serializers.Serializer):
    statement = serializers.CharField(required=False, default=services.APPROVAL_STATEMENT)


def analysis_detail_body(analysis: RiskAnalysis) -> dict[str, Any]:
    if analysis.approved_content is not None:
        rows = analysis.approved_content["risks"]
        levels: dict[str, int] = {}
        for row in rows:
            levels[row["inherent_level"] or "unrated"] = levels.get(row["inherent_level"] or "unrated", 0) + 1
        unrated: list[str] = []
    else:
        grouped = Risk.objects.filter(analysis=analysis).values("inherent_level").annotate(n=Count("pk"))
        levels = {row["inherent_level"] or "unrated": row["n"] for row in grouped}
        unrated = services.unrated_references(analysis)
    analysis.scope_count = analysis.scope_items.count()  # type: ignore[attr-defined]
    analysis.risk_count = sum(levels.values())  # type: ignore[attr-defined]
    analysis.unrated = unrated  # type: ignore[attr-defined]
    analysis.levels = levels  # type: ignore[attr-defined]
    return dict(AnalysisDetailSerializer(analysis).data)


class AnalysisListView(ApiView):
    @extend_schema(
        summary="List risk analyses",
        description="Newest first.",
        parameters=[AnalysisFilterSerializer],
        responses={200: AnalysisSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        filters = AnalysisFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = RiskAnalysis.objects.filter(organization=membership.organization)
        if "status" in filters.validated_data:
            items = items.filter(status=filters.validated_data["status"])
        items = items.defer("approved_content").select_related("started_by", "approval__signer")
        return self.paginated(items.order_by("-started_at", "-pk"), AnalysisSerializer)

    @extend_schema(
        summary="Start a risk analysis",
        description="Freezes the risk method and the assets in service, and carries every open risk into it. "
        "Refused while another analysis is in draft or in review.",
        request=AnalysisStartSerializer,
        responses={201: AnalysisDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = AnalysisStartSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        analysis = services.analysis_start(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(analysis_detail_body(analysis), status=status.HTTP_201_CREATED)


class AnalysisDetailView(ApiView):
    @extend_schema(
        summary="One risk analysis",
        description="With its frozen method, methodology, and counts of scope, risks and risks per level.",
        responses={200: AnalysisDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        return Response(analysis_detail_body(get_analysis_for_user(membership, analysis_id)))

    @extend_schema(
        summary="Change a draft analysis",
        request=AnalysisWriteSerializer,
        responses={200: AnalysisDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        values = AnalysisWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        updated = services.analysis_update(
            organization=membership.organization, actor=api_actor(request), analysis=analysis, **values.validated_data
        )
        return Response(analysis_detail_body(updated))


class AnalysisSubmitView(ApiView):
    @extend_schema(
        summary="Submit an analysis for review",
        description="Draft → in review. Refused while a risk is unrated, or when there are no risks.",
        request=None,
        responses={200: AnalysisDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        submitted = services.analysis_submit(
            organization=membership.organization, actor=api_actor(request), analysis=analysis
        )
        return Response(analysis_detail_body(submitted))


class AnalysisReturnView(ApiView):
    @extend_schema(
        summary="Return an analysis to draft",
        request=ReturnSerializer,
        responses={200: AnalysisDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        values = ReturnSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        returned = services.analysis_return(
            organization=membership.organization,
            actor=api_actor(request),
            analysis=analysis,
            reason=values.validated_data["reason"],
        )
        return Response(analysis_detail_body(returned))


class AnalysisApproveView(ApiView):
    @extend_schema(
        summary="Approve an analysis (the security official's signature)",
        description="In review → approved. Only a member with the Security official role may sign. The document "
        "signed is stored with the analysis; every open re-analysis trigger is answered.",
        request=ApproveSerializer,
        responses={200: AnalysisDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        analysis = get_analysis_for_user(membership, analysis_id)
        if membership.role != Role.SECURITY_OFFICIAL:
            raise PermissionDenied(services.NOT_SECURITY_OFFICIAL)
        values = ApproveSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        approved = services.analysis_approve(
            organization=membership.organization,
            actor=api_actor(request),
            analysis=analysis,
            statement=values.validated_data["statement"],
        )
        return Response(analysis_detail_body(approved))
