"""Acknowledgements over the API: documents and their versions, publishing, who acknowledged a version, signed
paper pages, and the caller's own documents. The same services as the pages; authorization in the access
functions and api_membership; a person reaches only the documents addressed to them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.audit import normalize_ip
from safeguard.core.models import Evidence, Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_acks as queries
from safeguard.training.access import get_document_for_user, get_document_version_for_user
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AudienceKind, Topic
from safeguard.training.queries import person_for_user
from safeguard.training.services import acknowledgements as services

TAGS = ["training acknowledgements"]


# ---- shapes -----------------------------------------------------------------------------------------------------


class AckDocumentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=AckDocument.Kind.choices)
    topic_id = serializers.UUIDField(source="topic.public_id", allow_null=True)
    audience = serializers.ChoiceField(choices=AudienceKind.choices)
    audience_values = serializers.ListField(child=serializers.CharField())
    due_days = serializers.IntegerField(help_text="Days people have to acknowledge a version, from the request.")
    retired_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    current_version_id = serializers.UUIDField(source="current_public_id", allow_null=True)
    current_version_number = serializers.IntegerField(source="current_number", allow_null=True)
    current_published_at = serializers.DateTimeField(allow_null=True)
    asked = serializers.IntegerField(
        allow_null=True, help_text="People asked to acknowledge the current version (null: none published)."
    )
    acknowledged = serializers.IntegerField(allow_null=True, help_text="People who acknowledged the current version.")


class AckDocumentWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=AckDocument.Kind.choices,
        help_text="policy or quick_reference; the sanction-policy document comes from the risk records.",
    )
    topic = serializers.UUIDField(required=False, allow_null=True, help_text="A training topic's public_id.")
    audience = serializers.ChoiceField(
        choices=AudienceKind.choices,
        required=False,
        help_text="A roster audience: everyone (default), department, job_role or worker_type.",
    )
    audience_values = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="The departments, job roles or worker types."
    )
    due_days = serializers.IntegerField(required=False, min_value=1, help_text="Default 30.")


class AckVersionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    document_id = serializers.UUIDField(source="document.public_id")
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AckDocumentVersion.Status.choices)
    body = serializers.CharField(help_text="Markdown; pages render it sanitized.")
    summary = serializers.CharField(help_text="What changed from the previous version.")
    file_id = serializers.UUIDField(source="file.public_id", allow_null=True, help_text="Evidence public_id.")
    from_sanction_policy = serializers.BooleanField(help_text="A mirror of the approved sanction policy.")
    published_at = serializers.DateTimeField(allow_null=True)
    published_by = PersonSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    asked = serializers.IntegerField(allow_null=True)
    acknowledged = serializers.IntegerField(allow_null=True)


class AckVersionWriteSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="Markdown.")
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    file = serializers.UUIDField(
        required=False, allow_null=True, help_text="Evidence public_id of the formatted document; null removes it."
    )


class AckPublishedSerializer(serializers.Serializer):
    version = AckVersionSerializer()
    requested = serializers.IntegerField(help_text="People asked to acknowledge it (emails go out after commit).")
    superseded_number = serializers.IntegerField(allow_null=True, help_text="The version it replaced.")


class AckPersonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")
    email = serializers.CharField()
    department = serializers.CharField()


class AckStatusSerializer(serializers.Serializer):
    person = AckPersonSerializer(source="*")
    ack_state = serializers.ChoiceField(choices=queries.AckState.choices)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    method = serializers.ChoiceField(source="ack_method", choices=Acknowledgement.Method.choices, allow_null=True)
    due_on = serializers.DateField(allow_null=True, help_text="Of their request; null when not asked yet.")


class AckStatusFilterSerializer(serializers.Serializer):
    ack_state = serializers.ChoiceField(choices=queries.AckState.choices, required=False)
    department = serializers.CharField(required=False, help_text="Exact department, case ignored.")


class AckPaperSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="The roster person: public_id, employee id or work email.")
    acknowledged_at = serializers.DateTimeField(help_text="When the page was signed, with its offset.")
    evidence = serializers.UUIDField(help_text="Public_id of the evidence holding the signed page.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AcknowledgementSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    version_id = serializers.UUIDField(source="version.public_id")
    person = AckPersonSerializer()
    acknowledged_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=Acknowledgement.Method.choices)
    recorded_by = PersonSerializer(allow_null=True)
    evidence_id = serializers.UUIDField(source="evidence.public_id", allow_null=True)
    note = serializers.CharField()


class MyAckSerializer(serializers.Serializer):
    version_id = serializers.UUIDField(source="version.public_id")
    document_id = serializers.UUIDField(source="document.public_id")
    title = serializers.CharField(source="document.title")
    kind = serializers.ChoiceField(source="document.kind", choices=AckDocument.Kind.choices)
    number = serializers.IntegerField(source="version.number")
    summary = serializers.CharField(source="version.summary")
    body = serializers.CharField(source="version.body", help_text="Markdown.")
    ack_state = serializers.ChoiceField(source="state", choices=queries.AckState.choices)
    due_on = serializers.DateField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class MyAckConfirmSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="true: I have read and understood this document.")

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Confirm you have read and understood the document.")
        return value


# ---- lookups ----------------------------------------------------------------------------------------------------


def _topic(membership: Membership, public_id: UUID | None) -> Topic | None:
    if public_id is None:
        return None
    found = Topic.objects.filter(organization=membership.organization, public_id=public_id).first()
    if found is None:
        raise ServiceError("No such topic in this organization.", field="topic")
    return found


def _evidence(membership: Membership, public_id: UUID | None, field: str) -> Evidence | None:
    if public_id is None:
        return None
    found = Evidence.objects.filter(organization=membership.organization, public_id=public_id, is_deleted=False)
    evidence = found.first()
    if evidence is None:
        raise ServiceError("No such evidence in this organization.", field=field)
    return evidence


def _document_out(document: AckDocument) -> dict[str, Any]:
    return dict(AckDocumentSerializer(queries.document_rows(document.organization).get(pk=document.pk)).data)


def _annotated_versions(versions: list[AckDocumentVersion]) -> list[AckDocumentVersion]:
    for version in versions:
        version.from_sanction_policy = version.sanction_policy_id is not None  # type: ignore[attr-defined]
    return versions


def _version_out(version: AckDocumentVersion) -> dict[str, Any]:
    fresh = queries.version_rows(version.document).select_related("document").get(pk=version.pk)
    return dict(AckVersionSerializer(_annotated_versions([fresh])[0]).data)


def _acknowledgement_out(acknowledgement: Acknowledgement) -> dict[str, Any]:
    fresh = Acknowledgement.objects.select_related("version", "person", "recorded_by", "evidence").get(
        pk=acknowledgement.pk
    )
    return dict(AcknowledgementSerializer(fresh).data)


# ---- documents ---------------------------------------------------------------------------------------------------


class AckDocumentListView(ApiView):
    @extend_schema(
        summary="List the documents to acknowledge",
        description="Policies, quick-reference guides and the sanction policy, each with its current version and "
        "how many people were asked to acknowledge it and did.",
        responses={200: AckDocumentSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(queries.document_rows(membership.organization), AckDocumentSerializer)

    @extend_schema(
        summary="Add a document to acknowledge",
        description="Needs the manage-program permission. A policy or quick-reference guide addressed to a roster "
        "audience; it is asked of nobody until a version is published.",
        request=AckDocumentWriteSerializer,
        responses={201: AckDocumentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = AckDocumentWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data["topic"] = _topic(membership, data.pop("topic", None))
        document = services.document_create(organization=membership.organization, actor=api_actor(request), **data)
        return Response(_document_out(document), status=status.HTTP_201_CREATED)


class AckDocumentDetailView(ApiView):
    @extend_schema(
        summary="One document to acknowledge",
        responses={200: AckDocumentSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, document_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_document_out(get_document_for_user(membership, document_id)))

    @extend_schema(
        summary="Change a document to acknowledge",
        description="Fields left out keep their value. People who join the audience are asked at once to "
        "acknowledge the current version. The sanction policy's kind and audience (everyone) do not change.",
        request=AckDocumentWriteSerializer(partial=True),
        responses={200: AckDocumentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, document_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        document = get_document_for_user(membership, document_id, write=True)
        values = AckDocumentWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        if "topic" in data:
            data["topic"] = _topic(membership, data["topic"])
        document = services.document_update(
            organization=membership.organization, actor=api_actor(request), document=document, **data
        )
        return Response(_document_out(document))


class AckDocumentRetireView(ApiView):
    @extend_schema(
        summary="Retire a document",
        description="Needs the manage-program permission. Nobody is asked to acknowledge it any more; its versions "
        "and acknowledgements stay on record. The sanction policy is not retired here.",
        request=None,
        responses={200: AckDocumentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, document_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        document = get_document_for_user(membership, document_id, write=True)
        document = services.document_retire(
            organization=membership.organization, actor=api_actor(request), document=document
        )
        return Response(_document_out(document))


# ---- versions ----------------------------------------------------------------------------------------------------


class AckVersionListView(ApiView):
    @extend_schema(
        summary="List a document's versions",
        description="Newest first, each with its status and how many were asked and acknowledged.",
        responses={200: AckVersionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, document_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        document = get_document_for_user(membership, document_id)
        paginator, page = self.paginate(queries.version_rows(document).select_related("document"))
        return paginator.get_paginated_response(AckVersionSerializer(_annotated_versions(page), many=True).data)

    @extend_schema(
        summary="Write a new draft version",
        description="Needs the manage-program permission. One draft at a time; it is asked of nobody until "
        "published. Sanction-policy versions come from the risk records and are refused here.",
        request=AckVersionWriteSerializer,
        responses={201: AckVersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, document_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        document = get_document_for_user(membership, document_id, write=True)
        values = AckVersionWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data["file"] = _evidence(membership, data.pop("file", None), "file")
        version = services.version_create(
            organization=membership.organization, actor=api_actor(request), document=document, **data
        )
        return Response(_version_out(version), status=status.HTTP_201_CREATED)


class AckVersionDetailView(ApiView):
    @extend_schema(
        summary="One version of a document",
        responses={200: AckVersionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_version_out(get_document_version_for_user(membership, version_id)))

    @extend_schema(
        summary="Change a draft version",
        description="Needs the manage-program permission. Only a draft changes: a published version is what "
        "people acknowledged.",
        request=AckVersionWriteSerializer(partial=True),
        responses={200: AckVersionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        version = get_document_version_for_user(membership, version_id, write=True)
        values = AckVersionWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        if "file" in data:
            data["file"] = _evidence(membership, data["file"], "file")
        version = services.version_update(
            organization=membership.organization, actor=api_actor(request), version=version, **data
        )
        return Response(_version_out(version))


class AckVersionPublishView(ApiView):
    @extend_schema(
        summary="Publish a draft version",
        description="Needs the manage-program permission. The version published before it is superseded, and "
        "everyone in the audience today is asked to acknowledge this one within the document's days (an email "
        "with a personal link each, sent after the commit).",
        request=None,
        responses={200: AckPublishedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        version = get_document_version_for_user(membership, version_id, write=True)
        published = services.version_publish(
            organization=membership.organization, actor=api_actor(request), version=version
        )
        return Response(
            {
                "version": _version_out(published.version),
                "requested": published.requested,
                "superseded_number": published.superseded,
            }
        )


class AckVersionStatusView(ApiView):
    @extend_schema(
        summary="Who acknowledged a version",
        description="For the current version, everyone in the document's audience today; for a superseded one, "
        "the people asked or who acknowledged it. Each with ack_state acknowledged, pending, overdue (past the "
        "due date of their request) or missed (the version was replaced first).",
        parameters=[AckStatusFilterSerializer],
        responses={200: AckStatusSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        version = get_document_version_for_user(membership, version_id)
        filters = AckStatusFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = queries.filter_status(queries.status_rows(version, timezone.localdate()), **filters.validated_data)
        return self.paginated(rows.order_by("family_name", "given_name", "employee_id", "pk"), AckStatusSerializer)


class AckPaperView(ApiView):
    @extend_schema(
        summary="Record a signed paper acknowledgement",
        description="Needs the manage-program permission. For someone who signed a printed copy of the current "
        "version: the date signed (not before publication, not ahead) and the evidence holding the scan. A person "
        "who already acknowledged the version is refused (400).",
        request=AckPaperSerializer,
        responses={201: AcknowledgementSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        version = get_document_version_for_user(membership, version_id, write=True)
        values = AckPaperSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        with api_field_names({"version": "person"}):
            acknowledgement = services.acknowledgement_record(
                organization=membership.organization,
                actor=api_actor(request),
                version=version,
                person=queries.person_by_reference(membership.organization, data["person"]),
                method=Acknowledgement.Method.PAPER,
                acknowledged_at=data["acknowledged_at"],
                evidence=_evidence(membership, data["evidence"], "evidence"),
                note=data.get("note", ""),
            )
        return Response(_acknowledgement_out(acknowledgement), status=status.HTTP_201_CREATED)


# ---- the caller's own documents ------------------------------------------------------------------------------------


class MyAcksView(ApiView):
    @extend_schema(
        summary="My documents to acknowledge",
        description="For any member who is on the roster (same email): the current version of each document "
        "addressed to them, overdue first, with its text. Empty for a member who is not on the roster.",
        responses={200: MyAckSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, None)
        person = person_for_user(membership.organization, membership.user)
        rows = queries.my_acknowledgements(membership.organization, person) if person is not None else []
        return self.paginated(rows, MyAckSerializer)


class MyAckView(ApiView):
    @extend_schema(
        summary="Acknowledge a document",
        description="The caller confirms they read and understood the version: only the current version of a "
        "document addressed to them (404 otherwise). Acknowledging twice changes nothing.",
        request=MyAckConfirmSerializer,
        responses={200: AcknowledgementSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, version_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        person = person_for_user(membership.organization, membership.user)
        version = queries.addressed_version(membership.organization, person, version_id) if person else None
        if person is None or version is None:
            raise Http404("No such document for you.")
        values = MyAckConfirmSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        acknowledgement = services.acknowledgement_record(
            organization=membership.organization,
            actor=api_actor(request),
            version=version,
            person=person,
            method=Acknowledgement.Method.IN_APP,
            ip=normalize_ip(request.META.get("REMOTE_ADDR")),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(_acknowledgement_out(acknowledgement))
