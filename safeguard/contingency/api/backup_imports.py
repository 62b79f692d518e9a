"""Backup results over the API: upload a CSV or NDJSON file (read in the background: 202, then poll the import),
read an import, the post-job hook a backup tool calls after each job with its run (or a few), read at once, and
the list of stored runs.

Delivering needs manage-program, reading view-program. A backup tool's hook authenticates with a backup hook token
of the organization (it can do nothing else), or, as before, a personal API token of a member with manage-program.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_backup_import
from safeguard.contingency.api.backup_runs import BackupRunFilterSerializer, BackupRunRowSerializer, backup_runs
from safeguard.contingency.api.hook_token_auth import BackupHookTokenAuthentication, MemberOrHookToken
from safeguard.contingency.models import BackupHookToken, BackupImport
from safeguard.contingency.services import backup_import as services
from safeguard.contingency.services.backup_import_fields import NAMES
from safeguard.contingency.services.backup_import_files import FORMATS, MAX_UPLOAD_BYTES
from safeguard.contingency.services.hook_tokens import TOKEN_PREFIX, hook_token_actor, hook_token_used
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.api.fields import OneOf

TAGS = ["contingency"]


class BackupImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="CSV: the header is row 1. NDJSON: the line. JSON runs: from 1.")
    field = serializers.CharField(help_text="The file's column or key at fault; blank for the whole row.")
    reason = serializers.CharField()


class HookTokenRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()


class BackupImportSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    channel = OneOf(BackupImport.Channel.values)
    state = OneOf(BackupImport.State.values, help_text="queued and running: poll again; refused: nothing stored.")
    file_name = serializers.CharField()
    file_format = serializers.CharField()
    sha256 = serializers.CharField()
    mapping = serializers.DictField(child=serializers.CharField(), help_text="Our field → the file's column or key.")
    rows_read = serializers.IntegerField()
    inserted = serializers.IntegerField(help_text="New runs stored.")
    duplicates = serializers.IntegerField(help_text="Runs already stored with the same values: skipped.")
    rejected = serializers.IntegerField(help_text="Rows with a problem (any refuses the whole delivery).")
    errors = serializers.SerializerMethodField(  # type: ignore[assignment]  # named like a Serializer attribute
        help_text="The first 200 problems, in row order."
    )
    failure = serializers.CharField()
    time_zone = serializers.CharField(help_text="The zone its times without a UTC offset are read in.")
    hook_token = HookTokenRefSerializer(allow_null=True, help_text="The backup hook token that delivered it, if any.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(BackupImportErrorSerializer(many=True))
    def get_errors(self, batch: BackupImport) -> list[dict[str, Any]]:
        return list(batch.errors)


class BackupUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"CSV (UTF-8, a header row) or NDJSON, at most {MAX_UPLOAD_BYTES >> 20} MB.")
    file_format = serializers.ChoiceField(choices=FORMATS, required=False, help_text="Default: from the name.")
    mapping = serializers.CharField(
        required=False,
        help_text="A JSON object: our field → the file's column or key, for the fields whose name the file does "
        f"not use. Fields: {', '.join(NAMES)}. Unnamed fields are guessed from the headers.",
    )


ZONE_HELP = (
    "ISO 8601; a time without a UTC offset is read in the organization's import zone (contingency settings), and "
    "refused when that zone skips or repeats it."
)


class BackupRunSerializer(serializers.Serializer):
    """Documents one run of the hook's body; the service checks the values and reports each problem."""

    asset = serializers.CharField(help_text="The asset's name in the inventory (case is ignored).")
    job = serializers.CharField(help_text="The job name of one of the asset's backup policies.")
    started = serializers.DateTimeField(help_text=ZONE_HELP)
    finished = serializers.DateTimeField(help_text=ZONE_HELP)
    status = serializers.CharField(help_text="success, warning or failed (ok, completed, error… are read too).")
    size = serializers.IntegerField(required=False, allow_null=True, help_text="Bytes.")
    restore_point = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default for a good run: its start time."
    )
    run_id = serializers.CharField(required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True)


class BackupImportListView(ApiView):
    parser_classes = [MultiPartParser, FormParser]  # noqa: RUF012

    @extend_schema(
        summary="Upload backup results (CSV or NDJSON)",
        description="Keeps the file and reads it in the background: answers 202 with the import; poll it until it "
        "is done (runs stored) or refused (nothing stored; the errors say why). Needs manage-program.",
        request={"multipart/form-data": BackupUploadSerializer},
        responses={202: BackupImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = BackupUploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        batch = services.backup_import_upload(
            organization=membership.organization,
            actor=api_actor(request),
            upload=values.validated_data["file"],
            file_format=values.validated_data.get("file_format", ""),
            mapping=_mapping(values.validated_data.get("mapping", "")),
        )
        batch.refresh_from_db()
        return Response(BackupImportSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


def _mapping(text: str) -> dict[str, str]:
    """The caller's mapping, the rest guessed later from the file's headers (see backup_import_upload)."""
    if not text:
        return {}
    try:
        mapping = orjson.loads(text)
    except orjson.JSONDecodeError:
        example = '{"started": "Start Time"}'
        raise ServiceError(f"The mapping is not JSON: send an object such as {example}.", field="mapping") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ServiceError("The mapping is an object of field names to column names.", field="mapping")
    return mapping


class BackupImportDetailView(ApiView):
    @extend_schema(
        summary="One backup results import",
        description="Its state, counts and (when refused) the problems by row, field and reason.",
        responses={200: BackupImportSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, import_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        return Response(BackupImportSerializer(get_backup_import(membership, import_id)).data)


class BackupResultsView(ApiView):
    parser_classes = [JSONParser]  # noqa: RUF012
    permission_classes = [MemberOrHookToken]  # noqa: RUF012  (a member's role is checked in each method)

    def get_authenticators(self) -> list[Any]:
        # Only the hook's POST takes a backup hook token: with it a tool can record runs and do nothing else.
        found = super().get_authenticators()
        if getattr(getattr(self, "request", None), "method", None) == "POST":
            return [BackupHookTokenAuthentication(), *found]
        return found

    @extend_schema(
        summary="List backup runs",
        description="The stored runs, newest first. Needs view-program; a backup hook token cannot list them.",
        parameters=[BackupRunFilterSerializer],
        responses={200: BackupRunRowSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        values = BackupRunFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        return self.paginated(backup_runs(membership.organization, values.validated_data), BackupRunRowSerializer)

    @extend_schema(
        summary="Post-job hook: record backup runs",
        description="A backup tool calls this after each job with one run as a JSON object, or a list of at most "
        f"{services.MAX_JSON_RUNS} runs. Read at once and all or nothing: 201 with the counts, or 400 with every "
        "problem as fields['runs[N].field'] (N from 0) and nothing stored. Sending a run again adds nothing (it is "
        "counted as a duplicate); the same job and start time with other values is refused, never overwritten. "
        f"Authenticate with a backup hook token of the organization (Bearer {TOKEN_PREFIX}…; 401 when revoked, 403 "
        "when it is another organization's), or the personal API token of a member with manage-program.",
        request={"application/json": BackupRunSerializer(many=True)},
        responses={201: BackupImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        token = request.auth if isinstance(request.auth, BackupHookToken) else None
        organization, actor = _hook_caller(request, org_slug, token)
        body = request.data
        runs = body if isinstance(body, list) else [body]
        batch = services.backup_results_record(
            organization=organization,
            actor=actor,
            runs=runs,
            channel=BackupImport.Channel.HOOK,
            hook_token=token,
        )
        if batch.state != BackupImport.State.DONE:
            return _refused(batch)
        return Response(BackupImportSerializer(batch).data, status=status.HTTP_201_CREATED)


def _hook_caller(request: Request, org_slug: str, token: BackupHookToken | None) -> tuple[Organization, Actor]:
    """The organization the runs go to and who delivers them: the token's own organization (as activity's ingestion
    endpoint answers a token for another source, another organization's token is 403), else the member's."""
    if token is None:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        return membership.organization, api_actor(request)
    if token.organization.slug != org_slug:
        raise exceptions.PermissionDenied("This backup hook token is for another organization.")
    hook_token_used(token)
    return token.organization, hook_token_actor(token, request.META.get("REMOTE_ADDR"))


def _refused(batch: BackupImport) -> Response:
    fields: dict[str, list[str]] = {}
    for error in batch.errors:
        path = f"runs[{error['row'] - 1}]" + (f".{error['field']}" if error["field"] else "")
        fields.setdefault(path, []).append(error["reason"])
    body = {"code": "invalid", "message": batch.failure, "fields": fields}
    return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)
