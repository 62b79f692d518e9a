"""Business associates' recovery over the API: every asset a business associate runs with its commitment and
gaps; recording and changing a commitment. Program viewers read; program managers change. Evidence is named by
the public id of evidence already uploaded (core evidence API)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency import queries_vendors as queries
from safeguard.contingency.access import get_vendor_recovery
from safeguard.contingency.api.record_lookups import evidence_by_id, member_by_email, records_by_id
from safeguard.contingency.models import VendorRecovery
from safeguard.contingency.services.vendors import vendor_recovery_create, vendor_recovery_update
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.incidents.api.fields import OneOf
from safeguard.risk.models import Asset

TAGS = ["contingency"]


class VendorAssetSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class VendorStatusSerializer(serializers.Serializer):
    asset = VendorAssetSerializer()
    business_associate = serializers.CharField()
    public_id = serializers.UUIDField(
        source="record.public_id", allow_null=True, help_text="The commitment's id; null when none is recorded."
    )
    stated_rto_minutes = serializers.IntegerField(source="stated_rto", allow_null=True)
    stated_rpo_minutes = serializers.IntegerField(source="stated_rpo", allow_null=True)
    our_rto_minutes = serializers.IntegerField(
        source="our_rto", allow_null=True, help_text="From the criticality analysis."
    )
    our_rpo_minutes = serializers.IntegerField(
        source="our_rpo", allow_null=True, help_text="From the criticality analysis."
    )
    evidence_kind = serializers.CharField(source="record.evidence_kind", allow_null=True)
    evidence = serializers.UUIDField(source="record.evidence.public_id", allow_null=True)
    verified_on = serializers.DateField(source="record.verified_on", allow_null=True)
    verified_by = serializers.EmailField(source="record.verified_by.email", allow_null=True)
    verification_lapses_on = serializers.DateField(
        allow_null=True, help_text="The first day the verification is more than 12 months old."
    )
    notes = serializers.CharField(source="record.notes", allow_null=True)
    gaps = serializers.ListField(child=serializers.CharField(), help_text="Empty when the commitment meets ours.")


class VendorRecoveryWriteSerializer(serializers.Serializer):
    asset = serializers.UUIDField(help_text="The asset's public id (on creation only).")
    business_associate = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Blank: the one the asset names."
    )
    stated_rto_minutes = serializers.IntegerField(required=False, allow_null=True)
    stated_rpo_minutes = serializers.IntegerField(required=False, allow_null=True)
    evidence_kind = OneOf(["", *VendorRecovery.EvidenceKind.values], required=False, allow_blank=True)
    evidence = serializers.UUIDField(required=False, allow_null=True, help_text="Public id of uploaded evidence.")
    verified_on = serializers.DateField(required=False, allow_null=True)
    verified_by = serializers.EmailField(
        required=False, allow_null=True, help_text="A member's email; blank: the caller, when verified_on is given."
    )
    notes = serializers.CharField(required=False, allow_blank=True)


def _resolve(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    if "asset" in data:
        data["asset"] = records_by_id(Asset, organization, [data["asset"]], "asset", "asset")[0]
    if "evidence" in data:
        data["evidence"] = evidence_by_id(organization, data["evidence"])
    if "verified_by" in data:
        data["verified_by"] = member_by_email(organization, data["verified_by"], "verified_by")
    return data


def _status_out(organization: Organization, record: VendorRecovery) -> dict[str, Any]:
    assets = queries.vendor_assets(organization).filter(pk=record.asset_id)
    return dict(VendorStatusSerializer(queries.vendor_statuses(assets, timezone.localdate())[0]).data)


class VendorRecoveryListView(ApiView):
    @extend_schema(
        summary="List business associates' recovery commitments",
        description="Every asset a business associate runs (or with a commitment recorded), by asset name, with "
        "the gaps against our objectives.",
        responses={200: VendorStatusSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        paginator, page = self.paginate(queries.vendor_assets(membership.organization))
        rows = queries.vendor_statuses(page, timezone.localdate())
        return paginator.get_paginated_response(VendorStatusSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record a business associate's recovery commitment",
        description="One per asset. Needs the manage-program permission.",
        request=VendorRecoveryWriteSerializer,
        responses={201: VendorStatusSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = VendorRecoveryWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _resolve(membership.organization, dict(values.validated_data))
        record = vendor_recovery_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(_status_out(membership.organization, record), status=status.HTTP_201_CREATED)


class VendorRecoveryDetailView(ApiView):
    @extend_schema(
        summary="One business associate's recovery commitment",
        responses={200: VendorStatusSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, record_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_status_out(membership.organization, get_vendor_recovery(membership, record_id)))

    @extend_schema(
        summary="Change a business associate's recovery commitment",
        description="Fields left out keep their value; the asset cannot change. Needs manage-program.",
        request=VendorRecoveryWriteSerializer(partial=True),
        responses={200: VendorStatusSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, record_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        record = get_vendor_recovery(membership, record_id, write=True)
        values = VendorRecoveryWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = _resolve(membership.organization, dict(values.validated_data))
        vendor_recovery_update(organization=membership.organization, actor=api_actor(request), record=record, **data)
        return Response(_status_out(membership.organization, record))
