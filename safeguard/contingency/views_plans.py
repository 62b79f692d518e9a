"""Plan pages: the plans with their current state, a plan's version history, one version (edit while a draft,
approve, review), the print view, and the PDFs, made in the background, that make the plan usable when this
system is down.

Program viewers (auditors included) read and print; program managers write drafts; approving and reviewing are
signatures, for those who sign decisions."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.contingency import queries_plans as queries
from safeguard.contingency.access import get_plan, get_plan_print, get_plan_version
from safeguard.contingency.forms_plans import ApproveForm, PlanForm, PlanVersionForm, ReviewForm, version_initial
from safeguard.contingency.models import PlanVersion
from safeguard.contingency.plan_pdf import plan_html, plan_print_file_response
from safeguard.contingency.plan_sections import CONTACT_KINDS, call_tree, sections_changed
from safeguard.contingency.services import plans as services
from safeguard.contingency.services.plan_prints import UNFINISHED, plan_print_request
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
PRINTS_SHOWN = 10
REFRESH_SECONDS = 2
Status = PlanVersion.Status


@org_view(Perm.VIEW_PROGRAM)
def plan_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.plans(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": queries.plan_rows(list(page.object_list)),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "contingency/plan_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def plan_create(request: OrgRequest) -> HttpResponse:
    form = PlanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Plan created: start its first draft.")
            return redirect("contingency:plan_detail", request.org.slug, plan.public_id)
    return render(request, "contingency/plan_form.html", {"form": form})


@org_view(Perm.VIEW_PROGRAM)
def plan_detail(request: OrgRequest, plan_id: UUID) -> HttpResponse:
    plan = get_plan(request.membership, plan_id)
    history = queries.version_history(list(queries.versions(plan)))
    context = {
        "plan": plan,
        "history": history,
        "has_draft": any(row.version.status == Status.DRAFT for row in history),
        "prints": queries.plan_prints(plan)[:PRINTS_SHOWN],
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "contingency/plan_detail.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def plan_draft_start(request: OrgRequest, plan_id: UUID) -> HttpResponse:
    plan = get_plan(request.membership, plan_id, write=True)
    try:
        version = services.plan_version_draft(organization=request.org, actor=Actor.from_request(request), plan=plan)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("contingency:plan_detail", request.org.slug, plan.public_id)
    messages.success(request, f"Version {version.number} started as a draft.")
    return redirect("contingency:plan_version_edit", request.org.slug, version.public_id)


def _version_page(
    request: OrgRequest, version: PlanVersion, *, approve: ApproveForm | None = None, review: ReviewForm | None = None
) -> HttpResponse:
    previous = queries.previous_version(version)
    current = queries.version_sections(queries.versions(version.plan).get(pk=version.pk))
    changed = sections_changed(queries.version_sections(previous) if previous else None, current)
    can_sign = request.membership.has(Perm.SIGN_DECISIONS)
    context = {
        "plan": version.plan,
        "version": version,
        "previous": previous,
        "changed": changed,
        "covered": current["covered_assets"],
        "call_tree": call_tree(version.contacts),
        "contacts": [
            {**contact, "kind": CONTACT_KINDS.get(contact["kind"], contact["kind"])} for contact in version.contacts
        ],
        "can_edit": version.status == Status.DRAFT and request.membership.has(Perm.MANAGE_PROGRAM),
        "can_approve": version.status == Status.DRAFT and can_sign,
        "can_review": version.status == Status.APPROVED and can_sign,
        "approve_form": approve or ApproveForm(),
        "review_form": review or ReviewForm(),
        "prints": queries.version_prints(version)[:PRINTS_SHOWN],
    }
    return render(request, "contingency/plan_version_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def plan_version_detail(request: OrgRequest, version_id: UUID) -> HttpResponse:
    return _version_page(request, get_plan_version(request.membership, version_id))


@org_view(Perm.MANAGE_PROGRAM)
def plan_version_edit(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_plan_version(request.membership, version_id, write=True)
    if version.status != Status.DRAFT:
        messages.error(request, f"Version {version.number} is {version.get_status_display().lower()}: start a draft.")
        return redirect("contingency:plan_version_detail", request.org.slug, version.public_id)
    posted = request.method == "POST"
    form = PlanVersionForm(request.POST if posted else None, initial=version_initial(version), organization=request.org)
    if posted and form.is_valid():
        try:
            services.plan_version_update(
                organization=request.org, actor=Actor.from_request(request), version=version, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect("contingency:plan_version_detail", request.org.slug, version.public_id)
    return render(request, "contingency/plan_version_form.html", {"form": form, "version": version})


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def plan_version_approve(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_plan_version(request.membership, version_id)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.plan_version_approve(
                organization=request.org,
                actor=Actor.from_request(request),
                version=version,
                statement=form.cleaned_data["statement"],
            )
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Version {version.number} is approved; print the PDF for the offline copy.")
            return redirect("contingency:plan_version_detail", request.org.slug, version.public_id)
    return _version_page(request, version, approve=form)


@require_POST
@org_view(Perm.SIGN_DECISIONS)
def plan_version_review(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_plan_version(request.membership, version_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.plan_version_review(
                organization=request.org,
                actor=Actor.from_request(request),
                version=version,
                statement=form.cleaned_data["statement"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Review of version {version.number} signed.")
            return redirect("contingency:plan_version_detail", request.org.slug, version.public_id)
    return _version_page(request, version, review=form)


@org_view(Perm.VIEW_PROGRAM)
def plan_version_print(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_plan_version(request.membership, version_id)
    return HttpResponse(plan_html(version, Actor.from_request(request)))


@require_POST
@org_view(Perm.VIEW_PROGRAM)
def plan_print_request_view(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_plan_version(request.membership, version_id)
    try:
        printed = plan_print_request(organization=request.org, actor=Actor.from_request(request), version=version)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("contingency:plan_version_detail", request.org.slug, version.public_id)
    messages.success(request, "The PDF is being made in the background.")
    return redirect("contingency:plan_print_detail", request.org.slug, printed.public_id)


@org_view(Perm.VIEW_PROGRAM)
def plan_print_detail(request: OrgRequest, print_id: UUID) -> HttpResponse:
    printed = get_plan_print(request.membership, print_id)
    context = {"printed": printed, "refresh": REFRESH_SECONDS if printed.state in UNFINISHED else None}
    return render(request, "contingency/plan_print_detail.html", context)


# org_view is typed for HttpResponse; a FileResponse streams, which Django serves the same way.
@org_view(Perm.VIEW_PROGRAM)
def plan_print_download(request: OrgRequest, print_id: UUID) -> FileResponse:
    printed = get_plan_print(request.membership, print_id)
    return plan_print_file_response(printed, organization=request.org, actor=Actor.from_request(request))
