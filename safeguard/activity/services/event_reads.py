"""Reading stored events is reading PHI, so each read is accounted for in the audit trail: who opened which
events, searched with which filters, or viewed and exported which alert's evidence. One audit event per request,
never one per row.

Auditors read the audit trail but may not read events, so the trail names events by uid (which only a member
allowed to read events can open) and says that a patient filter was used without repeating the patient id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from safeguard.activity.models import Alert
from safeguard.activity.queries_events import EventFilters
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization

UIDS_KEPT = 100
WITHHELD = "(given, not recorded)"
STORE_TYPE = "activity.event"


def _uids(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(row["event_uid"]) for row in rows][:UIDS_KEPT]


def search_filters(filters: EventFilters) -> dict[str, Any]:
    """The filters used, as the trail keeps them: blanks left out, the patient id withheld."""
    kept = {
        "source": filters.source.public_id if filters.source else None,
        "user": filters.user,
        "patient": WITHHELD if filters.patient else "",
        "date_from": filters.date_from,
        "date_to": filters.date_to,
    }
    return {name: value for name, value in kept.items() if value not in (None, "")}


def event_read_record(organization: Organization, actor: Actor, *, uid: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """An event opened (one row per source that sent this uid)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activity.events_viewed",
            organization=organization,
            object_type=STORE_TYPE,
            object_id=uid[:80],
            object_repr=f"Event {uid}"[:300],
            changes={"uids": [None, _uids(rows)], "shown": [None, len(rows)]},
        )


def event_search_record(
    organization: Organization,
    actor: Actor,
    *,
    filters: EventFilters,
    page: int,
    rows: Sequence[Mapping[str, Any]],
    total: int,
) -> None:
    """A page of search results shown: the filters, the page, how many rows it held and which."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activity.events_searched",
            organization=organization,
            object_type=STORE_TYPE,
            object_repr="Event search",
            changes={
                "filters": [None, search_filters(filters)],
                "page": [None, page],
                "shown": [None, len(rows)],
                "matching": [None, total],
                "uids": [None, _uids(rows)],
            },
        )


def evidence_read_record(
    organization: Organization, actor: Actor, *, alert: Alert, rows: Sequence[Mapping[str, Any]]
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activity.evidence_viewed",
            organization=organization,
            target=alert,
            changes={"uids": [None, _uids(rows)], "shown": [None, len(rows)]},
        )


def evidence_export_record(organization: Organization, actor: Actor, *, alert: Alert, file_format: str) -> None:
    """Recorded before the file is written: the evidence uids are the alert's, whatever the store still holds."""
    uids = list(alert.evidence_uids or [])
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activity.evidence_exported",
            organization=organization,
            target=alert,
            changes={"format": [None, file_format], "uids": [None, uids[:UIDS_KEPT]], "evidence": [None, len(uids)]},
        )
