"""Restore tests over the API: list (by asset and outcome), record, read, the per-asset schedule, and a file
import (answered as a file import of the shared pipeline: map, check and commit it with the imports endpoints).
Program viewers (auditors included) read; program managers record. Times need their UTC offset."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_restore_test
from safeguard.contingency.api.record_lookups import evidence_by_id, member_by_email, record_by_id
from safeguard.contingency.models import BackupResult, CorrectiveAction, RestoreOutcome, RestoreTest
from safeguard.contingency.objectives import data_age, time_to_restore
from safeguard.contingency.queries_restore_tests import restore_schedule_rows
from safeguard.contingency.services.restore_import import KIND
from safeguard.contingency.services.restore_tests import RestoreInput, restore_test_record
from safeguard.core.access import require_program
from safeguard.core.api.base import ApiView
from safeguard.core.api.file_imports import FileImportSerializer, FileUploadSerializer, upload_response
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import AwareDateTimeField, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.api.fields import OneOf
from safeguard.risk.models import Asset, Risk

TAGS = ["contingency restore tests"]


class RestoreAssetRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class RestoreTestSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    asset = RestoreAssetRefSerializer()
    performed_by = serializers.EmailField(source="performed_by.email")
    participants = serializers.CharField()
    restore_point_at = serializers.DateTimeField()
    backup_result = serializers.UUIDField(
        source="backup_result.public_id", allow_null=True, default=None, help_text="The backup run restored from."
    )
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    time_to_restore_seconds = serializers.SerializerMethodField(help_text="Finished − started.")
    data_age_seconds = serializers.SerializerMethodField(help_text="Started − restore point.")
    rto_minutes = serializers.IntegerField(help_text="The asset's RTO when the test was recorded.")
    rpo_minutes = serializers.IntegerField(help_text="The asset's RPO when the test was recorded.")
    rto_met = serializers.BooleanField()
    rpo_met = serializers.BooleanField()
    succeeded = serializers.BooleanField()
    outcome = OneOf(RestoreOutcome.values)
    integrity_verified = serializers.BooleanField()
    integrity_method = serializers.CharField()
    issues_found = serializers.CharField()
    evidence = serializers.UUIDField(source="evidence.public_id", allow_null=True, default=None)
    corrective_actions = serializers.SerializerMethodField(help_text="Public ids of the actions it opened.")
    recorded_by = serializers.EmailField(source="recorded_by.email")
    recorded_at = serializers.DateTimeField()

    def get_time_to_restore_seconds(self, test: RestoreTest) -> int:
        return int(time_to_restore(test.started_at, test.finished_at).total_seconds())

    def get_data_age_seconds(self, test: RestoreTest) -> int:
        return int(data_age(test.restore_point_at, test.started_at).total_seconds())

    def get_corrective_actions(self, test: RestoreTest) -> list[str]:
        return [str(action.public_id) for action in test.actions.all()]


class RestoreTestFilterSerializer(serializers.Serializer):
    asset = serializers.UUIDField(required=False, help_text="An asset's public id.")
    outcome = OneOf(RestoreOutcome.values, required=False)


class RestoreTestCreateSerializer(serializers.Serializer):
    asset = serializers.UUIDField(help_text="An asset with recovery objectives (RTO and RPO).")
    performed_by = serializers.EmailField(help_text="A current member's email.")
    participants = serializers.CharField(required=False, allow_blank=True, default="")
    backup_result = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The public id of the backup run restored from: a successful run of a policy of this asset. Gives "
        "the restore point time.",
    )
    restore_point_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the data restored was captured, with its offset. Taken from backup_result when that is "
        "given (if both are given they must agree).",
    )
    started_at = AwareDateTimeField(help_text="When the restore began, with its offset.")
    finished_at = AwareDateTimeField(help_text="When service was restored and checked, with its offset.")
    succeeded = serializers.BooleanField()
    integrity_verified = serializers.BooleanField(default=False)
    integrity_method = serializers.CharField(required=False, allow_blank=True, default="")
    issues_found = serializers.CharField(required=False, allow_blank=True, default="")
    evidence = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="Existing evidence.")
    risk = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="A risk of the register, linked to the action."
    )


class RestoreScheduleSerializer(serializers.Serializer):
    asset = RestoreAssetRefSerializer()
    tier = serializers.IntegerField(source="profile.tier")
    in_scope = serializers.BooleanField(source="profile.in_scope")
    cadence = serializers.CharField()
    last_test = serializers.UUIDField(source="last_test.public_id", allow_null=True, default=None)
    last_tested_on = serializers.DateField(allow_null=True)
    outcome = serializers.CharField(allow_null=True)
    last_passed_on = serializers.DateField(allow_null=True)
    next_due = serializers.DateField(help_text="Today when never tested.")
    overdue = serializers.BooleanField()


def _tests(organization: Organization) -> Any:
    actions = Prefetch("actions", queryset=CorrectiveAction.objects.only("public_id", "restore_test_id"))
    return (
        RestoreTest.objects.filter(organization=organization)
        .select_related("asset", "performed_by", "recorded_by", "evidence", "backup_result")
        .prefetch_related(actions)
        .order_by("-started_at", "-pk")
    )


def _backup_run(organization: Organization, public_id: UUID | None) -> BackupResult | None:
    """Only this organization's runs are looked up; whether the run is the asset's and left a restore point is the
    service's rule, so the form and the API refuse the same runs the same way."""
    if public_id is None:
        return None
    found = BackupResult.objects.filter(organization=organization, public_id=public_id).select_related("policy")
    run = found.first()
    if run is None:
        raise ServiceError("No such backup run in this organization.", field="backup_result")
    return run


class RestoreListView(ApiView):
    @extend_schema(
        summary="List restore tests",
        description="Newest first.",
        parameters=[RestoreTestFilterSerializer],
        responses={200: RestoreTestSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        values = RestoreTestFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        rows = _tests(membership.organization)
        if "asset" in values.validated_data:
            rows = rows.filter(asset__public_id=values.validated_data["asset"])
        if "outcome" in values.validated_data:
            rows = rows.filter(outcome=values.validated_data["outcome"])
        return self.paginated(rows, RestoreTestSerializer)

    @extend_schema(
        summary="Record a restore test",
        description="Measured against the asset's RTO and RPO (exactly on an objective meets it). A failed test, "
        "one that missed an objective, or one whose integrity was not verified (missed: restored, but not verified), "
        "opens a corrective action due in 30 days. Needs manage-program.",
        request=RestoreTestCreateSerializer,
        responses={201: RestoreTestSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        require_program(membership, True)
        values = RestoreTestCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data, organization = values.validated_data, membership.organization
        asset = record_by_id(Asset, organization, data["asset"], "asset", "asset")
        if asset is None:
            raise ServiceError("Name the asset restored.", field="asset")
        test = restore_test_record(
            organization=organization,
            actor=api_actor(request),
            values=RestoreInput(
                asset=asset,
                performed_by=member_by_email(organization, data["performed_by"], "performed_by"),
                participants=data["participants"],
                restore_point_at=data["restore_point_at"],
                backup_result=_backup_run(organization, data["backup_result"]),
                started_at=data["started_at"],
                finished_at=data["finished_at"],
                succeeded=data["succeeded"],
                integrity_verified=data["integrity_verified"],
                integrity_method=data["integrity_method"],
                issues_found=data["issues_found"],
            ),
            evidence=evidence_by_id(organization, data["evidence"]),
            risk=record_by_id(Risk, organization, data["risk"], "risk", "risk"),
        )
        body = RestoreTestSerializer(_tests(organization).get(pk=test.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class RestoreDetailView(ApiView):
    @extend_schema(
        summary="One restore test", responses={200: RestoreTestSerializer, **error_responses(403, 404)}, tags=TAGS
    )
    def get(self, request: Request, org_slug: str, test_id: UUID) -> Response:
        membership = api_membership(request, org_slug)
        test = get_restore_test(membership, test_id)
        return Response(RestoreTestSerializer(_tests(membership.organization).get(pk=test.pk)).data)


class RestoreScheduleView(ApiView):
    @extend_schema(
        summary="Restore test schedule",
        description="Per asset of the criticality analysis (not retired): the last test, the last one that met "
        "the objectives, and the next due (last test + cadence; never tested: today). Overdue first.",
        responses={200: RestoreScheduleSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        statuses = restore_schedule_rows(membership.organization, today=timezone.localdate())
        return self.paginated(statuses, RestoreScheduleSerializer)


class RestoreImportView(ApiView):
    @extend_schema(
        summary="Upload restore tests to import",
        description="CSV, XLSX or JSON (an array of objects, or NDJSON in a .json file): asset, performed_by, "
        "restore_point, started, finished, succeeded, and optionally integrity_verified, method, issues, "
        "participants. Answers with the file import: set its mapping and commit it with the imports "
        "endpoints. All rows or none; rows already recorded (same asset and start) are skipped.",
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        return upload_response(request, org_slug, KIND, Perm.MANAGE_PROGRAM, {})
