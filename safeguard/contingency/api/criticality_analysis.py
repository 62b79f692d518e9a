"""The criticality analysis as a whole over the API: the recovery order, the dependency graph (SVG) and the
approvals. Approving needs the sign-decisions permission (the security official, an owner)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_criticality_approval
from safeguard.contingency.api.criticality import CriticalityAssetRefSerializer
from safeguard.contingency.criticality_graph import graph_for_organization
from safeguard.contingency.models import CriticalityApproval
from safeguard.contingency.recovery_order import recovery_order
from safeguard.contingency.services.criticality_approval import criticality_approve
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.roles import Perm
from safeguard.risk.api.assets import JsonFirst
from safeguard.risk.models import Asset

TAGS = ["contingency"]


class CriticalityStepSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 is restored first.")
    asset = CriticalityAssetRefSerializer()
    tier = serializers.IntegerField(allow_null=True, help_text="null: the asset has no recovery profile.")
    rto_minutes = serializers.IntegerField(allow_null=True)
    waits_for = serializers.ListField(child=serializers.CharField(), help_text="Names of the assets it needs.")
    covered = serializers.BooleanField(
        help_text="In the analysis's scope; false when pulled in only because an in-scope asset needs it."
    )


class CriticalityOrderSerializer(serializers.Serializer):
    steps = CriticalityStepSerializer(many=True)
    cycles = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each dependency cycle as asset names (the first needs the second … the last needs the first). "
        "Assets in a cycle are not in `steps`; the cycle must be fixed.",
    )


class CriticalityApprovalSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    approved_by = PersonSerializer()
    approved_at = serializers.DateTimeField()
    next_review_on = serializers.DateField()
    statement = serializers.CharField()
    content_sha256 = serializers.CharField(help_text="SHA-256 of the content signed.")
    signature = serializers.UUIDField(source="signature.public_id")


class CriticalityApprovalDetailSerializer(CriticalityApprovalSerializer):
    content = serializers.JSONField(help_text="The in-scope profiles and their dependencies as signed.")


class CriticalityApproveSerializer(serializers.Serializer):
    statement = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Blank: says what is approved and until when."
    )


class RecoveryOrderView(ApiView):
    @extend_schema(
        summary="Recovery order",
        description="Every in-scope asset in service, after everything it needs; among those ready, the one that "
        "unblocks the most urgent work (tier, then RTO) first. Dependencies outside the scope are included with "
        "covered=false. Not paginated: the order is one whole.",
        responses={200: CriticalityOrderSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        order = recovery_order(membership.organization)
        public_ids = dict(
            Asset.objects.filter(pk__in=[step.asset_id for step in order.steps]).values_list("pk", "public_id")
        )
        steps = [
            {
                "position": step.position,
                "asset": {"public_id": public_ids[step.asset_id], "name": step.asset_name},
                "tier": step.tier,
                "rto_minutes": step.rto_minutes,
                "waits_for": list(step.waits_for),
                "covered": step.covered,
            }
            for step in order.steps
        ]
        return Response(CriticalityOrderSerializer({"steps": steps, "cycles": order.cycles}).data)


class DependencyGraphView(ApiView):
    content_negotiation_class = JsonFirst

    @extend_schema(
        summary="Dependency graph (SVG)",
        description="The recovery dependencies drawn as an SVG image (image/svg+xml): assets coloured by tier in "
        "columns of recovery order, arrows from what is restored first to what waits for it, cycles outlined in red.",
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="The graph."),
            **error_responses(403, 404),
        },
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> HttpResponse:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        response = HttpResponse(graph_for_organization(membership.organization), "image/svg+xml")
        response["Content-Disposition"] = 'inline; filename="recovery-dependencies.svg"'
        return response


class ApprovalListView(ApiView):
    @extend_schema(
        summary="List approvals of the criticality analysis",
        description="Newest first.",
        responses={200: CriticalityApprovalSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rows = (
            CriticalityApproval.objects.filter(organization=membership.organization)
            .select_related("approved_by", "signature")
            .defer("content")
            .order_by("-approved_at", "-pk")
        )
        return self.paginated(rows, CriticalityApprovalSerializer)

    @extend_schema(
        summary="Approve the criticality analysis",
        description="Signs every in-scope profile and its dependencies as they stand; the next review falls due in "
        "twelve months. Refused while a dependency cycle exists or when no in-scope profile exists.",
        request=CriticalityApproveSerializer,
        responses={201: CriticalityApprovalDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        values = CriticalityApproveSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        approval = criticality_approve(
            organization=membership.organization, actor=api_actor(request), statement=values.validated_data["statement"]
        )
        return Response(CriticalityApprovalDetailSerializer(approval).data, status=status.HTTP_201_CREATED)


class ApprovalDetailView(ApiView):
    @extend_schema(
        summary="One approval, with what was signed",
        responses={200: CriticalityApprovalDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, approval_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(CriticalityApprovalDetailSerializer(get_criticality_approval(membership, approval_id)).data)
