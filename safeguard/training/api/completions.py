"""Completions over the API: the same services and rules as the pages. Program viewers read completions; those
who manage the program record them by hand, upload LMS files into the shared import pipeline and grant more quiz
attempts. A certificate is readable by the person it names too. Quiz-taking itself happens on the pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.access import get_evidence_for_user
from safeguard.core.api.base import ApiView
from safeguard.core.api.file_imports import FileImportSerializer, FileUploadSerializer, upload_response
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import AwareDateTimeField, PersonSerializer, error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training.access import get_completion_for_user, get_course_for_user
from safeguard.training.certificates import certificate_response
from safeguard.training.completion_import import KIND
from safeguard.training.learner_access import get_certificate_completion_for_user
from safeguard.training.models import Completion
from safeguard.training.queries_learning import completion_rows, filter_completions
from safeguard.training.services.completions import completion_record_by_hand
from safeguard.training.services.quiz import attempts_grant
from safeguard.workforce.access import get_person_for_user

TAGS = ["training completions"]


class CompletionPersonRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class CompletionCourseRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    code = serializers.CharField()
    title = serializers.CharField()


def certificate_path(completion: Completion) -> str:
    return reverse("api:training_completion_certificate", args=[completion.organization.slug, completion.public_id])


class TrainingCompletionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person = CompletionPersonRefSerializer()
    course = CompletionCourseRefSerializer()
    course_version = serializers.IntegerField(help_text="The course's version when it was completed.")
    completed_at = serializers.DateTimeField()
    score = serializers.IntegerField(allow_null=True, help_text="Percent, when there was a quiz or a test.")
    source = serializers.ChoiceField(choices=Completion.Source.choices)  # type: ignore[assignment]  # not the field's
    attempt_id = serializers.UUIDField(source="attempt.public_id", allow_null=True, help_text="The passed quiz.")
    file_import_id = serializers.UUIDField(
        source="file_import.public_id", allow_null=True, help_text="The imported file it came from."
    )
    external_reference = serializers.CharField(help_text="The learning system's own record id.")
    evidence_id = serializers.UUIDField(source="evidence.public_id", allow_null=True)
    note = serializers.CharField()
    recorded_by = PersonSerializer(allow_null=True)
    recorded_at = serializers.DateTimeField()
    certificate = serializers.SerializerMethodField(help_text="Where to download its PDF certificate.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_certificate(self, completion: Completion) -> str:
        return certificate_path(completion)


class TrainingCompletionFilterSerializer(serializers.Serializer):
    course_id = serializers.UUIDField(required=False)
    person_id = serializers.UUIDField(required=False)
    person = serializers.CharField(required=False, max_length=200, help_text="Employee id, or part of a name or email.")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the completion's source, not the field's
        choices=Completion.Source.choices, required=False
    )
    completed_from = serializers.DateField(required=False, help_text="First day, in the installation's time zone.")
    completed_to = serializers.DateField(required=False, help_text="Last day, in the installation's time zone.")


class TrainingCompletionWriteSerializer(serializers.Serializer):
    person_id = serializers.UUIDField()
    course_id = serializers.UUIDField(help_text="A published or retired course (never a draft).")
    completed_at = AwareDateTimeField(help_text="With its UTC offset; not in the future, not before 1990.")
    score = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Percent, 0–100.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    evidence_id = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Existing evidence to link, e.g. a sign-in sheet."
    )


class QuizAttemptsGrantedSerializer(serializers.Serializer):
    person_id = serializers.UUIDField()
    course_id = serializers.UUIDField()
    attempts_cleared = serializers.IntegerField(help_text="Failed attempts that no longer count against the limit.")


@contextmanager
def _named(field: str) -> Iterator[None]:
    """A record of another organization (or none) named in the body is a bad input, not a missing page."""
    try:
        yield
    except Http404:
        what = field.removesuffix("_id")
        raise ServiceError(f"No such {what} in this organization.", field=field) from None


def _completion_out(completion: Completion) -> dict[str, Any]:
    fresh = completion_rows(completion.organization).select_related("file_import", "evidence", "organization")
    return dict(TrainingCompletionSerializer(fresh.get(pk=completion.pk)).data)


class CompletionListView(ApiView):
    @extend_schema(
        summary="List completions",
        description="Latest first. Filters: course_id, person_id, person (employee id, or part of a name or "
        "email), source, completed_from and completed_to (whole days).",
        parameters=[TrainingCompletionFilterSerializer],
        responses={200: TrainingCompletionSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = TrainingCompletionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = completion_rows(membership.organization).select_related("file_import", "evidence", "organization")
        return self.paginated(filter_completions(rows, dict(filters.validated_data)), TrainingCompletionSerializer)

    @extend_schema(
        summary="Record a completion by hand",
        description="For training taken outside Safeguard (source manual). It closes the person's open "
        "assignment of the course when it falls on or after the assignment's start. The same person, course and "
        "moment cannot be recorded twice. Needs the manage-program permission.",
        request=TrainingCompletionWriteSerializer,
        responses={201: TrainingCompletionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = TrainingCompletionWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        completion = completion_record_by_hand(
            organization=membership.organization,
            actor=api_actor(request),
            person=_person(membership, data["person_id"]),
            course=_course(membership, data["course_id"]),
            completed_at=data["completed_at"],
            score=data["score"],
            note=data["note"],
            evidence=_evidence(membership, data["evidence_id"]),
        )
        return Response(_completion_out(completion), status=status.HTTP_201_CREATED)


def _person(membership: Membership, person_id: UUID) -> Any:
    with _named("person_id"):
        return get_person_for_user(membership, person_id)


def _course(membership: Membership, course_id: UUID) -> Any:
    with _named("course_id"):
        return get_course_for_user(membership, course_id)


def _evidence(membership: Membership, evidence_id: UUID | None) -> Any:
    if evidence_id is None:
        return None
    with _named("evidence_id"):
        return get_evidence_for_user(membership, evidence_id)


class CompletionDetailView(ApiView):
    @extend_schema(
        summary="One completion",
        responses={200: TrainingCompletionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, completion_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_completion_out(get_completion_for_user(membership, completion_id)))


class CompletionCertificateView(ApiView):
    @extend_schema(
        summary="Download a completion's certificate",
        description="A one-page PDF: organization, person, course and version, completed date, score, the "
        "completion's id and a verification code program viewers check at training/certificates/verify/. "
        "Readable by the person it names and by program viewers.",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."), **error_responses(404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, completion_id: UUID) -> HttpResponse:
        membership = api_membership(request, org_slug, None)
        return certificate_response(get_certificate_completion_for_user(membership, completion_id))


class CompletionImportUploadView(ApiView):
    parser_classes = [MultiPartParser, FormParser]  # noqa: RUF012

    @extend_schema(
        summary="Upload an LMS completions file",
        description=f"Starts an import of kind {KIND}: the columns are guessed from the headers; follow it at "
        "file-imports/{id}/, then map and commit there. Every row is checked (person, course, date, score); rows "
        "not passed are skipped and completions already recorded are left unchanged. Needs the manage-program "
        "permission.",
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        return upload_response(request, org_slug, KIND, Perm.MANAGE_PROGRAM, {})


class AttemptsGrantView(ApiView):
    @extend_schema(
        summary="Grant more quiz attempts",
        description="The person's failed attempts at the course since their last completion stop counting "
        "against the attempt limit, so they may take the quiz again. Needs the manage-program permission.",
        request=None,
        responses={200: QuizAttemptsGrantedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, person_id: UUID, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        person = get_person_for_user(membership, person_id, write=True)
        course = get_course_for_user(membership, course_id, write=True)
        cleared = attempts_grant(
            organization=membership.organization, actor=api_actor(request), person=person, course=course
        )
        body = {"person_id": person.public_id, "course_id": course.public_id, "attempts_cleared": cleared}
        return Response(QuizAttemptsGrantedSerializer(body).data)
