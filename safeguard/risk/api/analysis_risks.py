"""Risks over the API: those assessed in an analysis (an approved analysis serves its signed copy), those recorded
between analyses, and re-assessing a risk."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.obligations import owner_in
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_analysis_for_user, get_risk_for_user
from safeguard.risk.models import Asset, Risk, RiskAnalysis, Threat, Treatment, Vulnerability
from safeguard.risk.services import analyses as services
from safeguard.risk.services.risks import assessment_warnings, rating_warnings, risk_assess, risk_create

TAGS = ["risk analysis"]


SIGNED_COPY = "Null in the signed copy of an approved analysis, which names records without their ids."


class RiskNamedRefSerializer(serializers.Serializer):
    """A record a risk names: its id, except in the signed copy."""

    public_id = serializers.UUIDField(allow_null=True, help_text=SIGNED_COPY)
    name = serializers.CharField()


class RiskOwnerSerializer(PersonSerializer):
    public_id = serializers.UUIDField(read_only=True, allow_null=True, help_text=SIGNED_COPY)


class RiskSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField()
    title = serializers.CharField()
    analysis_id = serializers.UUIDField(source="analysis.public_id", allow_null=True, default=None)
    assets = RiskNamedRefSerializer(many=True, source="assets.all")
    threat = RiskNamedRefSerializer(allow_null=True)
    vulnerability = RiskNamedRefSerializer(allow_null=True)
    description = serializers.CharField()
    existing_controls = serializers.CharField()
    likelihood = serializers.IntegerField(allow_null=True)
    impact = serializers.IntegerField(allow_null=True)
    inherent_score = serializers.IntegerField(allow_null=True)
    inherent_level = serializers.CharField()
    planned_controls = serializers.CharField()
    residual_likelihood = serializers.IntegerField(allow_null=True)
    residual_impact = serializers.IntegerField(allow_null=True)
    residual_score = serializers.IntegerField(allow_null=True)
    residual_level = serializers.CharField()
    requirements = serializers.SerializerMethodField()
    treatment = serializers.ChoiceField(choices=Treatment.choices)
    owner = RiskOwnerSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=Risk.Status.choices)
    updated_at = serializers.DateTimeField(allow_null=True, help_text=SIGNED_COPY)
    warnings = serializers.SerializerMethodField(help_text="What looks wrong without being refused.")

    def get_requirements(self, risk: Risk) -> list[str]:
        return sorted(requirement.citation for requirement in risk.requirements.all())

    def get_warnings(self, risk: Risk) -> list[str]:
        return assessment_warnings(risk)


class RiskWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    asset_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    threat_id = serializers.UUIDField(required=False, allow_null=True)
    vulnerability_id = serializers.UUIDField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    existing_controls = serializers.CharField(required=False, allow_blank=True)
    likelihood = serializers.IntegerField(required=False, allow_null=True)
    impact = serializers.IntegerField(required=False, allow_null=True)
    planned_controls = serializers.CharField(required=False, allow_blank=True)
    residual_likelihood = serializers.IntegerField(required=False, allow_null=True)
    residual_impact = serializers.IntegerField(required=False, allow_null=True)
    requirements = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, help_text="Citations, e.g. 164.312(a)(1)."
    )
    owner = serializers.CharField(required=False, help_text="Only when creating: user public_id or email.")


class RiskFilterSerializer(serializers.Serializer):
    level = serializers.CharField(required=False, help_text="An inherent level of the method, or 'unrated'.")
    treatment = serializers.ChoiceField(choices=[*Treatment.values[1:], "none"], required=False)


def risk_queryset() -> QuerySet[Risk]:
    # The analysis's signed document can hold thousands of risks: never load it per row.
    return (
        Risk.objects.select_related("analysis", "threat", "vulnerability", "owner")
        .defer("analysis__approved_content")
        .prefetch_related("assets", "requirements")
    )


def records_by_id(
    model: type[Asset] | type[Threat] | type[Vulnerability], organization: Organization, field: str, ids: list[UUID]
) -> list[Any]:
    found = {row.public_id: row for row in model.objects.filter(organization=organization, public_id__in=ids)}
    missing = [str(public_id) for public_id in ids if public_id not in found]
    if missing:
        raise ServiceError(
            f"No such {field.removesuffix('_ids').removesuffix('_id')} in this organization: {missing[0]}.", field=field
        )
    return [found[public_id] for public_id in ids]


def risk_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    """The service's keyword arguments from the API's ids."""
    values = dict(data)
    if "asset_ids" in values:
        values["assets"] = records_by_id(Asset, organization, "asset_ids", values.pop("asset_ids"))
    for name, model in (("threat", Threat), ("vulnerability", Vulnerability)):
        if f"{name}_id" in values:
            public_id = values.pop(f"{name}_id")
            values[name] = records_by_id(model, organization, f"{name}_id", [public_id])[0] if public_id else None
    if "owner" in values:
        values["owner"] = owner_in(organization, values["owner"])
    return values


API_FIELDS = {"assets": "asset_ids", "threat": "threat_id", "vulnerability": "vulnerability_id"}


SIGNED_FIELDS = (
    "description",
    "existing_controls",
    "likelihood",
    "impact",
    "inherent_score",
    "inherent_level",
    "planned_controls",
    "residual_likelihood",
    "residual_impact",
    "residual_score",
    "residual_level",
    "requirements",
    "treatment",
    "status",
)


def _named(name: str) -> dict[str, Any] | None:
    return {"public_id": None, "name": name} if name else None


def signed_risk_body(row: dict[str, Any], analysis: RiskAnalysis) -> dict[str, Any]:
    """A risk of the signed copy in RiskSerializer's shape: the values signed, and no ids the copy lacks."""
    return {
        "public_id": row["id"],
        "reference": row["reference"],
        "title": row["title"],
        "analysis_id": str(analysis.public_id),
        "assets": [_named(name) for name in row["assets"]],
        "threat": _named(row["threat"]),
        "vulnerability": _named(row["vulnerability"]),
        **{name: row[name] for name in SIGNED_FIELDS},
        "owner": {"public_id": None, "email": row["owner"], "name": ""} if row["owner"] else None,
        "updated_at": None,
        "warnings": rating_warnings(row["reference"], row["inherent_score"], row["residual_score"]),
    }


def _filtered(items: QuerySet[Risk], filters: dict[str, Any]) -> QuerySet[Risk]:
    level, treatment = filters.get("level"), filters.get("treatment")
    if level:
        items = items.filter(inherent_level="" if level == "unrated" else level)
    if treatment:
        items = items.filter(treatment="" if treatment == "none" else treatment)
    return items


class AnalysisRiskListView(ApiView):
    @extend_schema(
        summary="Risks assessed in an analysis",
        description="While the analysis is open, its risks as they are now. An approved analysis returns the "
        "signed copy instead: its risks as the security official approved them, whatever happened to the register "
        "since (carried into a later analysis, re-rated, closed). In the signed copy assets, threat, vulnerability "
        "and owner are named without their public_id, and updated_at is null.",
        parameters=[RiskFilterSerializer],
        responses={200: RiskSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        analysis = get_analysis_for_user(membership, analysis_id)
        filters = RiskFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        signed = services.signed_risks(analysis, **filters.validated_data)
        if signed is not None:
            paginator, page = self.paginate(signed)
            return paginator.get_paginated_response([signed_risk_body(row, analysis) for row in page])
        items = _filtered(risk_queryset().filter(analysis=analysis), filters.validated_data)
        return self.paginated(items.order_by("number"), RiskSerializer)

    @extend_schema(
        summary="Record a risk in a draft analysis",
        description="Ratings must be on the analysis's frozen scales; assets must be in its scope.",
        request=RiskWriteSerializer,
        responses={201: RiskSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        values = RiskWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = risk_values(membership.organization, dict(values.validated_data))
        with api_field_names(API_FIELDS):
            risk = risk_create(
                organization=membership.organization, actor=api_actor(request), analysis=analysis, **data
            )
        return Response(RiskSerializer(risk_queryset().get(pk=risk.pk)).data, status=status.HTTP_201_CREATED)


class RiskAssessmentView(ApiView):
    @extend_schema(
        summary="Re-assess a risk",
        description="Fields left out keep their value. Allowed while the risk is in a draft analysis or in none; "
        "the owner, treatment and status change through the register.",
        request=RiskWriteSerializer(partial=True),
        responses={200: RiskSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        risk = get_risk_for_user(membership, risk_id, write=True)
        values = RiskWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        if "owner" in data:
            raise ServiceError("The owner changes with the treatment, on the register.", field="owner")
        with api_field_names(API_FIELDS):
            assessed = risk_assess(
                organization=membership.organization,
                actor=api_actor(request),
                risk=risk,
                **risk_values(membership.organization, data),
            )
        return Response(RiskSerializer(risk_queryset().get(pk=assessed.pk)).data)


class UnanalysedRiskListView(ApiView):
    @extend_schema(
        summary="Open risks recorded between analyses",
        description="Risks in no analysis, rated by the organization's current risk method; they join the next "
        "analysis when it starts.",
        parameters=[RiskFilterSerializer],
        responses={200: RiskSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        filters = RiskFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = risk_queryset().filter(
            organization=membership.organization, analysis__isnull=True, status=Risk.Status.OPEN
        )
        return self.paginated(_filtered(items, filters.validated_data).order_by("number"), RiskSerializer)

    @extend_schema(
        summary="Record a risk between analyses",
        description="Ratings must be on the organization's current risk method; the assets may be any of the "
        "organization's.",
        request=RiskWriteSerializer,
        responses={201: RiskSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = RiskWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = risk_values(membership.organization, dict(values.validated_data))
        with api_field_names(API_FIELDS):
            risk = risk_create(organization=membership.organization, actor=api_actor(request), analysis=None, **data)
        return Response(RiskSerializer(risk_queryset().get(pk=risk.pk)).data, status=status.HTTP_201_CREATED)


# --- scope ------------------------------------------------------------------------------------------------------
