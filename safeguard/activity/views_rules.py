"""Rule pages: the list (filters by mode and kind), a rule (its YAML, citations, mode, tuning, tests and recent
alerts), uploading new rules, editing one's YAML, testing YAML on a sample file (run in the background: a test's
page shows its progress, then its result), and installing the HIPAA pack. Activity viewers read; managers of
activity review change rules and run tests."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.activity.access import get_rule, get_rule_test
from safeguard.activity.engine import RuleError
from safeguard.activity.forms_rules import (
    RuleEditForm,
    RuleFilterForm,
    RuleModeForm,
    RuleTestForm,
    RuleTuningForm,
    RuleYamlForm,
)
from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.activity.rules_queries import recent_tests, rule_with_counts, rules_listed
from safeguard.activity.services import rules as services
from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.activity.services.rule_testing import rule_test_start
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


def _can_manage(request: OrgRequest) -> bool:
    return request.membership.has(Perm.MANAGE_ACTIVITY)


@org_view(Perm.VIEW_ACTIVITY)
def rule_list(request: OrgRequest) -> HttpResponse:
    filters = RuleFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rules = rules_listed(request.org, mode=chosen.get("mode", ""), kind=chosen.get("kind", ""))
    page = Paginator(rules, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "can_manage": _can_manage(request)}
    return render(request, "activity/rule_list.html", context)


@org_view(Perm.VIEW_ACTIVITY)
def rule_detail(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = rule_with_counts(get_rule(request.membership, rule_id))
    overrides = rule.overrides or {}
    context = {
        "rule": rule,
        "can_manage": _can_manage(request),
        "mode_form": RuleModeForm(initial={"mode": rule.mode}),
        "tuning_form": RuleTuningForm(initial={**overrides, "suppression_seconds": rule.suppression_seconds}),
        "test_form": RuleTestForm(organization=request.org, initial={"yaml": rule.yaml}),
        "tests": list(recent_tests(rule)),
        "sigma": rule.kind != DetectionRule.Kind.SILENT_SOURCE,
    }
    return render(request, "activity/rule_detail.html", context)


@org_view(Perm.MANAGE_ACTIVITY)
def rule_upload(request: OrgRequest) -> HttpResponse:
    form = RuleYamlForm(request.POST or None, request.FILES or None)
    problems: list[object] = []
    if request.method == "POST" and form.is_valid():
        try:
            created = services.rules_upload(
                organization=request.org, actor=Actor.from_request(request), yaml_text=form.cleaned_data["yaml"]
            )
        except RuleError as error:
            problems = list(error.problems)
        else:
            names = ", ".join(rule.name for rule in created)
            messages.success(request, f"Added {names}, disabled until you test and enable them.")
            return redirect("activity:rule_list", request.org.slug)
    return render(request, "activity/rule_upload.html", {"form": form, "problems": problems})


@org_view(Perm.MANAGE_ACTIVITY)
def rule_edit(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule(request.membership, rule_id, Perm.MANAGE_ACTIVITY)
    form = RuleEditForm(request.POST or None, initial={"yaml": rule.yaml})
    problems: list[object] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_yaml_edit(
                organization=request.org,
                actor=Actor.from_request(request),
                rule=rule,
                yaml_text=form.cleaned_data["yaml"],
            )
        except RuleError as error:
            problems = list(error.problems)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved." + (" Pack updates now leave this rule alone." if rule.edited else ""))
            return redirect("activity:rule_detail", request.org.slug, rule.public_id)
    return render(request, "activity/rule_edit.html", {"form": form, "rule": rule, "problems": problems})


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def rule_set_mode(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule(request.membership, rule_id, Perm.MANAGE_ACTIVITY)
    form = RuleModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a mode.")
    else:
        try:
            services.rule_mode_set(
                organization=request.org, actor=Actor.from_request(request), rule=rule, mode=form.cleaned_data["mode"]
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Mode: {rule.get_mode_display()}.")
    return redirect("activity:rule_detail", request.org.slug, rule.public_id)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def rule_tune(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule(request.membership, rule_id, Perm.MANAGE_ACTIVITY)
    form = RuleTuningForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give whole numbers for the threshold and the suppression.")
        return redirect("activity:rule_detail", request.org.slug, rule.public_id)
    data, actor = form.cleaned_data, Actor.from_request(request)
    try:
        if rule.kind == DetectionRule.Kind.CORRELATION:
            services.rule_overrides_set(
                organization=request.org,
                actor=actor,
                rule=rule,
                threshold=data["threshold"],
                timespan=data["timespan"] or None,
            )
        services.rule_suppression_set(
            organization=request.org, actor=actor, rule=rule, seconds=data["suppression_seconds"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Tuning saved.")
    return redirect("activity:rule_detail", request.org.slug, rule.public_id)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def rule_delete(request: OrgRequest, rule_id: UUID) -> HttpResponse:
    rule = get_rule(request.membership, rule_id, Perm.MANAGE_ACTIVITY)
    try:
        services.rule_delete(organization=request.org, actor=Actor.from_request(request), rule=rule)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("activity:rule_detail", request.org.slug, rule.public_id)
    messages.success(request, f"Deleted {rule.name}.")
    return redirect("activity:rule_list", request.org.slug)


@org_view(Perm.MANAGE_ACTIVITY)
def rule_test(request: OrgRequest) -> HttpResponse:
    rule_id = request.GET.get("rule") or request.POST.get("rule") or ""
    rule = get_rule(request.membership, rule_id) if rule_id else None
    form = RuleTestForm(
        request.POST or None,
        request.FILES or None,
        organization=request.org,
        initial={"yaml": rule.yaml if rule else ""},
    )
    problems: list[object] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            test = rule_test_start(
                organization=request.org,
                actor=Actor.from_request(request),
                yaml_text=data["yaml"],
                source_format=data["format"],
                upload=data["file"],
                rule=rule,
                source=data["source"],
            )
        except RuleError as error:
            problems = list(error.problems)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect("activity:rule_test_detail", request.org.slug, test.public_id)
    return render(request, "activity/rule_test.html", {"form": form, "rule": rule, "problems": problems})


@org_view(Perm.VIEW_ACTIVITY)
def rule_test_detail(request: OrgRequest, test_id: UUID) -> HttpResponse:
    test = get_rule_test(request.membership, test_id)
    context = {
        "test": test,
        "working": test.state in (RuleTest.State.QUEUED, RuleTest.State.RUNNING),
        "can_manage": _can_manage(request),
    }
    return render(request, "activity/rule_test_detail.html", context)


@require_POST
@org_view(Perm.MANAGE_ACTIVITY)
def rule_pack(request: OrgRequest) -> HttpResponse:
    report = rule_pack_install(organization=request.org, actor=Actor.from_request(request))
    messages.success(
        request,
        f"HIPAA rule pack {report.version}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.kept)} kept as edited here, {len(report.unchanged)} unchanged.",
    )
    return redirect("activity:rule_list", request.org.slug)
