"""Systems and accounts over the API: the systems (register, settings), their snapshots, a snapshot's accounts,
the decision about an account, and uploading a system's account list to the shared import pipeline. Program
viewers read; those who manage the program write."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.access.access import get_account_for_user, get_snapshot_for_user, get_system_for_user
from safeguard.access.account_import import KIND
from safeguard.access.models import (
    Account,
    AccountDesignation,
    AccountStatus,
    Classification,
    MatchMethod,
    System,
)
from safeguard.access.services import designations, systems
from safeguard.access.services.designations import DECIDABLE
from safeguard.core.api.base import ApiView
from safeguard.core.api.file_imports import FileImportSerializer, FileUploadSerializer, upload_response
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset

TAGS = ["access"]


class AccountHolderSerializer(serializers.Serializer):
    """A person of the roster, as an account refers to them."""

    public_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    name = serializers.CharField(source="full_name")
    email = serializers.CharField()


class AccessSystemSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(source="system.public_id")
    name = serializers.CharField(source="system.asset.name")
    asset_id = serializers.UUIDField(source="system.asset.public_id")
    owner = PersonSerializer(source="system.asset.owner", allow_null=True)
    time_zone = serializers.CharField(source="system.time_zone")
    inactive_days = serializers.IntegerField(
        source="system.inactive_days", allow_null=True, help_text="Null: the organization's limit."
    )
    latest_snapshot_id = serializers.UUIDField(source="snapshot.public_id", allow_null=True, default=None)
    latest_taken_at = serializers.DateTimeField(source="snapshot.taken_at", allow_null=True, default=None)
    accounts = serializers.IntegerField(help_text="In the latest snapshot.")
    enabled = serializers.IntegerField()
    with_mfa = serializers.IntegerField(help_text="Enabled accounts with MFA.")
    mfa_percent = serializers.IntegerField(allow_null=True, help_text="Null when no account is enabled.")
    privileged_no_mfa = serializers.IntegerField(help_text="Enabled privileged accounts without MFA (or unstated).")
    orphans = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Name matches waiting for confirmation.")


class AccessSystemRegisterSerializer(serializers.Serializer):
    asset = serializers.CharField(help_text="The inventory asset's public_id or name.")


class AccessSystemUpdateSerializer(serializers.Serializer):
    time_zone = serializers.CharField(max_length=64, help_text="How to read times given without an offset.")
    inactive_days = serializers.IntegerField(allow_null=True, help_text="Null: the organization's limit.")


class AccessSnapshotSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    system_id = serializers.UUIDField(source="system.public_id")
    taken_at = serializers.DateTimeField(help_text="The moment the list describes.")
    file_name = serializers.CharField()
    account_count = serializers.IntegerField()
    summary = serializers.ListField(child=serializers.DictField(), help_text="The counts shown when it was imported.")
    imported_by = PersonSerializer(allow_null=True)
    imported_at = serializers.DateTimeField()


class AccessAccountSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    system_id = serializers.UUIDField(source="system.public_id")
    snapshot_id = serializers.UUIDField(source="snapshot.public_id")
    row_number = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    employee_id = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=AccountStatus.choices)
    last_login_at = serializers.DateTimeField(allow_null=True)
    mfa_enabled = serializers.BooleanField(allow_null=True)
    created_on = serializers.DateField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    privileged = serializers.BooleanField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    match_method = serializers.ChoiceField(choices=MatchMethod.choices)
    person = AccountHolderSerializer(allow_null=True)
    owner = AccountHolderSerializer(allow_null=True)


class AccessDesignationSerializer(serializers.Serializer):
    classification = serializers.ChoiceField(choices=Classification.choices)
    person = AccountHolderSerializer(allow_null=True)
    owner = AccountHolderSerializer(allow_null=True)
    note = serializers.CharField()
    decided_by = PersonSerializer()
    decided_at = serializers.DateTimeField()


class AccessAccountDetailSerializer(AccessAccountSerializer):
    designation = AccessDesignationSerializer(
        allow_null=True, help_text="The decision carried into every later list of the system, if any."
    )


class AccessDesignationWriteSerializer(serializers.Serializer):
    # Text, not a choice: a second enum of the same values would collide in the schema with Classification's.
    classification = serializers.CharField(help_text=f"One of {', '.join(DECIDABLE)}.")
    person = serializers.CharField(
        required=False, allow_blank=True, help_text="For a person's account: public_id, employee id or email."
    )
    owner = serializers.CharField(
        required=False, allow_blank=True, help_text="For a service or shared account: the person answerable."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AccessAccountFilterSerializer(serializers.Serializer):
    classification = serializers.ChoiceField(choices=Classification.choices, required=False)
    status = serializers.ChoiceField(choices=AccountStatus.choices, required=False)
    privileged = serializers.BooleanField(required=False, allow_null=True, default=None)
    no_mfa = serializers.BooleanField(required=False, help_text="Enabled accounts without MFA (or unstated).")
    q = serializers.CharField(required=False, help_text="Part of the username, display name or email.")


class AccountListUploadSerializer(FileUploadSerializer):
    taken_at = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="ISO date-time the list describes; without an offset, in the system's time zone. Default now.",
    )


def _stats(organization: Organization, system: System) -> dict[str, Any]:
    return dict(AccessSystemSerializer(systems.system_stats(organization, only=system)[0]).data)


def _asset(organization: Organization, reference: str) -> Asset:
    assets = Asset.objects.filter(organization=organization)
    try:
        found = assets.filter(public_id=UUID(reference)).first()
    except ValueError:
        found = assets.filter(name__iexact=reference.strip()).first()
    if found is None:
        raise ServiceError(f"No asset {reference!r} in the inventory: add it first.", field="asset")
    return found


def _account_detail(account: Account) -> dict[str, Any]:
    fresh = Account.objects.select_related("system", "snapshot", "person", "owner").get(pk=account.pk)
    fresh.designation = (  # type: ignore[attr-defined]
        AccountDesignation.objects.filter(system_id=fresh.system_id, username_key=fresh.username.strip().lower())
        .select_related("person", "owner", "decided_by")
        .first()
    )
    return dict(AccessAccountDetailSerializer(fresh).data)


class SystemListView(ApiView):
    @extend_schema(
        summary="List the systems",
        description="Every system (an ePHI asset with user accounts) with its latest snapshot's figures.",
        responses={200: AccessSystemSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return self.paginated(systems.system_stats(membership.organization), AccessSystemSerializer)

    @extend_schema(
        summary="Register an asset as a system",
        description="An asset of the risk inventory (not retired) becomes a system whose account lists can be "
        "imported. One system per asset.",
        request=AccessSystemRegisterSerializer,
        responses={201: AccessSystemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = AccessSystemRegisterSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        organization = membership.organization
        asset = _asset(organization, values.validated_data["asset"])
        system = systems.system_register(organization=organization, actor=api_actor(request), asset=asset)
        return Response(_stats(organization, system), status=status.HTTP_201_CREATED)


class SystemDetailView(ApiView):
    @extend_schema(
        summary="One system",
        responses={200: AccessSystemSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, system_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        system = get_system_for_user(membership, system_id)
        return Response(_stats(membership.organization, system))

    @extend_schema(
        summary="Change a system's settings",
        description="The time zone its lists' times are read in, and its inactivity limit. Fields left out keep "
        "their value.",
        request=AccessSystemUpdateSerializer(partial=True),
        responses={200: AccessSystemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, system_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        system = get_system_for_user(membership, system_id, write=True)
        values = AccessSystemUpdateSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = {"time_zone": system.time_zone, "inactive_days": system.inactive_days, **values.validated_data}
        systems.system_update(organization=membership.organization, actor=api_actor(request), system=system, **data)
        return Response(_stats(membership.organization, system))


class SnapshotListView(ApiView):
    @extend_schema(
        summary="List a system's snapshots",
        description="Each imported account list of the system, newest first.",
        responses={200: AccessSnapshotSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, system_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        system = get_system_for_user(membership, system_id)
        snapshots = system.snapshots.select_related("system", "imported_by").order_by("-taken_at", "-pk")
        return self.paginated(snapshots, AccessSnapshotSerializer)


class SnapshotDetailView(ApiView):
    @extend_schema(
        summary="One snapshot",
        responses={200: AccessSnapshotSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, snapshot_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(AccessSnapshotSerializer(get_snapshot_for_user(membership, snapshot_id)).data)


class SnapshotAccountListView(ApiView):
    @extend_schema(
        summary="List a snapshot's accounts",
        description="By username; narrowed by kind, status, privileged, enabled without MFA, or text.",
        parameters=[AccessAccountFilterSerializer],
        responses={200: AccessAccountSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, snapshot_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        snapshot = get_snapshot_for_user(membership, snapshot_id)
        filters = AccessAccountFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        accounts = snapshot.accounts.select_related("system", "snapshot", "person", "owner")
        accounts = systems.accounts_filtered(accounts, dict(filters.validated_data)).order_by("username", "pk")
        return self.paginated(accounts, AccessAccountSerializer)


class AccountDetailView(ApiView):
    @extend_schema(
        summary="One account",
        description="With the decision about its username on the system, if one was made.",
        responses={200: AccessAccountDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, account_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_account_detail(get_account_for_user(membership, account_id)))


class AccountDesignationView(ApiView):
    @extend_schema(
        summary="Decide whose an account is",
        description="Assign the person (classification person: this also confirms a name match), or classify it "
        "as service, shared or orphan with an owner. The decision holds for this system's latest list at once "
        "and for every later list.",
        request=AccessDesignationWriteSerializer,
        responses={200: AccessAccountDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, account_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        account = get_account_for_user(membership, account_id, write=True)
        values = AccessDesignationWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data, organization = values.validated_data, membership.organization
        person, owner = data.get("person", ""), data.get("owner", "")
        designations.account_designate(
            organization=organization,
            actor=api_actor(request),
            account=account,
            classification=data["classification"],
            person=designations.find_person(organization, person) if person else None,
            owner=designations.find_person(organization, owner, field="owner") if owner else None,
            note=data.get("note", ""),
        )
        return Response(_account_detail(account))


class AccountImportUploadView(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload a system's account list",
        description="Starts an import of kind access.accounts: the columns are mapped (the mapping last "
        "committed for this system, else guessed); follow it at file-imports/{id}/, then map and commit there.",
        request={"multipart/form-data": AccountListUploadSerializer},
        responses={201: FileImportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, system_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        system = get_system_for_user(membership, system_id, write=True)
        values = AccountListUploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        options = {"system": str(system.public_id), "taken_at": values.validated_data.get("taken_at", "")}
        return upload_response(request, org_slug, KIND, Perm.MANAGE_PROGRAM, options)
