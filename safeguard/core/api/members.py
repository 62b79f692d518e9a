"""Members of an organization: list, add, change role or end date, deactivate. Manage-organization only."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.access import get_member_for_user
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm, Role
from safeguard.core.services.organizations import membership_add, membership_deactivate, membership_update


class MemberSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    user = PersonSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField(source="get_role_display")
    access_ends_on = serializers.DateField(allow_null=True)
    is_active = serializers.BooleanField()
    is_current = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class MemberAddSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    access_ends_on = serializers.DateField(required=False, allow_null=True, help_text="Required for auditors.")
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    access_ends_on = serializers.DateField(required=False, allow_null=True)


class MemberListView(ApiView):
    @extend_schema(
        summary="List members",
        description="Every membership, current or not, with the person and role.",
        responses={200: MemberSerializer(many=True), **error_responses(403, 404)},
        tags=["members"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ORG)
        members = Membership.objects.filter(organization=membership.organization).select_related("user")
        return self.paginated(members.order_by("user__email"), MemberSerializer)

    @extend_schema(
        summary="Add a member",
        description="Adds a person by email, creating their account (no usable password) when they have none. "
        "A person whose membership was deactivated gets it back, with this role and end date. "
        "Auditors need an end date; owners cannot have one.",
        request=MemberAddSerializer,
        responses={201: MemberSerializer, **error_responses(400, 403, 404)},
        tags=["members"],
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ORG)
        values = MemberAddSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        member = membership_add(organization=membership.organization, actor=api_actor(request), **values.validated_data)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailView(ApiView):
    @extend_schema(
        summary="Change a member's role or access end date",
        description="Fields left out keep their value. An organization always keeps at least one owner, "
        "and an owner's access has no end date.",
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, **error_responses(400, 403, 404)},
        tags=["members"],
    )
    def patch(self, request: Request, org_slug: str, public_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ORG)
        member = get_member_for_user(membership, public_id)
        values = MemberUpdateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        updated = membership_update(
            organization=membership.organization,
            actor=api_actor(request),
            membership=member,
            role=values.validated_data.get("role", member.role),
            access_ends_on=values.validated_data.get("access_ends_on", member.access_ends_on),
        )
        return Response(MemberSerializer(updated).data)

    @extend_schema(
        summary="Deactivate a member",
        description="Ends the membership (kept for the record). An organization always keeps at least one owner.",
        request=None,
        responses={204: None, **error_responses(400, 403, 404)},
        tags=["members"],
    )
    def delete(self, request: Request, org_slug: str, public_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ORG)
        member = get_member_for_user(membership, public_id)
        membership_deactivate(organization=membership.organization, actor=api_actor(request), membership=member)
        return Response(status=status.HTTP_204_NO_CONTENT)
