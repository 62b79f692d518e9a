"""Deciding an access review: keep-or-revoke per item, reassignment, carried-out revocations, the reviewers'
signed attestations and closing the campaign.

A decision may change until its reviewer attests; from then on the reviewer's decisions are final. Closing needs
every item decided and every reviewer attested; it hands the rest (authorizations from managers' keep decisions
and the evidence package) to a background task, because a campaign can hold a hundred thousand accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.queries import access_settings
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import AuditEvent, Membership, Organization, Signature, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.signatures import signature_create
from safeguard.workforce.models import Authorization, Person
from safeguard.workforce.services.tasks import authorization_record

Decision = ReviewItem.Decision
Status = ReviewCampaign.Status
DECISION_FIELDS = ("decision", "comment", "decided_by", "decided_at", "revoke_due_on")
COMMENT_LIMIT = 2000
NOTE_LIMIT = 2000
NAMES_SHOWN = 5
MANAGER_BASIS = "manager"
REASSIGNED_BASIS = "reassigned"
AUTHORIZED_ACTION = "access.review.authorizations_recorded"
# How far ahead of the server's clock a "revoked at" time may be: the clocks of the person's device and ours differ.
CLOCK_SKEW = timedelta(minutes=5)


# ---- who may act ------------------------------------------------------------------------------------------------


def _membership(organization: Organization, actor: Actor) -> Membership:
    if actor.user is None:
        raise ServiceError("Only a person can do this in an access review.")
    membership = Membership.objects.current().filter(organization=organization, user=actor.user).first()
    if membership is None:
        raise ServiceError("You are not a member of this organization.")
    return membership


def sees_every_item(membership: Membership) -> bool:
    """Those who run the program, and read-only viewers such as auditors, see every item of a campaign; a
    reviewer (a manager) sees the items assigned to them."""
    return membership.has(Perm.MANAGE_PROGRAM) or (
        membership.has(Perm.VIEW_PROGRAM) and not membership.has(Perm.REVIEW_ACCESS)
    )


def _require_manager(organization: Organization, actor: Actor, what: str) -> Membership:
    membership = _membership(organization, actor)
    if not membership.has(Perm.MANAGE_PROGRAM):
        raise ServiceError(f"Only those who manage the compliance program can {what}.")
    return membership


def _check_in(organization: Organization, campaign: ReviewCampaign) -> None:
    if campaign.organization_id != organization.pk:
        raise ServiceError("No such access review in this organization.")


def _locked_open(campaign: ReviewCampaign) -> ReviewCampaign:
    """The campaign row, locked so decisions and closing take turns, and still open for decisions."""
    locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != Status.OPEN:
        raise ServiceError(_not_open(locked))
    return locked


def _not_open(campaign: ReviewCampaign) -> str:
    if campaign.status == Status.CLOSED:
        return f"The review “{campaign.title}” is closed: its decisions are final."
    if campaign.status == Status.PREPARING:
        return f"The review “{campaign.title}” is still being prepared; decisions open when it is ready."
    return f"The review “{campaign.title}” could not be prepared; it takes no decisions."


def _attested(campaign: ReviewCampaign, reviewer_id: int | None) -> bool:
    return (
        reviewer_id is not None
        and ReviewerAttestation.objects.filter(campaign=campaign, reviewer_id=reviewer_id).exists()
    )


def _add_decided(campaign: ReviewCampaign, delta: int) -> None:
    if delta:
        ReviewCampaign.objects.filter(pk=campaign.pk).update(decided_count=F("decided_count") + delta)


def _emails(user_ids: Sequence[int | None]) -> str:
    emails = dict(User.objects.filter(pk__in=[pk for pk in user_ids if pk is not None]).values_list("pk", "email"))
    names = [emails.get(pk, "(unknown)") if pk is not None else "(no reviewer)" for pk in user_ids]
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ---- deciding ---------------------------------------------------------------------------------------------------


def _check_decision(decision: str, comment: str) -> None:
    if decision not in Decision.values:
        raise ServiceError("Choose keep or revoke.", field="decision")
    if len(comment) > COMMENT_LIMIT:
        raise ServiceError(f"Keep the comment within {COMMENT_LIMIT} characters.", field="comment")


def item_decide(
    *,
    organization: Organization,
    actor: Actor,
    item: ReviewItem,
    decision: str,
    comment: str = "",
    today: date | None = None,
) -> ReviewItem:
    """Keep or revoke one account. The item's reviewer decides, or someone who manages the program."""
    comment = comment.strip()
    _check_decision(decision, comment)
    if item.organization_id != organization.pk:
        raise ServiceError("No such review item in this organization.")
    membership = _membership(organization, actor)
    own = item.reviewer_id == membership.user_id and membership.has(Perm.REVIEW_ACCESS)
    if not own and not membership.has(Perm.MANAGE_PROGRAM):
        raise ServiceError("Only the item's reviewer or those who manage the program can decide it.")
    today = today or timezone.localdate()
    with transaction.atomic():
        campaign = _locked_open(item.campaign)
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if _attested(campaign, locked.reviewer_id):
            raise ServiceError("The reviewer has attested this item's decision: it is final.")
        if decision == Decision.KEEP:
            if locked.revoked_at is not None:
                raise ServiceError("This access was already removed; the decision to revoke stands.")
            if locked.finding_count and not comment:
                raise ServiceError(
                    f"This account has {_plural(locked.finding_count, 'finding')}: say why it should be kept.",
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
        _add_decided(campaign, 0 if before["decision"] else 1)
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
    _check_in(organization, campaign)
    membership = _membership(organization, actor)
    if not membership.has(Perm.REVIEW_ACCESS):
        raise ServiceError("Only reviewers decide review items.")
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked_open(campaign)
        if _attested(locked, membership.user_id):
            raise ServiceError("You have attested your decisions in this review: they are final.")
        mine = ReviewItem.objects.filter(campaign=locked, reviewer=membership.user)
        if item_ids is None:
            if decision != Decision.KEEP:
                raise ServiceError("Revoke the accounts you choose: tick them first.", field="items")
            chosen = mine.filter(decision="", finding_count=0)
        else:
            wanted = set(item_ids)
            if not wanted:
                raise ServiceError("Choose at least one item.", field="items")
            chosen = mine.filter(public_id__in=wanted)
        rows = list(chosen.values_list("pk", "public_id", "decision", "finding_count", "revoked_at"))
        if item_ids is not None and len(rows) != len(set(item_ids)):
            missing = len(set(item_ids)) - len(rows)
            raise ServiceError(f"{_plural(missing, 'chosen item')} are not yours to decide in this review.")
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
        _add_decided(locked, sum(1 for row in rows if not row[2]))
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


def _check_bulk(rows: list[tuple[Any, ...]], decision: str, comment: str) -> None:
    if decision != Decision.KEEP:
        return
    with_findings = sum(1 for row in rows if row[3])
    if with_findings and not comment:
        raise ServiceError(
            f"{_plural(with_findings, 'chosen item')} {'has' if with_findings == 1 else 'have'} findings: "
            "say why they should be kept, or decide them one by one.",
            field="comment",
        )
    removed = sum(1 for row in rows if row[4] is not None)
    if removed:
        raise ServiceError(f"{_plural(removed, 'chosen item')} already had access removed; they stay revoked.")


def item_reassign(*, organization: Organization, actor: Actor, item: ReviewItem, reviewer: User) -> ReviewItem:
    """Give an item to another reviewer, who decides it afresh. Refused once either reviewer has attested."""
    _require_manager(organization, actor, "reassign review items")
    if item.organization_id != organization.pk:
        raise ServiceError("No such review item in this organization.")
    target = Membership.objects.current().filter(organization=organization, user=reviewer).first()
    if target is None or not target.has(Perm.REVIEW_ACCESS):
        raise ServiceError(f"{reviewer.email} cannot review access in this organization.", field="reviewer")
    with transaction.atomic():
        campaign = _locked_open(item.campaign)
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if locked.reviewer_id == reviewer.pk:
            raise ServiceError(f"{reviewer.email} already reviews this item.", field="reviewer")
        if _attested(campaign, locked.reviewer_id):
            raise ServiceError("The reviewer has attested this item's decision: it is final.")
        if _attested(campaign, reviewer.pk):
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
        _add_decided(campaign, -1 if before["decision"] else 0)
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
    _require_manager(organization, actor, "record revocations")
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
            raise ServiceError(_not_open(locked.campaign))
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
    _check_in(organization, campaign)
    membership = _membership(organization, actor)
    if not membership.has(Perm.REVIEW_ACCESS):
        raise ServiceError("Only reviewers attest access reviews.")
    reviewer = membership.user
    with transaction.atomic():
        locked = _locked_open(campaign)
        if _attested(locked, reviewer.pk):
            raise ServiceError("You have already attested in this review.")
        counts = ReviewItem.objects.filter(campaign=locked, reviewer=reviewer).aggregate(
            total=Count("pk"), undecided=Count("pk", filter=Q(decision=""))
        )
        if not counts["total"]:
            raise ServiceError("No item of this review is assigned to you: there is nothing to attest.")
        if counts["undecided"]:
            raise ServiceError(
                f"{_plural(counts['undecided'], 'item')} assigned to you {'is' if counts['undecided'] == 1 else 'are'} "
                "still undecided: decide every item before attesting."
            )
        text = statement.strip() or (
            f"I reviewed each of the {_plural(counts['total'], 'account')} assigned to me in “{locked.title}” "
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


def close_blockers(campaign: ReviewCampaign) -> list[str]:
    """What stands between the campaign and closing, one sentence each; empty when it may close."""
    problems = []
    items = ReviewItem.objects.filter(campaign=campaign)
    undecided = list(
        items.filter(decision="").values("reviewer_id").annotate(n=Count("pk")).order_by("-n", "reviewer_id")
    )
    if undecided:
        total = sum(row["n"] for row in undecided)
        problems.append(
            f"{_plural(total, 'item')} {'is' if total == 1 else 'are'} undecided; waiting for "
            f"{_emails([row['reviewer_id'] for row in undecided])}."
        )
    unassigned = items.filter(reviewer__isnull=True).count()
    if unassigned:
        problems.append(
            f"{_plural(unassigned, 'item')} {'has' if unassigned == 1 else 'have'} no reviewer: assign them."
        )
    attested = ReviewerAttestation.objects.filter(campaign=campaign).values("reviewer_id")
    missing = list(
        items.filter(reviewer__isnull=False)
        .exclude(reviewer_id__in=attested)
        .values_list("reviewer_id", flat=True)
        .distinct()
        .order_by("reviewer_id")
    )
    if missing:
        problems.append(f"Waiting for the attestation of {_emails(missing)}.")
    return problems


def campaign_close(*, organization: Organization, actor: Actor, campaign: ReviewCampaign) -> ReviewCampaign:
    """Close a fully decided and attested campaign; authorizations and the evidence package follow in the
    background."""
    _check_in(organization, campaign)
    _require_manager(organization, actor, "close an access review")
    with transaction.atomic():
        locked = _locked_open(campaign)
        problems = close_blockers(locked)
        if problems:
            raise ServiceError("The review cannot close yet. " + " ".join(problems))
        locked.status = Status.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = actor.user
        locked.failure = ""
        locked.save(update_fields=["status", "closed_at", "closed_by", "failure"])
        audit_record(
            actor=actor,
            action="access.review.closed",
            organization=organization,
            target=locked,
            changes={"status": [Status.OPEN, Status.CLOSED], "decided_count": [None, locked.decided_count]},
        )
        request_evaluation_on_commit(organization, "access.review_closed")
        campaign_id = locked.pk
        transaction.on_commit(lambda: _enqueue_finish(campaign_id))
    return locked


def campaign_package_request(*, organization: Organization, actor: Actor, campaign: ReviewCampaign) -> None:
    """Build the evidence package again after a failure (the first build is requested by closing)."""
    _check_in(organization, campaign)
    _require_manager(organization, actor, "build an evidence package")
    with transaction.atomic():
        locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Status.CLOSED:
            raise ServiceError("The evidence package is built once the review is closed.")
        if locked.package_evidence_id is not None:
            raise ServiceError("The evidence package is already built.")
        before = locked.failure
        locked.failure = ""
        locked.save(update_fields=["failure"])
        audit_record(
            actor=actor,
            action="access.review.package_requested",
            organization=organization,
            target=locked,
            changes={"failure": [before, ""]} if before else {},
        )
        campaign_id = locked.pk
        transaction.on_commit(lambda: _enqueue_finish(campaign_id))


def _enqueue_finish(campaign_id: int) -> None:
    # Imported here: the task module imports this one.
    from safeguard.access.tasks_reviews import finish_campaign

    finish_campaign.enqueue(campaign_id)


# ---- after closing (background) ---------------------------------------------------------------------------------


def kept_by_manager(campaign: ReviewCampaign) -> dict[int, int]:
    """Person id → their manager's user id, for each person all of whose items their manager kept."""
    people = (
        ReviewItem.objects.filter(campaign=campaign, person__isnull=False)
        .values("person_id")
        .annotate(
            total=Count("pk"),
            kept=Count(
                "pk",
                filter=Q(decision=Decision.KEEP, reviewer_basis=MANAGER_BASIS, decided_by_id=F("reviewer_id")),
            ),
            first_reviewer=Min("reviewer_id"),
            last_reviewer=Max("reviewer_id"),
        )
        .order_by("person_id")
    )
    return {
        row["person_id"]: row["first_reviewer"]
        for row in people
        if row["total"] == row["kept"] and row["first_reviewer"] == row["last_reviewer"]
    }


def campaign_authorizations_record(*, campaign: ReviewCampaign) -> int:
    """Record an authorization (basis: access review) for each active person whose manager kept all their access.
    Idempotent: a marker event in the same transaction says it was done. Returns how many were recorded."""
    if campaign.status != Status.CLOSED or campaign.closed_by is None:
        return 0
    actor = Actor(user=campaign.closed_by)
    organization = campaign.organization
    with transaction.atomic():
        locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        marker = AuditEvent.objects.filter(
            organization=organization, action=AUTHORIZED_ACTION, object_id=str(locked.public_id)
        )
        if marker.exists():
            return 0
        managers = kept_by_manager(locked)
        people = Person.objects.filter(pk__in=list(managers)).exclude(status=Person.Status.TERMINATED).order_by("pk")
        reviewers = User.objects.in_bulk(list(set(managers.values())))
        note = f"All access kept by their manager in the access review “{locked.title}”."
        count = 0
        for person in people.iterator(chunk_size=2000):
            authorization_record(
                organization=organization,
                actor=actor,
                person=person,
                basis=Authorization.Basis.REVIEW,
                authorized_by=reviewers[managers[person.pk]],
                authorized_at=locked.closed_at,
                note=note,
            )
            count += 1
        audit_record(
            actor=actor,
            action=AUTHORIZED_ACTION,
            organization=organization,
            target=locked,
            changes={"authorizations": [None, count]},
        )
    return count


def campaign_finish(*, campaign_id: int) -> None:
    """After closing: the authorizations, then the evidence package. Safe to run twice."""
    from safeguard.access.reports.package import package_build

    campaign = ReviewCampaign.objects.select_related("organization", "closed_by").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Status.CLOSED:
        return
    campaign_authorizations_record(campaign=campaign)
    package_build(campaign_id=campaign_id)
