"""The curriculum over the API: topics, courses (publish, retire, prerequisites) and the starter curriculum; their
lessons and quiz questions are in api/course_content.py. The same services and rules as the pages.

Program viewers read everything, the quiz's correct answers included (auditors read the curriculum); those who
manage the program change it. Workforce members never reach these endpoints: they take courses through the
learner pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training import queries_courses as queries
from safeguard.training.access import get_course_for_user, get_topic_for_user
from safeguard.training.api.course_content import MANAGE, TAGS
from safeguard.training.models import Course, CourseKind, Delivery, Topic
from safeguard.training.services import curriculum as services
from safeguard.training.services import starter as starter_services

# ---- serializers --------------------------------------------------------------------------------------------------


class CurriculumTopicRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    key = serializers.CharField()
    name = serializers.CharField()


class CurriculumCourseRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Course.Status.choices)


class CurriculumTopicSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    citations = serializers.ListField(child=serializers.CharField(), help_text="Catalog citations it serves.")
    course_count = serializers.IntegerField(help_text="Courses that cover it, any status.")
    created_at = serializers.DateTimeField()


class CurriculumTopicWriteSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="Lowercase letters, digits, _ and -.")
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    citations = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, help_text="Each must be in the catalog."
    )


class CurriculumCourseSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    code = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=CourseKind.choices)
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    status = serializers.ChoiceField(choices=Course.Status.choices)
    version = serializers.IntegerField(help_text="Raised each time the published lessons or quiz change.")
    summary = serializers.CharField(help_text="Markdown.")
    external_url = serializers.CharField(help_text="External courses: where people take it.")
    minutes = serializers.IntegerField()
    pass_mark = serializers.IntegerField(help_text="Percent.")
    max_attempts = serializers.IntegerField(help_text="Failed attempts allowed; 0: no limit.")
    randomize = serializers.BooleanField()
    topics = CurriculumTopicRefSerializer(many=True, source="topics.all")
    prerequisites = CurriculumCourseRefSerializer(many=True, source="prerequisites.all")
    lesson_count = serializers.IntegerField()
    question_count = serializers.IntegerField()
    completion_count = serializers.IntegerField()
    starter_key = serializers.CharField(help_text="The starter course it was installed from, if any.")
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CurriculumRuleRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    active = serializers.BooleanField()


class CurriculumCourseDetailSerializer(CurriculumCourseSerializer):
    required_by = CurriculumCourseRefSerializer(
        many=True, source="required_by.all", help_text="Courses that require it."
    )
    rules = CurriculumRuleRefSerializer(many=True, source="rules.all", help_text="Assignment rules that assign it.")
    attempt_count = serializers.IntegerField()


class CurriculumCourseWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CourseKind.choices)
    delivery = serializers.ChoiceField(choices=Delivery.choices, required=False, help_text="Changes only in draft.")
    summary = serializers.CharField(required=False, allow_blank=True)
    external_url = serializers.CharField(max_length=200, required=False, allow_blank=True)
    minutes = serializers.IntegerField(required=False, min_value=0, max_value=32767)
    pass_mark = serializers.IntegerField(required=False, min_value=0, max_value=32767, help_text="1 to 100.")
    max_attempts = serializers.IntegerField(required=False, min_value=0, max_value=32767, help_text="0 to 20.")
    randomize = serializers.BooleanField(required=False)
    topic_ids = serializers.ListField(child=serializers.UUIDField(), required=False)


class CurriculumCourseFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CourseKind.choices, required=False)
    status = serializers.ChoiceField(choices=Course.Status.choices, required=False)
    topic_id = serializers.UUIDField(required=False)


class CurriculumPrerequisitesWriteSerializer(serializers.Serializer):
    course_ids = serializers.ListField(
        child=serializers.UUIDField(), allow_empty=True, help_text="The whole new set; [] removes them all."
    )


class StarterSummarySerializer(serializers.Serializer):
    created = serializers.DictField(child=serializers.IntegerField(), help_text="Per section: records added.")
    present = serializers.DictField(child=serializers.IntegerField(), help_text="Per section: already there.")
    notes = serializers.ListField(child=serializers.CharField(), help_text="Items left out, and why.")


# ---- lookups ------------------------------------------------------------------------------------------------------


@contextmanager
def _named(field: str) -> Iterator[None]:
    """A record of another organization (or none) named in the body is a bad input, not a missing page."""
    try:
        yield
    except Http404:
        what = field.removesuffix("_ids").removesuffix("_id")
        raise ServiceError(f"No such {what} in this organization.", field=field) from None


def _topics(membership: Membership, ids: list[UUID], field: str = "topic_ids") -> list[Topic]:
    with _named(field):
        return [get_topic_for_user(membership, public_id) for public_id in dict.fromkeys(ids)]


def _courses(membership: Membership, ids: list[UUID]) -> list[Course]:
    with _named("course_ids"):
        return [get_course_for_user(membership, public_id) for public_id in dict.fromkeys(ids)]


def _course_values(membership: Membership, data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "topic_ids" in values:
        values["topics"] = _topics(membership, values.pop("topic_ids"))
    return values


def _course_out(course: Course) -> dict[str, Any]:
    return dict(CurriculumCourseDetailSerializer(queries.course_with_everything(course)).data)


def _topic_out(topic: Topic) -> dict[str, Any]:
    return dict(CurriculumTopicSerializer(queries.topics(topic.organization).get(pk=topic.pk)).data)


# ---- topics -------------------------------------------------------------------------------------------------------


class TopicListView(ApiView):
    @extend_schema(
        summary="List training topics",
        description="By name, with the catalog citations each serves and how many courses cover it.",
        responses={200: CurriculumTopicSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(queries.topics(membership.organization), CurriculumTopicSerializer)

    @extend_schema(
        summary="Create a training topic",
        description=f"A unique key, a name, and catalog citations (each must be in the catalog). {MANAGE}",
        request=CurriculumTopicWriteSerializer,
        responses={201: CurriculumTopicSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = CurriculumTopicWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        topic = services.topic_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(_topic_out(topic), status=status.HTTP_201_CREATED)


class TopicDetailView(ApiView):
    @extend_schema(
        summary="One training topic",
        responses={200: CurriculumTopicSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, topic_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_topic_out(get_topic_for_user(membership, topic_id)))

    @extend_schema(
        summary="Change a training topic",
        description=f"Fields left out keep their value; citations given replace the list. {MANAGE}",
        request=CurriculumTopicWriteSerializer(partial=True),
        responses={200: CurriculumTopicSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, topic_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        topic = get_topic_for_user(membership, topic_id, write=True)
        values = CurriculumTopicWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        services.topic_update(
            organization=membership.organization, actor=api_actor(request), topic=topic, **values.validated_data
        )
        return Response(_topic_out(topic))


# ---- courses ------------------------------------------------------------------------------------------------------


class CourseListView(ApiView):
    @extend_schema(
        summary="List courses",
        description="By title, with topics, prerequisites and counts. Filters: kind, status, topic_id.",
        parameters=[CurriculumCourseFilterSerializer],
        responses={200: CurriculumCourseSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = CurriculumCourseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        applied = dict(filters.validated_data)
        if "topic_id" in applied:
            applied["topic"] = _topics(membership, [applied.pop("topic_id")], "topic_id")[0]
        rows = queries.filter_courses(queries.courses(membership.organization), applied)
        return self.paginated(rows.order_by("title", "pk"), CurriculumCourseSerializer)

    @extend_schema(
        summary="Create a course",
        description="As a draft: add lessons and questions (or, for an external course, give its link), then "
        f"publish it. {MANAGE}",
        request=CurriculumCourseWriteSerializer,
        responses={201: CurriculumCourseDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = CurriculumCourseWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        course = services.course_create(
            organization=membership.organization,
            actor=api_actor(request),
            **_course_values(membership, values.validated_data),
        )
        return Response(_course_out(course), status=status.HTTP_201_CREATED)


class CourseDetailView(ApiView):
    @extend_schema(
        summary="One course",
        description="With what requires it, the rules that assign it and how many quiz attempts it has had.",
        responses={200: CurriculumCourseDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_course_out(get_course_for_user(membership, course_id)))

    @extend_schema(
        summary="Change a course",
        description="Fields left out keep their value; topic_ids given replace the topics. Delivery changes only "
        f"while it is a draft; changing a published course's pass mark raises its version. {MANAGE}",
        request=CurriculumCourseWriteSerializer(partial=True),
        responses={200: CurriculumCourseDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        values = CurriculumCourseWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        services.course_update(
            organization=membership.organization,
            actor=api_actor(request),
            course=course,
            **_course_values(membership, values.validated_data),
        )
        return Response(_course_out(course))

    @extend_schema(
        summary="Delete a draft course",
        description=f"Only a draft with no rule, assignment, completion or attempt; anything else is retired. {MANAGE}",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        services.course_delete(organization=membership.organization, actor=api_actor(request), course=course)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoursePublishView(ApiView):
    @extend_schema(
        summary="Publish a course",
        description="A draft, or a retired course again. An in-app course needs a lesson and a quiz whose every "
        "question is sound (the error names each broken one); an external course its link; every prerequisite must "
        f"be published. {MANAGE}",
        request=None,
        responses={200: CurriculumCourseDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        services.course_publish(organization=membership.organization, actor=api_actor(request), course=course)
        return Response(_course_out(course))


class CourseRetireView(ApiView):
    @extend_schema(
        summary="Retire a course",
        description="A published course that no active rule assigns and no published course requires. Its open "
        "assignments are cancelled (reason “Course retired”); its completions stay on record. " + MANAGE,
        request=None,
        responses={200: CurriculumCourseDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        services.course_retire(organization=membership.organization, actor=api_actor(request), course=course)
        return Response(_course_out(course))


class CoursePrerequisitesView(ApiView):
    @extend_schema(
        summary="Set a course's prerequisites",
        description="Replaces them. Refused: the course itself, a cycle (the error names it, e.g. SEC-201 → "
        f"SEC-101 → SEC-201), and for a published course any course not published. {MANAGE}",
        request=CurriculumPrerequisitesWriteSerializer,
        responses={200: CurriculumCourseDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str, course_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        course = get_course_for_user(membership, course_id, write=True)
        values = CurriculumPrerequisitesWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.course_prerequisites_set(
            organization=membership.organization,
            actor=api_actor(request),
            course=course,
            prerequisites=_courses(membership, values.validated_data["course_ids"]),
        )
        return Response(_course_out(course))


# ---- the starter curriculum ---------------------------------------------------------------------------------------


class StarterInstallView(ApiView):
    @extend_schema(
        summary="Install the starter curriculum",
        description="Adds the topics, published courses, inactive assignment rules, draft documents and draft "
        "reminders this organization does not have yet; what it has (edited or not) is left alone, so running it "
        f"again adds nothing. {MANAGE}",
        request=None,
        responses={200: StarterSummarySerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        summary = starter_services.starter_install(organization=membership.organization, actor=api_actor(request))
        return Response(StarterSummarySerializer(summary).data)
