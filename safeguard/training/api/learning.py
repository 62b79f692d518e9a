"""A member's own training over the API: who they are on the roster, their open assignments and their latest
completions, with every completion a page at a time at training/me/completions/. Any member may ask (workforce
members included); quiz-taking itself happens on the pages."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.training.api.completions import (
    CompletionCourseRefSerializer,
    CompletionPersonRefSerializer,
    certificate_path,
)
from safeguard.training.learner_access import NotOnRoster, learner_person
from safeguard.training.models import Assignment, Completion
from safeguard.training.queries_learning import open_assignments, person_completions

TAGS = ["training completions"]
LATEST = 50  # completions shown in training/me/; the rest are a page away


class MyTrainingAssignmentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    course = CompletionCourseRefSerializer()
    assigned_on = serializers.DateField()
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField(help_text="Past its due date and still open.")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, assignment: Assignment) -> bool:
        return assignment.due_on < timezone.localdate()


class MyTrainingCompletionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    course = CompletionCourseRefSerializer()
    completed_at = serializers.DateTimeField()
    score = serializers.IntegerField(allow_null=True)
    source = serializers.ChoiceField(choices=Completion.Source.choices)  # type: ignore[assignment]  # not the field's
    certificate = serializers.SerializerMethodField(help_text="Where to download its PDF certificate.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_certificate(self, completion: Completion) -> str:
        return certificate_path(completion)


class MyTrainingSerializer(serializers.Serializer):
    person = CompletionPersonRefSerializer(allow_null=True, help_text="Null when you are not on the roster.")
    open_assignments = MyTrainingAssignmentSerializer(many=True)
    completions = MyTrainingCompletionSerializer(many=True, help_text=f"The {LATEST} latest, latest first.")
    completions_total = serializers.IntegerField(help_text="How many completions you have in all.")
    completions_url = serializers.CharField(help_text="Every completion of yours, a page at a time.")


def my_completions_path(org_slug: str) -> str:
    return reverse("api:training_my_completions", args=[org_slug])


class MyTrainingView(ApiView):
    @extend_schema(
        summary="My training",
        description=f"The caller's roster person (matched by email), their open assignments (soonest due first) "
        f"and their {LATEST} latest completions, with the total and where to page through them all "
        "(training/me/completions/). A member not on the roster gets person null and empty lists.",
        responses={200: MyTrainingSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, None)
        body: dict[str, Any] = {
            "person": None,
            "open_assignments": [],
            "completions": [],
            "completions_total": 0,
            "completions_url": my_completions_path(membership.organization.slug),
        }
        try:
            person = learner_person(membership)
        except NotOnRoster:
            return Response(MyTrainingSerializer(body).data)
        completions = person_completions(person).select_related("organization")
        body.update(
            person=person,
            open_assignments=open_assignments(person),
            completions=completions[:LATEST],
            completions_total=completions.count(),
        )
        return Response(MyTrainingSerializer(body).data)


class MyCompletionsView(ApiView):
    @extend_schema(
        summary="My completions",
        description="Every completion of the caller's roster person, latest first, a page at a time. A member not "
        "on the roster gets an empty list.",
        responses={200: MyTrainingCompletionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, None)
        try:
            person = learner_person(membership)
        except NotOnRoster:
            return self.paginated(Completion.objects.none(), MyTrainingCompletionSerializer)
        return self.paginated(person_completions(person).select_related("organization"), MyTrainingCompletionSerializer)
