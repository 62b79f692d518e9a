"""Assignment rule pages: the list, a rule (and, on request, who it would assign now), creating, editing, switching
on and off, and asking for the rules to be evaluated now. Program viewers read; those who manage the program change.
The people a sanction rule assigns, and the sanctions it could not link, show only to readers of the sanctions log."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training.access import get_rule_for_user
from safeguard.training.audiences import describe_audience
from safeguard.training.forms_assignments import RuleDeactivateForm, RuleForm
from safeguard.training.models import Assignment, AssignmentRule
from safeguard.training.queries_assignments import may_read_confidential, rule_rows
from safeguard.training.queries_confidential import rule_preview_for, unlinked_sanctions
from safeguard.training.services import assignment_rules as services
from safeguard.training.services.assignment_sync import request_sync

PAGE_SIZE = 50
EDITABLE = tuple(name for name in services.RULE_FIELDS if name != "active")


@org_view(Perm.VIEW_PROGRAM)
def rule_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(rule_rows(request.org).order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(rule, describe_audience(rule.audience, rule.audience_values)) for rule in page.object_list],
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/assignments/rule_list.html", context)


def _form(request: OrgRequest, rule: AssignmentRule | None) -> RuleForm:
    initial = {}
    if rule is not None:
        initial = {name: getattr(rule, name) for name in EDITABLE}
        initial["audience_values"] = "\n".join(rule.audience_values)
    return RuleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organization=request.org,
        editing=rule is not None,
    )


@org_view(Perm.MANAGE_PROGRAM)
def rule_create(request: OrgRequest) -> HttpResponse:
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            done = "People it covers are being assigned." if rule.active else "It assigns no one until switched on."
            messages.success(request, f"Created the rule “{rule.name}”. {done}")
            return redirect("training:rule_detail", request.org.slug, rule.public_id)
    return render(request, "training/assignments/rule_form.html", {"form": form, "rule": None})


@org_view(Perm.MANAGE_PROGRAM)
def rule_edit(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule_for_user(request.membership, rule_id, write=True)
    form = _form(request, rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(
                organization=request.org, actor=Actor.from_request(request), rule=rule, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved. Assignments already made keep their due dates.")
            return redirect("training:rule_detail", request.org.slug, rule.public_id)
    return render(request, "training/assignments/rule_form.html", {"form": form, "rule": rule})


@org_view(Perm.VIEW_PROGRAM)
def rule_detail(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    """The rule and what it made. Who it would assign now is worked out only on request (?preview=1): it evaluates
    the rule against the whole roster."""
    rule = get_rule_for_user(request.membership, rule_id)
    today = timezone.localdate()
    counts = Assignment.objects.filter(organization=request.org, rule=rule).aggregate(
        open=Count("pk", filter=Q(status=Assignment.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=Assignment.Status.OPEN, due_on__lt=today)),
        total=Count("pk"),
    )
    wanted = request.GET.get("preview") == "1"
    context = {
        "rule": rule,
        "audience": describe_audience(rule.audience, rule.audience_values),
        "preview": rule_preview_for(request.membership, rule, today) if wanted else None,
        "unlinked": unlinked_sanctions(rule) if may_read_confidential(request.membership) else None,
        "counts": counts,
        "deactivate_form": RuleDeactivateForm(),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/assignments/rule_detail.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def rule_activate(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule_for_user(request.membership, rule_id, write=True)
    try:
        services.rule_activate(organization=request.org, actor=Actor.from_request(request), rule=rule)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{rule.name}” is on: the people it covers are being assigned.")
    return redirect("training:rule_detail", request.org.slug, rule.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def rule_deactivate(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule_for_user(request.membership, rule_id, write=True)
    form = RuleDeactivateForm(request.POST)
    cancel_open = form.is_valid() and form.cleaned_data["cancel_open"]
    try:
        cancelled = services.rule_deactivate(
            organization=request.org, actor=Actor.from_request(request), rule=rule, cancel_open=cancel_open
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        kept = f"cancelled {cancelled} open assignment{'s' * (cancelled != 1)}" if cancel_open else "open ones stay"
        messages.success(request, f"“{rule.name}” is off: it assigns no one from now on ({kept}).")
    return redirect("training:rule_detail", request.org.slug, rule.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def rules_evaluate(request: OrgRequest) -> HttpResponse:
    request_sync(request.org)
    messages.success(request, "The rules are being evaluated: new assignments appear in a moment.")
    return redirect("training:rule_list", request.org.slug)
