"""Signing an activity review: the period's statistics are frozen on the review and signed (a core Signature
whose hash covers them), with the audit event, in one transaction. A signed review is never signed again."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from safeguard.activity import queries_reviews as queries
from safeguard.activity.models import ActivityReview
from safeguard.core.audit import Actor, audit_record, jsonable
from safeguard.core.models import Organization, Signature
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.signatures import signature_create


def review_statement(review: ActivityReview) -> str:
    return f"I reviewed the activity of {review.source.name} for {review.period_start} – {review.period_end}."


def review_statistics(review: ActivityReview) -> dict[str, Any]:
    """What the reviewer saw: the store's summary and the period's alerts (counts, open and still new)."""
    alerts = queries.period_alerts(review)
    counts = queries.alert_counts(alerts)
    return jsonable(
        {
            "events": queries.period_summary(review),
            "alerts": {
                "total": counts["total"],
                "open": counts["open"],
                "new_at_signing": counts["new"],
                "by_rule": [
                    {
                        "rule": row["rule__name"],
                        "severity": row["severity"],
                        "status": row["status"],
                        "count": row["count"],
                    }
                    for row in queries.alert_breakdown(alerts)
                ],
            },
        }
    )


def review_sign(
    *,
    organization: Organization,
    actor: Actor,
    review: ActivityReview,
    conclusion: str,
    notes: str = "",
) -> ActivityReview:
    if conclusion not in ActivityReview.Conclusion.values:
        raise ServiceError("Choose a conclusion.", field="conclusion")
    notes = notes.strip()
    if conclusion == ActivityReview.Conclusion.ISSUES_FOUND and not notes:
        raise ServiceError("Say what was found and how it was followed up.", field="notes")
    with transaction.atomic():
        locked = (
            ActivityReview.objects.select_for_update()
            .select_related("source")
            .filter(pk=review.pk, organization=organization)
            .first()
        )
        if locked is None:
            raise ServiceError("No such review.")
        if locked.signed_at is not None:
            raise ServiceError("This review is already signed.")
        # Periods are the source's facility-local days, not the installation's.
        if locked.period_end >= timezone.now().astimezone(ZoneInfo(locked.source.time_zone)).date():
            raise ServiceError("The period has not ended yet.")
        statistics = review_statistics(locked)
        statement = review_statement(locked)
        content = {
            "review": str(locked.public_id),
            "source": locked.source.name,
            "period_start": locked.period_start.isoformat(),
            "period_end": locked.period_end.isoformat(),
            "conclusion": conclusion,
            "notes": notes,
            "statistics": statistics,
        }
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.REVIEWED,
            target_type="activity.activityreview",
            target_id=str(locked.public_id),
            content=content,
            statement=statement,
            permission=Perm.TRIAGE_ALERTS,
        )
        locked.statistics = statistics
        locked.conclusion = conclusion
        locked.notes = notes
        locked.signed_by = actor.user
        locked.signed_at = signature.signed_at
        locked.signature = signature
        locked.save(update_fields=["statistics", "conclusion", "notes", "signed_by", "signed_at", "signature"])
        audit_record(
            actor=actor,
            action="activity.review_signed",
            organization=organization,
            target=locked,
            changes={
                "conclusion": [None, conclusion],
                "signed_at": [None, signature.signed_at],
                "new_alerts_at_signing": [None, statistics["alerts"]["new_at_signing"]],
            },
        )
    return locked
