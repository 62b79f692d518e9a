"""Activity overview over the API: evaluation runs (list, one, and a manual run over a window), the dashboard's
figures, and the settings. The same queries and services as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity import queries_overview as queries
from safeguard.activity.access import get_run
from safeguard.activity.models import RuleRun
from safeguard.activity.services.evaluation import request_evaluation
from safeguard.activity.services.evaluation_settings import FIELDS, NUMBER_LIMITS, activity_settings_update
from safeguard.activity.services.settings import activity_settings
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm

TAGS = ["activity overview"]
LIMITS_TEXT = ", ".join(f"{name} {low}–{high}" for name, (low, high, _) in NUMBER_LIMITS.items())


class RuleRunSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    trigger = serializers.ChoiceField(choices=RuleRun.Trigger.choices)
    state = serializers.ChoiceField(choices=RuleRun.State.choices)
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    rules_run = serializers.IntegerField()
    anchors = serializers.IntegerField()
    shadow_anchors = serializers.IntegerField()
    alerts_created = serializers.IntegerField()
    alerts_updated = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    failure = serializers.CharField()
    requested_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)


class RuleRunDetailSerializer(RuleRunSerializer):
    stats = serializers.JSONField(help_text='Per rule: {"rule", "anchors", "candidates", "ms", "shadow"}.')


class RuleRunRequestSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Anchors at or after this time.")
    end = serializers.DateTimeField(help_text="…and before this time.")


class OverviewSerializer(serializers.Serializer):
    open_by_severity = serializers.DictField(child=serializers.IntegerField())
    mean_time_to_triage_seconds = serializers.IntegerField(allow_null=True, help_text="Alerts of the last 30 days.")
    open_escalations = serializers.IntegerField(help_text="Escalated alerts whose incident is open.")
    reviews_due = serializers.IntegerField(help_text="Reviews due in the last 90 days.")
    reviews_on_time = serializers.IntegerField()
    sources_receiving = serializers.IntegerField()
    sources_silent = serializers.IntegerField()


class SettingsSerializer(serializers.Serializer):
    micro_batch_minutes = serializers.IntegerField(required=False)
    nightly_rerun_days = serializers.IntegerField(required=False)
    event_retention_days = serializers.IntegerField(required=False, help_text="Below 2190 (six years) warns.")
    raw_retention_days = serializers.IntegerField(required=False)
    business_start_hour = serializers.IntegerField(required=False, help_text="0–23")
    business_end_hour = serializers.IntegerField(required=False, help_text="1–24")
    business_weekdays = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="ISO 1–7")


class SettingsOutSerializer(SettingsSerializer):
    evaluated_until = serializers.DateTimeField(allow_null=True, read_only=True)
    last_nightly_on = serializers.DateField(allow_null=True, read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)


def _settings_out(found: Any, warnings: list[str]) -> dict[str, Any]:
    data = {name: getattr(found, name) for name in FIELDS}
    data.update(evaluated_until=found.evaluated_until, last_nightly_on=found.last_nightly_on, warnings=warnings)
    return dict(SettingsOutSerializer(data).data)


class RuleRunListView(ApiView):
    @extend_schema(
        summary="List evaluation runs",
        description="Latest first: scheduled micro-batches, nightly re-runs, runs after an ingestion and by hand.",
        responses={200: RuleRunSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        runs = RuleRun.objects.filter(organization=membership.organization).order_by("-requested_at", "-pk")
        return self.paginated(runs, RuleRunSerializer)

    @extend_schema(
        summary="Evaluate the rules over a window",
        description="Queues a manual run (done by a worker); poll the run for its state. Needs manage-activity.",
        request=RuleRunRequestSerializer,
        responses={201: RuleRunDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = RuleRunRequestSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        run = request_evaluation(
            membership.organization,
            start=values.validated_data["start"],
            end=values.validated_data["end"],
            trigger=RuleRun.Trigger.MANUAL,
            requested_by=api_actor(request).user,
        )
        return Response(RuleRunDetailSerializer(run).data, status=status.HTTP_201_CREATED)


class RuleRunDetailView(ApiView):
    @extend_schema(
        summary="One evaluation run",
        description="With each rule's anchors, candidates and time.",
        responses={200: RuleRunDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, run_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(RuleRunDetailSerializer(get_run(membership, run_id)).data)


class OverviewView(ApiView):
    @extend_schema(
        summary="Activity review figures",
        description="Open alerts by severity, mean time to triage, open escalations, review compliance and sources.",
        responses={200: OverviewSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        organization = api_membership(request, org_slug, Perm.VIEW_ACTIVITY).organization
        today = timezone.localdate()
        mean = queries.mean_time_to_triage(organization, today)
        compliance = queries.review_compliance(organization, today)
        sources = queries.sources_status(organization, timezone.now())
        data = {
            "open_by_severity": queries.open_by_severity(organization),
            "mean_time_to_triage_seconds": round(mean.total_seconds()) if mean is not None else None,
            "open_escalations": queries.open_escalations(organization),
            "reviews_due": compliance.due,
            "reviews_on_time": compliance.on_time,
            "sources_receiving": sum(1 for row in sources if not row.silent),
            "sources_silent": sum(1 for row in sources if row.silent),
        }
        return Response(OverviewSerializer(data).data)


class SettingsView(ApiView):
    @extend_schema(
        summary="Activity review settings",
        responses={200: SettingsOutSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        return Response(_settings_out(activity_settings(membership.organization), []))

    @extend_schema(
        summary="Change activity review settings",
        description=f"Only the fields given change. Limits: {LIMITS_TEXT}.",
        request=SettingsSerializer,
        responses={200: SettingsOutSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = SettingsSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        result = activity_settings_update(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(_settings_out(result.settings, result.warnings))
