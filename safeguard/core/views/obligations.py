"""Obligation pages: the list with its tabs, create, detail with completion history, edit, complete, cancel."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.catalog.models import Requirement
from safeguard.core.access import get_obligation_for_user, obligations_for_user
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.forms.obligations import ObligationCompleteForm, ObligationForm
from safeguard.core.models import Membership, Obligation
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services import obligations as services
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
SOON_DAYS = 30
OPEN = Obligation.Status.OPEN

TABS = {"open": "Open", "overdue": "Overdue", "soon": f"Due in {SOON_DAYS} days", "done": "Done"}


def _tab_filter(tab: str, today: date) -> Q:
    if tab == "overdue":
        return Q(status=OPEN, due_on__lt=today)
    if tab == "soon":
        return Q(status=OPEN, due_on__gte=today, due_on__lte=today + timedelta(days=SOON_DAYS))
    if tab == "done":
        return Q(status=Obligation.Status.DONE)
    return Q(status=OPEN)


def _tab_counts(rows: QuerySet[Obligation], today: date) -> dict[str, int]:
    return rows.aggregate(**{tab: Count("pk", filter=_tab_filter(tab, today)) for tab in TABS})


@org_view(None)
def obligation_list(request: OrgRequest) -> HttpResponse:
    """Program viewers see every obligation (or only theirs with ?mine=1); anyone else only their own."""
    today = timezone.localdate()
    tab = request.GET.get("show", "open")
    tab = tab if tab in TABS else "open"
    sees_all = request.membership.has(Perm.VIEW_PROGRAM)
    mine = not sees_all or request.GET.get("mine") == "1"
    rows = obligations_for_user(request.membership)
    if mine:
        rows = rows.filter(owner_id=request.membership.user_id)
    counts = _tab_counts(rows, today)
    order = ("-due_on", "title", "pk") if tab == "done" else ("due_on", "title", "pk")
    shown = rows.filter(_tab_filter(tab, today)).select_related("owner").order_by(*order)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    for obligation in page.object_list:
        obligation.days_left = (obligation.due_on - today).days  # type: ignore[attr-defined]
        obligation.days_overdue = -obligation.days_left  # type: ignore[attr-defined]
    tabs = [(key, label, counts[key]) for key, label in TABS.items()]
    context = {"page": page, "tab": tab, "tabs": tabs, "mine": mine, "sees_all": sees_all, "today": today}
    return render(request, "core/obligations/list.html", context)


def _form_context(form: ObligationForm, obligation: Obligation | None = None) -> dict[str, object]:
    citations = Requirement.objects.order_by("position").values_list("citation", "title")
    return {"form": form, "obligation": obligation, "citations": citations}


@org_view(Perm.MANAGE_PROGRAM)
def obligation_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ObligationForm(request.POST if posted else None, organization=request.org)
    if posted and form.is_valid():
        try:
            obligation = services.obligation_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Created “{obligation.title}”, due {obligation.due_on:%Y-%m-%d}.")
            return redirect("core:obligation_detail", request.org.slug, obligation.public_id)
    return render(request, "core/obligations/form.html", _form_context(form))


def _may_complete(membership: Membership, obligation: Obligation) -> bool:
    if obligation.status != OPEN:
        return False
    try:
        get_obligation_for_user(membership, obligation.public_id, write=True)
    except PermissionDenied:
        return False
    return True


def _detail(request: OrgRequest, obligation: Obligation, complete_form: ObligationCompleteForm) -> HttpResponse:
    membership = request.membership
    context = {
        "obligation": obligation,
        "completions": obligation.completions.select_related("completed_by", "evidence").order_by(
            "-completed_on", "-pk"
        ),
        "complete_form": complete_form,
        "can_complete": _may_complete(membership, obligation),
        "can_manage": membership.has(Perm.MANAGE_PROGRAM) and obligation.status == OPEN,
        "can_view_evidence": membership.has(Perm.VIEW_PROGRAM),
        "today": timezone.localdate(),
    }
    return render(request, "core/obligations/detail.html", context)


def _complete_form(request: OrgRequest, obligation: Obligation, *, bound: bool = False) -> ObligationCompleteForm:
    return ObligationCompleteForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        initial={"due_on": obligation.due_on},
        organization=request.org,
        pick_evidence=request.membership.has(Perm.VIEW_PROGRAM),
    )


@org_view(None)
def obligation_detail(request: OrgRequest, obligation_id: UUID) -> HttpResponse:
    obligation = get_obligation_for_user(request.membership, obligation_id)
    return _detail(request, obligation, _complete_form(request, obligation))


@org_view(Perm.MANAGE_PROGRAM)
def obligation_edit(request: OrgRequest, obligation_id: UUID) -> HttpResponse:
    obligation = get_obligation_for_user(request.membership, obligation_id, write=True)
    initial = {name: getattr(obligation, name) for name in services.EDITABLE_FIELDS}
    posted = request.method == "POST"
    form = ObligationForm(request.POST if posted else None, initial=initial, organization=request.org)
    if posted and form.is_valid():
        try:
            services.obligation_update(
                organization=request.org, actor=Actor.from_request(request), obligation=obligation, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("core:obligation_detail", request.org.slug, obligation.public_id)
    return render(request, "core/obligations/form.html", _form_context(form, obligation))


@require_POST
@org_view(None)
def obligation_complete(request: OrgRequest, obligation_id: UUID) -> HttpResponse:
    obligation = get_obligation_for_user(request.membership, obligation_id, write=True)
    form = _complete_form(request, obligation, bound=True)
    if form.is_valid():
        try:
            services.obligation_complete(
                organization=request.org,
                actor=Actor.from_request(request),
                obligation=obligation,
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data.get("evidence"),
                evidence_file=form.cleaned_data["evidence_file"],
                due_on=form.cleaned_data["due_on"],
            )
        except ServiceError as error:
            if error.field == "due_on":
                # A repeated or outdated submission: show the duty as it is now, with a fresh form.
                messages.error(request, error.message)
                return redirect("core:obligation_detail", request.org.slug, obligation.public_id)
            show_service_error(form, error)
        else:
            obligation.refresh_from_db()
            if obligation.status == OPEN:
                messages.success(request, f"Recorded. Next due {obligation.due_on:%Y-%m-%d}.")
            else:
                messages.success(request, "Recorded. This obligation is done.")
            return redirect("core:obligation_detail", request.org.slug, obligation.public_id)
    return _detail(request, obligation, form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def obligation_cancel(request: OrgRequest, obligation_id: UUID) -> HttpResponse:
    obligation = get_obligation_for_user(request.membership, obligation_id, write=True)
    try:
        services.obligation_cancel(organization=request.org, actor=Actor.from_request(request), obligation=obligation)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Cancelled “{obligation.title}”.")
    return redirect("core:obligation_detail", request.org.slug, obligation.public_id)
