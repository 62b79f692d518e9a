"""Role profiles, access exceptions and access beyond profile over the API: the same services and rules as the
pages. Program viewers read; those who manage the program change profiles and revoke exceptions; managers,
reviewers and those who manage the program request exceptions; the person's manager or the security official
decides them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.access.access import get_exception_for_user, get_profile_for_user, get_system_for_user
from safeguard.access.models import AccessException, RoleProfile, System
from safeguard.access.reconcile import beyond_profile
from safeguard.access.services import exceptions as exception_services
from safeguard.access.services import profiles as services
from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Membership, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.access import get_person_for_user
from safeguard.workforce.models import Person

TAGS = ["access"]
API_FIELDS = {"system": "system_id", "person": "person_id"}


class ProfileSystemRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField(source="asset.name")


class ProfilePersonRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class ProfileGrantSerializer(serializers.Serializer):
    system = ProfileSystemRefSerializer()
    role = serializers.CharField(help_text='"*": any role that is not privileged.')
    privileged = serializers.BooleanField(help_text="Also allows privileged (administrative) accounts.")


class RoleProfileSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    department = serializers.CharField(help_text="Blank: every department.")
    job_role = serializers.CharField(help_text="Blank: every job role.")
    requires_clearance = serializers.BooleanField()
    description = serializers.CharField()
    grants = ProfileGrantSerializer(many=True, source="grants.all")
    matched_people = serializers.IntegerField(help_text="People on the roster (not terminated) it matches.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RoleProfileWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    job_role = serializers.CharField(max_length=100, required=False, allow_blank=True)
    requires_clearance = serializers.BooleanField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ProfileGrantWriteSerializer(serializers.Serializer):
    system_id = serializers.UUIDField()
    role = serializers.CharField(max_length=200, help_text='As the system names it; "*" for any non-privileged role.')
    privileged = serializers.BooleanField(required=False, default=False)


class ProfileGrantRemoveSerializer(serializers.Serializer):
    system_id = serializers.UUIDField()
    role = serializers.CharField(max_length=200, help_text="Case is ignored.")


class AccessExceptionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person = ProfilePersonRefSerializer()
    system = ProfileSystemRefSerializer()
    role = serializers.CharField()
    privileged = serializers.BooleanField()
    justification = serializers.CharField()
    expires_on = serializers.DateField(help_text="The last day it is in force.")
    status = serializers.ChoiceField(choices=AccessException.Status.choices)
    expired = serializers.SerializerMethodField(help_text="Approved, and past its expiry day: a finding.")
    requested_by = PersonSerializer()
    requested_at = serializers.DateTimeField()
    approver = PersonSerializer(allow_null=True, help_text="Who approved or rejected it.")
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    revoked_by = PersonSerializer(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_expired(self, exception: AccessException) -> bool:
        return exception_services.is_expired(exception, timezone.localdate())


class AccessExceptionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AccessException.Status.choices, required=False)
    expired = serializers.BooleanField(required=False, allow_null=True, default=None)
    system_id = serializers.UUIDField(required=False)
    person_id = serializers.UUIDField(required=False)


class AccessExceptionRequestSerializer(serializers.Serializer):
    person_id = serializers.UUIDField()
    system_id = serializers.UUIDField()
    role = serializers.CharField(max_length=200)
    privileged = serializers.BooleanField(required=False, default=False)
    justification = serializers.CharField()
    expires_on = serializers.DateField(help_text="After today, at most 365 days ahead.")


class ExceptionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ExceptionRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, help_text="Why: the requester will read it.")


class BeyondProfileSerializer(serializers.Serializer):
    account_id = serializers.UUIDField(source="excess.account_public_id")
    username = serializers.CharField(source="excess.username")
    system = ProfileSystemRefSerializer()
    person = ProfilePersonRefSerializer()
    missing = serializers.ListField(
        child=serializers.CharField(), source="excess.missing", help_text="The entitlements nothing covers."
    )


class BeyondProfileFilterSerializer(serializers.Serializer):
    system_id = serializers.UUIDField(required=False)


# ---- lookups --------------------------------------------------------------------------------------------------


@contextmanager
def _named(field: str) -> Iterator[None]:
    """A record of another organization (or none) is a bad input here, not a missing page."""
    try:
        yield
    except Http404:
        raise ServiceError(f"No such {field.removesuffix('_id')} in this organization.", field=field) from None


def _system(membership: Membership, system_id: UUID) -> System:
    with _named("system_id"):
        return get_system_for_user(membership, system_id)


def _person(membership: Membership, person_id: UUID) -> Person:
    with _named("person_id"):
        return get_person_for_user(membership, person_id)


def _with_counts(profiles: list[RoleProfile]) -> list[RoleProfile]:
    if profiles:
        matched = services.coverage(profiles[0].organization, profiles).matched
        for profile in profiles:
            profile.matched_people = matched[profile.pk]  # type: ignore[attr-defined]
    return profiles


def _profile_out(profile: RoleProfile) -> dict[str, Any]:
    fresh = services.profiles_with_grants(profile.organization).select_related("organization").get(pk=profile.pk)
    return dict(RoleProfileSerializer(_with_counts([fresh])[0]).data)


# ---- profiles -------------------------------------------------------------------------------------------------


class ProfileListView(ApiView):
    @extend_schema(
        summary="List role profiles",
        description="By name, each with its grants and how many people on the roster it matches.",
        responses={200: RoleProfileSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rows = services.profiles_with_grants(membership.organization).select_related("organization").order_by("name")
        paginator, page = self.paginate(rows)
        return paginator.get_paginated_response(RoleProfileSerializer(_with_counts(page), many=True).data)

    @extend_schema(
        summary="Create a role profile",
        description="One profile per department and job role (case ignored), and unique names. Needs the "
        "manage-program permission.",
        request=RoleProfileWriteSerializer,
        responses={201: RoleProfileSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = RoleProfileWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        profile = services.profile_create(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(_profile_out(profile), status=status.HTTP_201_CREATED)


class ProfileDetailView(ApiView):
    @extend_schema(
        summary="One role profile",
        responses={200: RoleProfileSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_profile_out(get_profile_for_user(membership, profile_id)))

    @extend_schema(
        summary="Change a role profile",
        description="Fields left out keep their value. Needs the manage-program permission.",
        request=RoleProfileWriteSerializer(partial=True),
        responses={200: RoleProfileSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        profile = get_profile_for_user(membership, profile_id, write=True)
        values = RoleProfileWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        services.profile_update(
            organization=membership.organization, actor=api_actor(request), profile=profile, **values.validated_data
        )
        return Response(_profile_out(profile))

    @extend_schema(
        summary="Delete a role profile",
        description="Its grants go with it; the audit trail keeps what it allowed. Needs the manage-program "
        "permission.",
        responses={204: None, **error_responses(403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        profile = get_profile_for_user(membership, profile_id, write=True)
        services.profile_delete(organization=membership.organization, actor=api_actor(request), profile=profile)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileGrantListView(ApiView):
    @extend_schema(
        summary="List a profile's grants",
        description="By system name, then role.",
        responses={200: ProfileGrantSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        profile = get_profile_for_user(membership, profile_id)
        grants = profile.grants.select_related("system__asset").order_by("system__asset__name", "role", "pk")
        return self.paginated(grants, ProfileGrantSerializer)

    @extend_schema(
        summary="Add a grant to a profile",
        description='A role on a system; "*" allows any role that is not privileged, and a privileged grant also '
        "allows administrative accounts. Needs the manage-program permission.",
        request=ProfileGrantWriteSerializer,
        responses={201: ProfileGrantSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        profile = get_profile_for_user(membership, profile_id, write=True)
        values = ProfileGrantWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        system = _system(membership, data.pop("system_id"))
        with api_field_names(API_FIELDS):
            grant = services.grant_add(
                organization=membership.organization, actor=api_actor(request), profile=profile, system=system, **data
            )
        return Response(ProfileGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class ProfileGrantRemoveView(ApiView):
    @extend_schema(
        summary="Remove a grant from a profile",
        description="Names the grant by system and role (case ignored). Needs the manage-program permission.",
        request=ProfileGrantRemoveSerializer,
        responses={200: RoleProfileSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, profile_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        profile = get_profile_for_user(membership, profile_id, write=True)
        values = ProfileGrantRemoveSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        system = _system(membership, values.validated_data["system_id"])
        with api_field_names(API_FIELDS):
            services.grant_remove(
                organization=membership.organization,
                actor=api_actor(request),
                profile=profile,
                system=system,
                role=values.validated_data["role"],
            )
        return Response(_profile_out(profile))


# ---- exceptions -----------------------------------------------------------------------------------------------


def _exception_out(exception: AccessException) -> dict[str, Any]:
    fresh = exception_services.exception_rows(exception.organization).get(pk=exception.pk)
    return dict(AccessExceptionSerializer(fresh).data)


class ExceptionListView(ApiView):
    @extend_schema(
        summary="List access exceptions",
        description="Latest request first. Filters: status; expired=true for the findings (approved, past their "
        "expiry day), false for the rest; system_id; person_id.",
        parameters=[AccessExceptionFilterSerializer],
        responses={200: AccessExceptionSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = AccessExceptionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        applied: dict[str, Any] = {"status": filters.validated_data.get("status")}
        applied["expired"] = filters.validated_data.get("expired")
        if "system_id" in filters.validated_data:
            applied["system"] = _system(membership, filters.validated_data["system_id"])
        if "person_id" in filters.validated_data:
            applied["person"] = _person(membership, filters.validated_data["person_id"])
        rows = exception_services.filter_exceptions(
            exception_services.exception_rows(membership.organization), applied, timezone.localdate()
        )
        return self.paginated(rows.order_by("-requested_at", "-pk"), AccessExceptionSerializer)

    @extend_schema(
        summary="Request an access exception",
        description="One role on one system beyond the person's profile, justified, ending after today and at most "
        "365 days ahead. Needs the manage-program or the review-access permission.",
        request=AccessExceptionRequestSerializer,
        responses={201: AccessExceptionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, None)
        if not exception_services.may_request(membership):
            raise PermissionDenied(exception_services.NOT_A_REQUESTER)
        values = AccessExceptionRequestSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data["person"] = _person(membership, data.pop("person_id"))
        data["system"] = _system(membership, data.pop("system_id"))
        with api_field_names(API_FIELDS):
            exception = exception_services.exception_request(
                organization=membership.organization, actor=api_actor(request), **data
            )
        return Response(_exception_out(exception), status=status.HTTP_201_CREATED)


class ExceptionDetailView(ApiView):
    @extend_schema(
        summary="One access exception",
        responses={200: AccessExceptionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, exception_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        return Response(_exception_out(get_exception_for_user(membership, exception_id)))


def _decider(request: Request, org_slug: str, exception_id: UUID, approving: bool) -> AccessException:
    membership = api_membership(request, org_slug, Perm.REVIEW_ACCESS)
    exception = get_exception_for_user(membership, exception_id)
    user: User = membership.user
    refusal = exception_services.decision_refusal(membership.organization, user, exception, approving=approving)
    if refusal:
        raise PermissionDenied(refusal)
    return exception


class ExceptionApproveView(ApiView):
    @extend_schema(
        summary="Approve an access exception",
        description="The person's manager (a member with the review-access permission whose email is the manager's "
        "on the roster) or the security official; never whoever requested it, nor the person it is for.",
        request=ExceptionNoteSerializer,
        responses={200: AccessExceptionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, exception_id: UUID) -> Response:
        exception = _decider(request, org_slug, exception_id, approving=True)
        values = ExceptionNoteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        exception_services.exception_approve(
            organization=exception.organization, actor=api_actor(request), exception=exception, **values.validated_data
        )
        return Response(_exception_out(exception))


class ExceptionRejectView(ApiView):
    @extend_schema(
        summary="Reject an access exception",
        description="The person's manager or the security official, with a note saying why.",
        request=ExceptionRejectSerializer,
        responses={200: AccessExceptionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, exception_id: UUID) -> Response:
        exception = _decider(request, org_slug, exception_id, approving=False)
        values = ExceptionRejectSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        exception_services.exception_reject(
            organization=exception.organization, actor=api_actor(request), exception=exception, **values.validated_data
        )
        return Response(_exception_out(exception))


class ExceptionRevokeView(ApiView):
    @extend_schema(
        summary="Revoke an access exception",
        description="Ends an approved exception (or closes an expired one once the access is gone), or withdraws a "
        "request. Needs the manage-program permission.",
        request=ExceptionNoteSerializer,
        responses={200: AccessExceptionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, exception_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        exception = get_exception_for_user(membership, exception_id)
        values = ExceptionNoteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        exception_services.exception_revoke(
            organization=membership.organization, actor=api_actor(request), exception=exception, **values.validated_data
        )
        return Response(_exception_out(exception))


# ---- access beyond profile --------------------------------------------------------------------------------------


class BeyondProfileView(ApiView):
    @extend_schema(
        summary="List access beyond profile",
        description="Enabled accounts in each system's latest account list whose roles the holder's profiles and "
        "valid exceptions do not cover, with the entitlements nothing covers.",
        parameters=[BeyondProfileFilterSerializer],
        responses={200: BeyondProfileSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = BeyondProfileFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        excesses = list(beyond_profile(membership.organization, timezone.localdate()))
        if "system_id" in filters.validated_data:
            system = _system(membership, filters.validated_data["system_id"])
            excesses = [excess for excess in excesses if excess.system_id == system.pk]
        paginator, page = self.paginate(excesses)
        rows = exception_services.beyond_rows(membership.organization, page)
        return paginator.get_paginated_response(BeyondProfileSerializer(rows, many=True).data)
