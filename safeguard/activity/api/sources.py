"""Log sources over the API: list, create, read, change, deactivate; their ingestion tokens; uploads and the
ingestion batches they start. Activity viewers read; those who manage activity review write. Reject samples
quote log lines (PHI), so their raw excerpts go only to those who may see event contents."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity.access import get_batch, get_source
from safeguard.activity.models import IngestBatch, IngestToken, LogSource, SourceFormat, SourceKind
from safeguard.activity.parsers import ehr_csv_mapping as csv_mapping
from safeguard.activity.services import sources as services
from safeguard.core.access import one_in_org
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset

TAGS = ["activity sources"]
MAPPING_HELP = (
    "CSV sources (other formats keep {}): our field → the export's column header, at least "
    f"{', '.join(csv_mapping.REQUIRED)}; aliases "
    f"{', '.join(f'{alias} = {field}' for alias, field in csv_mapping.ALIASES.items())} are kept under the field's "
    'name. "actions": the export\'s own action names → activity ("*" takes every name no table knows); '
    '"time_format": a strptime format for times that are not ISO 8601. Example: {"time": "Event Date/Time", '
    '"user_name": "Prsnl Username", "action": "Event Name", "actions": {"Chart Copy Requested": "export", '
    '"*": "other"}, "time_format": "%m/%d/%Y %I:%M:%S %p"}.'
)
MAPPING_SCHEMA = {
    "type": "object",
    "properties": {
        **{name: {"type": "string"} for name in (*csv_mapping.COLUMN_FIELDS, *csv_mapping.ALIASES)},
        "actions": {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": list(csv_mapping.ACTIVITIES)},
        },
        "time_format": {"type": "string"},
    },
    "additionalProperties": False,
}


@extend_schema_field(MAPPING_SCHEMA)
class CsvMappingField(serializers.JSONField):
    """Checked by the service with the parser's own rules (parsers/ehr_csv_mapping.py)."""


class SourceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    format = serializers.ChoiceField(choices=SourceFormat.choices)
    asset = serializers.UUIDField(source="asset.public_id", allow_null=True, default=None)
    contains_ephi = serializers.BooleanField()
    time_zone = serializers.CharField()
    mapping = CsvMappingField(help_text=MAPPING_HELP)
    expected_daily_events = serializers.IntegerField(allow_null=True)
    silent_after_hours = serializers.IntegerField()
    review_every_days = serializers.IntegerField(allow_null=True)
    review_grace_days = serializers.IntegerField()
    reviewer = serializers.EmailField(source="reviewer.email", allow_null=True, default=None)
    is_active = serializers.BooleanField()
    first_event_at = serializers.DateTimeField(allow_null=True)
    last_event_at = serializers.DateTimeField(allow_null=True)
    last_received_at = serializers.DateTimeField(allow_null=True)
    event_count = serializers.IntegerField()


class SourceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    format = serializers.ChoiceField(choices=SourceFormat.choices)
    asset = serializers.UUIDField(required=False, allow_null=True, help_text="An asset of the inventory.")
    contains_ephi = serializers.BooleanField(required=False)
    time_zone = serializers.CharField(required=False, max_length=64, help_text="IANA name, e.g. America/Chicago.")
    mapping = CsvMappingField(required=False, help_text=MAPPING_HELP)
    expected_daily_events = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    silent_after_hours = serializers.IntegerField(required=False)
    review_every_days = serializers.IntegerField(required=False, allow_null=True)
    review_grace_days = serializers.IntegerField(required=False, min_value=0, max_value=90)
    reviewer = serializers.EmailField(required=False, allow_null=True, help_text="A member's email.")


class TokenSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognize it.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedSerializer(TokenSerializer):
    key = serializers.CharField(help_text="Shown this once: only its hash is kept.")


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class BatchSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    source = serializers.UUIDField(source="source.public_id")  # type: ignore[assignment]  # the log source
    channel = serializers.ChoiceField(choices=IngestBatch.Channel.choices)
    state = serializers.ChoiceField(choices=IngestBatch.State.choices)
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    parser = serializers.CharField()
    parser_version = serializers.CharField()
    lines_read = serializers.IntegerField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejects = serializers.SerializerMethodField(help_text="The first rejected lines; `raw` needs view-events.")
    first_event_at = serializers.DateTimeField(allow_null=True)
    last_event_at = serializers.DateTimeField(allow_null=True)
    failure = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_rejects(self, batch: IngestBatch) -> list[dict[str, Any]]:
        if self.context.get("raw"):
            return list(batch.rejects)
        return [{**sample, "raw": ""} for sample in batch.rejects]


class SourceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A log file in the source's format.")


def _source_values(membership: Membership, data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if values.get("asset") is not None:
        values["asset"] = one_in_org(Asset.objects.all(), membership, values["asset"], "asset")
    if values.get("reviewer") is not None:
        values["reviewer"] = _member_user(membership, values["reviewer"])
    return values


def _member_user(membership: Membership, email: str) -> User:
    found = (
        Membership.objects.current()
        .select_related("user")
        .filter(organization=membership.organization, user__email__iexact=email.strip())
        .first()
    )
    if found is None:
        raise ServiceError("No current member of this organization has that email.", field="reviewer")
    return found.user


def _sources(membership: Membership) -> Any:
    return LogSource.objects.filter(organization=membership.organization).select_related("asset", "reviewer")


class SourceListView(ApiView):
    @extend_schema(
        summary="List log sources",
        responses={200: SourceSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return self.paginated(_sources(membership).order_by("name", "pk"), SourceSerializer)

    @extend_schema(
        summary="Create a log source",
        description="Names are unique (case ignored); the zone is an IANA name; a CSV source maps at least time, "
        "user_name and action to its columns, and may name its own action names and time format (see mapping); "
        "a key the CSV parser does not read is refused by name. Needs the manage-activity permission.",
        request=SourceWriteSerializer,
        responses={201: SourceSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = SourceWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        source = services.source_create(
            organization=membership.organization,
            actor=api_actor(request),
            **_source_values(membership, values.validated_data),
        )
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class SourceDetailView(ApiView):
    @extend_schema(summary="One log source", responses={200: SourceSerializer, **error_responses(403, 404)}, tags=TAGS)
    def get(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(SourceSerializer(get_source(membership, source_id)).data)

    @extend_schema(
        summary="Change a log source",
        description="Fields left out keep their value. Needs the manage-activity permission.",
        request=SourceWriteSerializer(partial=True),
        responses={200: SourceSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        source = get_source(membership, source_id, Perm.MANAGE_ACTIVITY)
        values = SourceWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        source = services.source_update(
            organization=membership.organization,
            actor=api_actor(request),
            source=source,
            **_source_values(membership, values.validated_data),
        )
        return Response(SourceSerializer(get_source(membership, source.public_id)).data)


class SourceActiveView(ApiView):
    active = True

    @extend_schema(
        summary="Reactivate or deactivate a log source",
        description="A deactivated source takes no events and raises no silent-source alert; it stays listed with "
        "its history. Needs the manage-activity permission.",
        request=None,
        responses={200: SourceSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        source = get_source(membership, source_id, Perm.MANAGE_ACTIVITY)
        source = services.source_set_active(
            organization=membership.organization, actor=api_actor(request), source=source, active=self.active
        )
        return Response(SourceSerializer(source).data)


class TokenListView(ApiView):
    @extend_schema(
        summary="List a source's ingestion tokens",
        responses={200: TokenSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        source = get_source(membership, source_id, Perm.MANAGE_ACTIVITY)
        return self.paginated(source.ingest_tokens.order_by("-created_at", "-pk"), TokenSerializer)

    @extend_schema(
        summary="Create an ingestion token",
        description="For a log shipper posting this source's events. The key is in this response only.",
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        source = get_source(membership, source_id, Perm.MANAGE_ACTIVITY)
        values = TokenCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        token, key = services.token_create(
            organization=membership.organization, actor=api_actor(request), source=source, **values.validated_data
        )
        return Response({**TokenSerializer(token).data, "key": key}, status=status.HTTP_201_CREATED)


class TokenRevokeView(ApiView):
    @extend_schema(
        summary="Revoke an ingestion token",
        request=None,
        responses={200: TokenSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, source_id: UUID, token_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        source = get_source(membership, source_id, Perm.MANAGE_ACTIVITY)
        token = one_in_org(IngestToken.objects.filter(source=source), membership, token_id, "ingestion token")
        token = services.token_revoke(organization=membership.organization, actor=api_actor(request), token=token)
        return Response(TokenSerializer(token).data)


class BatchListView(ApiView):
    @extend_schema(
        summary="List a source's ingestion batches",
        description="Latest first.",
        responses={200: BatchSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        source = get_source(membership, source_id)
        paginator, page = self.paginate(source.batches.select_related("source").order_by("-created_at", "-pk"))
        data = BatchSerializer(page, many=True, context={"raw": membership.has(Perm.VIEW_EVENTS)}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        summary="Upload a log file",
        description="Read in the background: poll the batch for progress. Needs the manage-activity permission.",
        request={"multipart/form-data": SourceUploadSerializer},
        responses={202: BatchSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        source = get_source(membership, source_id, Perm.MANAGE_ACTIVITY)
        values = SourceUploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        batch = services.upload_start(
            organization=membership.organization,
            actor=api_actor(request),
            source=source,
            upload=values.validated_data["file"],
        )
        batch = get_batch(membership, batch.public_id)
        return Response(BatchSerializer(batch, context={"raw": True}).data, status=status.HTTP_202_ACCEPTED)

    parser_classes = [MultiPartParser]  # noqa: RUF012


class BatchDetailView(ApiView):
    @extend_schema(
        summary="One ingestion batch",
        responses={200: BatchSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, batch_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        batch = get_batch(membership, batch_id)
        return Response(BatchSerializer(batch, context={"raw": membership.has(Perm.VIEW_EVENTS)}).data)
