"""Training effectiveness and the training settings over the API: the same reads and service as the pages.
Program viewers read both; those who manage the program change the settings."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm
from safeguard.training import queries_effectiveness as effectiveness
from safeguard.training.phishing_metrics import campaign_trend
from safeguard.training.queries import training_settings
from safeguard.training.services.settings import SETTINGS_FIELDS, SIGNATORY_MAX, training_settings_update

TAGS = ["training overview"]


def rate_field() -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, help_text="Percent with one decimal; null when there is nothing to divide by."
    )


def whole_rate_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True,
        help_text="Whole percent rounded down, as the tracker judges it; null when there is nothing to divide by.",
    )


class EffectivenessTimelinessSerializer(serializers.Serializer):
    department = serializers.CharField(source="label", help_text='The department ("(none)" when blank), or "All".')
    due = serializers.IntegerField(help_text="Assignments due in the window, excused and cancelled ones left out.")
    completed = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    open_overdue = serializers.IntegerField(help_text="Still open: every one of them is past its due date.")
    avg_days_late = serializers.FloatField(allow_null=True, help_text="Over the late completions.")
    completion_rate = whole_rate_field()
    on_time_rate = whole_rate_field()


class EffectivenessQuizSerializer(serializers.Serializer):
    course_id = serializers.UUIDField(source="public_id")
    code = serializers.CharField()
    title = serializers.CharField()
    attempts = serializers.IntegerField(help_text="Quiz attempts submitted in the window.")
    average_score = serializers.FloatField(allow_null=True)
    first_attempts = serializers.IntegerField()
    first_passed = serializers.IntegerField()
    first_pass_rate = rate_field()


class EffectivenessQuestionSerializer(serializers.Serializer):
    text = serializers.CharField()
    course_code = serializers.CharField()
    course_title = serializers.CharField()
    answers = serializers.IntegerField()
    wrong = serializers.IntegerField()
    miss_rate = rate_field()


class EffectivenessTrendPointSerializer(serializers.Serializer):
    campaign_id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    launched_on = serializers.DateField(allow_null=True)
    sent = serializers.IntegerField()
    clicked = serializers.IntegerField()
    submitted = serializers.IntegerField()
    reported = serializers.IntegerField()
    click_rate = serializers.FloatField(allow_null=True, help_text="A share from 0 to 1.")
    report_rate = serializers.FloatField(allow_null=True, help_text="A share from 0 to 1.")


class EffectivenessHumanErrorSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False until incident records exist in Safeguard.")
    note = serializers.CharField()


class EffectivenessSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        help_text="Today. The window is the 365 days ending on it (today included): assignments due in it before "
        "today, quizzes submitted in it."
    )
    timeliness = EffectivenessTimelinessSerializer()
    by_department = EffectivenessTimelinessSerializer(many=True)
    quiz_scores = EffectivenessQuizSerializer(many=True)
    most_missed_questions = EffectivenessQuestionSerializer(many=True)
    phishing_trend = EffectivenessTrendPointSerializer(many=True)
    incidents_human_error = EffectivenessHumanErrorSerializer()


HUMAN_ERROR_NOTE = (
    "Safeguard does not record security incidents yet: incidents attributed to human error are counted here once "
    "incident records exist."
)


class EffectivenessView(ApiView):
    @extend_schema(
        summary="Training effectiveness",
        description="Over the last 12 months (the 365 days ending today): the assignments that fell due before "
        "today (on time, late with the average days late, still open) overall and per department (case ignored, as "
        "on the departments page), rates as whole percents rounded down; per course the average quiz score and the "
        "first-attempt pass rate; the ten questions most often answered wrong (at least "
        f"{effectiveness.MIN_ANSWERS} answers); the phishing trend, one point per campaign.",
        responses={200: EffectivenessSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        organization, today = membership.organization, timezone.localdate()
        timeliness = effectiveness.timeliness_report(organization, today)
        report: dict[str, Any] = {
            "as_of": today,
            "timeliness": timeliness.overall,
            "by_department": timeliness.departments,
            "quiz_scores": effectiveness.quiz_scores(organization, today),
            "most_missed_questions": effectiveness.most_missed_questions(organization, today),
            "phishing_trend": campaign_trend(organization),
            "incidents_human_error": {"available": False, "note": HUMAN_ERROR_NOTE},
        }
        return Response(EffectivenessSerializer(report).data)


class TrainingSettingsSerializer(serializers.Serializer):
    completion_threshold = serializers.IntegerField(help_text="Percent, 50 to 100.")
    ack_threshold = serializers.IntegerField(help_text="Percent, 50 to 100.")
    reminder_cadence_months = serializers.IntegerField(help_text="1 to 12.")
    reminder_periods = serializers.IntegerField(help_text="1 to 12.")
    remind_days_before = serializers.IntegerField(help_text="0 to 60.")
    escalate_days_after = serializers.IntegerField(help_text="0 to 60.")
    certificate_signatory = serializers.CharField(
        allow_blank=True, max_length=SIGNATORY_MAX, trim_whitespace=False, help_text="Name and title."
    )


class TrainingSettingsView(ApiView):
    @extend_schema(
        summary="The training settings",
        description="Thresholds, reminder cadence, due-date reminders and escalation, the certificate signatory.",
        responses={200: TrainingSettingsSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(TrainingSettingsSerializer(training_settings(membership.organization)).data)

    @extend_schema(
        summary="Change the training settings",
        description="Fields left out keep their value. The tracker re-evaluates afterwards. Needs the manage-program "
        "permission.",
        request=TrainingSettingsSerializer(partial=True),
        responses={200: TrainingSettingsSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = TrainingSettingsSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = {name: values.validated_data[name] for name in SETTINGS_FIELDS if name in values.validated_data}
        settings = training_settings_update(organization=membership.organization, actor=api_actor(request), **data)
        return Response(TrainingSettingsSerializer(settings).data)
