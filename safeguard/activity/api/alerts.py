"""Alerts over the API: list (filtered, open first), read, triage (assignee, status, comment), evidence,
escalation into an incident and bulk triage; suppressions; escalation levels. The same access functions,
services and queries as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity import queries_alerts as queries
from safeguard.activity.access import get_alert
from safeguard.activity.access_alerts import get_escalation_level, get_suppression
from safeguard.activity.models import Alert, AlertStatus, DetectionRule, Severity
from safeguard.activity.services import alerts as triage
from safeguard.activity.services import escalation, suppressions
from safeguard.activity.services.event_reads import evidence_read_record
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.api.fields import OneOf
from safeguard.incidents.models import Incident, IncidentSeverity

TAGS = ["activity alerts"]
BULK_MAX = triage.BULK_MAX


class AlertSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    rule = serializers.CharField(source="rule.name")
    title = serializers.CharField()
    severity = OneOf(Severity.values)
    group_key = serializers.DictField(child=serializers.CharField())
    group_text = serializers.CharField()
    source = serializers.CharField(  # type: ignore[assignment]  # the alert's log source, not the field's source
        source="source.name", allow_null=True, default=None
    )
    bucket_start = serializers.DateTimeField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    window_seconds = serializers.IntegerField()
    metric_name = serializers.CharField()
    metric_value = serializers.FloatField(allow_null=True)
    anchor_count = serializers.IntegerField()
    evidence_count = serializers.IntegerField()
    status = OneOf(AlertStatus.values)
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, default=None)
    ack_due_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    incident = serializers.CharField(source="incident.reference", allow_null=True, default=None)
    triaged_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class AlertFilterSerializer(serializers.Serializer):
    status = OneOf(["open", *AlertStatus.values], required=False)
    severity = OneOf(Severity.values, required=False)
    rule = serializers.CharField(required=False, max_length=100)
    assignee = serializers.CharField(required=False, max_length=254, help_text="An email, `me` or `none`.")
    source = serializers.CharField(  # type: ignore[assignment]  # the log source's name, not the field's source
        required=False, max_length=100
    )
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)


class AlertChangeSerializer(serializers.Serializer):
    assignee = serializers.EmailField(required=False, allow_null=True, help_text="null: unassign.")
    status = OneOf([AlertStatus.TRIAGED, AlertStatus.FALSE_POSITIVE, AlertStatus.BENIGN], required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class BulkTriageSerializer(AlertChangeSerializer):
    alerts = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=BULK_MAX)


class AlertBulkResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
    alerts = AlertSerializer(many=True, help_text="The alerts as they now are.")


class EscalateSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000)
    incident = serializers.UUIDField(required=False, help_text="An open incident to join; else a new one.")
    title = serializers.CharField(required=False, max_length=200)
    severity = OneOf(IncidentSeverity.values, required=False)
    owner = serializers.EmailField(required=False, help_text="Required for a new incident.")
    is_suspected_breach = serializers.BooleanField(default=False)


class EscalatedSerializer(serializers.Serializer):
    incident = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()


class EvidenceEventSerializer(serializers.Serializer):
    """One decoded, enriched event as the store gives it: every normalized field, named here or not."""

    event_uid = serializers.CharField()
    time = serializers.DateTimeField()
    event_class = serializers.CharField()
    activity = serializers.CharField()
    outcome = serializers.CharField()
    user_name = serializers.CharField(allow_null=True)
    patient_id = serializers.CharField(allow_null=True)

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        return dict(instance)


class SuppressionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    rule = serializers.CharField(source="rule.name")
    group_text = serializers.CharField()
    reason = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.EmailField(source="created_by.email")
    revoked_at = serializers.DateTimeField(allow_null=True)


class SuppressionCreateSerializer(serializers.Serializer):
    rule = serializers.CharField(max_length=100, help_text="The rule's name.")
    group_text = serializers.CharField(required=False, allow_blank=True, max_length=500)
    reason = serializers.CharField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True)


class EscalationLevelSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    severity = OneOf(Severity.values)
    level = serializers.IntegerField()
    notify_user = serializers.EmailField(source="notify_user.email", allow_null=True, default=None)
    notify_role = serializers.CharField()
    ack_minutes = serializers.IntegerField()
    remind_every_minutes = serializers.IntegerField(allow_null=True)


class EscalationLevelInputSerializer(serializers.Serializer):
    severity = OneOf(Severity.values, required=False, help_text="Creating only.")
    notify_user = serializers.EmailField(required=False, allow_null=True)
    notify_role = serializers.CharField(required=False, allow_blank=True, default="")
    ack_minutes = serializers.IntegerField()
    remind_every_minutes = serializers.IntegerField(required=False, allow_null=True)


# ---- helpers ----------------------------------------------------------------------------------------------------


def _user(organization: Organization, email: str | None, field: str) -> User | None:
    if email is None:
        return None
    user = User.objects.filter(email__iexact=email, memberships__organization=organization).first()
    if user is None:
        raise ServiceError(f"Nobody with the email {email} belongs to this organization.", field=field)
    return user


class GroupHiddenAlertSerializer(AlertSerializer):
    """For members who may not read events (auditors): the group key names a suspect or a patient."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        data["group_key"], data["group_text"] = {}, ""
        return data


def alert_serializer(membership: Membership) -> type[AlertSerializer]:
    return AlertSerializer if membership.has(Perm.VIEW_EVENTS) else GroupHiddenAlertSerializer


def _alert_out(alert: Alert, membership: Membership) -> dict[str, Any]:
    return dict(alert_serializer(membership)(alert).data)


def _change(organization: Organization, data: dict[str, Any]) -> triage.TriageChange:
    unassign = "assignee" in data and data["assignee"] is None
    return triage.TriageChange(
        status=data.get("status", ""),
        comment=data.get("comment", ""),
        assignee=_user(organization, data.get("assignee"), "assignee"),
        unassign=unassign,
    )


# ---- alerts -----------------------------------------------------------------------------------------------------


class AlertListView(ApiView):
    @extend_schema(
        summary="List alerts",
        description="Open alerts first, then newest first. Filters: status (or `open`), severity, rule name, "
        "assignee (email, `me`, `none`), source name, first seen since/until (days).",
        parameters=[AlertFilterSerializer],
        responses={200: AlertSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        values = AlertFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        filters = queries.AlertFilters(**values.validated_data)
        rows = queries.filter_alerts(queries.alerts(membership.organization), filters, me=membership.user)
        return self.paginated(queries.open_first(rows), alert_serializer(membership))


class AlertDetailView(ApiView):
    @extend_schema(
        summary="One alert",
        responses={200: AlertSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, alert_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(_alert_out(get_alert(membership, alert_id), membership))

    @extend_schema(
        summary="Triage an alert",
        description="Assign (an email; null unassigns), change the status (false positive and benign need a "
        "comment) or comment. Escalation has its own endpoint.",
        request=AlertChangeSerializer,
        responses={200: AlertSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, alert_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.TRIAGE_ALERTS)
        alert = get_alert(membership, alert_id, Perm.TRIAGE_ALERTS)
        values = AlertChangeSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        change = _change(membership.organization, values.validated_data)
        triage.alerts_bulk_triage(membership.organization, api_actor(request), alerts=[alert], change=change)
        return Response(_alert_out(get_alert(membership, alert_id), membership))


class AlertEvidenceView(ApiView):
    @extend_schema(
        summary="An alert's evidence events",
        description="The contributing events decoded from the event store (the first 1,000), oldest first, with "
        "every normalized and enriched field. They name patients: the view-events permission is required "
        "(auditors do not hold it). Each request is written to the audit trail.",
        responses={200: EvidenceEventSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, alert_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_EVENTS)
        alert = get_alert(membership, alert_id, Perm.VIEW_EVENTS)
        paginator, rows = self.paginate(queries.evidence_rows(membership.organization.pk, alert))
        evidence_read_record(membership.organization, api_actor(request), alert=alert, rows=rows)
        return paginator.get_paginated_response(EvidenceEventSerializer(rows, many=True).data)


class AlertEscalateView(ApiView):
    @extend_schema(
        summary="Escalate an alert into an incident",
        description="Joins an open incident (`incident`) or opens a new one (`owner` required). A comment is "
        "required. The alert becomes escalated.",
        request=EscalateSerializer,
        responses={201: EscalatedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, alert_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.TRIAGE_ALERTS)
        alert = get_alert(membership, alert_id, Perm.TRIAGE_ALERTS)
        values = EscalateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        organization = membership.organization
        incident = None
        if data.get("incident"):
            incident = Incident.objects.filter(organization=organization, public_id=data["incident"]).first()
            if incident is None:
                raise ServiceError("No such incident in this organization.", field="incident")
        result = triage.alerts_escalate(
            organization,
            api_actor(request),
            alerts=[alert],
            comment=data["comment"],
            incident=incident,
            title=data.get("title", ""),
            severity=data.get("severity", ""),
            owner=_user(organization, data.get("owner"), "owner"),
            is_suspected_breach=data["is_suspected_breach"],
        )
        return Response(EscalatedSerializer(result).data, status=status.HTTP_201_CREATED)


class AlertBulkView(ApiView):
    @extend_schema(
        summary="Triage several alerts at once",
        description="The same change to every listed alert, all or nothing; the error names the alert refused.",
        request=BulkTriageSerializer,
        responses={200: AlertBulkResultSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.TRIAGE_ALERTS)
        values = BulkTriageSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        wanted = set(values.validated_data["alerts"])
        found = list(queries.alerts(membership.organization).filter(public_id__in=wanted))
        if len(found) != len(wanted):
            raise ServiceError("Some of the alerts are not in this organization.", field="alerts")
        change = _change(membership.organization, values.validated_data)
        count = triage.alerts_bulk_triage(membership.organization, api_actor(request), alerts=found, change=change)
        rows = queries.alerts(membership.organization).filter(public_id__in=wanted).order_by("-first_seen", "-pk")
        return Response({"updated": count, "alerts": AlertSerializer(rows, many=True).data})


# ---- suppressions -----------------------------------------------------------------------------------------------


class SuppressionListView(ApiView):
    @extend_schema(
        summary="List suppressions",
        responses={200: SuppressionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return self.paginated(queries.suppressions(membership.organization), SuppressionSerializer)

    @extend_schema(
        summary="Suppress a rule's alerts",
        description="For one group key (as an alert's group_text) or, blank, all of them; until `ends_at` or "
        "revocation. Needs manage-activity.",
        request=SuppressionCreateSerializer,
        responses={201: SuppressionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = SuppressionCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        rule = DetectionRule.objects.filter(organization=membership.organization, name=data.pop("rule")).first()
        if rule is None:
            raise ServiceError("No rule of this organization has that name.", field="rule")
        made = suppressions.suppression_create(membership.organization, api_actor(request), rule=rule, **data)
        return Response(SuppressionSerializer(made).data, status=status.HTTP_201_CREATED)


class SuppressionRevokeView(ApiView):
    @extend_schema(
        summary="Revoke a suppression",
        request=None,
        responses={200: SuppressionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, suppression_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        suppression = get_suppression(membership, suppression_id, Perm.MANAGE_ACTIVITY)
        revoked = suppressions.suppression_revoke(membership.organization, api_actor(request), suppression=suppression)
        return Response(SuppressionSerializer(revoked).data)


# ---- escalation levels ------------------------------------------------------------------------------------------


def _level_values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "notify_user": _user(organization, data.get("notify_user"), "notify_user"),
        "notify_role": data.get("notify_role", ""),
        "ack_minutes": data["ack_minutes"],
        "remind_every_minutes": data.get("remind_every_minutes"),
    }


class EscalationLevelListView(ApiView):
    @extend_schema(
        summary="List escalation levels",
        description="Every severity's path, level 1 first. A severity without levels uses the default deadline "
        "and tells owners and security officials.",
        responses={200: EscalationLevelSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return self.paginated(queries.escalation_levels(membership.organization), EscalationLevelSerializer)

    @extend_schema(
        summary="Add a level to a severity's path",
        description="It becomes the path's last level. One person (email) or one role; at least 1 minute.",
        request=EscalationLevelInputSerializer,
        responses={201: EscalationLevelSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = EscalationLevelInputSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        if "severity" not in values.validated_data:
            raise ServiceError("Choose the severity whose path the level extends.", field="severity")
        step = escalation.escalation_level_create(
            organization=membership.organization,
            actor=api_actor(request),
            severity=values.validated_data["severity"],
            **_level_values(membership.organization, values.validated_data),
        )
        return Response(EscalationLevelSerializer(step).data, status=status.HTTP_201_CREATED)


class EscalationLevelDetailView(ApiView):
    @extend_schema(
        summary="Change an escalation level",
        description="Who it tells and its minutes; its severity and number stay.",
        request=EscalationLevelInputSerializer,
        responses={200: EscalationLevelSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str, level_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        step = get_escalation_level(membership, level_id, Perm.MANAGE_ACTIVITY)
        values = EscalationLevelInputSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        step = escalation.escalation_level_update(
            organization=membership.organization,
            actor=api_actor(request),
            step=step,
            **_level_values(membership.organization, values.validated_data),
        )
        return Response(EscalationLevelSerializer(step).data)

    @extend_schema(
        summary="Remove a path's last level",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, level_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        step = get_escalation_level(membership, level_id, Perm.MANAGE_ACTIVITY)
        escalation.escalation_level_delete(organization=membership.organization, actor=api_actor(request), step=step)
        return Response(status=status.HTTP_204_NO_CONTENT)
