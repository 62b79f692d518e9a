"""Reads the risk pages, API, checks and reports share."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.db.models import Q, QuerySet
from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.risk.models import ReportJob, RiskAcceptance, RiskAnalysis

AcceptanceState = Literal["in_force", "expired", "withdrawn"]


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


def report_jobs(organization: Organization) -> QuerySet[ReportJob]:
    """The organization's report jobs with who asked and which analysis, its signed document left unread."""
    return (
        ReportJob.objects.filter(organization=organization)
        .select_related("analysis", "requested_by")
        .defer("analysis__approved_content")
    )


def program_lead(organization: Organization, today: date | None = None) -> User | None:
    """Who owns duties the system raises on its own: the security official, else the longest-standing owner."""
    members = Membership.objects.current(today).filter(organization=organization).select_related("user")
    for role in (Role.SECURITY_OFFICIAL, Role.OWNER):
        member = members.filter(role=role).order_by("created_at", "pk").first()
        if member is not None:
            return member.user
    return None


# An acceptance holds while it is not withdrawn and until the day before it expires: on its expiry day the risk
# must be decided again. Pages, API, checks, reports and services all read the rule from here.


def acceptances_in_force(today: date) -> Q:
    """RiskAcceptance rows in force on `today`."""
    return Q(withdrawn_at__isnull=True, expires_on__gt=today)


def acceptances_expired(today: date) -> Q:
    """RiskAcceptance rows that ran out (not withdrawn) on or before `today`."""
    return Q(withdrawn_at__isnull=True, expires_on__lte=today)


def acceptance_state(acceptance: RiskAcceptance, today: date) -> AcceptanceState:
    if acceptance.withdrawn_at is not None:
        return "withdrawn"
    return "in_force" if acceptance.expires_on > today else "expired"
