"""Backup hook tokens over the API: program viewers list them (never a key), program managers make one (its key is
in that answer only) and revoke one."""

from __future__ import annotations

from uuid import UUID

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.contingency.access import get_backup_hook_token
from safeguard.contingency.models import BackupHookToken
from safeguard.contingency.services import hook_tokens as services
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm

TAGS = ["contingency"]


class HookTokenSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField(help_text="Which tool or server uses it.")
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it.")
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="Its latest call of the post-job hook.")
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = serializers.EmailField(source="revoked_by.email", allow_null=True, default=None)


class HookTokenCreatedSerializer(HookTokenSerializer):
    key = serializers.CharField(help_text="Shown this once: only its SHA-256 is kept.")


class HookTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="The tool or server that will use it, e.g. 'Veeam'.")


class HookTokenListView(ApiView):
    @extend_schema(
        summary="List backup hook tokens",
        description="Newest first, revoked ones included. Keys are never shown after they are made.",
        responses={200: HookTokenSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rows = BackupHookToken.objects.filter(organization=membership.organization)
        return self.paginated(rows.select_related("created_by", "revoked_by"), HookTokenSerializer)

    @extend_schema(
        summary="Make a backup hook token",
        description="For a backup tool's post-job hook (POST backup-results/), which it can call and nothing else. "
        "The key is in this answer only. Needs manage-program.",
        request=HookTokenCreateSerializer,
        responses={201: HookTokenCreatedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = HookTokenCreateSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        token, key = services.hook_token_create(
            organization=membership.organization, actor=api_actor(request), name=values.validated_data["name"]
        )
        response = Response({**HookTokenSerializer(token).data, "key": key}, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)  # the key is shown once: no cache may keep it
        return response


class HookTokenRevokeView(ApiView):
    @extend_schema(
        summary="Revoke a backup hook token",
        description="The tool's calls are refused (401) from now on. A token already revoked is 400. Needs "
        "manage-program.",
        request=None,
        responses={200: HookTokenSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, token_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        token = get_backup_hook_token(membership, token_id, write=True)
        services.hook_token_revoke(organization=membership.organization, actor=api_actor(request), token=token)
        return Response(HookTokenSerializer(get_backup_hook_token(membership, token_id)).data)
