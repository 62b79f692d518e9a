"""The risk method and the threat/vulnerability library over the API."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm
from safeguard.risk.access import get_threat_for_user, get_vulnerability_for_user
from safeguard.risk.methods import PROFILES
from safeguard.risk.models import RiskMethod, Threat, ThreatSource, Vulnerability, VulnerabilityArea
from safeguard.risk.scoring import matrix
from safeguard.risk.services import library as services
from safeguard.risk.services.method import MAX_REANALYSIS_MONTHS, method_as_dict, method_for, method_update

METHOD_TAGS = ["risk analysis"]
LIBRARY_TAGS = ["risk library"]


# --- the method -------------------------------------------------------------------------------------------------


class ScaleLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=1, max_value=10)
    label = serializers.CharField(max_length=60)  # type: ignore[assignment]  # named like a Field attribute
    definition = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ThresholdSerializer(serializers.Serializer):
    level = serializers.CharField(max_length=32, help_text="A stable name, e.g. 'high'; risks store it.")
    label = serializers.CharField(max_length=40)  # type: ignore[assignment]  # named like a Field attribute
    min_score = serializers.IntegerField(min_value=1, help_text="The lowest score at this level.")


class MatrixCellSerializer(serializers.Serializer):
    likelihood = serializers.IntegerField()
    impact = serializers.IntegerField()
    score = serializers.IntegerField()
    level = serializers.CharField()


class MethodSerializer(serializers.Serializer):
    profile = serializers.CharField()
    likelihood_levels = ScaleLevelSerializer(many=True)
    impact_levels = ScaleLevelSerializer(many=True)
    thresholds = ThresholdSerializer(many=True)
    treatment_threshold = serializers.CharField()
    reanalysis_months = serializers.IntegerField()
    methodology = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)
    matrix = MatrixCellSerializer(many=True, help_text="Every likelihood × impact pair with its score and level.")


class MethodWriteSerializer(serializers.Serializer):
    profile = serializers.ChoiceField(
        choices=list(PROFILES),
        required=False,
        help_text="Start from this profile's scales and thresholds; the other fields given override them.",
    )
    likelihood_levels = ScaleLevelSerializer(many=True)
    impact_levels = ScaleLevelSerializer(many=True)
    thresholds = ThresholdSerializer(many=True)
    treatment_threshold = serializers.CharField(max_length=32)
    reanalysis_months = serializers.IntegerField(min_value=1, max_value=MAX_REANALYSIS_MONTHS)
    methodology = serializers.CharField()


def method_body(method: RiskMethod) -> dict[str, Any]:
    definition = method_as_dict(method)
    cells = [
        {"likelihood": cell.score // impact, "impact": impact, "score": cell.score, "level": cell.level}
        for row in matrix(definition)
        for impact, cell in zip(sorted(int(level["value"]) for level in definition["impact_levels"]), row, strict=True)
    ]
    body = {
        **definition,
        "methodology": method.methodology,
        "updated_at": method.updated_at if method.pk else None,
        "matrix": cells,
    }
    return dict(MethodSerializer(body).data)


class MethodView(ApiView):
    @extend_schema(
        summary="The risk method",
        description="Scales, thresholds, treatment threshold, re-analysis interval and methodology, with the "
        "resulting matrix. An organization that never changed it rates by the default 5×5 profile.",
        responses={200: MethodSerializer, **error_responses(403, 404)},
        tags=METHOD_TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        return Response(method_body(method_for(membership.organization)))

    def _write(self, request: Request, org_slug: str, *, partial: bool) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = MethodWriteSerializer(data=request.data, partial=partial)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = {
            name: [dict(item) for item in value] if isinstance(value, list) else value
            for name, value in values.validated_data.items()
        }
        method = method_update(organization=membership.organization, actor=api_actor(request), **data)
        return Response(method_body(method))

    @extend_schema(
        summary="Replace the risk method",
        description="Analyses already started keep the method they started with; risks recorded between analyses "
        "are re-rated (a rating the new scales lack is cleared).",
        request=MethodWriteSerializer,
        responses={200: MethodSerializer, **error_responses(400, 403, 404)},
        tags=METHOD_TAGS,
    )
    def put(self, request: Request, org_slug: str) -> Response:
        return self._write(request, org_slug, partial=False)

    @extend_schema(
        summary="Change part of the risk method",
        description="Fields left out keep their value; `profile` alone switches to that profile.",
        request=MethodWriteSerializer(partial=True),
        responses={200: MethodSerializer, **error_responses(400, 403, 404)},
        tags=METHOD_TAGS,
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        return self._write(request, org_slug, partial=True)


# --- threats and vulnerabilities -------------------------------------------------------------------------------


DEACTIVATES = "False deactivates: not offered for new risks."


def library_entries(request: Request, org_slug: str, model: type[Threat] | type[Vulnerability]) -> QuerySet[Any]:
    """The organization's threats or vulnerabilities, filtered by ?is_active=, for a list endpoint."""
    membership = api_membership(request, org_slug)
    filters = LibraryFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    items = model.objects.filter(organization=membership.organization)
    if filters.validated_data["is_active"] is not None:
        items = items.filter(is_active=filters.validated_data["is_active"])
    return items.order_by("name", "pk")


class ThreatSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    source_type = serializers.ChoiceField(choices=ThreatSource.choices)
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    seed_key = serializers.CharField(help_text="The starter entry it was seeded from; empty for your own.")
    created_at = serializers.DateTimeField()


class ThreatCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    source_type = serializers.ChoiceField(choices=ThreatSource.choices)
    description = serializers.CharField(required=False, allow_blank=True)


class ThreatWriteSerializer(ThreatCreateSerializer):
    """A change may also deactivate; a new entry is always active."""

    is_active = serializers.BooleanField(required=False, help_text=DEACTIVATES)


class VulnerabilitySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    area = serializers.ChoiceField(choices=VulnerabilityArea.choices)
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    seed_key = serializers.CharField(help_text="The starter entry it was seeded from; empty for your own.")
    created_at = serializers.DateTimeField()


class VulnerabilityCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    area = serializers.ChoiceField(choices=VulnerabilityArea.choices)
    description = serializers.CharField(required=False, allow_blank=True)


class VulnerabilityWriteSerializer(VulnerabilityCreateSerializer):
    is_active = serializers.BooleanField(required=False, help_text=DEACTIVATES)


class LibraryFilterSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class ThreatListView(ApiView):
    @extend_schema(
        summary="List threats",
        parameters=[LibraryFilterSerializer],
        responses={200: ThreatSerializer(many=True), **error_responses(400, 403, 404)},
        tags=LIBRARY_TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(library_entries(request, org_slug, Threat), ThreatSerializer)

    @extend_schema(
        summary="Add a threat",
        request=ThreatCreateSerializer,
        responses={201: ThreatSerializer, **error_responses(400, 403, 404)},
        tags=LIBRARY_TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = ThreatCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        threat = services.threat_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(ThreatSerializer(threat).data, status=status.HTTP_201_CREATED)


class ThreatDetailView(ApiView):
    @extend_schema(
        summary="One threat", responses={200: ThreatSerializer, **error_responses(403, 404)}, tags=LIBRARY_TAGS
    )
    def get(self, request: Request, org_slug: str, threat_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        return Response(ThreatSerializer(get_threat_for_user(membership, threat_id)).data)

    @extend_schema(
        summary="Change or deactivate a threat",
        request=ThreatWriteSerializer(partial=True),
        responses={200: ThreatSerializer, **error_responses(400, 403, 404)},
        tags=LIBRARY_TAGS,
    )
    def patch(self, request: Request, org_slug: str, threat_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        threat = get_threat_for_user(membership, threat_id, write=True)
        values = ThreatWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        updated = services.threat_update(
            organization=membership.organization, actor=api_actor(request), threat=threat, **values.validated_data
        )
        return Response(ThreatSerializer(updated).data)


class VulnerabilityListView(ApiView):
    @extend_schema(
        summary="List vulnerabilities",
        parameters=[LibraryFilterSerializer],
        responses={200: VulnerabilitySerializer(many=True), **error_responses(400, 403, 404)},
        tags=LIBRARY_TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(library_entries(request, org_slug, Vulnerability), VulnerabilitySerializer)

    @extend_schema(
        summary="Add a vulnerability",
        request=VulnerabilityCreateSerializer,
        responses={201: VulnerabilitySerializer, **error_responses(400, 403, 404)},
        tags=LIBRARY_TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = VulnerabilityCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        entry = services.vulnerability_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(VulnerabilitySerializer(entry).data, status=status.HTTP_201_CREATED)


class VulnerabilityDetailView(ApiView):
    @extend_schema(
        summary="One vulnerability",
        responses={200: VulnerabilitySerializer, **error_responses(403, 404)},
        tags=LIBRARY_TAGS,
    )
    def get(self, request: Request, org_slug: str, vulnerability_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        return Response(VulnerabilitySerializer(get_vulnerability_for_user(membership, vulnerability_id)).data)

    @extend_schema(
        summary="Change or deactivate a vulnerability",
        request=VulnerabilityWriteSerializer(partial=True),
        responses={200: VulnerabilitySerializer, **error_responses(400, 403, 404)},
        tags=LIBRARY_TAGS,
    )
    def patch(self, request: Request, org_slug: str, vulnerability_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        entry = get_vulnerability_for_user(membership, vulnerability_id, write=True)
        values = VulnerabilityWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        updated = services.vulnerability_update(
            organization=membership.organization, actor=api_actor(request), vulnerability=entry, **values.validated_data
        )
        return Response(VulnerabilitySerializer(updated).data)
