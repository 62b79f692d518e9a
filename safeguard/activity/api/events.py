"""Stored audit-log events over the API: a filtered, paginated list (newest first) and one event by its uid with
its raw line. Event contents are PHI: both need the view-events permission, as the events page does. The store
is the organization's own, so another organization's uids are simply not there (404). Each request is written
to the audit trail (services/event_reads.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity.models import LogSource
from safeguard.activity.queries_events import EventFilters, EventSearch, events_with_uid, expected_page
from safeguard.activity.services.event_reads import event_read_record, event_search_record
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.api_pagination import Pagination
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

TAGS = ["activity events"]


class EventSourceSerializer(serializers.Serializer):
    source = serializers.UUIDField(  # type: ignore[assignment]  # the log source, not the field's source
        required=False, help_text="A log source's public id."
    )


class EventFilterSerializer(EventSourceSerializer):
    user = serializers.CharField(required=False, max_length=200, help_text="As the log writes it; case is ignored.")
    patient = serializers.CharField(required=False, max_length=200, help_text="The patient id (MRN) as written.")
    date_from = serializers.DateField(required=False, help_text="First day, in the installation's zone.")
    date_to = serializers.DateField(required=False, help_text="Last day (included).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return attrs


class EventSerializer(serializers.Serializer):
    event_uid = serializers.CharField(help_text="The source's event id, or sha256: of the raw line.")
    source = serializers.UUIDField(  # type: ignore[assignment]  # the log source, not the field's source
        source="source.public_id", allow_null=True, help_text="Null: source deleted."
    )
    source_name = serializers.CharField(source="source.name", allow_null=True)
    time = serializers.DateTimeField()
    local_hour = serializers.IntegerField(allow_null=True, help_text="0-23 in the source's facility zone.")
    local_dow = serializers.IntegerField(allow_null=True, help_text="ISO weekday there: Monday = 1 … Sunday = 7.")
    event_class = serializers.CharField()
    activity = serializers.CharField()
    outcome = serializers.CharField()
    outcome_reason = serializers.CharField(allow_null=True)
    user_name = serializers.CharField(allow_null=True, help_text="Lower-cased and trimmed.")
    user_upn = serializers.CharField(allow_null=True)
    user_type = serializers.CharField(allow_null=True)
    session_id = serializers.CharField(allow_null=True)
    is_mfa = serializers.BooleanField(allow_null=True)
    src_ip = serializers.CharField(allow_null=True)
    src_host = serializers.CharField(allow_null=True, help_text="Workstation, lower-cased.")
    src_geo_country = serializers.CharField(allow_null=True)
    dst_service = serializers.CharField(allow_null=True)
    dst_host = serializers.CharField(allow_null=True)
    patient_id = serializers.CharField(allow_null=True)
    patient_id_system = serializers.CharField(allow_null=True)
    resource_type = serializers.CharField(allow_null=True)
    record_count = serializers.IntegerField(allow_null=True)
    purpose_of_use = serializers.CharField(allow_null=True)
    action_name = serializers.CharField(allow_null=True)
    ingest_time = serializers.DateTimeField(allow_null=True)
    parser = serializers.CharField(allow_null=True)
    parser_version = serializers.CharField(allow_null=True)
    raw_offset = serializers.IntegerField(allow_null=True)


class EventDetailSerializer(EventSerializer):
    raw = serializers.CharField(allow_null=True, help_text="Null once the raw-line retention period has passed.")


def _source(organization: Organization, public_id: Any) -> LogSource | None:
    if public_id is None:
        return None
    source = LogSource.objects.filter(organization=organization, public_id=public_id).first()
    if source is None:
        raise ServiceError("No log source of this organization has this id.", field="source")
    return source


class EventListView(ApiView):
    @extend_schema(
        summary="Search stored events",
        description="Newest first, without the raw line (read one event for it). Filters: source, user, "
        "patient, date_from and date_to (days in the installation's zone). Needs the view-events permission.",
        parameters=[EventFilterSerializer],
        responses={200: EventSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_EVENTS)
        values = EventFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        filters = EventFilters(
            source=_source(membership.organization, data.get("source")),
            user=data.get("user", "").strip(),
            patient=data.get("patient", "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        per_page = Pagination().get_page_size(request) or Pagination.page_size
        expect = expected_page(request.query_params.get("page"), per_page)
        paginator, rows = self.paginate(EventSearch(membership.organization, filters, expect=expect))
        page = paginator.page  # None only if pagination were off: one page would hold every row
        event_search_record(
            membership.organization,
            api_actor(request),
            filters=filters,
            page=page.number if page else 1,
            rows=rows,
            total=page.paginator.count if page else len(rows),
        )
        return paginator.get_paginated_response(EventSerializer(rows, many=True).data)


class EventDetailView(ApiView):
    @extend_schema(
        summary="One stored event",
        description="Every field and the raw line. Uids are unique within a source: when two sources sent the "
        "same uid, name the source; otherwise the earliest is returned.",
        parameters=[EventSourceSerializer],
        responses={200: EventDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, event_uid: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_EVENTS)
        values = EventSourceSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        source = _source(membership.organization, values.validated_data.get("source"))
        events = events_with_uid(membership.organization, event_uid, source)
        if not events:
            raise Http404("No such event.")
        event_read_record(membership.organization, api_actor(request), uid=event_uid, rows=events[:1])
        return Response(EventDetailSerializer(events[0]).data)
