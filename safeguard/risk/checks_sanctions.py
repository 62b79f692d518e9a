"""The tracker check for the sanction policy (164.308(a)(1)(ii)(C)).

Met needs an approved policy reviewed within 12 months and a log in use: a sanction decided within 12 months, or
a signed review of the log. The reason never says which of the two, nor anything about a sanction.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.risk.models import SanctionPolicy
from safeguard.risk.services.sanctions import (
    LOG_TYPE,
    POLICY_TYPE,
    REVIEW_MONTHS,
    approved_policy,
    latest_sanction_decided_on,
    log_reviews,
    review_lapses_on,
)
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

LOG_MONTHS = 12


def _policy_ref(organization: Organization, policy: SanctionPolicy) -> RecordRef:
    url = reverse("risk:sanction_policy_detail", args=[organization.slug, policy.public_id])
    return RecordRef(POLICY_TYPE, str(policy.public_id), str(policy), url)


def _log_last_used(organization: Organization, today: date) -> date | None:
    """The latest day the log shows use: a sanction decided, or a signed review of the log."""
    review = log_reviews(organization).filter(signed_at__date__lte=today).order_by("-signed_at").first()
    days = [
        day
        for day in (
            latest_sanction_decided_on(organization, today),
            timezone.localdate(review.signed_at) if review else None,
        )
        if day is not None
    ]
    return max(days, default=None)


def _no_approved_policy(organization: Organization) -> CheckResult:
    draft = SanctionPolicy.objects.filter(organization=organization, status=SanctionPolicy.Status.DRAFT).first()
    if draft is None:
        return CheckResult(
            Status.NOT_MET,
            "No sanction policy is recorded.",
            next_action="Write the sanction policy and have the security official or an owner approve it.",
        )
    return CheckResult(
        Status.NOT_MET,
        f"No version of the sanction policy is approved; version {draft.version} is a draft.",
        (_policy_ref(organization, draft),),
        next_action=f"Have the security official or an owner approve version {draft.version}.",
    )


@check("164.308(a)(1)(ii)(C)", name="risk.sanction_policy")
def sanction_policy(organization: Organization, today: date) -> CheckResult:
    policy = approved_policy(organization)
    if policy is None:
        return _no_approved_policy(organization)
    records = (_policy_ref(organization, policy),)
    policy_lapses_on = review_lapses_on(policy)
    reviewed_at = policy.last_reviewed_at or policy.approved_at
    if policy_lapses_on is None or reviewed_at is None:
        return CheckResult(
            Status.NOT_MET,
            f"The sanction policy v{policy.version} has no approval date.",
            records,
            next_action="Review the policy and sign the review.",
        )
    reviewed_on = timezone.localdate(reviewed_at)
    # lapses_on is the first day the check is no longer met: a review is good for 12 months, not a day more.
    if today >= policy_lapses_on:
        return CheckResult(
            Status.NOT_MET,
            f"The sanction policy v{policy.version} was last reviewed on {reviewed_on:%Y-%m-%d}, "
            f"{REVIEW_MONTHS} months ago or more.",
            records,
            next_action="Review the sanction policy, change it if needed, and sign the review.",
        )
    last_used = _log_last_used(organization, today)
    log_lapses_on = add_months(last_used, LOG_MONTHS) if last_used else None
    log = RecordRef(LOG_TYPE, str(organization.public_id), "Sanctions log")
    if log_lapses_on is None or today >= log_lapses_on:
        return CheckResult(
            Status.PARTIALLY_MET,
            f"The sanction policy v{policy.version} is approved and was reviewed on {reviewed_on:%Y-%m-%d}, but the "
            f"sanctions log shows no use in the last {LOG_MONTHS} months.",
            (*records, log),
            lapses_on=policy_lapses_on,
            next_action="Record the sanctions applied, or sign that the log was reviewed with nothing to record.",
        )
    return CheckResult(
        Status.MET,
        f"The sanction policy v{policy.version} is approved and was reviewed on {reviewed_on:%Y-%m-%d}, and the "
        "sanctions log is in use.",
        (*records, log),
        lapses_on=min(policy_lapses_on, log_lapses_on),
        next_action="Review the policy yearly; keep recording sanctions or sign the log's review.",
    )
