"""Reads the inventory pages and the inventory API share: the filtered assets and data flows, ready to list."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from safeguard.core.models import Organization
from safeguard.risk.models import Asset, DataFlow


def _flow_count(direction: str) -> Coalesce:
    per_asset = (
        DataFlow.objects.filter(**{direction: OuterRef("pk")})
        .order_by()
        .values(direction)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_asset, output_field=IntegerField()), 0)


def asset_rows(organization: Organization, filters: dict[str, Any]) -> QuerySet[Asset]:
    """The inventory filtered as the list page and the API filter it, with flow counts: one query."""
    rows = Asset.objects.filter(organization=organization).select_related("owner")
    if filters.get("kind"):
        rows = rows.filter(kind=filters["kind"])
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("owner") is not None:
        rows = rows.filter(owner=filters["owner"])
    text = str(filters.get("q") or "").strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(hosting__icontains=text) | Q(business_associate__icontains=text))
    return rows.annotate(flow_count=_flow_count("source") + _flow_count("destination")).order_by("name", "pk")


def flow_rows(organization: Organization, filters: dict[str, Any]) -> QuerySet[DataFlow]:
    """The data flows filtered by asset (either end), encryption and transport, both ends joined."""
    rows = DataFlow.objects.filter(organization=organization).select_related("source", "destination")
    if filters.get("asset") is not None:
        rows = rows.filter(Q(source=filters["asset"]) | Q(destination=filters["asset"]))
    if filters.get("encrypted") in (True, False):
        rows = rows.filter(encrypted_in_transit=filters["encrypted"])
    if filters.get("transport"):
        rows = rows.filter(transport=filters["transport"])
    return rows.order_by("source__name", "destination__name", "ephi", "pk")
