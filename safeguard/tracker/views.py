"""Tracker pages: the dashboard, the requirements tree, one requirement, and the writes made from them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import Evidence, Organization
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.queries import obligations_due
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.tracker import charts, queries
from safeguard.tracker.access import get_attestation_for_user, get_decision_for_user
from safeguard.tracker.forms import AttestationEvidenceForm, AttestationForm, DecisionForm, RequirementFilterForm
from safeguard.tracker.models import Attestation, EvaluationRun
from safeguard.tracker.services import (
    attestation_evidence_add,
    attestation_record,
    attestation_withdraw,
    decision_record,
    decision_sign,
    evaluation_request,
)
from safeguard.tracker.widgets import widgets_for

TREND_DAYS = 90
ACTIONS_SHOWN = 10
OBLIGATIONS_SHOWN = 10
REFRESH_SECONDS = 5
# A run queued or running longer than this has probably lost its worker: stop refreshing and say so.
STALE_RUN = timedelta(hours=1)
ACTIVE_STATES = (EvaluationRun.State.QUEUED, EvaluationRun.State.RUNNING)
# Service field names → the evidence fields of the attestation forms.
EVIDENCE_FIELDS = {"file": "evidence_file", "title": "evidence_title", "effective_date": "evidence_effective_date"}


@org_view(perm=None)
def dashboard(request: OrgRequest) -> HttpResponse:
    """Program progress for those who see the program; a workforce member gets their own open duties."""
    if not request.membership.has(Perm.VIEW_PROGRAM):
        return _own_obligations(request)
    today = timezone.localdate()
    rows = queries.catalog_with_verdicts(request.org)
    summary = queries.progress_summary(rows)
    actions = queries.next_actions(rows, today=today)
    snapshots = queries.trend(request.org, today=today, days=TREND_DAYS)
    due = obligations_due(request.org, today=today)
    run = queries.latest_run(request.org)
    run_active = run is not None and run.state in ACTIVE_STATES
    run_stale = run_active and run is not None and timezone.now() - (run.started_at or run.requested_at) > STALE_RUN
    context = {
        "today": today,
        "summary": summary,
        "bars": charts.bar_chart([(s.short_label, s.percent) for s in summary.by_safeguard]),
        "trend": charts.line_chart(
            [(s.day, s.overall_percent) for s in snapshots],
            start=today - timedelta(days=TREND_DAYS - 1),
            end=today,
        ),
        "actions": actions[:ACTIONS_SHOWN],
        "actions_total": len(actions),
        "obligations": due[:OBLIGATIONS_SHOWN],
        "obligations_total": len(due),
        "run": run,
        "run_active": run_active and not run_stale,
        "run_stale": run_stale,
        "refresh_seconds": REFRESH_SECONDS,
        "groups": queries.group_by_safeguard(rows, rows),
        "widgets": widgets_for(request.org, today),
    }
    return render(request, "tracker/dashboard.html", context)


def _own_obligations(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.own_open_obligations(request.org, request.membership.user), queries.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "tracker/my_obligations.html", {"page": page, "today": timezone.localdate()})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def evaluate(request: OrgRequest) -> HttpResponse:
    run = evaluation_request(
        organization=request.org,
        trigger=f"requested by {request.membership.user.email}",
        actor=Actor.from_request(request),
    )
    messages.success(request, f"Evaluation {run.get_state_display().lower()}.")
    return redirect("tracker:dashboard", org_slug=request.org.slug)


@org_view()
def requirements(request: OrgRequest) -> HttpResponse:
    form = RequirementFilterForm(request.GET or None)
    status = safeguard = ""
    if form.is_bound and form.is_valid():
        status, safeguard = form.cleaned_data["status"], form.cleaned_data["safeguard"]
    rows = queries.catalog_with_verdicts(request.org)
    shown = queries.filter_tree(rows, status=status, safeguard=safeguard)
    context = {
        "form": form,
        "groups": queries.group_by_safeguard(shown, rows),
        "shown": len([row for row in shown if not row.context_only]),
        "filtered": bool(status or safeguard),
        "evaluated": any(row.verdict for row in rows),
    }
    return render(
        request, "tracker/requirements.html", context, status=200 if form.is_valid() or not form.is_bound else 400
    )


@org_view()
def requirement(request: OrgRequest, citation: str) -> HttpResponse:
    return _render_requirement(request, get_object_or_404(Requirement, citation=citation))


def _render_requirement(
    request: OrgRequest,
    requirement: Requirement,
    *,
    attestation_form: AttestationForm | None = None,
    decision_form: DecisionForm | None = None,
    evidence_form: tuple[Attestation, AttestationEvidenceForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    rows = queries.catalog_with_verdicts(request.org)
    row = next(r for r in rows if r.requirement.pk == requirement.pk)
    attestation_page, attestations = queries.attestations_page(
        request.org, requirement, today=today, page_number=request.GET.get("attestations")
    )
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    # A refused form comes back with its errors, even on a page that would not offer it.
    if attestation_form is None and can_manage and row.is_leaf:
        attestation_form = AttestationForm(prefix="attest")
    if decision_form is None and can_manage and requirement.is_addressable:
        decision_form = DecisionForm(prefix="decide")
    attestation_rows = _attestation_rows(request, attestations, can_manage=can_manage, refused=evidence_form)
    context: dict[str, Any] = {
        "row": row,
        "requirement": requirement,
        "parent": next((r for r in rows if r.requirement.pk == requirement.parent_id), None),
        "children": [r for r in rows if r.requirement.parent_id == requirement.pk],
        "attestation_page": attestation_page,
        "attestations": attestation_rows,
        "evidence_page": queries.requirement_evidence_page(
            request.org, requirement, page_number=request.GET.get("evidence")
        ),
        "decisions": (
            queries.decisions_page(request.org, requirement, page_number=request.GET.get("decisions"))
            if requirement.is_addressable
            else None
        ),
        "attestation_form": attestation_form,
        "decision_form": decision_form,
        "can_manage": can_manage,
        "can_sign": request.membership.has(Perm.SIGN_DECISIONS),
        "today": today,
    }
    return render(request, "tracker/requirement.html", context, status=status)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def attestation_create(request: OrgRequest, citation: str) -> HttpResponse:
    requirement = get_object_or_404(Requirement, citation=citation)
    form = AttestationForm(request.POST, request.FILES, prefix="attest")
    if form.is_valid():
        data = form.cleaned_data
        try:
            attestation_record(
                organization=request.org,
                actor=Actor.from_request(request),
                citation=requirement.citation,
                statement=data["statement"],
                expires_on=data["expires_on"],
                evidence_file=data["evidence_file"],
                evidence_title=data["evidence_title"],
                evidence_effective_date=data["evidence_effective_date"],
            )
        except ServiceError as error:
            show_service_error(form, error, EVIDENCE_FIELDS)
        else:
            messages.success(request, f"Attestation recorded for {requirement.citation}; the tracker is re-evaluating.")
            return redirect("tracker:requirement", org_slug=request.org.slug, citation=requirement.citation)
    return _render_requirement(request, requirement, attestation_form=form, status=400)


def _attestation_rows(
    request: OrgRequest,
    entries: list[queries.AttestationEntry],
    *,
    can_manage: bool,
    refused: tuple[Attestation, AttestationEvidenceForm] | None,
) -> list[tuple[queries.AttestationEntry, AttestationEvidenceForm | None]]:
    """Each attestation with its "attach evidence" form: offered on current ones to those who manage the program."""
    offered = can_manage and any(entry.state == "current" for entry in entries)
    choices = _evidence_choices(request.org) if offered else []
    rows: list[tuple[queries.AttestationEntry, AttestationEvidenceForm | None]] = []
    for entry in entries:
        attestation = entry.attestation
        if refused is not None and refused[0].pk == attestation.pk:
            rows.append((entry, refused[1]))
        elif can_manage and entry.state == "current":
            rows.append((entry, _evidence_form(attestation, choices)))
        else:
            rows.append((entry, None))
    if refused is not None and all(entry.attestation.pk != refused[0].pk for entry in entries):
        # The attestation is on another page of the list: its form cannot show there, so say what went wrong here.
        for errors in refused[1].errors.as_data().values():
            for error in errors:
                messages.error(request, " ".join(error.messages))
    return rows


def _evidence_choices(organization: Organization) -> list[tuple[str, str]]:
    """The organization's live evidence, newest first, for the attestations' evidence pickers: one query."""
    rows = (
        Evidence.objects.filter(organization=organization, is_deleted=False)
        .order_by("-created_at", "-pk")
        .values_list("public_id", "title", "effective_date")
    )
    return [(str(public_id), f"{title} ({effective:%Y-%m-%d})") for public_id, title, effective in rows]


def _evidence_form(
    attestation: Attestation, choices: list[tuple[str, str]], request: OrgRequest | None = None
) -> AttestationEvidenceForm:
    """Field ids carry the attestation's id: the page holds one such form per current attestation."""
    return AttestationEvidenceForm(
        request.POST if request is not None else None,
        request.FILES if request is not None else None,
        evidence_choices=choices,
        auto_id=f"evidence-{attestation.public_id}-%s",
    )


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def attestation_evidence(request: OrgRequest, public_id: UUID) -> HttpResponse:
    attestation = get_attestation_for_user(request.membership, public_id, write=True)
    form = _evidence_form(attestation, _evidence_choices(request.org), request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence = attestation_evidence_add(
                organization=request.org,
                actor=Actor.from_request(request),
                attestation=attestation,
                evidence_id=data["evidence"],
                upload=data["evidence_file"],
                title=data["evidence_title"],
                effective_date=data["evidence_effective_date"],
            )
        except ServiceError as error:
            show_service_error(form, error, EVIDENCE_FIELDS)
        else:
            messages.success(request, f"“{evidence.title}” now backs the attestation; the tracker is re-evaluating.")
            page = reverse("tracker:requirement", args=[request.org.slug, attestation.requirement.citation])
            return redirect(f"{page}#attestation-{attestation.public_id}")
    return _render_requirement(request, attestation.requirement, evidence_form=(attestation, form), status=400)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def attestation_withdraw_view(request: OrgRequest, public_id: UUID) -> HttpResponse:
    attestation = get_attestation_for_user(request.membership, public_id, write=True)
    try:
        attestation_withdraw(organization=request.org, actor=Actor.from_request(request), attestation=attestation)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Attestation withdrawn; the tracker is re-evaluating.")
    return redirect("tracker:requirement", org_slug=request.org.slug, citation=attestation.requirement.citation)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def decision_create(request: OrgRequest, citation: str) -> HttpResponse:
    requirement = get_object_or_404(Requirement, citation=citation)
    form = DecisionForm(request.POST, prefix="decide")
    if form.is_valid():
        data = form.cleaned_data
        try:
            decision_record(
                organization=request.org,
                actor=Actor.from_request(request),
                citation=requirement.citation,
                decision=data["decision"],
                rationale=data["rationale"],
                alternative_measure=data["alternative_measure"],
                review_on=data["review_on"],
            )
        except ServiceError as error:
            show_service_error(form, error, {})
        else:
            messages.success(request, f"Decision recorded for {requirement.citation}; it counts once it is signed.")
            return redirect("tracker:requirement", org_slug=request.org.slug, citation=requirement.citation)
    return _render_requirement(request, requirement, decision_form=form, status=400)


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def decision_sign_view(request: OrgRequest, public_id: UUID) -> HttpResponse:
    decision = get_decision_for_user(request.membership, public_id, write=True)
    try:
        decision_sign(organization=request.org, actor=Actor.from_request(request), decision=decision)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Decision signed; the tracker is re-evaluating.")
    return redirect("tracker:requirement", org_slug=request.org.slug, citation=decision.requirement.citation)
