"""Completion records, program side: the list with filters, one completion, recording one by hand, importing an
LMS file, a person's completions and quiz attempts (with granting more attempts), certificates and checking a
certificate's verification code.

Program viewers read; those who manage the program record, import and grant. A certificate is reachable by the
person it names too (learner_access.py).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import import_start
from safeguard.training.access import get_completion_for_user, get_course_for_user
from safeguard.training.certificate_codes import certificate_check
from safeguard.training.certificates import certificate_response
from safeguard.training.completion_import import KIND
from safeguard.training.forms_certificates import CertificateVerifyForm
from safeguard.training.forms_learning import CompletionFilterForm, CompletionImportForm, CompletionRecordForm
from safeguard.training.learner_access import get_certificate_completion_for_user
from safeguard.training.queries_learning import attempt_summary, completion_rows, filter_completions, person_completions
from safeguard.training.services import completions as services
from safeguard.training.services.quiz import attempts_grant
from safeguard.workforce.access import get_person_for_user

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def completion_list(request: OrgRequest) -> HttpResponse:
    filters = CompletionFilterForm(request.GET, organization=request.org)
    values = filters.cleaned_data if filters.is_valid() else {}
    rows = filter_completions(completion_rows(request.org), values)
    context = {
        "filters": filters,
        "filtered": any(values.values()),
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/completions/list.html", context)


@org_view(Perm.VIEW_PROGRAM)
def completion_detail(request: OrgRequest, completion_id: UUID) -> HttpResponse:
    completion = get_completion_for_user(request.membership, completion_id)
    context = {
        "completion": completion,
        "assignments": completion.assignments.order_by("due_on", "pk"),
        "evidence": completion.evidence if completion.evidence_id else None,
        "file_import": completion.file_import if completion.file_import_id else None,
    }
    return render(request, "training/completions/detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def completion_create(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = CompletionRecordForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organization=request.org,
        initial={"person": request.GET.get("person", "")},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            completion = services.completion_record_by_hand(
                organization=request.org,
                actor=Actor.from_request(request),
                person=data["person"],
                course=data["course"],
                completed_at=data["completed_at"],
                score=data["score"],
                note=data["note"],
                evidence_file=data["evidence_file"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Recorded: {completion.person.full_name} completed {completion.course.code}.")
            return redirect("training:completion_detail", request.org.slug, completion.public_id)
    return render(request, "training/completions/form.html", {"form": form})


@org_view(Perm.MANAGE_PROGRAM)
def completion_import(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = CompletionImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            job = import_start(
                organization=request.org, actor=Actor.from_request(request), kind=KIND, upload=form.cleaned_data["file"]
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect("core:file_import_detail", request.org.slug, job.public_id)
    return render(request, "training/completions/import.html", {"form": form})


@org_view(Perm.VIEW_PROGRAM)
def person_completions_page(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id)
    context = {
        "person": person,
        "page": Paginator(person_completions(person), PAGE_SIZE).get_page(request.GET.get("page")),
        "attempts": attempt_summary(person),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "training/completions/person.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def attempts_grant_view(request: OrgRequest, person_id: UUID, course_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id, write=True)
    course = get_course_for_user(request.membership, course_id, write=True)
    try:
        cleared = attempts_grant(
            organization=request.org, actor=Actor.from_request(request), person=person, course=course
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{person.full_name} may take the {course.code} quiz again: {cleared} failed "
            f"attempt{'s'[: cleared != 1]} no longer count{'s'[: cleared == 1]} against the limit.",
        )
    return redirect("training:person_completions", request.org.slug, person.public_id)


@org_view(None)
def certificate(request: OrgRequest, completion_id: UUID) -> HttpResponse:
    completion = get_certificate_completion_for_user(request.membership, completion_id)
    return certificate_response(completion)


@org_view(Perm.VIEW_PROGRAM)
def certificate_verify(request: OrgRequest) -> HttpResponse:
    """A code is posted, not put in the address: it names a person's employee id, which has no place in logs."""
    posted = request.method == "POST"
    form = CertificateVerifyForm(request.POST if posted else None)
    check = certificate_check(request.org, form.cleaned_data["code"]) if posted and form.is_valid() else None
    return render(request, "training/completions/verify.html", {"form": form, "check": check})
