"""Organizations: the caller's list, one organization's details and settings."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership, Organization, User
from safeguard.core.org_views import mfa_verified
from safeguard.core.roles import Perm
from safeguard.core.services.organizations import org_update_settings


class MyOrganizationSerializer(serializers.Serializer):
    slug = serializers.SlugField(source="organization.slug")
    name = serializers.CharField(source="organization.name")
    kind = serializers.CharField(source="organization.kind")
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    access_ends_on = serializers.DateField(allow_null=True)


class OrganizationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    mfa_required = serializers.BooleanField()
    is_clearinghouse = serializers.BooleanField()
    is_group_health_plan = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class OrganizationUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=Organization.Kind.choices, required=False)
    mfa_required = serializers.BooleanField(required=False)
    is_clearinghouse = serializers.BooleanField(required=False)
    is_group_health_plan = serializers.BooleanField(required=False)


class OrganizationListView(ApiView):
    @extend_schema(
        summary="List my organizations",
        description=(
            "Organizations where the caller has a current membership, with the caller's role. A session or token"
            " that has not passed MFA sees only the organizations that do not require it."
        ),
        responses={200: MyOrganizationSerializer(many=True), **error_responses()},
        tags=["organizations"],
    )
    def get(self, request: Request) -> Response:
        memberships = (
            Membership.objects.current()
            .filter(user=cast(User, request.user))
            .select_related("organization")
            .order_by("organization__name")
        )
        if not mfa_verified(request):
            memberships = memberships.filter(organization__mfa_required=False)
        return self.paginated(memberships, MyOrganizationSerializer)


class OrganizationDetailView(ApiView):
    @extend_schema(
        summary="Organization details",
        description="Kind, MFA rule and the applicability facts that decide 'not applicable' verdicts. Any member.",
        responses={200: OrganizationSerializer, **error_responses(403, 404)},
        tags=["organizations"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        return Response(OrganizationSerializer(membership.organization).data)

    @extend_schema(
        summary="Change organization settings",
        description="Name, kind, MFA rule, applicability facts. Needs the manage-organization permission.",
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationSerializer, **error_responses(400, 403, 404)},
        tags=["organizations"],
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ORG)
        values = OrganizationUpdateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization = org_update_settings(
            organization=membership.organization, actor=api_actor(request), **values.validated_data
        )
        return Response(OrganizationSerializer(organization).data)
