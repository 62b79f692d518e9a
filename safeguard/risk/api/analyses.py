"""Risk analyses over the API: start, read, change a draft and its scope, submit, return, approve; the risks
assessed in an analysis or recorded between analyses, and re-assessing a risk."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.obligations import owner_in
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm, Role
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_analysis_for_user, get_asset_for_user, get_risk_for_user
from safeguard.risk.api.common import SignatureSerializer
from safeguard.risk.models import Asset, AssetKind, Risk, RiskAnalysis, Threat, Treatment, Vulnerability
from safeguard.risk.queries import analysis_lapses_on
from safeguard.risk.services import analyses as services
from safeguard.risk.services.risks import assessment_warnings, rating_warnings, risk_assess, risk_create

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


# --- risks ------------------------------------------------------------------------------------------------------


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


def _by_id(
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
        values["assets"] = _by_id(Asset, organization, "asset_ids", values.pop("asset_ids"))
    for name, model in (("threat", Threat), ("vulnerability", Vulnerability)):
        if f"{name}_id" in values:
            public_id = values.pop(f"{name}_id")
            values[name] = _by_id(model, organization, f"{name}_id", [public_id])[0] if public_id else None
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


class ScopeItemSerializer(serializers.Serializer):
    asset_id = serializers.UUIDField(source="asset.public_id")
    name = serializers.CharField(help_text="The asset's name when it entered the scope.")
    kind = serializers.ChoiceField(choices=AssetKind.choices, help_text="Its kind when it entered the scope.")
    status = serializers.ChoiceField(choices=Asset.Status.choices, help_text="Its status when it entered the scope.")


class ScopeAddSerializer(serializers.Serializer):
    asset_id = serializers.UUIDField(help_text="A planned or in-service asset of the organization.")


SCOPE_FIELDS = {"asset": "asset_id"}


class AnalysisScopeView(ApiView):
    @extend_schema(
        summary="The scope of an analysis",
        description="The assets it covers, by name.",
        responses={200: ScopeItemSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        analysis = get_analysis_for_user(membership, analysis_id)
        items = analysis.scope_items.select_related("asset").order_by("name", "pk")
        return self.paginated(items, ScopeItemSerializer)

    @extend_schema(
        summary="Add an asset to the scope of a draft analysis",
        description="The asset is recorded with the name, kind and status it has now. Retired assets are refused.",
        request=ScopeAddSerializer,
        responses={201: ScopeItemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, analysis_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        values = ScopeAddSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        [asset] = _by_id(Asset, membership.organization, "asset_id", [values.validated_data["asset_id"]])
        with api_field_names(SCOPE_FIELDS):
            item = services.analysis_scope_add(
                organization=membership.organization, actor=api_actor(request), analysis=analysis, asset=asset
            )
        return Response(ScopeItemSerializer(item).data, status=status.HTTP_201_CREATED)


class AnalysisScopeItemView(ApiView):
    @extend_schema(
        summary="Take an asset out of the scope of a draft analysis",
        description="Refused while a risk of the analysis names the asset.",
        request=None,
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, analysis_id: UUID, asset_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        analysis = get_analysis_for_user(membership, analysis_id, write=True)
        asset = get_asset_for_user(membership, asset_id, write=True)
        with api_field_names(SCOPE_FIELDS):
            services.analysis_scope_remove(
                organization=membership.organization, actor=api_actor(request), analysis=analysis, asset=asset
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
