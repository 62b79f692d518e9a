"""Assignment rules over the API: the same services and rules as the pages. Program viewers read; those who manage
the program create, change, switch rules on and off, and ask for an evaluation."""

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
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training.access import get_course_for_user, get_rule_for_user
from safeguard.training.audiences import describe_audience
from safeguard.training.models import AssignmentRule, AudienceKind, Cadence, Course
from safeguard.training.queries_assignments import may_read_confidential, rule_rows
from safeguard.training.queries_confidential import rule_preview_for, unlinked_sanctions
from safeguard.training.services import assignment_rules as services
from safeguard.training.services.assignment_sync import request_sync

TAGS = ["training assignments"]
API_FIELDS = {"course": "course_id"}


class CourseRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    code = serializers.CharField()
    title = serializers.CharField()


class RuleSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    course = CourseRefSerializer()
    audience = serializers.ChoiceField(choices=AudienceKind.choices)
    audience_values = serializers.ListField(
        child=serializers.CharField(), help_text="The departments, job roles or worker types the audience names."
    )
    audience_text = serializers.SerializerMethodField()
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    due_days = serializers.IntegerField()
    calendar_month = serializers.IntegerField(allow_null=True)
    calendar_day = serializers.IntegerField(allow_null=True)
    notice_days = serializers.IntegerField()
    starts_on = serializers.DateField()
    active = serializers.BooleanField()
    open_assignments = serializers.IntegerField(source="open_count")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_audience_text(self, rule: AssignmentRule) -> str:
        return describe_audience(rule.audience, rule.audience_values)


class RuleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    course_id = serializers.UUIDField(help_text="A published course.")
    audience = serializers.ChoiceField(choices=AudienceKind.choices)
    audience_values = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=100)
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
    due_days = serializers.IntegerField(required=False, help_text="1–365.")
    calendar_month = serializers.IntegerField(required=False, allow_null=True, help_text="Cadence calendar only.")
    calendar_day = serializers.IntegerField(required=False, allow_null=True, help_text="Cadence calendar only.")
    notice_days = serializers.IntegerField(required=False, help_text="1–180.")
    starts_on = serializers.DateField(required=False, help_text="Default: today.")
    active = serializers.BooleanField(required=False)


class RuleDeactivateSerializer(serializers.Serializer):
    cancel_open = serializers.BooleanField(
        required=False, default=False, help_text="Also cancel the open assignments the rule made."
    )


class PersonRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")
    department = serializers.CharField()


class UnlinkedSanctionsSerializer(serializers.Serializer):
    since = serializers.DateField(help_text="The rule's start: sanctions decided on or after it are counted.")
    no_user = serializers.IntegerField(help_text="Sanctions naming no user, only a typed name.")
    no_roster_match = serializers.IntegerField(help_text="Sanctions whose user's email matches nobody on the roster.")


class RulePreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="People the rule would assign today (no open assignment of it).")
    people = PersonRefSerializer(
        many=True,
        help_text="The first 20, by name. Empty for a rule on people named in a sanction unless you may read the "
        "sanctions log.",
    )
    names_hidden = serializers.BooleanField(help_text="True when the names are kept from you (see people).")
    unlinked_sanctions = UnlinkedSanctionsSerializer(
        allow_null=True,
        help_text="For a rule on people named in a sanction, and only for readers of the sanctions log: the "
        "sanctions since its start that assign no one because they could not be linked to a roster person. "
        "Null otherwise.",
    )


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _course(membership: Membership, course_id: UUID) -> Course:
    try:
        return get_course_for_user(membership, course_id)
    except Http404:
        raise ServiceError("No such course in this organization.", field="course_id") from None


def _rule_out(rule: AssignmentRule) -> dict[str, Any]:
    return dict(RuleSerializer(rule_rows(rule.organization).get(pk=rule.pk)).data)


def _values(membership: Membership, data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "course_id" in values:
        values["course"] = _course(membership, values.pop("course_id"))
    return values


class RuleListView(ApiView):
    @extend_schema(
        summary="List assignment rules",
        description="By name, each with its course and how many open assignments it has made.",
        responses={200: RuleSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(rule_rows(membership.organization).order_by("name", "pk"), RuleSerializer)

    @extend_schema(
        summary="Create an assignment rule",
        description="Assigns a published course to an audience. Audience values are needed for department, "
        "job_role and worker_type, and refused for the others; clicks and sanctions take the cadence once; a "
        "calendar rule names a month and a day (not 29 February). Needs the manage-program permission.",
        request=RuleWriteSerializer,
        responses={201: RuleSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        data = RuleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with api_field_names(API_FIELDS):
            rule = services.rule_create(
                organization=membership.organization,
                actor=api_actor(request),
                **_values(membership, data.validated_data),
            )
        return Response(_rule_out(rule), status=status.HTTP_201_CREATED)


class RuleDetailView(ApiView):
    @extend_schema(
        summary="One assignment rule",
        responses={200: RuleSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_rule_out(get_rule_for_user(membership, rule_id)))

    @extend_schema(
        summary="Change an assignment rule",
        description="Fields left out keep their value; `active` is changed by activate and deactivate. Assignments "
        "already made keep their due dates; the course is fixed once the rule has assigned anyone. Needs the "
        "manage-program permission.",
        request=RuleWriteSerializer(partial=True),
        responses={200: RuleSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        rule = get_rule_for_user(membership, rule_id, write=True)
        data = RuleWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = _values(membership, data.validated_data)
        if "active" in values:
            raise ServiceError("Switch a rule on or off with activate and deactivate.", field="active")
        with api_field_names(API_FIELDS):
            services.rule_update(organization=membership.organization, actor=api_actor(request), rule=rule, **values)
        return Response(_rule_out(rule))


class RuleActivateView(ApiView):
    @extend_schema(
        summary="Switch an assignment rule on",
        description="The people it covers are assigned in the background right after. Needs the manage-program "
        "permission.",
        request=None,
        responses={200: RuleSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        rule = get_rule_for_user(membership, rule_id, write=True)
        services.rule_activate(organization=membership.organization, actor=api_actor(request), rule=rule)
        return Response(_rule_out(rule))


class RuleDeactivateView(ApiView):
    @extend_schema(
        summary="Switch an assignment rule off",
        description="It assigns no one from then on. Its open assignments stay open unless cancel_open is true. "
        "Needs the manage-program permission.",
        request=RuleDeactivateSerializer,
        responses={200: RuleSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        rule = get_rule_for_user(membership, rule_id, write=True)
        data = RuleDeactivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.rule_deactivate(
            organization=membership.organization, actor=api_actor(request), rule=rule, **data.validated_data
        )
        return Response(_rule_out(rule))


class RulePreviewView(ApiView):
    @extend_schema(
        summary="Who an assignment rule would assign now",
        description="Computed without writing, whether the rule is on or off: people in its audience who owe a "
        "round today and hold no open assignment of the course. It evaluates the rule against the whole roster. "
        "For a rule on people named in a sanction, names are given only to those who may read the sanctions log "
        "(others get the count), and so is the count of sanctions that could not be linked to a roster person.",
        responses={200: RulePreviewSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rule = get_rule_for_user(membership, rule_id)
        preview = rule_preview_for(membership, rule, timezone.localdate())
        unlinked = unlinked_sanctions(rule) if may_read_confidential(membership) else None
        data = {
            "count": preview.count,
            "people": preview.people,
            "names_hidden": preview.names_hidden,
            "unlinked_sanctions": unlinked,
        }
        return Response(RulePreviewSerializer(data).data)


class SyncView(ApiView):
    @extend_schema(
        summary="Evaluate the assignment rules now",
        description="Runs in the background: opens what the rules call for, closes what a completion already "
        "satisfies, cancels what no longer applies. Needs the manage-program permission.",
        request=None,
        responses={202: AcceptedSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        request_sync(membership.organization)
        return Response({"detail": "The rules are being evaluated."}, status=status.HTTP_202_ACCEPTED)
