"""Reads the register page and its API share: the filtered risks, rows ready to list, and action tabs."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from safeguard.core.models import Organization
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance
from safeguard.risk.queries import acceptances_in_force
from safeguard.risk.services.treatment import OPEN_ACTION_STATUSES

NOT_DECIDED = "none"  # the filter value for Treatment.NONE, the empty string a filter reads as "any"
OPEN_STATUSES = OPEN_ACTION_STATUSES
SORTS = {
    "number": ("number",),
    "residual": (F("residual_rank").desc(nulls_last=True), F("residual_score").desc(nulls_last=True), "number"),
    "inherent": (F("inherent_rank").desc(nulls_last=True), F("inherent_score").desc(nulls_last=True), "number"),
}


def overdue_actions(today: date) -> Q:
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


def _action_count(condition: Q) -> Coalesce:
    per_risk = (
        MitigationAction.objects.filter(condition, risk=OuterRef("pk"))
        .order_by()
        .values("risk")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_risk, output_field=IntegerField()), 0)


def filtered_risks(organization: Organization, filters: dict[str, Any], today: date) -> QuerySet[Risk]:
    """The organization's risks narrowed by the register's filters (no annotations: heat maps count these)."""
    rows = Risk.objects.filter(organization=organization)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("level"):
        rated = "inherent" if filters.get("rated") == "inherent" else "residual"
        rows = rows.filter(**{f"{rated}_level": filters["level"]})
    if filters.get("treatment"):
        chosen = filters["treatment"]
        rows = rows.filter(treatment="" if chosen == NOT_DECIDED else chosen)
    for name in ("owner", "asset", "analysis"):
        if filters.get(name) is not None:
            rows = rows.filter(**{"assets" if name == "asset" else name: filters[name]})
    if filters.get("overdue") in ("yes", "no"):
        overdue = Exists(MitigationAction.objects.filter(overdue_actions(today), risk=OuterRef("pk")))
        rows = rows.filter(overdue if filters["overdue"] == "yes" else ~overdue)
    text = str(filters.get("q") or "").strip()
    if text:
        match = Q(title__icontains=text) | Q(description__icontains=text)
        number = text.upper().removeprefix("R-").removeprefix("R")
        if number.isdigit():
            match |= Q(number=int(number))
        rows = rows.filter(match)
    return rows


def charted_risks(risks: QuerySet[Risk], filters: dict[str, Any]) -> QuerySet[Risk]:
    """What the register's heat maps count: the filtered risks, open ones only unless a status was chosen."""
    return risks if filters.get("status") else risks.filter(status=Risk.Status.OPEN)


def register_rows(risks: QuerySet[Risk], sort: str, today: date) -> QuerySet[Risk]:
    """Rows ready to show: owner and analysis joined, action counts and the acceptance in force annotated."""
    accepted_until = (
        RiskAcceptance.objects.filter(acceptances_in_force(today), risk=OuterRef("pk"))
        .order_by()
        .values("risk")
        .annotate(until=Max("expires_on"))
        .values("until")
    )
    return (
        risks.select_related("owner", "analysis")
        # The signed document holds every risk of the analysis: far too much to read once per row.
        .defer("analysis__approved_content")
        .annotate(
            open_actions=_action_count(Q(status__in=OPEN_STATUSES)),
            overdue_actions=_action_count(overdue_actions(today)),
            accepted_until=Subquery(accepted_until),
        )
        .order_by(*SORTS.get(sort, SORTS["number"]), "pk")
    )


def action_tab(tab: str, today: date) -> Q:
    if tab == "overdue":
        return overdue_actions(today)
    if tab == "done":
        return Q(status__in=(MitigationAction.Status.DONE, MitigationAction.Status.CANCELLED))
    return Q(status__in=OPEN_STATUSES)
