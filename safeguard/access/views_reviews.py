"""Access review pages: the campaigns (start, progress, close, evidence package), a reviewer's own items with
their decisions inline, one item, and the revocations still to carry out.

Who sees what: those who run the program and read-only viewers (auditors) see every item of a campaign; a
reviewer sees the items assigned to them. Every list is paginated and reads a fixed number of queries.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from safeguard.access.access import get_campaign_for_user, get_review_item_for_user
from safeguard.access.forms_reviews import (
    AttestForm,
    BulkDecisionForm,
    CampaignStartForm,
    DecisionForm,
    ItemFilterForm,
    MineFilterForm,
    ReassignForm,
    RevocationForm,
)
from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.queries_reviews import campaign_progress, findings_by_kind, open_revocations
from safeguard.access.reports import review_data
from safeguard.access.reports.package import package_files
from safeguard.access.services import decisions as services
from safeguard.access.services.campaigns import campaign_start
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import Membership
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
Status = ReviewCampaign.Status


def _require_reader(membership: Membership) -> None:
    if not (membership.has(Perm.VIEW_PROGRAM) or membership.has(Perm.REVIEW_ACCESS)):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) does not allow this.")


def _page(request: OrgRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# ---- campaigns ---------------------------------------------------------------------------------------------------


@org_view(None)
def review_list(request: OrgRequest) -> HttpResponse:
    _require_reader(request.membership)
    return _list(request)


def _list(request: OrgRequest, start_form: CampaignStartForm | None = None) -> HttpResponse:
    campaigns = ReviewCampaign.objects.filter(organization=request.org).select_related("started_by", "closed_by")
    page = _page(request, campaigns)
    mine = (
        ReviewItem.objects.filter(
            campaign__in=[campaign.pk for campaign in page.object_list], reviewer=request.membership.user
        )
        .values("campaign_id")
        .annotate(total=Count("pk"), undecided=Count("pk", filter=Q(decision="")))
        .order_by()
    )
    by_campaign = {row["campaign_id"]: row for row in mine}
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    context = {
        "page": page,
        "rows": [(campaign, by_campaign.get(campaign.pk)) for campaign in page.object_list],
        "can_manage": can_manage,
        "start_form": start_form or (CampaignStartForm(organization=request.org) if can_manage else None),
    }
    return render(request, "access/review_list.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def review_start(request: OrgRequest) -> HttpResponse:
    form = CampaignStartForm(request.POST, organization=request.org)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaign_start(
                organization=request.org,
                actor=Actor.from_request(request),
                title=data["title"],
                system_ids=form.system_ids(),
                roster_as_of=data["roster_as_of"],
                due_on=data["due_on"],
                inactive_days=data["inactive_days"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Started “{campaign.title}”: its accounts and findings are being prepared.")
            return redirect("access:review_detail", request.org.slug, campaign.public_id)
    return _list(request, form)


@org_view(None)
def review_detail(request: OrgRequest, review_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, review_id)
    every = services.sees_every_item(request.membership)
    progress = campaign_progress(campaign)
    reviewers = [tally.reviewer for tally in progress.by_reviewer if tally.reviewer is not None] if every else []
    filters = ItemFilterForm(request.GET, campaign=campaign, reviewers=sorted(reviewers, key=lambda user: user.email))
    rows = review_data.item_rows(campaign)
    if not every:
        rows = rows.filter(reviewer=request.membership.user)
        del filters.fields["reviewer"]
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    attestations = list(review_data.attestations(campaign))
    context = {
        "campaign": campaign,
        "progress": progress,
        "findings": findings_by_kind(campaign),
        "filters": filters,
        "filtered": bool(filters.values()),
        "page": _page(request, review_data.filter_items(rows, **filters.values())),
        "every": every,
        "can_manage": can_manage,
        "is_reviewer": request.membership.has(Perm.REVIEW_ACCESS),
        "attestations": attestations,
        "attested_ids": {attestation.reviewer_id for attestation in attestations},
        "blockers": services.close_blockers(campaign) if can_manage and campaign.status == Status.OPEN else [],
        "files": list(package_files(campaign)) if campaign.status == Status.CLOSED else [],
    }
    return render(request, "access/review_detail.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def review_close(request: OrgRequest, review_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, review_id, write=True)
    try:
        services.campaign_close(organization=request.org, actor=Actor.from_request(request), campaign=campaign)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Closed “{campaign.title}”. The evidence package is being built.")
    return redirect("access:review_detail", request.org.slug, campaign.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def review_package(request: OrgRequest, review_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, review_id, write=True)
    try:
        services.campaign_package_request(
            organization=request.org, actor=Actor.from_request(request), campaign=campaign
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The evidence package is being built again.")
    return redirect("access:review_detail", request.org.slug, campaign.public_id)


# ---- a reviewer's items ------------------------------------------------------------------------------------------


@org_view(Perm.REVIEW_ACCESS)
def review_mine(request: OrgRequest, review_id: UUID) -> HttpResponse:
    return _mine(request, get_campaign_for_user(request.membership, review_id))


def _mine(
    request: OrgRequest,
    campaign: ReviewCampaign,
    *,
    bulk_form: BulkDecisionForm | None = None,
    attest_form: AttestForm | None = None,
) -> HttpResponse:
    counts = ReviewItem.objects.filter(campaign=campaign, reviewer=request.membership.user).aggregate(
        total=Count("pk"),
        undecided=Count("pk", filter=Q(decision="")),
        clean_undecided=Count("pk", filter=Q(decision="", finding_count=0)),
    )
    attestation = (
        ReviewerAttestation.objects.filter(campaign=campaign, reviewer=request.membership.user)
        .select_related("signature")
        .first()
    )
    show = MineFilterForm(request.GET)
    rows = review_data.item_rows(campaign).filter(reviewer=request.membership.user)
    chosen = show.cleaned_data["show"] if show.is_valid() else ""
    rows = review_data.filter_items(
        rows,
        decision=review_data.UNDECIDED if chosen == review_data.UNDECIDED else "",
        finding=review_data.ANY_FINDING if chosen == review_data.ANY_FINDING else "",
    )
    context = {
        "campaign": campaign,
        "counts": counts,
        "attestation": attestation,
        "show": show,
        "page": _page(request, rows),
        "deciding": campaign.status == Status.OPEN and attestation is None,
        "bulk_form": bulk_form or BulkDecisionForm(initial={"mode": "clean"}),
        "attest_form": attest_form or AttestForm(),
    }
    return render(request, "access/review_mine.html", context)


@require_POST
@org_view(Perm.REVIEW_ACCESS)
def review_bulk(request: OrgRequest, review_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, review_id)
    form = BulkDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = services.items_decide_bulk(
                organization=request.org,
                actor=Actor.from_request(request),
                campaign=campaign,
                item_ids=form.item_ids(),
                decision=data["decision"],
                comment=data["comment"],
            )
        except ServiceError as error:
            show_service_error(form, error, {"items": "__all__"})
        else:
            verb = "Kept" if data["decision"] == ReviewItem.Decision.KEEP else "Marked for revocation"
            messages.success(request, f"{verb}: {count} item{'' if count == 1 else 's'}.")
            return redirect(_mine_url(request, campaign))
    return _mine(request, campaign, bulk_form=form)


@require_POST
@org_view(Perm.REVIEW_ACCESS)
def review_attest(request: OrgRequest, review_id: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.membership, review_id)
    form = AttestForm(request.POST)
    if form.is_valid():
        try:
            services.reviewer_attest(organization=request.org, actor=Actor.from_request(request), campaign=campaign)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Attested. Your decisions in this review are final.")
            return redirect(_mine_url(request, campaign))
    return _mine(request, campaign, attest_form=form)


def _mine_url(request: OrgRequest, campaign: ReviewCampaign) -> str:
    return reverse("access:review_mine", args=[request.org.slug, campaign.public_id])


# ---- one item ----------------------------------------------------------------------------------------------------


def _item_in(request: OrgRequest, review_id: UUID, item_id: UUID) -> tuple[ReviewCampaign, ReviewItem]:
    campaign = get_campaign_for_user(request.membership, review_id)
    item = get_review_item_for_user(request.membership, item_id)
    if item.campaign_id != campaign.pk:
        raise Http404("No such review item.")
    return campaign, item


def _back(request: OrgRequest, campaign: ReviewCampaign, item: ReviewItem) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    if item.reviewer_id == request.user.pk:
        return _mine_url(request, campaign)
    return reverse("access:review_detail", args=[request.org.slug, campaign.public_id])


def _item_page(
    request: OrgRequest,
    campaign: ReviewCampaign,
    item: ReviewItem,
    *,
    form: DecisionForm | None = None,
    reassign_form: ReassignForm | None = None,
    revocation_form: RevocationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    context = {
        "campaign": campaign,
        "item": item,
        "findings": list(item.findings.order_by("kind", "pk")),
        "form": form or DecisionForm(initial={"decision": item.decision, "comment": item.comment}),
        "deciding": campaign.status == Status.OPEN
        and not ReviewerAttestation.objects.filter(campaign=campaign, reviewer_id=item.reviewer_id).exists(),
        "reassign_form": reassign_form or (ReassignForm(organization=request.org) if can_manage else None),
        "revocation_form": revocation_form or (RevocationForm() if can_manage else None),
        "can_manage": can_manage,
        "back": _back(request, campaign, item),
    }
    return render(request, "access/review_item.html", context, status=status)


@org_view(None)
def review_item(request: OrgRequest, review_id: UUID, item_id: UUID) -> HttpResponse:
    campaign, item = _item_in(request, review_id, item_id)
    if request.method != "POST":
        return _item_page(request, campaign, item)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.item_decide(
                organization=request.org,
                actor=Actor.from_request(request),
                item=item,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{item.username}: {form.cleaned_data['decision']}.")
            return redirect(_back(request, campaign, item))
    return _item_page(request, campaign, item, form=form, status=400)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def review_item_reassign(request: OrgRequest, review_id: UUID, item_id: UUID) -> HttpResponse:
    campaign, item = _item_in(request, review_id, item_id)
    form = ReassignForm(request.POST, organization=request.org)
    if form.is_valid():
        reviewer = form.cleaned_data["reviewer"]
        try:
            services.item_reassign(
                organization=request.org, actor=Actor.from_request(request), item=item, reviewer=reviewer
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{item.username} is now reviewed by {reviewer.email}.")
            return redirect("access:review_detail", request.org.slug, campaign.public_id)
    return _item_page(request, campaign, item, reassign_form=form, status=400)


# ---- revocations -------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def revocation_list(request: OrgRequest) -> HttpResponse:
    rows = open_revocations(request.org, timezone.localdate()).select_related("reviewer")
    if not services.sees_every_item(request.membership):
        rows = rows.filter(reviewer=request.membership.user)
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    context = {"page": _page(request, rows), "can_manage": can_manage}
    return render(request, "access/review_revocations.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def revocation_done(request: OrgRequest, item_id: UUID) -> HttpResponse:
    item = get_review_item_for_user(request.membership, item_id)
    form = RevocationForm(request.POST)
    if form.is_valid():
        try:
            services.revocation_done(
                organization=request.org,
                actor=Actor.from_request(request),
                item=item,
                revoked_at=form.cleaned_data["revoked_at"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Recorded: access of {item.username} on {item.system} removed.")
            return redirect("access:revocation_list", request.org.slug)
    return _item_page(request, item.campaign, item, revocation_form=form, status=400)
