"""Assignments over the API: the list with the pages' filters, one assignment, assigning by hand, excusing,
cancelling, extending, and the overview per department. Program viewers read; those who manage the program act.

Why someone was assigned because of a sanction (reason, trigger, the rule that opened it, the confidential flag) is
given only to those who may read the sanctions log; others read "Assigned by the security official", a null rule
and a null confidential flag (null on every assignment, so the flag tells them nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_assignments as queries
from safeguard.training.access import get_assignment_for_user, get_course_for_user
from safeguard.training.api.rules import CourseRefSerializer, PersonRefSerializer
from safeguard.training.models import Assignment
from safeguard.training.queries_confidential import shown_rule
from safeguard.training.services import assignments as services
from safeguard.workforce.access import get_person_for_user

TAGS = ["training assignments"]
API_FIELDS = {"person": "person_id", "course": "course_id"}


class RuleRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class AssignmentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person = PersonRefSerializer()
    course = CourseRefSerializer()
    rule = serializers.SerializerMethodField(
        help_text="The rule that opened it; null when assigned by hand, and for one a sanction brought unless you "
        "may read the sanctions log."
    )
    reason = serializers.SerializerMethodField()
    trigger_key = serializers.SerializerMethodField(
        help_text='What made this round due: "join", "hire", "cycle:<due date>", "phish:<result id>", "manual"…'
    )
    confidential = serializers.SerializerMethodField(
        help_text="Assigned because of a sanction. Null for everyone's assignments unless you may read the sanctions "
        "log."
    )
    window_start = serializers.DateField(help_text="A completion on or after this day satisfies it.")
    assigned_on = serializers.DateField()
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=Assignment.Status.choices)
    overdue = serializers.SerializerMethodField(help_text="Open and past its due date.")
    completion_id = serializers.UUIDField(source="completion.public_id", allow_null=True, default=None)
    completed_on = serializers.DateField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = serializers.CharField()
    reminded_on = serializers.DateField(allow_null=True)
    escalated_on = serializers.DateField(allow_null=True, help_text="When the person's manager was told.")
    created_at = serializers.DateTimeField()

    def _allowed(self) -> bool:
        return bool(self.context.get("confidential_ok"))

    def get_reason(self, assignment: Assignment) -> str:
        return queries.shown_reason(assignment, self._allowed())

    def get_trigger_key(self, assignment: Assignment) -> str:
        return queries.shown_trigger(assignment, self._allowed())

    @extend_schema_field(RuleRefSerializer(allow_null=True))
    def get_rule(self, assignment: Assignment) -> dict[str, Any] | None:
        rule = shown_rule(assignment, self._allowed())
        return None if rule is None else dict(RuleRefSerializer(rule).data)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_confidential(self, assignment: Assignment) -> bool | None:
        return assignment.confidential if self._allowed() else None

    def get_overdue(self, assignment: Assignment) -> bool:
        return queries.is_overdue(assignment, timezone.localdate())


class AssignmentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Assignment.Status.choices, required=False)
    course_id = serializers.UUIDField(required=False)
    department = serializers.CharField(required=False, max_length=100, help_text="Case is ignored.")
    person = serializers.CharField(required=False, max_length=200, help_text="Words of a name, employee id or email.")
    overdue = serializers.BooleanField(required=False, default=False, help_text="Open and past due only.")


class AssignmentCreateSerializer(serializers.Serializer):
    person_id = serializers.UUIDField()
    course_id = serializers.UUIDField(help_text="A published course.")
    due_on = serializers.DateField(help_text="From today, at most two years ahead.")
    reason = serializers.CharField(max_length=300)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ExtendSerializer(serializers.Serializer):
    due_on = serializers.DateField(help_text="Later than the current due date.")
    reason = serializers.CharField(max_length=5000)


class DepartmentSerializer(serializers.Serializer):
    department = serializers.CharField(help_text="Blank: people with no department.")
    people = serializers.IntegerField(help_text="Current people: active or on leave.")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    due_in_window = serializers.IntegerField(help_text="Assignments due in the last 12 months, open or completed.")
    on_time = serializers.IntegerField(help_text="Of those, completed on or before the due date.")
    on_time_rate = serializers.IntegerField(allow_null=True, help_text="Percent; null when none fell due.")


def _named(field: str, find: Any, membership: Membership, public_id: UUID) -> Any:
    try:
        return find(membership, public_id)
    except Http404:
        raise ServiceError(f"No such {field.removesuffix('_id')} in this organization.", field=field) from None


def _context(membership: Membership) -> dict[str, Any]:
    return {"confidential_ok": queries.may_read_confidential(membership)}


def _out(membership: Membership, assignment: Assignment) -> dict[str, Any]:
    fresh = queries.assignment_rows(membership.organization).get(pk=assignment.pk)
    return dict(AssignmentSerializer(fresh, context=_context(membership)).data)


class AssignmentListView(ApiView):
    @extend_schema(
        summary="List assignments",
        description="Earliest due first. Filters: status, course_id, department, person (text), overdue.",
        parameters=[AssignmentFilterSerializer],
        responses={200: AssignmentSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = AssignmentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        applied = dict(filters.validated_data)
        if "course_id" in applied:
            applied["course"] = _named("course_id", get_course_for_user, membership, applied.pop("course_id"))
        rows = queries.filter_assignments(
            queries.assignment_rows(membership.organization), applied, timezone.localdate()
        )
        paginator, page = self.paginate(rows.order_by("due_on", "pk"))
        data = AssignmentSerializer(page, many=True, context=_context(membership)).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        summary="Assign a course by hand",
        description="One current person, one published course, a due date from today on, and why. Refused when "
        "the person already has an open assignment of the course. Needs the manage-program permission.",
        request=AssignmentCreateSerializer,
        responses={201: AssignmentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        data = AssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["person"] = _named("person_id", get_person_for_user, membership, values.pop("person_id"))
        values["course"] = _named("course_id", get_course_for_user, membership, values.pop("course_id"))
        with api_field_names(API_FIELDS):
            assignment = services.assignment_create(
                organization=membership.organization, actor=api_actor(request), **values
            )
        return Response(_out(membership, assignment), status=status.HTTP_201_CREATED)


class AssignmentDetailView(ApiView):
    @extend_schema(
        summary="One assignment",
        responses={200: AssignmentSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, assignment_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_out(membership, get_assignment_for_user(membership, assignment_id)))


def _acting(request: Request, org_slug: str, assignment_id: UUID) -> tuple[Membership, Assignment]:
    membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
    return membership, get_assignment_for_user(membership, assignment_id, write=True)


def _act(
    request: Request,
    org_slug: str,
    assignment_id: UUID,
    serializer: type[serializers.Serializer[Any]],
    service: Callable[..., Assignment],
) -> Response:
    """Excuse, cancel or extend: the same access, validation and answer around a different service."""
    membership, assignment = _acting(request, org_slug, assignment_id)
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    actor = api_actor(request)
    service(organization=membership.organization, actor=actor, assignment=assignment, **data.validated_data)
    return Response(_out(membership, assignment))


class AssignmentExcuseView(ApiView):
    @extend_schema(
        summary="Excuse an assignment",
        description="The person need not take this round; the rules will not assign it again (a yearly course's "
        "next round counts from its due date). Only an open assignment. Needs the manage-program permission.",
        request=ReasonSerializer,
        responses={200: AssignmentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, assignment_id: UUID) -> Response:
        return _act(request, org_slug, assignment_id, ReasonSerializer, services.assignment_excuse)


class AssignmentCancelView(ApiView):
    @extend_schema(
        summary="Cancel an assignment",
        description="For one made by mistake. Refused for one an active rule made (the rule would make it again): "
        "excuse it, or change the rule. Only an open assignment. Needs the manage-program permission.",
        request=ReasonSerializer,
        responses={200: AssignmentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, assignment_id: UUID) -> Response:
        return _act(request, org_slug, assignment_id, ReasonSerializer, services.assignment_cancel)


class AssignmentExtendView(ApiView):
    @extend_schema(
        summary="Extend an assignment",
        description="A later due date (at most two years ahead), and why. The person is reminded again before it, "
        "and their manager told again if it passes. Needs the manage-program permission.",
        request=ExtendSerializer,
        responses={200: AssignmentSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, assignment_id: UUID) -> Response:
        return _act(request, org_slug, assignment_id, ExtendSerializer, services.assignment_extend)


class DepartmentListView(ApiView):
    @extend_schema(
        summary="Training by department",
        description="Per department (case ignored): current people, open and overdue assignments, and how many of "
        "the assignments due in the last 12 months (to yesterday) were completed on time.",
        responses={200: DepartmentSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        today: date = timezone.localdate()
        return self.paginated(queries.department_overview(membership.organization, today), DepartmentSerializer)
