"""Joiner–mover–leaver workflows over the API: workflows and their tasks (program viewers read), completing a task
(its assignee or the program's managers) and waiving one (the security official or an owner), the leaver target
measured, clearances and authorizations per person, and the workforce settings."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import AwareDateTimeField, PersonSerializer, error_responses
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.access import get_person_for_user, get_task_for_user, get_workflow_for_user
from safeguard.workforce.models import Authorization, Clearance, Workflow, WorkflowTask
from safeguard.workforce.queries import workforce_settings
from safeguard.workforce.services import tasks as services
from safeguard.workforce.services.sla import WINDOW_DAYS, Disablement, leaver_sla
from safeguard.workforce.services.workflows import (
    PROPOSED_RULE_SLA_HOURS,
    SETTINGS_FIELDS,
    is_overdue,
    workflow_tasks,
    workflows_listed,
    workforce_settings_update,
)

TAGS = ["workforce"]


class WorkflowPersonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class TaskSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=WorkflowTask.Kind.choices)
    title = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.ChoiceField(choices=WorkflowTask.Status.choices)
    assignee = PersonSerializer(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = PersonSerializer(allow_null=True)
    effective_at = serializers.DateTimeField(allow_null=True, help_text="When it really took effect.")
    elapsed_seconds = serializers.IntegerField(
        allow_null=True, help_text="For a leaver's account: termination to disablement, measured."
    )
    note = serializers.CharField()
    waiver_reason = serializers.CharField()
    waived_by = PersonSerializer(allow_null=True)

    def get_overdue(self, task: WorkflowTask) -> bool:
        return is_overdue(task, timezone.now())


class WorkflowSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Workflow.Kind.choices)
    status = serializers.ChoiceField(choices=Workflow.Status.choices)
    person = WorkflowPersonSerializer()
    trigger = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    termination_at = serializers.DateTimeField(allow_null=True, help_text="For a leaver: the clock's start.")
    sla_hours = serializers.IntegerField(allow_null=True, help_text="For a leaver: the target it opened with.")
    open_tasks = serializers.IntegerField()
    total_tasks = serializers.IntegerField()
    next_due_at = serializers.DateTimeField(allow_null=True, help_text="The earliest due time of an open task.")


class WorkflowDetailSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Workflow.Kind.choices)
    status = serializers.ChoiceField(choices=Workflow.Status.choices)
    person = WorkflowPersonSerializer()
    trigger = serializers.CharField()
    changes = serializers.JSONField(help_text="For a mover: field → [before, after].")
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    termination_at = serializers.DateTimeField(allow_null=True)
    sla_hours = serializers.IntegerField(allow_null=True)
    tasks = TaskSerializer(many=True, source="tasks_listed")


class WorkflowFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Workflow.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Workflow.Status.choices, required=False)
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only with an open task past due.")


class TaskCompleteSerializer(serializers.Serializer):
    effective_at = AwareDateTimeField(
        required=False,
        help_text="When it really took effect (for an account: when it was disabled), with its UTC offset; "
        "default now. Not in the future.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    clearance_result = serializers.ChoiceField(
        choices=Clearance.Result.choices, required=False, help_text="For a clearance task: passed or failed."
    )
    clearance_kind = serializers.CharField(required=False, max_length=100, help_text="Default: Background check.")
    completed_on = serializers.DateField(required=False, help_text="For a clearance task: the result date.")


class TaskWaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="The recorded, approved exception.")


class DisablementSerializer(serializers.Serializer):
    workflow_id = serializers.UUIDField(source="workflow.public_id")
    task_id = serializers.UUIDField(source="task.public_id")
    person = WorkflowPersonSerializer()
    account = serializers.CharField(source="task.title")
    termination_at = serializers.DateTimeField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    elapsed_seconds = serializers.IntegerField(
        allow_null=True, help_text="Measured; for an account still enabled, the time so far. Negative: disabled first."
    )
    elapsed = serializers.CharField(source="elapsed_text")
    target_hours = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["met", "breach", "overdue", "waiting", "waived"])
    breach = serializers.BooleanField(source="is_breach")
    within_proposed_rule = serializers.BooleanField(source="meets_proposed_rule")


class LeaverSlaSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    days = serializers.IntegerField()
    target_hours = serializers.IntegerField(help_text="The current target; each workflow keeps its own.")
    proposed_rule_hours = serializers.IntegerField(help_text="The 2025 proposed rule's target.")
    leavers = serializers.IntegerField()
    accounts = serializers.IntegerField()
    measured = serializers.IntegerField()
    still_enabled = serializers.IntegerField()
    median_seconds = serializers.IntegerField(allow_null=True)
    worst_seconds = serializers.IntegerField(allow_null=True)
    breaches = serializers.IntegerField()
    proposed_rule_met = serializers.IntegerField()
    proposed_rule_judged = serializers.IntegerField()
    rows = DisablementSerializer(many=True)


class LeaverSlaQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=730, required=False, default=WINDOW_DAYS)


class ClearanceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.CharField()
    result = serializers.ChoiceField(choices=Clearance.Result.choices)
    completed_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    recorded_by = PersonSerializer()
    recorded_at = serializers.DateTimeField()


class ClearanceWriteSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=100, required=False, default="Background check")
    result = serializers.ChoiceField(choices=Clearance.Result.choices)
    completed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Not for a pending result."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AuthorizationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    basis = serializers.ChoiceField(choices=Authorization.Basis.choices)
    authorized_by = PersonSerializer()
    authorized_at = serializers.DateTimeField()
    note = serializers.CharField()


class AuthorizationWriteSerializer(serializers.Serializer):
    authorized_by = serializers.CharField(help_text="The approver's user public_id or email; a current member.")
    authorized_on = serializers.DateField()
    note = serializers.CharField(max_length=5000, help_text="What access was approved, where the original is kept.")


class WorkforceSettingsSerializer(serializers.Serializer):
    leaver_sla_hours = serializers.IntegerField(help_text="Hours from termination to every account disabled.")
    joiner_due_days = serializers.IntegerField()
    mover_due_days = serializers.IntegerField()
    proposed_rule_sla_hours = serializers.IntegerField(read_only=True, default=PROPOSED_RULE_SLA_HOURS)


def _approver(organization: Organization, value: str) -> User:
    try:
        match = Q(user__public_id=UUID(value))
    except ValueError:
        match = Q(user__email__iexact=value.strip())
    member = Membership.objects.current().filter(organization=organization).filter(match).select_related("user")
    found = member.first()
    if found is None:
        raise ServiceError(f"No current member of this organization matches {value!r}.", field="authorized_by")
    return found.user


def _workflow_detail(workflow: Workflow) -> dict[str, Any]:
    workflow.tasks_listed = list(workflow_tasks(workflow))  # type: ignore[attr-defined]
    return dict(WorkflowDetailSerializer(workflow).data)


class WorkflowListView(ApiView):
    @extend_schema(
        summary="List joiner, mover and leaver workflows",
        description="Newest first, with task counts and the next due time. Filters: kind, status, overdue.",
        parameters=[WorkflowFilterSerializer],
        responses={200: WorkflowSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = WorkflowFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.paginated(workflows_listed(membership.organization, **filters.validated_data), WorkflowSerializer)


class WorkflowDetailView(ApiView):
    @extend_schema(
        summary="One workflow with its tasks",
        responses={200: WorkflowDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, workflow_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_workflow_detail(get_workflow_for_user(membership, workflow_id)))


class MyTaskListView(ApiView):
    @extend_schema(
        summary="List the open tasks assigned to me",
        description="Any member: a manager's authorizations, a person's acknowledgements. Soonest due first.",
        responses={200: TaskSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, None)
        tasks = WorkflowTask.objects.filter(
            organization=membership.organization, assignee=membership.user, status=WorkflowTask.Status.OPEN
        ).select_related("assignee", "completed_by", "waived_by")
        return self.paginated(tasks.order_by("due_at", "pk"), TaskSerializer)


def _task_response(task: WorkflowTask) -> Response:
    fresh = WorkflowTask.objects.select_related("assignee", "completed_by", "waived_by").get(pk=task.pk)
    return Response(TaskSerializer(fresh).data)


class TaskCompleteView(ApiView):
    @extend_schema(
        summary="Complete a task",
        description="Its assignee or the program's managers. A clearance task needs the result (passed or failed) "
        "and its date; provisioning is refused until the manager authorized, a required clearance passed and the "
        "training is done or waived; an account task measures the time from the termination to `effective_at`.",
        request=TaskCompleteSerializer,
        responses={200: TaskSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, task_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        task = get_task_for_user(membership, task_id, write=True)
        values = TaskCompleteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.task_complete(
            organization=membership.organization, actor=api_actor(request), task=task, **values.validated_data
        )
        return _task_response(task)


class TaskWaiveView(ApiView):
    @extend_schema(
        summary="Waive a task",
        description="The security official or an owner approves skipping a step, with the reason (e.g. access "
        "before training in an emergency).",
        request=TaskWaiveSerializer,
        responses={200: TaskSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, task_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        task = get_task_for_user(membership, task_id)
        values = TaskWaiveSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.task_waive(
            organization=membership.organization, actor=api_actor(request), task=task, **values.validated_data
        )
        return _task_response(task)


class LeaverSlaView(ApiView):
    @extend_schema(
        summary="The leaver target, measured",
        description="Every leaver of the last `days` (90 by default) and each account they held: termination, "
        "disablement, elapsed time and target; accounts still enabled past their target are breaches. With the "
        "median, the worst, and how many would meet the 2025 proposed rule's 1-hour target.",
        parameters=[LeaverSlaQuerySerializer],
        responses={200: LeaverSlaSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        query = LeaverSlaQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = leaver_sla(membership.organization, days=query.validated_data["days"])
        worst: Disablement | None = report.worst
        summary = {
            "since": report.since,
            "until": report.until,
            "days": report.days,
            "target_hours": report.target_hours,
            "proposed_rule_hours": report.proposed_rule_hours,
            "leavers": len(report.leavers),
            "accounts": len(report.rows),
            "measured": len(report.measured),
            "still_enabled": len(report.still_enabled),
            "median_seconds": report.median_seconds,
            "worst_seconds": worst.counted_seconds if worst else None,
            "breaches": len(report.breaches),
            "proposed_rule_met": report.proposed_rule_met,
            "proposed_rule_judged": report.proposed_rule_judged,
            "rows": report.rows,
        }
        return Response(LeaverSlaSerializer(summary).data)


class ClearanceListView(ApiView):
    @extend_schema(
        summary="List a person's clearances",
        responses={200: ClearanceSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        person = get_person_for_user(membership, person_id)
        rows = person.clearances.select_related("recorded_by").order_by("-completed_on", "-recorded_at", "-pk")
        return self.paginated(rows, ClearanceSerializer)

    @extend_schema(
        summary="Record a clearance result by hand",
        description="For a result obtained outside a joiner workflow. A pending result has no date; passed and "
        "failed ones do. Needs the manage-program permission.",
        request=ClearanceWriteSerializer,
        responses={201: ClearanceSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        person = get_person_for_user(membership, person_id, write=True)
        values = ClearanceWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        clearance = services.clearance_record(
            organization=membership.organization, actor=api_actor(request), person=person, **values.validated_data
        )
        return Response(ClearanceSerializer(clearance).data, status=status.HTTP_201_CREATED)


class AuthorizationListView(ApiView):
    @extend_schema(
        summary="List a person's authorizations",
        description="Joiner approvals, review decisions and authorizations recorded by hand, newest first.",
        responses={200: AuthorizationSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        person = get_person_for_user(membership, person_id)
        rows = person.authorizations.select_related("authorized_by").order_by("-authorized_at", "-pk")
        return self.paginated(rows, AuthorizationSerializer)

    @extend_schema(
        summary="Record an authorization by hand",
        description="For an approval given outside Safeguard: who approved (a current member), on which day, and "
        "what. Needs the manage-program permission.",
        request=AuthorizationWriteSerializer,
        responses={201: AuthorizationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, person_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        person = get_person_for_user(membership, person_id, write=True)
        values = AuthorizationWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data["authorized_by"] = _approver(membership.organization, data["authorized_by"])
        authorization = services.authorization_enter(
            organization=membership.organization, actor=api_actor(request), person=person, **data
        )
        return Response(AuthorizationSerializer(authorization).data, status=status.HTTP_201_CREATED)


class WorkforceSettingsView(ApiView):
    @extend_schema(
        summary="The workforce settings",
        description="The leaver target in hours and the joiner and mover due days.",
        responses={200: WorkforceSettingsSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(WorkforceSettingsSerializer(workforce_settings(membership.organization)).data)

    @extend_schema(
        summary="Change the workforce settings",
        description="Fields left out keep their value. Workflows already open keep the target they opened with. "
        "Needs the manage-organization permission.",
        request=WorkforceSettingsSerializer(partial=True),
        responses={200: WorkforceSettingsSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ORG)
        values = WorkforceSettingsSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = {name: values.validated_data[name] for name in SETTINGS_FIELDS if name in values.validated_data}
        settings = workforce_settings_update(organization=membership.organization, actor=api_actor(request), **data)
        return Response(WorkforceSettingsSerializer(settings).data)
