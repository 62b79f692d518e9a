"""Reads the dashboard, pages, checks and API share."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.core.models import Obligation, Organization


def obligations_due(organization: Organization, *, today: date, within_days: int = 30) -> list[Obligation]:
    """Open obligations overdue or due within `within_days`, soonest first, owner loaded."""
    return list(
        Obligation.objects.open()
        .filter(organization=organization, due_on__lte=today + timedelta(days=within_days))
        .select_related("owner")
        .order_by("due_on", "title")
    )
