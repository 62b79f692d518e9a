"""Lessons and quiz questions over the API: list, add, change or move, remove. The same services and rules as the
pages (services/course_content.py). Program viewers read them, correct answers included; those who manage the
program change them. Routes are in api/urls_courses.py, under a course.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.training import queries_courses as queries
from safeguard.training.access import get_course_for_user, get_lesson_for_user, get_question_for_user
from safeguard.training.markdown import render_markdown
from safeguard.training.models import Lesson, Question
from safeguard.training.services import course_content as content
from safeguard.training.services.quiz_rules import ChoiceInput

TAGS = ["training curriculum"]
MANAGE = "Needs the manage-program permission."
VERSIONED = "Changing a published course's lessons or quiz raises its version."


# ---- serializers --------------------------------------------------------------------------------------------------


class CurriculumLessonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    position = serializers.SerializerMethodField(help_text="1 for the first lesson.")
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.SerializerMethodField(help_text="The body rendered and sanitized, as learners see it.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_position(self, lesson: Lesson) -> int:
        return lesson.position + 1

    @extend_schema_field(OpenApiTypes.STR)
    def get_body_html(self, lesson: Lesson) -> str:
        return str(render_markdown(lesson.body))


class CurriculumLessonWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(trim_whitespace=False)
    position = serializers.IntegerField(required=False, help_text="Changes only: move it here (1 for first).")


class CurriculumChoiceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    text = serializers.CharField()
    correct = serializers.BooleanField()


class CurriculumQuestionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    position = serializers.SerializerMethodField(help_text="1 for the first question.")
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    explanation = serializers.CharField()
    choices = CurriculumChoiceSerializer(many=True, source="choices.all")

    @extend_schema_field(OpenApiTypes.INT)
    def get_position(self, question: Question) -> int:
        return question.position + 1


class CurriculumChoiceWriteSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(required=False, help_text="An existing choice to keep (changes only).")
    text = serializers.CharField(max_length=500, allow_blank=True)
    correct = serializers.BooleanField()


class CurriculumQuestionWriteSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    explanation = serializers.CharField(required=False, allow_blank=True)
    choices = CurriculumChoiceWriteSerializer(many=True, help_text="2 to 8, in order; the whole new set.")
    position = serializers.IntegerField(required=False, help_text="Changes only: move it here (1 for first).")


# ---- lookups ------------------------------------------------------------------------------------------------------


def _lesson_of(membership: Membership, course_id: UUID, lesson_id: UUID, *, write: bool = False) -> Lesson:
    lesson = get_lesson_for_user(membership, lesson_id, write=write)
    if lesson.course.public_id != course_id:
        raise Http404("No such lesson.")
    return lesson


def _question_of(membership: Membership, course_id: UUID, question_id: UUID, *, write: bool = False) -> Question:
    question = get_question_for_user(membership, question_id, write=write)
    if question.course.public_id != course_id:
        raise Http404("No such question.")
    return question


def _question_out(question: Question) -> dict[str, Any]:
    return dict(CurriculumQuestionSerializer(queries.questions(question.course).get(pk=question.pk)).data)


def _choices(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "choices" in values:
        values["choices"] = [
            ChoiceInput(choice["text"], choice["correct"], choice.get("public_id")) for choice in values["choices"]
        ]
    return values


# ---- lessons ------------------------------------------------------------------------------------------------------


class LessonListView(ApiView):
    @extend_schema(
        summary="List a course's lessons",
        description="In order, each with its Markdown and the sanitized HTML learners see.",
        responses={200: CurriculumLessonSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(queries.lessons(get_course_for_user(membership, course_id)), CurriculumLessonSerializer)

    @extend_schema(
        summary="Add a lesson",
        description=f"At the end of an in-app course. {VERSIONED} {MANAGE}",
        request=CurriculumLessonWriteSerializer,
        responses={201: CurriculumLessonSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        values = CurriculumLessonWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data.pop("position", None)
        lesson = content.lesson_create(
            organization=membership.organization, actor=api_actor(request), course=course, **data
        )
        return Response(CurriculumLessonSerializer(lesson).data, status=status.HTTP_201_CREATED)


class LessonDetailView(ApiView):
    @extend_schema(
        summary="One lesson",
        responses={200: CurriculumLessonSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, course_id: UUID, lesson_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(CurriculumLessonSerializer(_lesson_of(membership, course_id, lesson_id)).data)

    @extend_schema(
        summary="Change or move a lesson",
        description=f"Fields left out keep their value; position moves it (1 for first). {VERSIONED} {MANAGE}",
        request=CurriculumLessonWriteSerializer(partial=True),
        responses={200: CurriculumLessonSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, course_id: UUID, lesson_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        lesson = _lesson_of(membership, course_id, lesson_id, write=True)
        values = CurriculumLessonWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        updated = content.lesson_update(
            organization=membership.organization, actor=api_actor(request), lesson=lesson, **values.validated_data
        )
        return Response(CurriculumLessonSerializer(updated).data)

    @extend_schema(
        summary="Remove a lesson",
        description=f"A published course keeps at least one. {VERSIONED} {MANAGE}",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, course_id: UUID, lesson_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        lesson = _lesson_of(membership, course_id, lesson_id, write=True)
        content.lesson_delete(organization=membership.organization, actor=api_actor(request), lesson=lesson)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- questions ----------------------------------------------------------------------------------------------------


class QuestionListView(ApiView):
    @extend_schema(
        summary="List a course's quiz questions",
        description="In written order, with their choices and which are correct.",
        responses={200: CurriculumQuestionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(
            queries.questions(get_course_for_user(membership, course_id)), CurriculumQuestionSerializer
        )

    @extend_schema(
        summary="Add a quiz question",
        description="2 to 8 distinct choices; at least one correct, exactly one for a single-answer question. "
        f"{VERSIONED} {MANAGE}",
        request=CurriculumQuestionWriteSerializer,
        responses={201: CurriculumQuestionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        values = CurriculumQuestionWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = _choices(values.validated_data)
        data.pop("position", None)
        question = content.question_create(
            organization=membership.organization, actor=api_actor(request), course=course, **data
        )
        return Response(_question_out(question), status=status.HTTP_201_CREATED)


class QuestionDetailView(ApiView):
    @extend_schema(
        summary="One quiz question",
        responses={200: CurriculumQuestionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, course_id: UUID, question_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_question_out(_question_of(membership, course_id, question_id)))

    @extend_schema(
        summary="Change or move a quiz question",
        description="Fields left out keep their value; choices given replace them (a choice with the public_id "
        f"of an existing one keeps it); position moves it. {VERSIONED} {MANAGE}",
        request=CurriculumQuestionWriteSerializer(partial=True),
        responses={200: CurriculumQuestionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, course_id: UUID, question_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        question = _question_of(membership, course_id, question_id, write=True)
        values = CurriculumQuestionWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        content.question_update(
            organization=membership.organization,
            actor=api_actor(request),
            question=question,
            **_choices(values.validated_data),
        )
        return Response(_question_out(question))

    @extend_schema(
        summary="Remove a quiz question",
        description=f"Past answers keep its text. A published course keeps at least one. {VERSIONED} {MANAGE}",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, course_id: UUID, question_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        question = _question_of(membership, course_id, question_id, write=True)
        content.question_delete(organization=membership.organization, actor=api_actor(request), question=question)
        return Response(status=status.HTTP_204_NO_CONTENT)
