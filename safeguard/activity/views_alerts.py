"""Alert pages: the list (open first, filtered, paginated), "my alerts", an alert's facts, history, triage,
escalation into an incident and evidence; suppressions; escalation paths.

Activity viewers read (auditors included); triagers act; evidence names patients, so it needs view-events;
suppressions and escalation paths tune the program and need manage-activity. Showing or exporting evidence is
written to the audit trail.
"""

from __future__ import annotations

import csv
import io
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.activity import queries_alerts as queries
from safeguard.activity.access import get_alert
from safeguard.activity.access_alerts import get_escalation_level, get_suppression
from safeguard.activity.forms_alerts import (
    AlertFilterForm,
    BulkTriageForm,
    EscalateForm,
    EscalationLevelForm,
    SuppressionForm,
    TriageForm,
)
from safeguard.activity.models import Alert
from safeguard.activity.schema import EVENT_FIELD_NAMES
from safeguard.activity.services import alerts as triage
from safeguard.activity.services import escalation, suppressions
from safeguard.activity.services.event_reads import evidence_export_record, evidence_read_record
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.tabular import neutralise
from safeguard.incidents.models import Incident
from safeguard.incidents.services import OPEN_STATUSES

PAGE_SIZE = 50
EVIDENCE_COLUMNS = (
    "time",
    "event_class",
    "activity",
    "outcome",
    "user_name",
    "src_host",
    "src_ip",
    "patient_id",
    "action_name",
)
CSV_COLUMNS = tuple(name for name in EVIDENCE_COLUMNS + EVENT_FIELD_NAMES if name != "raw")


def _can(request: OrgRequest, perm: Perm) -> bool:
    return request.membership.has(perm)


def _open_incidents(request: OrgRequest) -> QuerySet[Incident]:
    return Incident.objects.filter(organization=request.org, status__in=OPEN_STATUSES).order_by("-opened_at")


def _list(request: OrgRequest, *, mine: bool) -> HttpResponse:
    form = AlertFilterForm(request.GET)
    me = request.membership.user
    rows = queries.filter_alerts(queries.alerts(request.org), form.filters(), me=me)
    if mine:
        rows = rows.filter(assignee=me)
    page = Paginator(queries.open_first(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "mine": mine,
        "now": timezone.now(),
        "can_triage": _can(request, Perm.TRIAGE_ALERTS),
        "bulk_form": BulkTriageForm(triagers=queries.triagers(request.org))
        if _can(request, Perm.TRIAGE_ALERTS)
        else None,
    }
    return render(request, "activity/alert_list.html", context)


@org_view(Perm.VIEW_ACTIVITY)
def alert_list(request: OrgRequest) -> HttpResponse:
    return _list(request, mine=False)


@org_view(Perm.TRIAGE_ALERTS)
def my_alerts(request: OrgRequest) -> HttpResponse:
    return _list(request, mine=True)


@org_view(Perm.VIEW_ACTIVITY)
def alert_detail(request: OrgRequest, alert_id: UUID) -> HttpResponse:
    alert = get_alert(request.membership, alert_id)
    can_triage, can_see_events = _can(request, Perm.TRIAGE_ALERTS), _can(request, Perm.VIEW_EVENTS)
    triagers = queries.triagers(request.org) if can_triage else []
    context = {
        "alert": alert,
        "notes": queries.alert_notes(alert),
        "overdue": queries.is_overdue(alert),
        "can_triage": can_triage,
        "can_see_events": can_see_events,
        "can_manage": _can(request, Perm.MANAGE_ACTIVITY),
        "evidence": _evidence_table(request, alert) if can_see_events else [],
        "columns": EVIDENCE_COLUMNS,
        "triage_form": TriageForm(triagers=triagers) if can_triage else None,
        "escalate_form": EscalateForm(triagers=triagers, open_incidents=_open_incidents(request))
        if can_triage
        else None,
    }
    return render(request, "activity/alert_detail.html", context)


def _evidence_table(request: OrgRequest, alert: Alert) -> list[list[object]]:
    """The evidence shown on the alert's page; showing any is a read of PHI, so it is audited."""
    rows = queries.evidence_rows(request.org.pk, alert)
    if rows:
        evidence_read_record(request.org, Actor.from_request(request), alert=alert, rows=rows)
    return [[row.get(name) for name in EVIDENCE_COLUMNS] for row in rows]


def _triage_one(request: OrgRequest, alert: Alert, form: TriageForm) -> None:
    actor, data = Actor.from_request(request), form.cleaned_data
    change = triage.TriageChange(
        status=data["status"], comment=data["comment"], assignee=data["assignee"], unassign=data["unassign"]
    )
    triage.alerts_bulk_triage(request.org, actor, alerts=[alert], change=change)


@require_POST
@org_view(Perm.TRIAGE_ALERTS)
def alert_triage(request: OrgRequest, alert_id: UUID) -> HttpResponse:
    alert = get_alert(request.membership, alert_id, Perm.TRIAGE_ALERTS)
    form = TriageForm(request.POST, triagers=queries.triagers(request.org))
    if not form.is_valid():
        problems = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Check the triage form: {problems}")
    else:
        try:
            _triage_one(request, alert, form)
        except ServiceError as error:
            messages.error(request, error.message.split(": ", 1)[-1])
        else:
            messages.success(request, "Saved.")
    return redirect("activity:alert_detail", request.org.slug, alert.public_id)


@require_POST
@org_view(Perm.TRIAGE_ALERTS)
def alert_bulk(request: OrgRequest) -> HttpResponse:
    form = BulkTriageForm(request.POST, triagers=queries.triagers(request.org))
    ids = request.POST.getlist("selected")
    chosen = list(queries.alerts(request.org).filter(public_id__in=[i for i in ids if _is_uuid(i)]))
    if form.is_valid():
        data = form.cleaned_data
        change = triage.TriageChange(
            status=data["status"], comment=data["comment"], assignee=data["assignee"], unassign=data["unassign"]
        )
        try:
            count = triage.alerts_bulk_triage(request.org, Actor.from_request(request), alerts=chosen, change=change)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Updated {count} alert(s).")
    else:
        messages.error(request, "Check the form.")
    return redirect("activity:alert_list", request.org.slug)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


@org_view(Perm.TRIAGE_ALERTS)
def alert_escalate(request: OrgRequest, alert_id: UUID) -> HttpResponse:
    alert = get_alert(request.membership, alert_id, Perm.TRIAGE_ALERTS)
    form = EscalateForm(
        request.POST if request.method == "POST" else None,
        triagers=queries.triagers(request.org),
        open_incidents=_open_incidents(request),
        initial={"title": alert.title},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = triage.alerts_escalate(
                request.org,
                Actor.from_request(request),
                alerts=[alert],
                comment=data["comment"],
                incident=data["incident"],
                title=data["title"],
                severity=data["severity"],
                owner=data["owner"],
                is_suspected_breach=data["is_suspected_breach"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Escalated into {incident.reference}.")
            return redirect("incidents:incident_detail", request.org.slug, incident.public_id)
    return render(request, "activity/alert_escalate.html", {"alert": alert, "form": form})


def _evidence_alert(request: OrgRequest, alert_id: UUID) -> Alert:
    return get_alert(request.membership, alert_id, Perm.VIEW_EVENTS)


@org_view(Perm.VIEW_EVENTS)
def alert_evidence_ndjson(request: OrgRequest, alert_id: UUID) -> StreamingHttpResponse:
    from safeguard.activity.store import store_for

    alert = _evidence_alert(request, alert_id)
    evidence_export_record(request.org, Actor.from_request(request), alert=alert, file_format="ndjson")
    lines = store_for(request.org.pk).export(alert.evidence_uids) if alert.evidence_uids else iter(())
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="alert-{alert.public_id}-evidence.ndjson"'
    return response


@org_view(Perm.VIEW_EVENTS)
def alert_evidence_csv(request: OrgRequest, alert_id: UUID) -> HttpResponse:
    alert = _evidence_alert(request, alert_id)
    evidence_export_record(request.org, Actor.from_request(request), alert=alert, file_format="csv")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(CSV_COLUMNS)), extrasaction="ignore")
    writer.writeheader()
    for row in queries.evidence_rows(request.org.pk, alert):
        # Log fields are attacker-controlled (a failed login's user name): no cell may be read as a formula.
        writer.writerow({name: neutralise("" if value is None else str(value)) for name, value in row.items()})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alert-{alert.public_id}-evidence.csv"'
    return response


# ---- suppressions --------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_ACTIVITY)
def suppression_list(request: OrgRequest) -> HttpResponse:
    can_manage = _can(request, Perm.MANAGE_ACTIVITY)
    form = None
    if can_manage:
        posted = request.method == "POST"
        initial = {"rule": request.GET.get("rule", ""), "group_text": request.GET.get("group_text", "")}
        form = SuppressionForm(request.POST if posted else None, organization=request.org, initial=initial)
        if posted and form.is_valid():
            try:
                suppressions.suppression_create(request.org, Actor.from_request(request), **form.cleaned_data)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                messages.success(request, "Suppression created.")
                return redirect("activity:suppression_list", request.org.slug)
    elif request.method == "POST":
        return _forbidden(request)
    page = Paginator(queries.suppressions(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "can_manage": can_manage, "now": timezone.now()}
    return render(request, "activity/suppression_list.html", context)


def _forbidden(request: OrgRequest) -> HttpResponse:
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied("Your role does not allow this.")


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def suppression_revoke(request: OrgRequest, suppression_id: UUID) -> HttpResponse:
    suppression = get_suppression(request.membership, suppression_id, Perm.MANAGE_ACTIVITY)
    try:
        suppressions.suppression_revoke(request.org, Actor.from_request(request), suppression=suppression)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Suppression revoked.")
    return redirect("activity:suppression_list", request.org.slug)


# ---- escalation paths ----------------------------------------------------------------------------------------


@org_view(Perm.VIEW_ACTIVITY)
def escalation_levels(request: OrgRequest) -> HttpResponse:
    can_manage = _can(request, Perm.MANAGE_ACTIVITY)
    if request.method == "POST" and not can_manage:
        return _forbidden(request)
    form = (
        EscalationLevelForm(
            request.POST if can_manage and request.method == "POST" else None, triagers=queries.triagers(request.org)
        )
        if can_manage
        else None
    )
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            escalation.escalation_level_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Level added.")
            return redirect("activity:escalation_levels", request.org.slug)
    context = {
        "paths": escalation.paths(request.org),
        "defaults": escalation.DEFAULT_ACK_MINUTES,
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "activity/escalation_levels.html", context)


@org_view(Perm.MANAGE_ACTIVITY)
def escalation_level_edit(request: OrgRequest, level_id: UUID) -> HttpResponse:
    step = get_escalation_level(request.membership, level_id, Perm.MANAGE_ACTIVITY)
    initial = {
        "severity": step.severity,
        "notify_user": step.notify_user,
        "notify_role": step.notify_role,
        "ack_minutes": step.ack_minutes,
        "remind_every_minutes": step.remind_every_minutes,
    }
    posted = request.method == "POST"
    form = EscalationLevelForm(
        request.POST if posted else None, initial=initial, triagers=queries.triagers(request.org)
    )
    form.fields["severity"].disabled = True
    if posted and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "severity"}
        try:
            escalation.escalation_level_update(
                organization=request.org, actor=Actor.from_request(request), step=step, **values
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("activity:escalation_levels", request.org.slug)
    return render(request, "activity/escalation_level_form.html", {"form": form, "step": step})


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def escalation_level_delete(request: OrgRequest, level_id: UUID) -> HttpResponse:
    step = get_escalation_level(request.membership, level_id, Perm.MANAGE_ACTIVITY)
    try:
        escalation.escalation_level_delete(organization=request.org, actor=Actor.from_request(request), step=step)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed level {step.level} of the {step.severity} path.")
    return redirect("activity:escalation_levels", request.org.slug)
