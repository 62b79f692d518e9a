"""The HTTP ingestion endpoint for log shippers (Fluent Bit, Vector, a script): NDJSON batches posted with one
source's ingestion token, read synchronously. Not a user endpoint: the token names the source, not a person.

A line that is not JSON is rejected with its line number and the rest are kept; the parser rejects the lines it
cannot read the same way. Each request is one IngestBatch, shown on the source's page like an upload.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from safeguard.activity.models import IngestBatch, IngestToken, LogSource, SourceFormat
from safeguard.activity.parsers.base import Reject
from safeguard.activity.parsers.common import excerpt
from safeguard.activity.services.ingestion import IngestionFailed, ingest_records
from safeguard.activity.services.sources import TOKEN_PREFIX, token_hash
from safeguard.core.access import parse_public_id
from safeguard.core.api.serializers import ErrorSerializer, error_responses
from safeguard.core.audit import Actor

MAX_LINES = 10_000
MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPE = "application/x-ndjson"


class IngestTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer sgi_…`: looked up by its SHA-256, so no key is ever compared character by
    character."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, IngestToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2 or not header[1].startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(f"Malformed Authorization header: expected 'Bearer {TOKEN_PREFIX}…'.")
        token = IngestToken.objects.select_related("source").filter(key_hash=token_hash(header[1])).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Invalid or revoked ingestion token.")
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IngestTokenScheme(OpenApiAuthenticationExtension):
    target_class = "safeguard.activity.api.ingest.IngestTokenAuthentication"
    name = "ingestToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106  (the scheme's name, not a secret)
            bearer_format=f"{TOKEN_PREFIX}… (a log source's ingestion token)",
        )


class RejectSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the request body (1-based).")
    field = serializers.CharField(help_text="The field at fault; blank for the whole line.")
    reason = serializers.CharField()
    raw = serializers.CharField(help_text="The line's first 500 characters.")


class IngestResultSerializer(serializers.Serializer):
    batch = serializers.UUIDField(source="public_id", help_text="The ingestion batch (shown on the source's page).")
    accepted = serializers.IntegerField(help_text="New events stored.")
    duplicates = serializers.IntegerField(help_text="Events already stored (same event id or raw line): skipped.")
    rejected = serializers.IntegerField(help_text="Lines refused; the first ones are in `rejects`.")
    rejects = RejectSerializer(many=True)


def _error(code: int, kind: str, message: str) -> Response:
    return Response({"error": {"code": kind, "message": message, "fields": {}}}, status=code)


def split_lines(body: bytes, source_format: str) -> tuple[list[Any], list[int], list[Reject]]:
    """The body's records (decoded JSON, or text for syslog), each record's line number, and the lines refused
    before parsing. Blank lines are skipped."""
    records: list[Any] = []
    numbers: list[int] = []
    rejects: list[Reject] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not line.strip():
            continue
        if source_format == SourceFormat.SYSLOG:
            try:
                records.append(line.decode("utf-8"))
            except UnicodeDecodeError as error:
                rejects.append(Reject(number, "", f"not UTF-8 text (byte {error.start + 1})", excerpt(line)))
                continue
        else:
            try:
                records.append(orjson.loads(line))
            except orjson.JSONDecodeError as error:
                rejects.append(Reject(number, "", f"not JSON: {error}", excerpt(line)))
                continue
        numbers.append(number)
    return records, numbers, rejects


class IngestEventsView(APIView):
    authentication_classes = [IngestTokenAuthentication]  # noqa: RUF012
    permission_classes: list[Any] = []  # noqa: RUF012  (the token is checked against the source below)
    throttle_classes: list[Any] = []  # noqa: RUF012  (shippers send steadily; the limits are per request)

    @extend_schema(
        summary="Post a source's events (log shippers)",
        description=(
            f"Body: NDJSON (Content-Type {CONTENT_TYPE}), one record per line in the source's format (FHIR "
            "AuditEvents, Okta or Entra events, CloudTrail records, normalized events; text lines for a syslog "
            f"source), at most {MAX_LINES:,} lines and {MAX_BYTES // 2**20} MB per request. Authenticate with "
            "that source's ingestion token (made on the source's page), not a personal API token. Read at once: "
            "lines that cannot be read are rejected with their line number and the others are stored. Posting "
            "the same events again stores nothing twice. Rules are not evaluated per request: the scheduled "
            "micro-batch evaluation takes these events within minutes, so a shipper posting every few seconds "
            "queues no rule run of its own."
        ),
        request={CONTENT_TYPE: OpenApiTypes.STR},
        responses={
            200: IngestResultSerializer,
            413: OpenApiResponse(ErrorSerializer, description="More lines or bytes than a request may carry."),
            415: OpenApiResponse(ErrorSerializer, description=f"The body is not {CONTENT_TYPE}."),
            **error_responses(403, 404),
        },
        tags=["activity ingestion"],
    )
    def post(self, request: Request, org_slug: str, source_id: UUID) -> Response:
        token = request.auth
        if not isinstance(token, IngestToken):
            raise exceptions.NotAuthenticated(f"Send the source token: Authorization: Bearer {TOKEN_PREFIX}…")
        source = (
            LogSource.objects.select_related("organization")
            .filter(organization__slug=org_slug, public_id=parse_public_id(source_id))
            .first()
        )
        if source is None:
            return _error(status.HTTP_404_NOT_FOUND, "not_found", "No such log source.")
        if token.source_id != source.pk:
            return _error(status.HTTP_403_FORBIDDEN, "permission_denied", "This token is for another log source.")
        if not source.is_active:
            return _error(status.HTTP_403_FORBIDDEN, "permission_denied", "The source is deactivated.")
        if request.content_type.split(";")[0].strip() != CONTENT_TYPE:
            return _error(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", f"Send {CONTENT_TYPE}.")
        too_large = f"A request carries at most {MAX_LINES:,} lines and {MAX_BYTES // 2**20} MB: split the batch."
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large)
        body = request.stream.read(MAX_BYTES + 1) if request.stream is not None else b""
        if len(body) > MAX_BYTES:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large)
        records, numbers, rejects = split_lines(body, source.format)
        if len(records) + len(rejects) > MAX_LINES:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large)
        IngestToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        actor = Actor(user=None, ip=request.META.get("REMOTE_ADDR"), label=f"ingest-token:{token.prefix}")
        try:
            batch = ingest_records(
                source,
                records,
                channel=IngestBatch.Channel.HTTP,
                actor=actor,
                rejects=rejects,
                line_numbers=numbers,
                evaluate=False,  # the micro-batch schedule evaluates; a run per shipper request would pile up
            )
        except IngestionFailed as failed:
            return _error(status.HTTP_500_INTERNAL_SERVER_ERROR, "ingestion_failed", failed.batch.failure)
        if batch.state == IngestBatch.State.FAILED:
            return _error(status.HTTP_400_BAD_REQUEST, "invalid", batch.failure)
        return Response(IngestResultSerializer(batch).data)
