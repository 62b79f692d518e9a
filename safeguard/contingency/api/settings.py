"""The organization's contingency settings over the API: program viewers read them, program managers change them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.services.settings import (
    MAX_GRACE_HOURS,
    RESTORE_CADENCES,
    contingency_settings,
    settings_update,
)
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm

TAGS = ["contingency"]
CADENCE_CHOICES = [(c, c) for c in RESTORE_CADENCES]


class ContingencySettingsSerializer(serializers.Serializer):
    restore_cadence_tier1 = serializers.ChoiceField(choices=CADENCE_CHOICES, help_text="Restore tests of tier 1.")
    restore_cadence_tier2 = serializers.ChoiceField(choices=CADENCE_CHOICES)
    restore_cadence_tier3 = serializers.ChoiceField(choices=CADENCE_CHOICES)
    restore_cadence_tier4 = serializers.ChoiceField(choices=CADENCE_CHOICES)
    backup_grace_hours = serializers.IntegerField(
        min_value=0,
        max_value=MAX_GRACE_HOURS,
        help_text="How late a scheduled backup run may be before it counts as missing.",
    )
    show_72_hour_target = serializers.BooleanField(
        help_text="Show the 2025 proposed rule's 72-hour restoration target in the readiness view."
    )
    import_time_zone = serializers.CharField(
        max_length=64,
        help_text="IANA name, e.g. America/Chicago: how backup result and restore test imports read a time given "
        "without a UTC offset (a time with one is read as given).",
    )


class SettingsView(ApiView):
    @extend_schema(
        summary="Contingency settings",
        responses={200: ContingencySettingsSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(ContingencySettingsSerializer(contingency_settings(membership.organization)).data)

    def _update(self, request: Request, org_slug: str, *, partial: bool) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = ContingencySettingsSerializer(data=request.data, partial=partial)
        values.is_valid(raise_exception=True)
        saved = settings_update(organization=membership.organization, actor=api_actor(request), **values.validated_data)
        return Response(ContingencySettingsSerializer(saved).data)

    @extend_schema(
        summary="Replace the contingency settings",
        request=ContingencySettingsSerializer,
        responses={200: ContingencySettingsSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def put(self, request: Request, org_slug: str) -> Response:
        return self._update(request, org_slug, partial=False)

    @extend_schema(
        summary="Change the contingency settings",
        description="Fields left out keep their value.",
        request=ContingencySettingsSerializer(partial=True),
        responses={200: ContingencySettingsSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        return self._update(request, org_slug, partial=True)
