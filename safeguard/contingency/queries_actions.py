"""Corrective action lists, filtered as the list page and the API offer: open, overdue, closed; by origin; mine."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from safeguard.contingency.models import CorrectiveAction
from safeguard.contingency.services.actions import OPEN_STATUSES
from safeguard.core.models import Organization, User

STATES = ("open", "overdue", "closed", "all")


def corrective_actions(
    organization: Organization, *, today: date, state: str = "open", origin: str = "", owner: User | None = None
) -> QuerySet[CorrectiveAction]:
    rows = CorrectiveAction.objects.filter(organization=organization).select_related(
        "owner", "asset", "risk", "restore_test", "exercise"
    )
    if state == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif state == "overdue":
        rows = rows.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    elif state == "closed":
        rows = rows.exclude(status__in=OPEN_STATUSES)
    if origin:
        rows = rows.filter(origin=origin)
    if owner is not None:
        rows = rows.filter(owner=owner)
    return rows.order_by("due_on", "title", "pk")
