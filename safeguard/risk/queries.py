"""Reads the risk pages, API, checks and reports share."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.risk.models import RiskAnalysis


def latest_approved_analysis(organization: Organization) -> RiskAnalysis | None:
    return (
        RiskAnalysis.objects.filter(organization=organization, status=RiskAnalysis.Status.APPROVED)
        .select_related("approval__signer")
        .order_by("-approved_at")
        .first()
    )


def analysis_lapses_on(analysis: RiskAnalysis) -> date | None:
    """The day an approved analysis is no longer current: approval date + the interval frozen in its method."""
    if analysis.approved_at is None:
        return None
    months = int(analysis.method.get("reanalysis_months", 12))
    return add_months(timezone.localdate(analysis.approved_at), months)


def program_lead(organization: Organization, today: date | None = None) -> User | None:
    """Who owns duties the system raises on its own: the security official, else the longest-standing owner."""
    members = Membership.objects.current(today).filter(organization=organization).select_related("user")
    for role in (Role.SECURITY_OFFICIAL, Role.OWNER):
        member = members.filter(role=role).order_by("created_at", "pk").first()
        if member is not None:
            return member.user
    return None
