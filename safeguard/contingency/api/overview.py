"""Recovery readiness over the API: the summary per tier with the 72-hour target of the proposed rule, and the
assets one by one with the reasons they are not ready. Program viewers (auditors included) read it."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.models import Tier
from safeguard.contingency.queries_overview import Readiness, readiness
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.core.roles import Perm

TAGS = ["contingency"]


class ReadinessCountsSerializer(serializers.Serializer):
    tier = serializers.IntegerField(allow_null=True, help_text="1–4; null for all tiers together.")
    label = serializers.CharField()  # type: ignore[assignment]  # named like a Field attribute
    assets = serializers.IntegerField(help_text="In-scope assets.")
    fresh_backup = serializers.IntegerField(help_text="With a good restore point within the RPO.")
    tested = serializers.IntegerField(help_text="With a restore test that met the objectives within the period.")
    objectives_met = serializers.IntegerField(help_text="Whose last restore test met the objectives.")
    vendor_gaps = serializers.IntegerField(help_text="Run by a business associate whose commitment has a gap.")
    ready = serializers.IntegerField(help_text="All of the above (and no gap).")


class ReadinessAssetSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(source="asset.public_id")
    name = serializers.CharField(source="asset.name")
    tier = serializers.IntegerField(source="profile.tier")
    fresh_backup = serializers.BooleanField()
    tested = serializers.BooleanField()
    objectives_met = serializers.BooleanField()
    vendor_gap = serializers.BooleanField()
    ready = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it is not ready; empty when it is.")
    over_72_hours = serializers.ListField(
        child=serializers.CharField(), help_text="Tier 1–2: why it misses the proposed 72-hour restoration target."
    )


class Target72Serializer(serializers.Serializer):
    shown = serializers.BooleanField(help_text="The organization's setting: false hides the target.")
    assets = ReadinessAssetSerializer(many=True, help_text="Tier 1–2 assets missing the target.")


class ReadinessSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    overall = ReadinessCountsSerializer()
    tiers = ReadinessCountsSerializer(many=True)
    target_72_hours = Target72Serializer(
        help_text="The proposed rule (2025) would require critical systems and data restored within 72 hours."
    )


class ReadinessFilterSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.values, required=False)


def _readiness(organization: Organization) -> Readiness:
    today = timezone.localdate()
    return readiness(organization, today=today, now=as_of(today))


class ReadinessView(ApiView):
    @extend_schema(
        summary="Recovery readiness summary",
        description="Per tier and overall: in-scope assets with a fresh backup, a restore test passed within the "
        "period, objectives met by the last test, business associate gaps, and ready; and the tier 1–2 assets "
        "missing the proposed 72-hour restoration target.",
        responses={200: ReadinessSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        found = _readiness(membership.organization)
        body = {
            "as_of": found.today,
            "overall": found.overall,
            "tiers": found.tiers,
            "target_72_hours": {"shown": found.show_72_hour_target, "assets": found.over_72_hours},
        }
        return Response(ReadinessSerializer(body).data)


class ReadinessAssetListView(ApiView):
    @extend_schema(
        summary="Recovery readiness per asset",
        description="In-scope assets by tier and name, each with what holds and why it is not ready.",
        parameters=[ReadinessFilterSerializer],
        responses={200: ReadinessAssetSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        values = ReadinessFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        tier = values.validated_data.get("tier")
        rows = [row for row in _readiness(membership.organization).rows if tier is None or row.profile.tier == tier]
        return self.paginated(rows, ReadinessAssetSerializer)
