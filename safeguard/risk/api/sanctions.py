"""Sanctions over the API: the policy's versions (program viewers read; sanction administrators write; signers
approve and review) and the confidential sanctions log, whose every read is audited like the pages'."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.access import get_evidence_for_user
from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_sanction_for_user, get_sanction_policy_for_user
from safeguard.risk.api.common import SignatureSerializer
from safeguard.risk.models import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.services import sanctions as services

TAGS = ["sanctions"]
WRITE_PARSERS = [JSONParser, MultiPartParser, FormParser]


class SanctionPolicySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    status = serializers.ChoiceField(choices=SanctionPolicy.Status.choices)
    document_id = serializers.UUIDField(source="document.public_id", allow_null=True, default=None)
    created_by = PersonSerializer()
    created_at = serializers.DateTimeField()
    approval = SignatureSerializer(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    last_reviewed_at = serializers.DateTimeField(allow_null=True)


class SanctionPolicyDetailSerializer(SanctionPolicySerializer):
    signatures = SignatureSerializer(many=True, help_text="The approval and every review, newest first.")


class SanctionPolicyWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(help_text="The policy as the workforce will read it.")
    document_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Existing evidence holding the document; null removes it."
    )
    document_file = serializers.FileField(required=False, help_text="Or a new file, stored as evidence (multipart).")


class SanctionStatementSerializer(serializers.Serializer):
    statement = serializers.CharField(max_length=5000, help_text="What the signer vouches for, in their words.")


class SanctionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person_name = serializers.CharField()
    person = PersonSerializer(allow_null=True)
    occurred_on = serializers.DateField()
    decided_on = serializers.DateField()
    violation = serializers.CharField()
    policy_breached = serializers.CharField()
    incident_reference = serializers.CharField()
    level = serializers.ChoiceField(choices=SanctionLevel.choices)
    decided_by = PersonSerializer()
    notes = serializers.CharField()
    created_by = PersonSerializer()
    created_at = serializers.DateTimeField()


class SanctionFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=SanctionLevel.choices, required=False)
    year = serializers.IntegerField(min_value=1990, max_value=9999, required=False, help_text="Year decided.")


class SanctionWriteSerializer(serializers.Serializer):
    person_name = serializers.CharField(max_length=200)
    person = serializers.CharField(
        required=False, allow_null=True, help_text="A member's user public_id or email, when the person is one."
    )
    occurred_on = serializers.DateField(help_text="When the violation happened.")
    decided_on = serializers.DateField(help_text="On or after the violation, not in the future.")
    violation = serializers.CharField()
    policy_breached = serializers.CharField(max_length=200)
    incident_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=SanctionLevel.choices)
    decided_by = serializers.CharField(help_text="The decider's user public_id or email; a current member.")
    notes = serializers.CharField(required=False, allow_blank=True)


def _user_in(organization: Organization, value: str, field: str, *, current: bool) -> User:
    members = Membership.objects.current() if current else Membership.objects.all()
    try:
        match = Q(user__public_id=UUID(value))
    except ValueError:
        match = Q(user__email__iexact=value.strip())
    member = members.filter(organization=organization).filter(match).select_related("user").first()
    if member is None:
        which = "a current member" if current else "a member"
        raise ServiceError(f"No {which} of this organization matches {value!r}.", field=field)
    return member.user


def _sanction_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    if "decided_by" in data:
        data["decided_by"] = _user_in(organization, data["decided_by"], "decided_by", current=True)
    if data.get("person"):
        data["person"] = _user_in(organization, data["person"], "person", current=False)
    elif "person" in data:
        data["person"] = None
    return data


def _policy_values(membership: Membership, data: dict[str, Any]) -> dict[str, Any]:
    if "document_id" in data:
        document_id = data.pop("document_id")
        data["document"] = _evidence(membership, document_id) if document_id else None
    return data


def _evidence(membership: Membership, evidence_id: UUID) -> Evidence:
    try:
        return get_evidence_for_user(membership, evidence_id)
    except (Http404, PermissionDenied):
        raise ServiceError("No such evidence in this organization.", field="document_id") from None


def _policy_detail(policy: SanctionPolicy) -> dict[str, Any]:
    fresh = SanctionPolicy.objects.select_related("document", "created_by", "approval__signer").get(pk=policy.pk)
    fresh.signatures = list(services.policy_signatures(fresh).order_by("-signed_at"))  # type: ignore[attr-defined]
    return dict(SanctionPolicyDetailSerializer(fresh).data)


class SanctionPolicyListView(ApiView):
    parser_classes = WRITE_PARSERS

    @extend_schema(
        summary="List the sanction policy's versions",
        description="Newest version first. Readable by anyone who views the program, auditors included.",
        responses={200: SanctionPolicySerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        versions = SanctionPolicy.objects.filter(organization=membership.organization).select_related(
            "document", "created_by", "approval__signer"
        )
        return self.paginated(versions.order_by("-version"), SanctionPolicySerializer)

    @extend_schema(
        summary="Write a new draft version",
        description="JSON, or multipart/form-data to upload the document. Needs the manage-sanctions permission.",
        request={
            "application/json": SanctionPolicyWriteSerializer,
            "multipart/form-data": SanctionPolicyWriteSerializer,
        },
        responses={201: SanctionPolicyDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_SANCTIONS)
        values = SanctionPolicyWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _policy_values(membership, dict(values.validated_data))
        with api_field_names({"document": "document_id"}):
            policy = services.sanction_policy_create(
                organization=membership.organization, actor=api_actor(request), **data
            )
        return Response(_policy_detail(policy), status=status.HTTP_201_CREATED)


class SanctionPolicyDetailView(ApiView):
    parser_classes = WRITE_PARSERS

    @extend_schema(
        summary="One version of the sanction policy, with its signatures",
        responses={200: SanctionPolicyDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, policy_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_policy_detail(get_sanction_policy_for_user(membership, policy_id)))

    @extend_schema(
        summary="Change a draft version",
        description="Fields left out keep their value. Approved and superseded versions are refused (400).",
        request={
            "application/json": SanctionPolicyWriteSerializer(partial=True),
            "multipart/form-data": SanctionPolicyWriteSerializer(partial=True),
        },
        responses={200: SanctionPolicyDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, policy_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_SANCTIONS)
        policy = get_sanction_policy_for_user(membership, policy_id, write=True)
        values = SanctionPolicyWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = _policy_values(membership, dict(values.validated_data))
        with api_field_names({"document": "document_id"}):
            services.sanction_policy_update(
                organization=membership.organization, actor=api_actor(request), policy=policy, **data
            )
        return Response(_policy_detail(policy))


class SanctionPolicyApproveView(ApiView):
    @extend_schema(
        summary="Approve a draft version",
        description="Signs the version (its number, title, text and document hash); the version approved before "
        "it is superseded. Needs the sign-decisions permission.",
        request=SanctionStatementSerializer,
        responses={200: SanctionPolicyDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, policy_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        policy = get_sanction_policy_for_user(membership, policy_id)
        values = SanctionStatementSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.sanction_policy_approve(
            organization=membership.organization, actor=api_actor(request), policy=policy, **values.validated_data
        )
        return Response(_policy_detail(policy))


class SanctionPolicyReviewView(ApiView):
    @extend_schema(
        summary="Record the yearly review of the approved version",
        description="A signed review: the text stands, no new version. Needs the sign-decisions permission.",
        request=SanctionStatementSerializer,
        responses={200: SanctionPolicyDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, policy_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        policy = get_sanction_policy_for_user(membership, policy_id)
        values = SanctionStatementSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.sanction_policy_review(
            organization=membership.organization, actor=api_actor(request), policy=policy, **values.validated_data
        )
        return Response(_policy_detail(policy))


def _sanction_rows(organization: Organization) -> Any:
    return SanctionRecord.objects.filter(organization=organization).select_related("person", "decided_by", "created_by")


class SanctionListView(ApiView):
    @extend_schema(
        summary="List the sanctions log",
        description="Confidential: needs the view-sanctions permission, and each page read is recorded in the audit "
        "trail with its filters. Latest decision first.",
        parameters=[SanctionFilterSerializer],
        responses={200: SanctionSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_SANCTIONS)
        filters = SanctionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        applied = dict(filters.validated_data)
        rows = _sanction_rows(membership.organization)
        if "level" in applied:
            rows = rows.filter(level=applied["level"])
        if "year" in applied:
            rows = rows.filter(decided_on__year=applied["year"])
        paginator, page = self.paginate(rows.order_by("-decided_on", "-created_at", "pk"))
        number = paginator.page.number if paginator.page is not None else 1
        services.sanctions_list_record(
            organization=membership.organization,
            actor=api_actor(request),
            filters={**applied, "page": number},
            shown=page,
        )
        return paginator.get_paginated_response(SanctionSerializer(page, many=True).data)

    @extend_schema(
        summary="Record a sanction",
        description="Needs the manage-sanctions permission. The audit event names the fields, never their values.",
        request=SanctionWriteSerializer,
        responses={201: SanctionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_SANCTIONS)
        values = SanctionWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _sanction_values(membership.organization, dict(values.validated_data))
        sanction = services.sanction_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(SanctionSerializer(_sanction_rows(membership.organization).get(pk=sanction.pk)).data, 201)


class SanctionDetailView(ApiView):
    @extend_schema(
        summary="One sanction",
        description="Confidential: the read is recorded in the audit trail.",
        responses={200: SanctionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, sanction_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_SANCTIONS)
        sanction = get_sanction_for_user(membership, sanction_id)
        services.sanction_read_record(organization=membership.organization, actor=api_actor(request), sanction=sanction)
        return Response(SanctionSerializer(_sanction_rows(membership.organization).get(pk=sanction.pk)).data)

    @extend_schema(
        summary="Change a sanction",
        description="Fields left out keep their value. Needs the manage-sanctions permission. The answer holds the "
        "whole record, so it is audited as a read as well as a change.",
        request=SanctionWriteSerializer(partial=True),
        responses={200: SanctionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, sanction_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_SANCTIONS)
        sanction = get_sanction_for_user(membership, sanction_id, write=True)
        values = SanctionWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = _sanction_values(membership.organization, dict(values.validated_data))
        actor = api_actor(request)
        services.sanction_update(organization=membership.organization, actor=actor, sanction=sanction, **data)
        # The answer shows the fields the request did not send too: that is a read of the record, audited as one.
        services.sanction_read_record(organization=membership.organization, actor=actor, sanction=sanction)
        return Response(SanctionSerializer(_sanction_rows(membership.organization).get(pk=sanction.pk)).data)


class SanctionLogReviewListView(ApiView):
    @extend_schema(
        summary="List the signed reviews of the sanctions log",
        description="Newest first. Each is a signature (meaning: reviewed) whose statement names the period reviewed; "
        "it shows the log is kept even when it is empty. Needs the view-sanctions permission; the reviews hold no "
        "sanction's details.",
        responses={200: SignatureSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_SANCTIONS)
        return self.paginated(
            services.log_reviews(membership.organization).order_by("-signed_at", "-pk"), SignatureSerializer
        )

    @extend_schema(
        summary="Sign a review of the sanctions log",
        description="Needs the sign-decisions permission. The statement says which period was reviewed and what was "
        "found; the signature's hash covers which records stood at the review, never their content.",
        request=SanctionStatementSerializer,
        responses={201: SignatureSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        values = SanctionStatementSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        signature = services.sanction_log_review(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)
