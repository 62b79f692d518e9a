"""Daily chores of access reviews: overdue revocations.

A revocation passing its due date can turn the access-review requirement to "not met" without any record
changing, so the tracker is asked to look again. Each overdue revocation is noted once in the audit trail (with
its due date), which is what makes the chore idempotent: a second run the same day finds it noted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction

from safeguard.access.models import ReviewCampaign, ReviewItem
from safeguard.access.reports import evidence_links  # noqa: F401  (registers review campaigns as link targets)
from safeguard.core.audit import Actor, audit_record, jsonable
from safeguard.core.chores import daily_chore
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.services.evaluation import request_evaluation_on_commit

OVERDUE_ACTION = "access.review_item.revocation_overdue"
SYSTEM = Actor.system("access")


def overdue_revocations(today: date) -> list[ReviewItem]:
    """Revocations past their due date and not carried out, not yet noted as overdue for that due date."""
    overdue = list(
        ReviewItem.objects.filter(
            decision=ReviewItem.Decision.REVOKE,
            revoked_at__isnull=True,
            revoke_due_on__lt=today,
            campaign__status__in=(ReviewCampaign.Status.OPEN, ReviewCampaign.Status.CLOSED),
        )
        .select_related("organization", "system__asset", "campaign")
        .order_by("organization__slug", "revoke_due_on", "pk")
    )
    noted = {
        (object_id, (changes.get("revoke_due_on") or [None, None])[1])
        for object_id, changes in AuditEvent.objects.filter(
            action=OVERDUE_ACTION, object_id__in=[str(item.public_id) for item in overdue]
        ).values_list("object_id", "changes")
    }
    return [item for item in overdue if (str(item.public_id), jsonable(item.revoke_due_on)) not in noted]


@daily_chore("access.overdue_revocations")
def flag_overdue_revocations(today: date, dry_run: bool) -> list[str]:
    """Note each newly overdue revocation in the audit trail and ask the tracker to re-evaluate its organization."""
    by_org: dict[Organization, list[ReviewItem]] = defaultdict(list)
    for item in overdue_revocations(today):
        by_org[item.organization].append(item)
    lines = []
    for organization, items in by_org.items():
        for item in items:
            lines.append(
                f"{organization.slug}: revoking {item.username} on {item.system.asset.name} "
                f"(review “{item.campaign.title}”) was due {item.revoke_due_on:%Y-%m-%d}"
                f"{' and would be flagged overdue' if dry_run else '; flagged overdue'}"
            )
        if dry_run:
            continue
        with transaction.atomic():
            for item in items:
                audit_record(
                    actor=SYSTEM,
                    action=OVERDUE_ACTION,
                    organization=organization,
                    target=item,
                    changes={"revoke_due_on": [None, item.revoke_due_on]},
                )
            request_evaluation_on_commit(organization, "access.revocation_overdue")
    return lines
