"""Tracker over the API: requirements with the organization's verdicts, attestations, addressable decisions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.catalog.models import Requirement, Safeguard
from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm
from safeguard.tracker.access import get_attestation_for_user, get_decision_for_user
from safeguard.tracker.models import AddressableDecision, Attestation, Basis, Status
from safeguard.tracker.queries import RequirementRow, attestation_evidence, catalog_with_verdicts, matches_status
from safeguard.tracker.services import (
    attestation_attach_evidence,
    attestation_record,
    attestation_withdraw,
    decision_record,
    decision_sign,
)

# ---- requirements ------------------------------------------------------------------------------------------


class RecordSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # named like a Field attribute
    url = serializers.CharField(allow_blank=True)


class RequirementStatusSerializer(serializers.Serializer):
    citation = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Requirement.Kind.choices)
    required = serializers.BooleanField()  # type: ignore[assignment]  # named like a Field attribute
    safeguard = serializers.ChoiceField(choices=Safeguard.choices)
    parent = serializers.CharField(  # type: ignore[assignment]  # named like a Field attribute
        allow_null=True, help_text="Citation of the standard, for a specification."
    )
    verdict = serializers.ChoiceField(choices=Status.choices)
    basis = serializers.ChoiceField(choices=Basis.choices)
    reason = serializers.CharField()
    lapses_on = serializers.DateField(allow_null=True)
    next_action = serializers.CharField(allow_blank=True)
    checks = serializers.ListField(child=serializers.CharField())
    records = RecordSerializer(many=True)
    evaluated_at = serializers.DateTimeField(allow_null=True, help_text="Null until the first evaluation.")


class RequirementDetailSerializer(RequirementStatusSerializer):
    children = serializers.ListField(child=serializers.CharField(), help_text="Citations of its specifications.")
    nprm_2025_change = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


STATUS_FILTERS = [*Status.choices, ("open", "Open: not met, unknown or partially met")]


class RequirementFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUS_FILTERS, required=False, help_text="The current verdict.")
    safeguard = serializers.ChoiceField(choices=Safeguard.choices, required=False)


def _status_row(row: RequirementRow, parents: dict[int, str]) -> dict[str, Any]:
    requirement, verdict = row.requirement, row.verdict
    return {
        "citation": requirement.citation,
        "title": requirement.title,
        "kind": requirement.kind,
        "required": requirement.required,
        "safeguard": requirement.safeguard,
        "parent": parents.get(requirement.parent_id) if requirement.parent_id else None,
        "verdict": row.status,
        "basis": row.basis,
        "reason": row.reason,
        "lapses_on": row.lapses_on,
        "next_action": row.next_action,
        "checks": list(row.checks),
        "records": verdict.records if verdict else [],
        "evaluated_at": verdict.evaluated_at if verdict else None,
    }


class RequirementListView(ApiView):
    @extend_schema(
        summary="List requirements with their verdicts",
        description="Every catalog requirement, in the regulation's order, with the organization's current verdict "
        "as the last evaluation computed it ('unknown' before the first evaluation).",
        parameters=[RequirementFilterSerializer],
        responses={200: RequirementStatusSerializer(many=True), **error_responses(400, 403, 404)},
        tags=["requirements"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = RequirementFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        rows = catalog_with_verdicts(membership.organization)
        parents = {row.requirement.pk: row.requirement.citation for row in rows}
        if "safeguard" in wanted:
            rows = [row for row in rows if row.requirement.safeguard == wanted["safeguard"]]
        if "status" in wanted:
            rows = [row for row in rows if matches_status(row, wanted["status"])]
        paginator, page = self.paginate(rows)
        data = RequirementStatusSerializer([_status_row(row, parents) for row in page], many=True).data
        return paginator.get_paginated_response(data)


class RequirementDetailView(ApiView):
    @extend_schema(
        summary="One requirement with its verdict",
        description="The citation as in the catalog, e.g. 164.308(a)(1)(ii)(A) (parentheses may be percent-encoded).",
        parameters=[OpenApiParameter("citation", str, OpenApiParameter.PATH, description="e.g. 164.312(b)")],
        responses={200: RequirementDetailSerializer, **error_responses(403, 404)},
        tags=["requirements"],
    )
    def get(self, request: Request, org_slug: str, citation: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rows = catalog_with_verdicts(membership.organization)
        row = next((row for row in rows if row.requirement.citation == citation), None)
        if row is None:
            raise Http404(f"No requirement with citation {citation!r} in the catalog.")
        requirement = row.requirement
        parents = {r.requirement.pk: r.requirement.citation for r in rows}
        data = _status_row(row, parents) | {
            "children": [r.requirement.citation for r in rows if r.requirement.parent_id == requirement.pk],
            "nprm_2025_change": requirement.nprm_2025_change,
            "note": requirement.note,
        }
        return Response(RequirementDetailSerializer(data).data)


# ---- attestations ------------------------------------------------------------------------------------------


class LinkedEvidenceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()


class AttestationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    citation = serializers.CharField(source="requirement.citation")
    statement = serializers.CharField()
    attested_by = PersonSerializer()
    attested_at = serializers.DateTimeField()
    expires_on = serializers.DateField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.SerializerMethodField()

    @extend_schema_field(LinkedEvidenceSerializer(many=True))
    def get_evidence(self, attestation: Attestation) -> list[dict[str, Any]]:
        # The view loads the links for the whole page at once and passes them in the context.
        linked = self.context["evidence"].get(str(attestation.public_id), [])
        return LinkedEvidenceSerializer(linked, many=True).data  # type: ignore[return-value]


class AttestationCreateSerializer(serializers.Serializer):
    citation = serializers.CharField(max_length=40)
    statement = serializers.CharField()
    expires_on = serializers.DateField()
    evidence_file = serializers.FileField(required=False, help_text="Uploaded as new evidence and linked.")
    evidence_title = serializers.CharField(required=False, default="", max_length=200)
    evidence_id = serializers.UUIDField(required=False, help_text="Existing evidence to link instead.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("evidence_file") and attrs.get("evidence_id"):
            raise serializers.ValidationError({"evidence_id": "Give a new file or an existing evidence id, not both."})
        return attrs


class AttestationFilterSerializer(serializers.Serializer):
    citation = serializers.CharField(required=False, max_length=40)


def _attestation_data(membership: Membership, attestation_id: UUID) -> dict[str, Any]:
    attestation = get_attestation_for_user(membership, attestation_id)
    context = {"evidence": attestation_evidence(membership.organization, [attestation.public_id])}
    return AttestationSerializer(attestation, context=context).data


class AttestationListView(ApiView):
    @extend_schema(
        summary="List attestations",
        description="Newest first, withdrawn and expired ones included, with linked evidence.",
        parameters=[AttestationFilterSerializer],
        responses={200: AttestationSerializer(many=True), **error_responses(400, 403, 404)},
        tags=["attestations"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = AttestationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = Attestation.objects.filter(organization=membership.organization)
        if "citation" in filters.validated_data:
            items = items.filter(requirement__citation=filters.validated_data["citation"])
        items = items.select_related("requirement", "attested_by").order_by("-attested_at", "-pk")
        paginator, page = self.paginate(items)
        context = {"evidence": attestation_evidence(membership.organization, [a.public_id for a in page])}
        return paginator.get_paginated_response(AttestationSerializer(page, many=True, context=context).data)

    @extend_schema(
        summary="Attest that a requirement is met",
        description="JSON or multipart/form-data. Optionally upload an evidence file with it, or link existing "
        "evidence by evidence_id. Queues a re-evaluation.",
        request={
            "application/json": AttestationCreateSerializer,
            "multipart/form-data": AttestationCreateSerializer,
        },
        responses={201: AttestationSerializer, **error_responses(400, 403, 404)},
        tags=["attestations"],
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = AttestationCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        organization, actor = membership.organization, api_actor(request)
        renamed = {"file": "evidence_file", "title": "evidence_title", "evidence": "evidence_id"}
        with api_field_names(renamed), transaction.atomic():
            attestation = attestation_record(
                organization=organization,
                actor=actor,
                citation=data["citation"],
                statement=data["statement"],
                expires_on=data["expires_on"],
                evidence_file=data.get("evidence_file"),
                evidence_title=data["evidence_title"],
            )
            if data.get("evidence_id"):
                attestation_attach_evidence(
                    organization=organization,
                    actor=actor,
                    attestation=attestation,
                    evidence_id=str(data["evidence_id"]),
                )
        return Response(_attestation_data(membership, attestation.public_id), status=status.HTTP_201_CREATED)


class AttestationWithdrawView(ApiView):
    @extend_schema(
        summary="Withdraw an attestation",
        description="The attestation stops counting; queues a re-evaluation.",
        request=None,
        responses={200: AttestationSerializer, **error_responses(400, 403, 404)},
        tags=["attestations"],
    )
    def post(self, request: Request, org_slug: str, attestation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        attestation = get_attestation_for_user(membership, attestation_id, write=True)
        attestation_withdraw(organization=membership.organization, actor=api_actor(request), attestation=attestation)
        return Response(_attestation_data(membership, attestation.public_id))


# ---- addressable decisions ---------------------------------------------------------------------------------


class DecisionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    citation = serializers.CharField(source="requirement.citation")
    decision = serializers.ChoiceField(choices=AddressableDecision.Decision.choices)
    decision_label = serializers.CharField(source="get_decision_display")
    rationale = serializers.CharField()
    alternative_measure = serializers.CharField(allow_blank=True)
    review_on = serializers.DateField()
    created_by = PersonSerializer()
    created_at = serializers.DateTimeField()
    superseded_at = serializers.DateTimeField(allow_null=True)
    signed_by = PersonSerializer(source="signature.signer", allow_null=True, default=None)
    signed_at = serializers.DateTimeField(source="signature.signed_at", allow_null=True, default=None)


class DecisionCreateSerializer(serializers.Serializer):
    citation = serializers.CharField(max_length=40)
    decision = serializers.ChoiceField(choices=AddressableDecision.Decision.choices)
    rationale = serializers.CharField()
    alternative_measure = serializers.CharField(required=False, default="", allow_blank=True)
    review_on = serializers.DateField()


class DecisionFilterSerializer(serializers.Serializer):
    citation = serializers.CharField(required=False, max_length=40)
    current = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only decisions not superseded; false: only superseded ones.",
    )


def _decisions(organization: Organization) -> QuerySet[AddressableDecision]:
    return AddressableDecision.objects.filter(organization=organization).select_related(
        "requirement", "created_by", "signature__signer"
    )


class DecisionListView(ApiView):
    @extend_schema(
        summary="List addressable decisions",
        description="How each addressable specification is handled (164.306(d)(3)), newest first.",
        parameters=[DecisionFilterSerializer],
        responses={200: DecisionSerializer(many=True), **error_responses(400, 403, 404)},
        tags=["decisions"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = DecisionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        items = _decisions(membership.organization)
        if "citation" in wanted:
            items = items.filter(requirement__citation=wanted["citation"])
        if wanted["current"] is not None:
            items = items.filter(superseded_at__isnull=wanted["current"])
        return self.paginated(items.order_by("-created_at", "-pk"), DecisionSerializer)

    @extend_schema(
        summary="Record an addressable decision",
        description="Replaces the specification's current decision; it counts once signed. Queues a re-evaluation.",
        request=DecisionCreateSerializer,
        responses={201: DecisionSerializer, **error_responses(400, 403, 404)},
        tags=["decisions"],
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = DecisionCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        decision = decision_record(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class DecisionSignView(ApiView):
    @extend_schema(
        summary="Sign an addressable decision",
        description="Records the signer's approval with a hash of the decision. Needs the sign-decisions permission.",
        request=None,
        responses={200: DecisionSerializer, **error_responses(400, 403, 404)},
        tags=["decisions"],
    )
    def post(self, request: Request, org_slug: str, decision_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        decision = get_decision_for_user(membership, decision_id)
        decision_sign(organization=membership.organization, actor=api_actor(request), decision=decision)
        return Response(DecisionSerializer(get_decision_for_user(membership, decision_id)).data)
