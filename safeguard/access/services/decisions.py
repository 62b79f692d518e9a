"""Deciding an access review: keep-or-revoke per item, reassignment, carried-out revocations and the reviewers'
signed attestations. Closing lives in review_closing.py; the rules both share in review_guards.py.

A decision may change until its reviewer attests; from then on the reviewer's decisions are final. Nobody decides
their own account, and an item is never assigned to the person who holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.queries import access_settings

# Re-exported so the pages, the API, the task and the demo keep one module to call for a review's writes.
from safeguard.access.services.review_closing import AUTHORIZED_ACTION as AUTHORIZED_ACTION
from safeguard.access.services.review_closing import campaign_authorizations_record as campaign_authorizations_record
from safeguard.access.services.review_closing import campaign_close as campaign_close
from safeguard.access.services.review_closing import campaign_finish as campaign_finish
from safeguard.access.services.review_closing import campaign_package_request as campaign_package_request
from safeguard.access.services.review_closing import close_blockers as close_blockers
from safeguard.access.services.review_closing import kept_by_manager as kept_by_manager
from safeguard.access.services.review_guards import (
    acting_membership,
    add_decided,
    attested,
    check_in,
    held_by,
    holds,
    locked_open,
    not_open,
    plural,
    require_manager,
)
from safeguard.access.services.review_guards import sees_every_item as sees_every_item
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, Signature, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.signatures import signature_create

Decision = ReviewItem.Decision
Status = ReviewCampaign.Status
DECISION_FIELDS = ("decision", "comment", "decided_by", "decided_at", "revoke_due_on")
COMMENT_LIMIT = 2000
NOTE_LIMIT = 2000
REASSIGNED_BASIS = "reassigned"
OWN_ACCOUNT = "You hold this account: someone else must decide whether it stays."
# How far ahead of the server's clock a "revoked at" time may be: the clocks of the person's device and ours differ.
CLOCK_SKEW = timedelta(minutes=5)


# ---- deciding ---------------------------------------------------------------------------------------------------


def _check_decision(decision: str, comment: str) -> None:
    if decision not in Decision.values:
        raise ServiceError("Choose keep or revoke.", field="decision")
    if len(comment) > COMMENT_LIMIT:
        raise ServiceError(f"Keep the comment within {COMMENT_LIMIT} characters.", field="comment")


def _check_may_decide(membership: Membership, item: ReviewItem) -> None:
    own = item.reviewer_id == membership.user_id and membership.has(Perm.REVIEW_ACCESS)
    if not own and not membership.has(Perm.MANAGE_PROGRAM):
        raise ServiceError("Only the item's reviewer or those who manage the program can decide it.")
    if holds(membership.user, item):
        raise ServiceError(OWN_ACCOUNT)


def item_decide(
    *,
    organization: Organization,
    actor: Actor,
    item: ReviewItem,
    decision: str,
    comment: str = "",
    today: date | None = None,
) -> ReviewItem:
    """Keep or revoke one account. The item's reviewer decides, or someone who manages the program; never the
    person who holds the account."""
    comment = comment.strip()
    _check_decision(decision, comment)
    if item.organization_id != organization.pk:
        raise ServiceError("No such review item in this organization.")
    membership = acting_membership(organization, actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        campaign = locked_open(item.campaign)
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        # Judged on the locked row: the item may have moved to another reviewer since the caller loaded it.
        _check_may_decide(membership, locked)
        if attested(campaign, locked.reviewer_id):
            raise ServiceError("The reviewer has attested this item's decision: it is final.")
        if decision == Decision.KEEP:
            if locked.revoked_at is not None:
                raise ServiceError("This access was already removed; the decision to revoke stands.")
            if locked.finding_count and not comment:
                raise ServiceError(
                    f"This account has {plural(locked.finding_count, 'finding')}: say why it should be kept.",
                    field="comment",
                )
        before = snapshot(locked, DECISION_FIELDS)
        locked.decision = decision
        locked.comment = comment
        locked.decided_by = actor.user
        locked.decided_at = timezone.now()
        if decision == Decision.KEEP:
            locked.revoke_due_on = None
        elif before["decision"] != Decision.REVOKE or locked.revoke_due_on is None:
            locked.revoke_due_on = today + timedelta(days=access_settings(organization).revocation_due_days)
        locked.save(update_fields=list(DECISION_FIELDS))
        add_decided(campaign, 0 if before["decision"] else 1)
        changes = field_changes(before, snapshot(locked, DECISION_FIELDS))
        changes.pop("decided_at", None)
        audit_record(
            actor=actor, action="access.review_item.decided", organization=organization, target=locked, changes=changes
        )
    return locked


def items_decide_bulk(
    *,
    organization: Organization,
    actor: Actor,
    campaign: ReviewCampaign,
    item_ids: Sequence[UUID] | None = None,
    decision: str = Decision.KEEP,
    comment: str = "",
    today: date | None = None,
) -> int:
    """Decide many of the actor's own items at once: the chosen ones, or (no choice) every undecided item without
    findings. Returns how many were decided. A few queries whatever the number of items."""
    comment = comment.strip()
    _check_decision(decision, comment)
    check_in(organization, campaign)
    membership = acting_membership(organization, actor)
    if not membership.has(Perm.REVIEW_ACCESS):
        raise ServiceError("Only reviewers decide review items.")
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = locked_open(campaign)
        if attested(locked, membership.user_id):
            raise ServiceError("You have attested your decisions in this review: they are final.")
        mine = ReviewItem.objects.filter(campaign=locked, reviewer=membership.user)
        own = held_by(membership.user)
        if item_ids is None:
            if decision != Decision.KEEP:
                raise ServiceError("Revoke the accounts you choose: tick them first.", field="items")
            # The reviewer's own account waits for someone else rather than holding up the rest.
            chosen = mine.filter(decision="", finding_count=0).exclude(own)
        else:
            wanted = set(item_ids)
            if not wanted:
                raise ServiceError("Choose at least one item.", field="items")
            chosen = mine.filter(public_id__in=wanted)
        rows = list(chosen.values_list("pk", "public_id", "decision", "finding_count", "revoked_at"))
        if item_ids is not None and len(rows) != len(set(item_ids)):
            missing = len(set(item_ids)) - len(rows)
            raise ServiceError(f"{plural(missing, 'chosen item')} are not yours to decide in this review.")
        if item_ids is not None:
            _check_none_own(chosen.filter(own).count())
        _check_bulk(rows, decision, comment)
        if not rows:
            return 0
        now = timezone.now()
        pks = [row[0] for row in rows]
        values: dict[str, Any] = {"decision": decision, "comment": comment, "decided_by": actor.user, "decided_at": now}
        if decision == Decision.KEEP:
            values["revoke_due_on"] = None
            ReviewItem.objects.filter(pk__in=pks).update(**values)
        else:
            due = today + timedelta(days=access_settings(organization).revocation_due_days)
            # An item already to be revoked keeps its due date: deciding again does not move the deadline.
            ReviewItem.objects.filter(pk__in=pks).exclude(decision=Decision.REVOKE).update(**values, revoke_due_on=due)
            ReviewItem.objects.filter(pk__in=pks, decision=Decision.REVOKE).update(**values)
        add_decided(locked, sum(1 for row in rows if not row[2]))
        audit_record(
            actor=actor,
            action="access.review.items_decided",
            organization=organization,
            target=locked,
            changes={
                "decision": [None, decision],
                "comment": [None, comment],
                "count": [None, len(rows)],
                "items": [None, sorted(str(row[1]) for row in rows)],
            },
        )
    return len(rows)


def _check_none_own(held: int) -> None:
    if held == 1:
        raise ServiceError("1 chosen item is your own account: someone else must decide it.")
    if held:
        raise ServiceError(f"{held} chosen items are your own accounts: someone else must decide them.")


def _check_bulk(rows: list[tuple[Any, ...]], decision: str, comment: str) -> None:
    if decision != Decision.KEEP:
        return
    with_findings = sum(1 for row in rows if row[3])
    if with_findings and not comment:
        raise ServiceError(
            f"{plural(with_findings, 'chosen item')} {'has' if with_findings == 1 else 'have'} findings: "
            "say why they should be kept, or decide them one by one.",
            field="comment",
        )
    removed = sum(1 for row in rows if row[4] is not None)
    if removed:
        raise ServiceError(f"{plural(removed, 'chosen item')} already had access removed; they stay revoked.")


def item_reassign(*, organization: Organization, actor: Actor, item: ReviewItem, reviewer: User) -> ReviewItem:
    """Give an item to another reviewer, who decides it afresh. Refused once either reviewer has attested, and
    to the person who holds the account."""
    require_manager(organization, actor, "reassign review items")
    if item.organization_id != organization.pk:
        raise ServiceError("No such review item in this organization.")
    target = Membership.objects.current().filter(organization=organization, user=reviewer).first()
    if target is None or not target.has(Perm.REVIEW_ACCESS):
        raise ServiceError(f"{reviewer.email} cannot review access in this organization.", field="reviewer")
    with transaction.atomic():
        campaign = locked_open(item.campaign)
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if holds(reviewer, locked):
            raise ServiceError(
                f"{reviewer.email} holds this account and cannot review it: choose someone else.", field="reviewer"
            )
        if locked.reviewer_id == reviewer.pk:
            raise ServiceError(f"{reviewer.email} already reviews this item.", field="reviewer")
        if attested(campaign, locked.reviewer_id):
            raise ServiceError("The reviewer has attested this item's decision: it is final.")
        if attested(campaign, reviewer.pk):
            raise ServiceError(f"{reviewer.email} has already attested in this review.", field="reviewer")
        if locked.revoked_at is not None:
            raise ServiceError("This access was already removed; the item cannot move to another reviewer.")
        fields = ("reviewer", "reviewer_basis", *DECISION_FIELDS)
        before = snapshot(locked, fields)
        locked.reviewer = reviewer
        locked.reviewer_basis = REASSIGNED_BASIS
        locked.decision, locked.comment, locked.decided_by, locked.decided_at = "", "", None, None
        locked.revoke_due_on = None
        locked.save(update_fields=list(fields))
        add_decided(campaign, -1 if before["decision"] else 0)
        changes = field_changes(before, snapshot(locked, fields))
        changes.pop("decided_at", None)
        audit_record(
            actor=actor,
            action="access.review_item.reassigned",
            organization=organization,
            target=locked,
            changes=changes,
        )
    return locked


def revocation_done(
    *,
    organization: Organization,
    actor: Actor,
    item: ReviewItem,
    revoked_at: datetime,
    note: str = "",
) -> ReviewItem:
    """Record that the access an item's reviewer decided to revoke was removed, and when."""
    require_manager(organization, actor, "record revocations")
    if item.organization_id != organization.pk:
        raise ServiceError("No such review item in this organization.")
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise ServiceError(f"Keep the note within {NOTE_LIMIT} characters.", field="note")
    if timezone.is_naive(revoked_at):
        raise ServiceError("Give the time with its time zone.", field="revoked_at")
    if revoked_at > timezone.now() + CLOCK_SKEW:
        raise ServiceError("The access cannot have been removed in the future.", field="revoked_at")
    with transaction.atomic():
        locked = ReviewItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
        if locked.campaign.status not in (Status.OPEN, Status.CLOSED):
            raise ServiceError(not_open(locked.campaign))
        if locked.decision != Decision.REVOKE:
            raise ServiceError("Only an account decided “revoke” has access to remove.")
        if locked.revoked_at is not None:
            raise ServiceError(
                f"Already recorded as removed on {timezone.localtime(locked.revoked_at):%Y-%m-%d %H:%M}."
            )
        if revoked_at < locked.campaign.started_at:
            raise ServiceError(
                f"The review started on {timezone.localtime(locked.campaign.started_at):%Y-%m-%d %H:%M}; "
                "give the time the access was removed after that.",
                field="revoked_at",
            )
        fields = ("revoked_at", "revoked_by", "revocation_note")
        before = snapshot(locked, fields)
        locked.revoked_at, locked.revoked_by, locked.revocation_note = revoked_at, actor.user, note
        locked.save(update_fields=list(fields))
        audit_record(
            actor=actor,
            action="access.review_item.revoked",
            organization=organization,
            target=locked,
            changes=field_changes(before, snapshot(locked, fields)),
        )
        request_evaluation_on_commit(organization, "access.revocation_done")
    return locked


# ---- attesting and closing --------------------------------------------------------------------------------------


def attestation_content(campaign: ReviewCampaign, reviewer: User) -> dict[str, Any]:
    """What a reviewer signs: every decision on the items assigned to them, in a stable order."""
    rows = (
        ReviewItem.objects.filter(campaign=campaign, reviewer=reviewer)
        .order_by("system_id", "username", "pk")
        .values_list("public_id", "system__asset__name", "username", "decision", "comment")
    )
    return {
        "campaign": str(campaign.public_id),
        "reviewer": str(reviewer.public_id),
        "items": [
            {"item": str(public_id), "system": system, "username": username, "decision": decision, "comment": comment}
            for public_id, system, username, decision, comment in rows
        ],
    }


def reviewer_attest(
    *, organization: Organization, actor: Actor, campaign: ReviewCampaign, statement: str = ""
) -> ReviewerAttestation:
    """The reviewer signs that they reviewed every account assigned to them; their decisions become final."""
    check_in(organization, campaign)
    membership = acting_membership(organization, actor)
    if not membership.has(Perm.REVIEW_ACCESS):
        raise ServiceError("Only reviewers attest access reviews.")
    reviewer = membership.user
    with transaction.atomic():
        locked = locked_open(campaign)
        if attested(locked, reviewer.pk):
            raise ServiceError("You have already attested in this review.")
        counts = ReviewItem.objects.filter(campaign=locked, reviewer=reviewer).aggregate(
            total=Count("pk"), undecided=Count("pk", filter=Q(decision=""))
        )
        if not counts["total"]:
            raise ServiceError("No item of this review is assigned to you: there is nothing to attest.")
        if counts["undecided"]:
            raise ServiceError(
                f"{plural(counts['undecided'], 'item')} assigned to you {'is' if counts['undecided'] == 1 else 'are'} "
                "still undecided: decide every item before attesting."
            )
        text = statement.strip() or (
            f"I reviewed each of the {plural(counts['total'], 'account')} assigned to me in “{locked.title}” "
            "and decided whether its access should be kept or revoked."
        )
        signature = _reviewer_signature(organization, actor, membership, locked, text)
        attestation = ReviewerAttestation.objects.create(
            campaign=locked, reviewer=reviewer, signature=signature, item_count=counts["total"]
        )
        audit_record(
            actor=actor,
            action="access.review.attested",
            organization=organization,
            target=locked,
            changes={
                "reviewer": [None, reviewer.email],
                "item_count": [None, counts["total"]],
                "content_sha256": [None, signature.content_sha256],
            },
        )
    return attestation


def _reviewer_signature(
    organization: Organization, actor: Actor, membership: Membership, campaign: ReviewCampaign, statement: str
) -> Signature:
    return signature_create(
        organization=organization,
        actor=actor,
        meaning=Signature.Meaning.ATTESTED,
        target_type=campaign._meta.label_lower,
        target_id=str(campaign.public_id),
        content=attestation_content(campaign, membership.user),
        statement=statement,
        permission=Perm.REVIEW_ACCESS,
    )
