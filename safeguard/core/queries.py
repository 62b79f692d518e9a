"""Reads the dashboard, pages, checks and API share."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from safeguard.core.models import AuditEvent, Evidence, EvidenceVersion, Obligation, Organization


def obligations_due(organization: Organization, *, today: date, within_days: int = 30) -> list[Obligation]:
    """Open obligations overdue or due within `within_days`, soonest first, owner loaded."""
    return list(
        Obligation.objects.open()
        .filter(organization=organization, due_on__lte=today + timedelta(days=within_days))
        .select_related("owner")
        .order_by("due_on", "title")
    )


def audit_events(
    organization: Organization,
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The organization's audit events, newest first: the same filters for the page, the CSV and the API.

    `action` matches a prefix ("evidence." finds every evidence event), `actor` any part of the email or process
    label; `since` and `until` are whole days in the installation's time zone.
    """
    events = AuditEvent.objects.filter(organization=organization)
    if action.strip():
        events = events.filter(action__startswith=action.strip())
    if actor.strip():
        events = events.filter(actor_label__icontains=actor.strip())
    if object_type.strip():
        events = events.filter(object_type=object_type.strip())
    zone = timezone.get_current_timezone()
    if since is not None:
        events = events.filter(occurred_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        events = events.filter(occurred_at__lte=datetime.combine(until, time.max, tzinfo=zone))
    return events.order_by("-sequence")


def evidence_rows(organization: Organization, *, text: str = "") -> QuerySet[Evidence]:
    """Live evidence, newest first, with its latest version's number, size, digest and uploader, in one query.

    `text` narrows to titles or descriptions containing it (the evidence page's search and the API's `q`).
    """
    latest = EvidenceVersion.objects.filter(evidence=OuterRef("pk")).order_by("-number")
    rows = (
        Evidence.objects.filter(organization=organization, is_deleted=False)
        .annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            latest_size=Subquery(latest.values("size")[:1]),
            latest_sha256=Subquery(latest.values("sha256")[:1]),
            latest_uploader=Subquery(latest.values("uploaded_by__email")[:1]),
        )
        .order_by("-created_at", "-pk")
    )
    if text:
        rows = rows.filter(Q(title__icontains=text) | Q(description__icontains=text))
    return rows
