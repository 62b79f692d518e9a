"""Security reminders over the API: the same services and rules as the pages. Program viewers read reminders, their
deliveries and the calendar; those who manage the program write, schedule, cancel and send them. Every member
reads their own reminders and marks them read."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_reminders as queries
from safeguard.training.access import get_reminder_for_user
from safeguard.training.markdown import render_markdown
from safeguard.training.models import AudienceKind, ReminderDelivery, SecurityReminder, Topic
from safeguard.training.queries import person_for_user
from safeguard.training.services import reminders as services

TAGS = ["training reminders"]


# ---- serializers ------------------------------------------------------------------------------------------------


class ReminderTopicSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    key = serializers.CharField()
    name = serializers.CharField()


class ReminderSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.SerializerMethodField(help_text="The body rendered to sanitized HTML.")
    topics = ReminderTopicSerializer(many=True, source="topics.all")
    audience = serializers.ChoiceField(choices=AudienceKind.choices, help_text="A roster audience.")
    audience_values = serializers.ListField(child=serializers.CharField())
    send_email = serializers.BooleanField()
    scheduled_for = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=SecurityReminder.Status.choices)
    sent_at = serializers.DateTimeField(allow_null=True)
    recipients = serializers.IntegerField(help_text="People it was delivered to (once sent).")
    read = serializers.IntegerField(help_text="Deliveries marked read.")
    read_rate = serializers.IntegerField(allow_null=True, help_text="Percent read, rounded down; null until sent.")
    repeat_months = serializers.IntegerField(help_text="0: once; else each send schedules a copy this many months on.")
    repeats_id = serializers.UUIDField(source="repeats.public_id", allow_null=True, default=None)
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_body_html(self, reminder: SecurityReminder) -> str:
        return str(render_markdown(reminder.body))


class ReminderWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(help_text="Markdown.")
    topic_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100)
    audience = serializers.ChoiceField(
        choices=AudienceKind.choices, required=False, help_text="everyone, department, job_role or worker_type."
    )
    audience_values = serializers.ListField(child=serializers.CharField(), required=False, max_length=100)
    send_email = serializers.BooleanField(required=False)
    scheduled_for = serializers.DateTimeField(required=False, help_text="Absent on create: now.")
    repeat_months = serializers.IntegerField(required=False)


class ReminderCreateSerializer(ReminderWriteSerializer):
    schedule = serializers.BooleanField(
        required=False, default=False, help_text="True: scheduled (a past time: the next run sends it); else a draft."
    )


class ReminderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SecurityReminder.Status.choices, required=False)


class ReminderScheduleSerializer(serializers.Serializer):
    scheduled_for = serializers.DateTimeField(required=False, help_text="Absent: the time the draft holds.")


class ReminderDeliveryPersonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")
    department = serializers.CharField()


class ReminderDeliverySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person = ReminderDeliveryPersonSerializer()
    delivered_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    emailed_at = serializers.DateTimeField(allow_null=True)
    email_error = serializers.CharField(help_text="Why it could not be emailed; blank when emailed or not due.")


class MyReminderContentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.SerializerMethodField(help_text="The body rendered to sanitized HTML.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_body_html(self, reminder: SecurityReminder) -> str:
        return str(render_markdown(reminder.body))


class MyReminderSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text="The delivery's id: mark it read with it.")
    reminder = MyReminderContentSerializer()
    delivered_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class ReminderCalendarPeriodSerializer(serializers.Serializer):
    first = serializers.DateField(help_text="The period's first day.")
    last = serializers.DateField(help_text="The period's last day.")
    state = serializers.CharField(
        help_text="sent (a reminder went to someone), scheduled (one is scheduled or a repeat falls in it), missed "
        "(past, none sent) or unplanned (current or future, none sent or scheduled). A planning aid by calendar "
        "month: the tracker's check counts rolling periods (see the calendar page)."
    )
    gap = serializers.BooleanField()


class ReminderCalendarMonthSerializer(serializers.Serializer):
    month = serializers.SerializerMethodField(help_text="YYYY-MM.")
    current = serializers.BooleanField()
    sent = serializers.SerializerMethodField(help_text="Reminders sent in the month.")
    scheduled = serializers.SerializerMethodField(help_text="Reminders scheduled in the month.")
    repeats = serializers.SerializerMethodField(help_text="Copies repeating reminders will make in the month.")
    gap = serializers.BooleanField(source="period.gap", help_text="The month's period has no reminder.")
    period_first = serializers.DateField(source="period.first")

    @extend_schema_field(OpenApiTypes.STR)
    def get_month(self, month: queries.CalendarMonth) -> str:
        return f"{month.first:%Y-%m}"

    @extend_schema_field(OpenApiTypes.INT)
    def get_sent(self, month: queries.CalendarMonth) -> int:
        return month.count("sent")

    @extend_schema_field(OpenApiTypes.INT)
    def get_scheduled(self, month: queries.CalendarMonth) -> int:
        return month.count("scheduled")

    @extend_schema_field(OpenApiTypes.INT)
    def get_repeats(self, month: queries.CalendarMonth) -> int:
        return month.count("repeat")


class ReminderCalendarSerializer(serializers.Serializer):
    cadence_months = serializers.IntegerField(help_text="A reminder is expected at least this often.")
    gaps = serializers.IntegerField()
    months = ReminderCalendarMonthSerializer(many=True)
    periods = ReminderCalendarPeriodSerializer(many=True)


# ---- helpers ----------------------------------------------------------------------------------------------------


def _topics(organization: Organization, topic_ids: list[UUID]) -> list[Topic]:
    found = {
        topic.public_id: topic for topic in Topic.objects.filter(organization=organization, public_id__in=topic_ids)
    }
    missing = [str(topic_id) for topic_id in topic_ids if topic_id not in found]
    if missing:
        raise ServiceError(f"No such topic in this organization: {missing[0]}.", field="topic_ids")
    return [found[topic_id] for topic_id in topic_ids]


def _values(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "topic_ids" in values:
        values["topics"] = _topics(organization, values.pop("topic_ids"))
    return values


API_FIELDS = {"topics": "topic_ids"}


def _reminder_out(reminder: SecurityReminder) -> dict[str, Any]:
    fresh = queries.reminder_rows(reminder.organization).select_related("repeats").get(pk=reminder.pk)
    return dict(ReminderSerializer(queries.with_read_rates([fresh])[0]).data)


def _my_person_delivery(request: Request, org_slug: str, delivery_id: UUID) -> tuple[Membership, ReminderDelivery]:
    membership = api_membership(request, org_slug, None)
    person = person_for_user(membership.organization, cast(User, request.user))
    return membership, queries.my_delivery(membership.organization, person, delivery_id)


# ---- reminders --------------------------------------------------------------------------------------------------


class ReminderListView(ApiView):
    @extend_schema(
        summary="List security reminders",
        description="Latest scheduled first, with recipients and read rate once sent. Filter: status.",
        parameters=[ReminderFilterSerializer],
        responses={200: ReminderSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = ReminderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = queries.reminder_rows(membership.organization, filters.validated_data.get("status"))
        paginator, page = self.paginate(rows.select_related("repeats"))
        return paginator.get_paginated_response(ReminderSerializer(queries.with_read_rates(page), many=True).data)

    @extend_schema(
        summary="Write a security reminder",
        description="A draft, or (schedule=true) scheduled for scheduled_for (now when absent; a past time means "
        "the next run sends it). Needs the manage-program permission.",
        request=ReminderCreateSerializer,
        responses={201: ReminderSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = ReminderCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        with api_field_names(API_FIELDS):
            reminder = services.reminder_create(
                organization=organization, actor=api_actor(request), **_values(organization, values.validated_data)
            )
        return Response(_reminder_out(reminder), status=status.HTTP_201_CREATED)


class ReminderDetailView(ApiView):
    @extend_schema(
        summary="One security reminder",
        responses={200: ReminderSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, reminder_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_reminder_out(get_reminder_for_user(membership, reminder_id)))

    @extend_schema(
        summary="Change a security reminder",
        description="Only a draft or a scheduled one; fields left out keep their value, topic_ids replaces the "
        "topics. Needs the manage-program permission.",
        request=ReminderWriteSerializer(partial=True),
        responses={200: ReminderSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, reminder_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        reminder = get_reminder_for_user(membership, reminder_id, write=True)
        values = ReminderWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        with api_field_names(API_FIELDS):
            services.reminder_update(
                organization=organization,
                actor=api_actor(request),
                reminder=reminder,
                **_values(organization, values.validated_data),
            )
        return Response(_reminder_out(reminder))


class ReminderScheduleView(ApiView):
    @extend_schema(
        summary="Schedule a draft reminder",
        description="Draft → scheduled. A past time means the next run sends it. Needs the manage-program permission.",
        request=ReminderScheduleSerializer,
        responses={200: ReminderSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, reminder_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        reminder = get_reminder_for_user(membership, reminder_id, write=True)
        values = ReminderScheduleSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.reminder_schedule(
            organization=membership.organization, actor=api_actor(request), reminder=reminder, **values.validated_data
        )
        return Response(_reminder_out(reminder))


class ReminderCancelView(ApiView):
    @extend_schema(
        summary="Cancel a security reminder",
        description="A draft or scheduled reminder will not be sent. Needs the manage-program permission.",
        request=None,
        responses={200: ReminderSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, reminder_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        reminder = get_reminder_for_user(membership, reminder_id, write=True)
        services.reminder_cancel(organization=membership.organization, actor=api_actor(request), reminder=reminder)
        return Response(_reminder_out(reminder))


class ReminderSendNowView(ApiView):
    @extend_schema(
        summary="Send a security reminder now",
        description="Schedules a draft or scheduled reminder for now and sends it in the background: 202, then the "
        "reminder's status becomes sent. Needs the manage-program permission.",
        request=None,
        responses={202: ReminderSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, reminder_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        reminder = get_reminder_for_user(membership, reminder_id, write=True)
        services.reminder_send_now(organization=membership.organization, actor=api_actor(request), reminder=reminder)
        return Response(_reminder_out(reminder), status=status.HTTP_202_ACCEPTED)


class ReminderDeliveriesView(ApiView):
    @extend_schema(
        summary="List a reminder's deliveries",
        description="Who it was delivered to, by name, with when they read it and how the email went.",
        responses={200: ReminderDeliverySerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, reminder_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        reminder = get_reminder_for_user(membership, reminder_id)
        return self.paginated(queries.deliveries_of(reminder), ReminderDeliverySerializer)


class ReminderCalendarView(ApiView):
    @extend_schema(
        summary="The reminder calendar",
        description="The current month, the 11 before and the 6 after, with reminders sent, scheduled and to be "
        "repeated, and the periods of the cadence setting: a period with no reminder is a gap.",
        responses={200: ReminderCalendarSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(ReminderCalendarSerializer(queries.reminder_calendar(membership.organization)).data)


# ---- the caller's own -------------------------------------------------------------------------------------------


class MyRemindersView(ApiView):
    @extend_schema(
        summary="List my security reminders",
        description="The reminders delivered to the caller (the roster person with the caller's email), latest "
        "first; empty when the caller is not on the roster.",
        responses={200: MyReminderSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, None)
        person = person_for_user(membership.organization, cast(User, request.user))
        if person is None:
            return self.paginated(ReminderDelivery.objects.none(), MyReminderSerializer)
        return self.paginated(queries.my_deliveries(membership.organization, person), MyReminderSerializer)


class MyReminderReadView(ApiView):
    @extend_schema(
        summary="Mark one of my reminders read",
        description="Records the first read only; reading again changes nothing. Someone else's delivery is 404.",
        request=None,
        responses={200: MyReminderSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, delivery_id: UUID) -> Response:
        membership, delivery = _my_person_delivery(request, org_slug, delivery_id)
        services.reminder_mark_read(organization=membership.organization, actor=api_actor(request), delivery=delivery)
        return Response(MyReminderSerializer(delivery).data)
