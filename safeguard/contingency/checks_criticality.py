"""164.308(a)(7)(ii)(E) applications and data criticality analysis.

Met: the latest approval is younger than its review date, every asset in service has a recovery profile (in or
out of scope), and every in-scope profile stands as approved (no change, none added or removed since).
Partially met: an approval exists but lapsed, or assets lack a profile, or profiles changed since. Not met: the
analysis was never approved. The review is current through its due date (overdue the day after), so `lapses_on`
is the day after the approval's next review date."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.contingency.checks_common import SHOWN, listing, record_url
from safeguard.contingency.models import CriticalityApproval
from safeguard.contingency.queries_criticality import (
    ProfileChange,
    analysis_content,
    changes_since,
    latest_approval,
    unprofiled_assets,
)
from safeguard.core.models import Organization
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def approval_ref(approval: CriticalityApproval) -> RecordRef:
    return RecordRef(
        "contingency.criticalityapproval",
        str(approval.public_id),
        f"Criticality analysis approved {approval.approved_at:%Y-%m-%d} by {approval.approved_by.email}",
        record_url("contingency:criticality_approval", approval.organization),
    )


def asset_ref(organization: Organization, asset: Asset) -> RecordRef:
    return RecordRef(
        "risk.asset",
        str(asset.public_id),
        f"Asset without a recovery profile: {asset.name}",
        record_url("contingency:criticality_profile_create", organization, asset_id=asset.public_id),
    )


def change_ref(change: ProfileChange) -> RecordRef:
    return RecordRef("risk.asset", change.asset_public_id, f"Not as approved: {change.described}", "")


@check("164.308(a)(7)(ii)(E)", name="contingency.criticality_analysis")
def criticality_analysis_check(organization: Organization, today: date) -> CheckResult:
    approval = latest_approval(organization)
    missing = sorted(unprofiled_assets(organization), key=lambda asset: asset.name.lower())
    if approval is None:
        return CheckResult(
            Status.NOT_MET,
            "The applications and data criticality analysis has never been approved.",
            tuple(asset_ref(organization, asset) for asset in missing[:SHOWN]),
            next_action="Give each asset in service a recovery profile (tier, MTD, RTO, RPO, dependencies) and have "
            "the security official approve the analysis.",
        )
    changes = changes_since(approval.content, analysis_content(organization))
    parts: list[str] = []
    actions: list[str] = []
    if today > approval.next_review_on:
        parts.append(f"its annual review was due on {approval.next_review_on:%Y-%m-%d}")
        actions.append("review the analysis")
    if missing:
        parts.append(
            f"{_plural(len(missing), 'asset')} in service without a profile ({listing([a.name for a in missing])})"
        )
        actions.append("give the assets without one a recovery profile")
    if changes:
        parts.append(f"{_plural(len(changes), 'profile')} not as approved ({listing([c.name for c in changes])})")
        actions.append("review the changes")
    approved_on = f"{approval.approved_at:%Y-%m-%d}"
    records = (
        approval_ref(approval),
        *(asset_ref(organization, asset) for asset in missing[:SHOWN]),
        *(change_ref(change) for change in changes[:SHOWN]),
    )
    if parts:
        return CheckResult(
            Status.PARTIALLY_MET,
            f"The criticality analysis was approved on {approved_on}, but " + "; ".join(parts) + ".",
            records,
            lapses_on=approval.next_review_on + timedelta(days=1),
            next_action=(", ".join(actions) + ", then approve the analysis again").capitalize() + ".",
        )
    count = len(approval.content.get("profiles", {}))
    return CheckResult(
        Status.MET,
        f"The criticality analysis of {_plural(count, 'in-scope asset')} was approved on {approved_on} and "
        f"stands as approved; every asset in service has a recovery profile.",
        records,
        lapses_on=approval.next_review_on + timedelta(days=1),
        next_action=f"Review and approve the analysis again by {approval.next_review_on:%Y-%m-%d}.",
    )
