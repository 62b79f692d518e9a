"""The break-glass register over the API: emergency accounts, their uses, the review of each use, and the link
from an unjustified use to the sanction that followed it up. The same services as the pages; authorization in
the access functions and api_membership."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.access.access import get_activation_for_user, get_break_glass_account_for_user, get_system_for_user
from safeguard.access.models import BreakGlassAccount, BreakGlassActivation, System
from safeguard.access.services import breakglass as services
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import SanctionRecord

TAGS = ["break-glass"]


# ---- shapes -----------------------------------------------------------------------------------------------------


class BreakGlassAccountSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    system_id = serializers.UUIDField(source="system.public_id")
    system_name = serializers.CharField(source="system.asset.name")
    username = serializers.CharField()
    purpose = serializers.CharField()
    custodians = PersonSerializer(many=True, source="custodians.all")
    review_hours = serializers.IntegerField(help_text="Each use is reviewed within this many hours of its start.")
    is_active = serializers.BooleanField(help_text="False once retired; its uses stay on record.")
    created_at = serializers.DateTimeField()
    uses = serializers.IntegerField(help_text="How many uses are recorded.")
    last_used_at = serializers.DateTimeField(allow_null=True)


class BreakGlassAccountWriteSerializer(serializers.Serializer):
    system = serializers.UUIDField(help_text="The system's public_id.")
    username = serializers.CharField(max_length=200)
    purpose = serializers.CharField(help_text="When the account may be used.")
    custodians = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Members holding the credential: user public_ids or emails. On update, the list replaces them.",
    )
    review_hours = serializers.IntegerField(
        min_value=1,
        max_value=services.REVIEW_HOURS_MAX,
        required=False,
        help_text="Default: the organization's setting (24 hours).",
    )
    is_active = serializers.BooleanField(required=False, help_text="Update only: false retires, true reinstates.")


class BreakGlassUserSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")


class BreakGlassActivationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    account_id = serializers.UUIDField(source="account.public_id")
    account_username = serializers.CharField(source="account.username")
    system_name = serializers.CharField(source="account.system.asset.name")
    used_by = BreakGlassUserSerializer(allow_null=True, help_text="The roster person who used it, when known.")
    used_by_name = serializers.CharField(help_text="Who used it, when not on the roster.")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    records_accessed = serializers.CharField()
    source = serializers.ChoiceField(choices=BreakGlassActivation.Source.choices)  # type: ignore[assignment]
    recorded_by = PersonSerializer(allow_null=True)
    recorded_at = serializers.DateTimeField()
    review_due_at = serializers.DateTimeField()
    review_state = serializers.ChoiceField(
        choices=[(state.value, label) for state, label in services.REVIEW_STATE_LABELS.items()],
        help_text="due, overdue (not reviewed past the deadline), late (reviewed after it) or reviewed (in time).",
    )
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = PersonSerializer(allow_null=True)
    justified = serializers.BooleanField(allow_null=True)
    review_notes = serializers.CharField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    sanction_linked = serializers.BooleanField(help_text="An unjustified use followed up in the sanctions log.")
    sanction_id = serializers.UUIDField(
        source="sanction_public_id",
        allow_null=True,
        help_text="The sanction's public_id; shown only to those who may view the sanctions log.",
    )


class BreakGlassActivationFilterSerializer(serializers.Serializer):
    overdue = serializers.BooleanField(required=False, help_text="Only uses not reviewed past their deadline.")
    unreviewed = serializers.BooleanField(required=False, help_text="Only uses not reviewed yet.")
    state = serializers.ChoiceField(choices=[state.value for state in services.ReviewState], required=False)
    unlinked = serializers.BooleanField(required=False, help_text="Only unjustified uses with no sanction linked.")
    account = serializers.UUIDField(required=False, help_text="A break-glass account's public_id.")
    system = serializers.UUIDField(required=False, help_text="A system's public_id.")


class BreakGlassActivationWriteSerializer(serializers.Serializer):
    account = serializers.UUIDField(help_text="The break-glass account's public_id.")
    started_at = serializers.DateTimeField(help_text="With its offset; not in the future.")
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    used_by = serializers.CharField(
        required=False, allow_blank=True, help_text="The roster person: public_id, employee id or work email."
    )
    used_by_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Only for someone not on the roster: a roster person's name here is refused.",
    )
    reason = serializers.CharField(help_text="Why it was used, as stated at the time.")
    records_accessed = serializers.CharField(required=False, allow_blank=True)


class BreakGlassReviewSerializer(serializers.Serializer):
    justified = serializers.BooleanField()
    notes = serializers.CharField(max_length=5000, help_text="What the reviewer checked and found.")


class BreakGlassSanctionLinkSerializer(serializers.Serializer):
    sanction = serializers.UUIDField(help_text="The public_id of the sanction that followed the use up.")


# ---- lookups ----------------------------------------------------------------------------------------------------


def _system(membership: Membership, system_id: UUID) -> System:
    try:
        return get_system_for_user(membership, system_id)
    except (Http404, PermissionDenied):
        raise ServiceError("No such system in this organization.", field="system") from None


def _account(membership: Membership, account_id: UUID) -> BreakGlassAccount:
    try:
        return get_break_glass_account_for_user(membership, account_id)
    except (Http404, PermissionDenied):
        raise ServiceError("No such break-glass account in this organization.", field="account") from None


def _custodians(organization: Organization, values: Iterable[str]) -> list[User]:
    found = []
    members = Membership.objects.filter(organization=organization).select_related("user")
    for value in values:
        try:
            match = Q(user__public_id=UUID(value))
        except ValueError:
            match = Q(user__email__iexact=value.strip())
        member = members.filter(match).first()
        if member is None:
            raise ServiceError(f"No member of this organization matches {value!r}.", field="custodians")
        found.append(member.user)
    return found


def _account_values(membership: Membership, data: dict[str, Any]) -> dict[str, Any]:
    if "system" in data:
        data["system"] = _system(membership, data["system"])
    if "custodians" in data:
        data["custodians"] = _custodians(membership.organization, data["custodians"])
    return data


def _account_out(organization: Organization, account: BreakGlassAccount) -> dict[str, Any]:
    return dict(BreakGlassAccountSerializer(services.account_rows(organization).get(pk=account.pk)).data)


def _activations_out(
    membership: Membership, activations: Iterable[BreakGlassActivation], now: datetime
) -> list[dict[str, Any]]:
    """The uses as the API shows them: with their review status as of `now`, and the linked sanction's id only
    for those who may view the sanctions log (others learn that one is linked)."""
    show_sanction = membership.has(Perm.VIEW_SANCTIONS)
    shown = list(activations)
    for activation in shown:
        activation.review_state = services.review_state(activation, now)  # type: ignore[attr-defined]
        activation.sanction_linked = activation.sanction_id is not None  # type: ignore[attr-defined]
        public = activation.sanction.public_id if show_sanction and activation.sanction else None
        activation.sanction_public_id = public  # type: ignore[attr-defined]
    return list(BreakGlassActivationSerializer(shown, many=True).data)


def _activation_out(membership: Membership, activation: BreakGlassActivation) -> dict[str, Any]:
    fresh = services.activation_rows(membership.organization).get(pk=activation.pk)
    return _activations_out(membership, [fresh], timezone.now())[0]


# ---- accounts ---------------------------------------------------------------------------------------------------


class BreakGlassAccountListView(ApiView):
    @extend_schema(
        summary="List the break-glass accounts",
        description="Each emergency account with its system, custodians, time limit, number of uses and last use.",
        responses={200: BreakGlassAccountSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(services.account_rows(membership.organization), BreakGlassAccountSerializer)

    @extend_schema(
        summary="Register a break-glass account",
        description="Needs the manage-program permission. The username is unique per system; custodians are "
        "current members who are not auditors.",
        request=BreakGlassAccountWriteSerializer,
        responses={201: BreakGlassAccountSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = BreakGlassAccountWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data.pop("is_active", None)
        account = services.breakglass_account_create(
            organization=membership.organization, actor=api_actor(request), **_account_values(membership, data)
        )
        return Response(_account_out(membership.organization, account), status=status.HTTP_201_CREATED)


class BreakGlassAccountDetailView(ApiView):
    @extend_schema(
        summary="One break-glass account",
        responses={200: BreakGlassAccountSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, breakglass_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        account = get_break_glass_account_for_user(membership, breakglass_id)
        return Response(_account_out(membership.organization, account))

    @extend_schema(
        summary="Change a break-glass account, retire or reinstate it",
        description="Fields left out keep their value; `custodians` replaces the list; `is_active: false` retires "
        "the account. The system cannot change once the account has been used.",
        request=BreakGlassAccountWriteSerializer(partial=True),
        responses={200: BreakGlassAccountSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, breakglass_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        account = get_break_glass_account_for_user(membership, breakglass_id, write=True)
        values = BreakGlassAccountWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = _account_values(membership, dict(values.validated_data))
        active = data.pop("is_active", None)
        organization, actor = membership.organization, api_actor(request)
        with transaction.atomic():
            if data:
                account = services.breakglass_account_update(
                    organization=organization, actor=actor, account=account, **data
                )
            if active is not None and active != account.is_active:
                change = services.breakglass_account_reactivate if active else services.breakglass_account_deactivate
                account = change(organization=organization, actor=actor, account=account)
        return Response(_account_out(organization, account))


# ---- uses -------------------------------------------------------------------------------------------------------


def _filters(membership: Membership, applied: dict[str, Any]) -> dict[str, Any]:
    chosen: dict[str, Any] = {
        "state": services.ReviewState.OVERDUE if applied.get("overdue") else applied.get("state", ""),
        "unreviewed": applied.get("unreviewed", False),
        "unlinked": applied.get("unlinked", False),
    }
    if "account" in applied:
        chosen["account"] = _account(membership, applied["account"])
    if "system" in applied:
        chosen["system"] = _system(membership, applied["system"])
    return chosen


class BreakGlassActivationListView(ApiView):
    @extend_schema(
        summary="List the uses of break-glass accounts",
        description="Latest first, each with its review status. Filter with overdue=true for the reviews past "
        "their deadline, unreviewed=true for every use awaiting review.",
        parameters=[BreakGlassActivationFilterSerializer],
        responses={200: BreakGlassActivationSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        filters = BreakGlassActivationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        now = timezone.now()
        rows = services.filter_activations(
            services.activation_rows(membership.organization), now, **_filters(membership, dict(filters.validated_data))
        )
        paginator, page = self.paginate(rows.order_by("-started_at", "-pk"))
        return paginator.get_paginated_response(_activations_out(membership, page, now))

    @extend_schema(
        summary="Record a use of a break-glass account",
        description="Needs the manage-program permission. Say who used it and why: `used_by` names a roster person "
        "(public id, employee id or work email); `used_by_name` is only for someone not on the roster, and a roster "
        "person's name typed there is refused. The review falls due the account's time limit after the start; the "
        "member who records the use cannot review it.",
        request=BreakGlassActivationWriteSerializer,
        responses={201: BreakGlassActivationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = BreakGlassActivationWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        data["account"] = _account(membership, data["account"])
        reference = data.pop("used_by", "")
        data["used_by"] = services.person_by_reference(membership.organization, reference) if reference else None
        activation = services.activation_record(organization=membership.organization, actor=api_actor(request), **data)
        return Response(_activation_out(membership, activation), status=status.HTTP_201_CREATED)


class BreakGlassActivationDetailView(ApiView):
    @extend_schema(
        summary="One use of a break-glass account",
        responses={200: BreakGlassActivationSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, activation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_activation_out(membership, get_activation_for_user(membership, activation_id)))


class BreakGlassActivationReviewView(ApiView):
    @extend_schema(
        summary="Review a use of a break-glass account",
        description="Needs the manage-program permission. The reviewer must be neither the person who used the "
        "account (their roster email, or their name typed for the use) nor the member who recorded the use (400). A "
        "review after the deadline is accepted and stays marked late. A use already reviewed is refused (400).",
        request=BreakGlassReviewSerializer,
        responses={200: BreakGlassActivationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, activation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        activation = get_activation_for_user(membership, activation_id, write=True)
        values = BreakGlassReviewSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.activation_review(
            organization=membership.organization,
            actor=api_actor(request),
            activation=activation,
            **values.validated_data,
        )
        return Response(_activation_out(membership, activation))


class BreakGlassActivationSanctionView(ApiView):
    @extend_schema(
        summary="Link an unjustified use to its sanction",
        description="Needs the manage-sanctions permission. Only a use reviewed as unjustified can be linked; the "
        "audit trail records the two ids, nothing of the sanction.",
        request=BreakGlassSanctionLinkSerializer,
        responses={200: BreakGlassActivationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, activation_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_SANCTIONS)
        activation = get_activation_for_user(membership, activation_id)
        values = BreakGlassSanctionLinkSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        sanction = SanctionRecord.objects.filter(
            organization=membership.organization, public_id=values.validated_data["sanction"]
        ).first()
        if sanction is None:
            raise ServiceError("No such sanction in this organization.", field="sanction")
        services.activation_link_sanction(
            organization=membership.organization, actor=api_actor(request), activation=activation, sanction=sanction
        )
        return Response(_activation_out(membership, activation))
