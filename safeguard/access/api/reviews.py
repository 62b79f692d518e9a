"""Access reviews over the API: the same services and rules as the pages.

Program viewers and reviewers read campaigns; those who manage the program start and close them, record
revocations and rebuild the evidence package. A reviewer (a manager) lists and decides the items assigned to them,
and attests; program managers and read-only viewers (auditors) list every item.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.access.access import get_campaign_for_user, get_review_item_for_user
from safeguard.access.models import Finding, ReviewCampaign, ReviewItem, System
from safeguard.access.queries_reviews import campaign_progress, findings_by_kind, open_revocations
from safeguard.access.reports import review_data
from safeguard.access.reports.package import package_files
from safeguard.access.services import decisions as services
from safeguard.access.services.campaigns import campaign_start
from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import PersonSerializer, error_responses
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.risk.api.common import SignatureSerializer

TAGS = ["access reviews"]
ME = "me"
DECISION_FILTERS = [(review_data.UNDECIDED, "Not decided yet"), *ReviewItem.Decision.choices]
FINDING_FILTERS = [
    (review_data.ANY_FINDING, "Any finding"),
    (review_data.NO_FINDING, "No finding"),
    *Finding.Kind.choices,
]


# ---- shapes ------------------------------------------------------------------------------------------------------


class SystemRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField(source="asset.name")


class CampaignSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ReviewCampaign.Status.choices)
    all_systems = serializers.BooleanField()
    systems = SystemRefSerializer(many=True, source="systems.all", help_text="The systems chosen; empty for all.")
    roster_as_of = serializers.DateField()
    inactive_days = serializers.IntegerField()
    due_on = serializers.DateField()
    item_count = serializers.IntegerField()
    decided_count = serializers.IntegerField()
    prepared_percent = serializers.IntegerField(source="progress", help_text="While preparing: how far it got.")
    failure = serializers.CharField(help_text="Why the preparation or the evidence package failed.")
    started_by = PersonSerializer()
    started_at = serializers.DateTimeField()
    closed_by = PersonSerializer(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class CampaignStartSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    system_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, allow_null=True, default=None, help_text="Omit for all."
    )
    roster_as_of = serializers.DateField(help_text="The roster as it stood on this day; today or earlier.")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    inactive_days = serializers.IntegerField(required=False, allow_null=True, default=None)


class TallySerializer(serializers.Serializer):
    decided = serializers.IntegerField()
    total = serializers.IntegerField()


class ReviewerTallySerializer(TallySerializer):
    reviewer = PersonSerializer(allow_null=True, help_text="Null: items nobody is assigned.")


class SystemTallySerializer(TallySerializer):
    system = SystemRefSerializer()


class KindCountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Finding.Kind.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # named like a Field attribute
    total = serializers.IntegerField()
    open = serializers.IntegerField(help_text="On items not decided yet.")


class ReviewAttestationSerializer(serializers.Serializer):
    reviewer = PersonSerializer()
    item_count = serializers.IntegerField()
    signed_at = serializers.DateTimeField()
    signature = SignatureSerializer(help_text="Its content hash covers every decision of the reviewer's items.")


class CampaignDetailSerializer(CampaignSerializer):
    by_reviewer = ReviewerTallySerializer(many=True)
    by_system = SystemTallySerializer(many=True)
    findings_by_kind = KindCountSerializer(many=True)
    attestations = ReviewAttestationSerializer(many=True)
    close_blockers = serializers.ListField(
        child=serializers.CharField(), help_text="What stops closing (for those who may close an open review)."
    )


class FindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Finding.Kind.choices)
    label = serializers.CharField(source="get_kind_display")  # type: ignore[assignment]  # as above
    detail = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    system = SystemRefSerializer()
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField(help_text="The account's status when the review froze it.")
    last_login_at = serializers.DateTimeField(allow_null=True)
    mfa_enabled = serializers.BooleanField(allow_null=True)
    privileged = serializers.BooleanField()
    classification = serializers.CharField()
    person_id = serializers.UUIDField(source="person.public_id", allow_null=True, default=None)
    person_snapshot = serializers.DictField(help_text="The person as the roster stood on the roster day.")
    reviewer = PersonSerializer(allow_null=True)
    reviewer_basis = serializers.CharField()
    findings = FindingSerializer(many=True, source="findings.all")
    decision = serializers.CharField(help_text='"keep", "revoke", or empty while undecided.')
    comment = serializers.CharField()
    decided_by = PersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    revoke_due_on = serializers.DateField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = PersonSerializer(allow_null=True)
    revocation_note = serializers.CharField()


class RevocationSerializer(ItemSerializer):
    review_id = serializers.UUIDField(source="campaign.public_id")
    overdue = serializers.BooleanField()


class ItemFilterSerializer(serializers.Serializer):
    system = serializers.UUIDField(required=False)
    reviewer = serializers.CharField(required=False, help_text='"me", or a reviewer\'s user public_id.')
    decision = serializers.ChoiceField(choices=DECISION_FILTERS, required=False)
    finding = serializers.ChoiceField(choices=FINDING_FILTERS, required=False)

    def validate_reviewer(self, value: str) -> str:
        if value != ME:
            try:
                UUID(value)
            except ValueError:
                raise serializers.ValidationError('Give "me" or a user\'s public_id.') from None
        return value


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewItem.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class BulkDecideSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Your items to decide; omit to keep every undecided item of yours without findings.",
    )
    decision = serializers.ChoiceField(choices=ReviewItem.Decision.choices, default=ReviewItem.Decision.KEEP)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class BulkResultSerializer(serializers.Serializer):
    decided = serializers.IntegerField()


class AttestWriteSerializer(serializers.Serializer):
    statement = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RevocationDoneSerializer(serializers.Serializer):
    revoked_at = serializers.DateTimeField(help_text="When the access was removed, with its offset.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PackageFileSerializer(serializers.Serializer):
    evidence_id = serializers.UUIDField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    file_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    download = serializers.CharField(help_text="The API address of the file (downloads are audited).")


class PackageSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["not_closed", "building", "built", "failed"])
    failure = serializers.CharField()
    files = PackageFileSerializer(many=True, help_text="The PDF, the workbook and any evidence linked by hand.")


# ---- helpers -----------------------------------------------------------------------------------------------------


def _reader(request: Request, org_slug: str) -> Membership:
    membership = api_membership(request, org_slug, None)
    if not (membership.has(Perm.VIEW_PROGRAM) or membership.has(Perm.REVIEW_ACCESS)):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) does not allow this.")
    return membership


def _campaigns(membership: Membership) -> QuerySet[ReviewCampaign]:
    return (
        ReviewCampaign.objects.filter(organization=membership.organization)
        .select_related("started_by", "closed_by")
        .prefetch_related("systems__asset")
    )


def _detail(membership: Membership, campaign: ReviewCampaign) -> dict[str, Any]:
    fresh = _campaigns(membership).get(pk=campaign.pk)
    progress = campaign_progress(fresh)
    may_close = membership.has(Perm.MANAGE_PROGRAM) and fresh.status == ReviewCampaign.Status.OPEN
    values = {
        **CampaignSerializer(fresh).data,
        "by_reviewer": ReviewerTallySerializer(progress.by_reviewer, many=True).data,
        "by_system": SystemTallySerializer(progress.by_system, many=True).data,
        "findings_by_kind": KindCountSerializer(findings_by_kind(fresh), many=True).data,
        "attestations": ReviewAttestationSerializer(review_data.attestations(fresh), many=True).data,
        "close_blockers": services.close_blockers(fresh) if may_close else [],
    }
    return values


def _item_in(membership: Membership, review_id: UUID, item_id: UUID) -> ReviewItem:
    campaign = get_campaign_for_user(membership, review_id)
    item = get_review_item_for_user(membership, item_id)
    if item.campaign_id != campaign.pk:
        raise Http404("No such review item.")
    return item


def _item_out(item: ReviewItem) -> dict[str, Any]:
    fresh = review_data.item_rows(item.campaign).get(pk=item.pk)
    return dict(ItemSerializer(fresh).data)


def _package(request: Request, campaign: ReviewCampaign) -> dict[str, Any]:
    files = []
    if campaign.status == ReviewCampaign.Status.CLOSED:
        for evidence in package_files(campaign):
            version = evidence.versions.all()[0]
            address = reverse(
                "api:evidence_download", args=[campaign.organization.slug, evidence.public_id, version.number]
            )
            files.append(
                {
                    "evidence_id": evidence.public_id,
                    "title": evidence.title,
                    "version": version.number,
                    "file_name": version.original_name,
                    "content_type": version.content_type,
                    "size": version.size,
                    "sha256": version.sha256,
                    "download": request.build_absolute_uri(address),
                }
            )
    if campaign.status != ReviewCampaign.Status.CLOSED:
        state = "not_closed"
    elif campaign.package_evidence_id:
        state = "built"
    else:
        state = "failed" if campaign.failure else "building"
    return dict(PackageSerializer({"state": state, "failure": campaign.failure, "files": files}).data)


# ---- campaigns ---------------------------------------------------------------------------------------------------


class ReviewListView(ApiView):
    @extend_schema(
        summary="List access reviews",
        description="Latest first. Readable by program viewers (auditors included) and reviewers.",
        responses={200: CampaignSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = _reader(request, org_slug)
        return self.paginated(_campaigns(membership), CampaignSerializer)

    @extend_schema(
        summary="Start an access review",
        description="Records the review (status preparing) and prepares it in the background: it freezes each "
        "system's latest account list and the roster as of the date, computes findings and assigns reviewers; "
        "the status turns open when done. Needs the manage-program permission.",
        request=CampaignStartSerializer,
        responses={201: CampaignSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = CampaignStartSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        wanted = data.pop("system_ids")
        system_ids = None
        if wanted is not None:
            found = dict(
                System.objects.filter(organization=membership.organization, public_id__in=wanted).values_list(
                    "public_id", "pk"
                )
            )
            # Unknown ids travel on as ids no system has, so the service's own message names the problem.
            system_ids = [found.get(public_id, 0) for public_id in wanted]
        with api_field_names({"systems": "system_ids"}):
            campaign = campaign_start(
                organization=membership.organization, actor=api_actor(request), system_ids=system_ids, **data
            )
        return Response(CampaignSerializer(_campaigns(membership).get(pk=campaign.pk)).data, status.HTTP_201_CREATED)


class ReviewDetailView(ApiView):
    @extend_schema(
        summary="One access review, with its progress",
        description="Progress by reviewer and by system, findings by kind, and the reviewers' attestations.",
        responses={200: CampaignDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        return Response(_detail(membership, get_campaign_for_user(membership, review_id)))


class ReviewCloseView(ApiView):
    @extend_schema(
        summary="Close an access review",
        description="Refused (400, naming who is missing) until every item is decided and every reviewer has "
        "attested. Then the managers' keep decisions are recorded as authorizations and the evidence package "
        "(PDF and workbook) is built in the background. Needs the manage-program permission.",
        request=None,
        responses={200: CampaignDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        campaign = get_campaign_for_user(membership, review_id, write=True)
        services.campaign_close(organization=membership.organization, actor=api_actor(request), campaign=campaign)
        return Response(_detail(membership, campaign))


class ReviewPackageView(ApiView):
    @extend_schema(
        summary="The evidence package of an access review",
        description="The files stored as evidence for the review, each with its SHA-256 and the address to "
        "download it (downloads are recorded in the audit trail).",
        responses={200: PackageSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        return Response(_package(request, get_campaign_for_user(membership, review_id)))

    @extend_schema(
        summary="Build the evidence package again",
        description="After a failed build. Needs the manage-program permission.",
        request=None,
        responses={202: PackageSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        campaign = get_campaign_for_user(membership, review_id, write=True)
        services.campaign_package_request(
            organization=membership.organization, actor=api_actor(request), campaign=campaign
        )
        campaign.refresh_from_db()
        return Response(_package(request, campaign), status=status.HTTP_202_ACCEPTED)


# ---- items -------------------------------------------------------------------------------------------------------


class ReviewItemListView(ApiView):
    @extend_schema(
        summary="List a review's items",
        description="Program managers and read-only viewers see every item; a reviewer sees only the items "
        'assigned to them (as with reviewer=me). Filter by system, reviewer ("me" or a public_id), decision '
        '("undecided", "keep", "revoke") and finding ("any", "none" or a kind).',
        parameters=[ItemFilterSerializer],
        responses={200: ItemSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        campaign = get_campaign_for_user(membership, review_id)
        filters = ItemFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = {name: str(value) for name, value in filters.validated_data.items()}
        rows = review_data.item_rows(campaign)
        if values.get("reviewer") == ME:
            values.pop("reviewer")
            rows = rows.filter(reviewer=membership.user)
        elif not services.sees_every_item(membership):
            # Filters narrow what the member may see; asking for another reviewer's items finds none.
            rows = rows.filter(reviewer=membership.user)
        return self.paginated(review_data.filter_items(rows, **values), ItemSerializer)


class ReviewItemDetailView(ApiView):
    @extend_schema(
        summary="One review item",
        description="Reachable by its reviewer and by those who manage the program.",
        responses={200: ItemSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, review_id: UUID, item_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        return Response(_item_out(_item_in(membership, review_id, item_id)))


class ReviewItemDecideView(ApiView):
    @extend_schema(
        summary="Keep or revoke an account",
        description="By the item's reviewer, or by someone who manages the program, while the review is open and "
        "the reviewer has not attested; never by the person who holds the account. Keeping an account with "
        "findings needs a comment saying why; revoking sets the date by which the access must be removed.",
        request=DecideSerializer,
        responses={200: ItemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID, item_id: UUID) -> Response:
        membership = api_membership(request, org_slug, None)
        item = _item_in(membership, review_id, item_id)
        values = DecideSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.item_decide(
            organization=membership.organization, actor=api_actor(request), item=item, **values.validated_data
        )
        return Response(_item_out(item))


class ReviewBulkDecideView(ApiView):
    @extend_schema(
        summary="Decide many of my items at once",
        description="The items listed (all must be assigned to you), or without a list every undecided item of "
        "yours that has no findings (keep only), leaving out any account you hold yourself. Items with findings "
        "are kept only with a comment.",
        request=BulkDecideSerializer,
        responses={200: BulkResultSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.REVIEW_ACCESS)
        campaign = get_campaign_for_user(membership, review_id)
        values = BulkDecideSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        decided = services.items_decide_bulk(
            organization=membership.organization,
            actor=api_actor(request),
            campaign=campaign,
            item_ids=data["items"],
            decision=data["decision"],
            comment=data["comment"],
        )
        return Response(BulkResultSerializer({"decided": decided}).data)


class ReviewAttestView(ApiView):
    @extend_schema(
        summary="Attest my decisions",
        description="Once every item assigned to you is decided: signs a hash of your decisions (meaning: "
        "attested); they become final.",
        request=AttestWriteSerializer,
        responses={201: ReviewAttestationSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.REVIEW_ACCESS)
        campaign = get_campaign_for_user(membership, review_id)
        values = AttestWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        attestation = services.reviewer_attest(
            organization=membership.organization, actor=api_actor(request), campaign=campaign, **values.validated_data
        )
        return Response(ReviewAttestationSerializer(attestation).data, status=status.HTTP_201_CREATED)


class ReviewItemRevokedView(ApiView):
    @extend_schema(
        summary="Record that a revoked account's access was removed",
        description="For an item decided revoke, open or closed review. Needs the manage-program permission.",
        request=RevocationDoneSerializer,
        responses={200: ItemSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID, item_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        item = _item_in(membership, review_id, item_id)
        values = RevocationDoneSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        services.revocation_done(
            organization=membership.organization, actor=api_actor(request), item=item, **values.validated_data
        )
        return Response(_item_out(item))


class RevocationListView(ApiView):
    @extend_schema(
        summary="List revocations still to carry out",
        description="Items decided revoke whose removal is not recorded, soonest due first, with overdue marked. "
        "A reviewer sees those of their own items.",
        responses={200: RevocationSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        rows = open_revocations(membership.organization, timezone.localdate()).select_related("reviewer", "revoked_by")
        rows = rows.prefetch_related("findings")
        if not services.sees_every_item(membership):
            rows = rows.filter(reviewer=membership.user)
        return self.paginated(rows, RevocationSerializer)
