"""The audit trail: a filtered, paginated list with field-level changes, chain verification on demand, CSV export.

Verification walks the whole chain, so it runs only when someone presses "Verify chain"; the result is kept in
the session with the chain head it covered, and the page says how many events arrived since.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from safeguard.core.audit import Actor, audit_verify_chain
from safeguard.core.forms.administration import AuditFilterForm
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.queries import audit_events
from safeguard.core.roles import Perm
from safeguard.core.services.audit_trail import audit_export_record

PAGE_SIZE = 50
CSV_COLUMNS = (
    "sequence",
    "occurred_at",
    "actor",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "prev_hash",
    "hash",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); it gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any
    is_pair: bool


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    changes: list[Change]


def change_list(changes: Any) -> list[Change]:
    """`changes` maps a field to [before, after]; a few events store a plain value instead."""
    if not isinstance(changes, dict):
        return [Change("value", None, changes, False)] if changes not in (None, "", []) else []
    rows = []
    for name, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            rows.append(Change(str(name), value[0], value[1], True))
        else:
            rows.append(Change(str(name), None, value, False))
    return rows


def filtered_events(organization: Organization, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    """The organization's events, newest first, narrowed by whichever filters are valid."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return audit_events(
        organization,
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        object_type=data.get("object_type") or "",
        since=data.get("date_from"),
        until=data.get("date_to"),
    )


def _session_key(organization: Organization) -> str:
    return f"audit_chain:{organization.public_id}"


def _chain_status(request: OrgRequest) -> dict[str, Any]:
    """The last verification this person ran, and how many events were appended after it."""
    head = (
        AuditEvent.objects.filter(organization=request.org)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    ) or 0
    result = dict(request.session.get(_session_key(request.org)) or {})
    if result:
        result["newer"] = max(0, head - int(result["head"]))
        result["verified_at"] = datetime.fromisoformat(result["verified_at"])
    return {"head": head, "result": result}


@org_view(Perm.VIEW_AUDIT)
def audit_list(request: OrgRequest) -> HttpResponse:
    if request.method == "POST":
        # Verifying reads the chain and changes nothing; the outcome is kept for the page that follows.
        outcome = audit_verify_chain(request.org)
        request.session[_session_key(request.org)] = {
            "ok": outcome.ok,
            "checked": outcome.checked,
            "broken_sequence": outcome.broken_sequence,
            "problem": outcome.problem,
            "head": outcome.checked if outcome.ok else (outcome.broken_sequence or 0),
            "verified_at": timezone.now().isoformat(),
        }
        query = request.META.get("QUERY_STRING", "")
        return redirect(request.path + (f"?{query}" if query else ""))
    form = AuditFilterForm(request.GET or None)
    page = Paginator(filtered_events(request.org, form), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [AuditRow(event, change_list(event.changes)) for event in page.object_list]
    context = {"form": form, "page": page, "rows": rows, "chain": _chain_status(request)}
    return render(request, "core/audit/list.html", context)


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.sequence,
                event.occurred_at.astimezone(UTC).isoformat(),
                _cell(event.actor_label),
                event.ip_address or "",
                _cell(event.action),
                _cell(event.object_type),
                _cell(event.object_id),
                _cell(event.object_repr),
                json.dumps(event.changes, sort_keys=True, ensure_ascii=False),
                event.prev_hash,
                event.hash,
            ]
        )


@org_view(Perm.VIEW_AUDIT)
def audit_export(request: OrgRequest) -> StreamingHttpResponse:
    """The filtered events as CSV, oldest first (the chain's order), streamed so any size fits in memory."""
    form = AuditFilterForm(request.GET or None)
    events = filtered_events(request.org, form).order_by("sequence")
    # The export's own event is appended first; the file holds the chain as it was when asked for.
    through = events.aggregate(last=Max("sequence"))["last"] or 0
    events = events.filter(sequence__lte=through)
    audit_export_record(
        organization=request.org,
        actor=Actor.from_request(request),
        filters=dict(getattr(form, "cleaned_data", {})),
        events=events.count(),
        through_sequence=through,
    )
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{request.org.slug}-{stamp}.csv"'
    return response
