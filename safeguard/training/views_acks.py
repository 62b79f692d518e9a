"""Acknowledgement pages: documents and their versions, who acknowledged which version, paper records, and a
person's own page to read and acknowledge a document.

Program viewers read everything here; those who manage the program write documents and versions, publish and
record signed paper pages. A person reaches only the documents addressed to them (queries_acks.addressed_version).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor, normalize_ip
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.services.sanctions import approved_policy
from safeguard.training import queries_acks as queries
from safeguard.training.access import get_document_for_user, get_document_version_for_user
from safeguard.training.audiences import describe_audience
from safeguard.training.forms_acks import (
    AcknowledgeForm,
    DocumentForm,
    PaperForm,
    StatusFilterForm,
    VersionForm,
    audience_text,
)
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement
from safeguard.training.queries import person_for_user
from safeguard.training.services import acknowledgements as services

PAGE_SIZE = 50
VERSIONS_PAGE_SIZE = 20


def _can_manage(request: OrgRequest) -> bool:
    return request.membership.has(Perm.MANAGE_PROGRAM)


def _status(request: OrgRequest, version: AckDocumentVersion) -> dict[str, Any]:
    """The status list of a version: counts for everyone it is about, then the filtered rows, a page at a time."""
    today = timezone.localdate()
    rows = queries.status_rows(version, today)
    current = version.status == AckDocumentVersion.Status.PUBLISHED
    filters = StatusFilterForm(request.GET, departments=queries.department_choices(request.org), current=current)
    filters.is_valid()  # a bad filter value is dropped; the valid ones still apply
    chosen = {name: value for name, value in filters.cleaned_data.items() if value}
    shown = queries.filter_status(rows, **chosen).order_by("family_name", "given_name", "employee_id", "pk")
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "status_version": version,
        "counts": queries.status_counts(rows),
        "filters": filters,
        "filtered": bool(chosen),
        "page": page,
        "states": queries.AckState.labels,
        "methods": dict(Acknowledgement.Method.choices),
        "current": current,
    }


# ---- documents ---------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def document_list(request: OrgRequest) -> HttpResponse:
    page = Paginator(queries.document_rows(request.org), PAGE_SIZE).get_page(request.GET.get("page"))
    policy = approved_policy(request.org)
    unmirrored = (
        policy
        if policy is not None and not AckDocumentVersion.objects.filter(sanction_policy=policy).exists()
        else None
    )
    context = {"page": page, "can_manage": _can_manage(request), "unmirrored": unmirrored}
    return render(request, "training/acks/document_list.html", context)


def _document_form(request: OrgRequest, document: AckDocument | None) -> DocumentForm:
    initial: dict[str, Any] = {}
    if document is not None:
        initial = {
            "title": document.title,
            "kind": document.kind,
            "topic": document.topic,
            "audience": document.audience,
            "audience_values": audience_text(list(document.audience_values)),
            "due_days": document.due_days,
        }
    sanction = document is not None and document.kind == AckDocument.Kind.SANCTION_POLICY
    data = request.POST if request.method == "POST" else None
    return DocumentForm(data, initial=initial, organization=request.org, sanction=sanction)


@org_view(Perm.MANAGE_PROGRAM)
def document_create(request: OrgRequest) -> HttpResponse:
    form = _document_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_create(
                organization=request.org, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Added “{document.title}”. Write its first version.")
            return redirect("training:ack_version_create", request.org.slug, document.public_id)
    return render(request, "training/acks/document_form.html", {"form": form, "document": None})


@org_view(Perm.VIEW_PROGRAM)
def document_detail(request: OrgRequest, document_id: UUID) -> HttpResponse:
    document = get_document_for_user(request.membership, document_id)
    versions = Paginator(queries.version_rows(document), VERSIONS_PAGE_SIZE).get_page(request.GET.get("versions"))
    current = queries.current_version(document)
    context: dict[str, Any] = {
        "document": document,
        "audience": describe_audience(document.audience, list(document.audience_values)),
        "versions": versions,
        "current_version": current,
        "has_draft": document.versions.filter(status=AckDocumentVersion.Status.DRAFT).exists(),
        "can_manage": _can_manage(request),
        "sanction": document.kind == AckDocument.Kind.SANCTION_POLICY,
    }
    if current is not None:
        context.update(_status(request, current))
    return render(request, "training/acks/document_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def document_edit(request: OrgRequest, document_id: UUID) -> HttpResponse:
    document = get_document_for_user(request.membership, document_id, write=True)
    form = _document_form(request, document)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(
                organization=request.org, actor=Actor.from_request(request), document=document, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("training:ack_document_detail", request.org.slug, document.public_id)
    return render(request, "training/acks/document_form.html", {"form": form, "document": document})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def document_retire(request: OrgRequest, document_id: UUID) -> HttpResponse:
    document = get_document_for_user(request.membership, document_id, write=True)
    try:
        services.document_retire(organization=request.org, actor=Actor.from_request(request), document=document)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{document.title}” is retired: nobody is asked to acknowledge it any more.")
    return redirect("training:ack_document_detail", request.org.slug, document.public_id)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def sanction_sync(request: OrgRequest) -> HttpResponse:
    try:
        version = services.sanction_policy_sync(organization=request.org, actor=Actor.from_request(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("training:ack_document_list", request.org.slug)
    if version is None:
        messages.info(request, "The approved sanction policy is already published for acknowledgement.")
        return redirect("training:ack_document_list", request.org.slug)
    messages.success(request, f"Published {version.document.title} v{version.number} for everyone to acknowledge.")
    return redirect("training:ack_document_detail", request.org.slug, version.document.public_id)


# ---- versions ----------------------------------------------------------------------------------------------------


@org_view(Perm.MANAGE_PROGRAM)
def version_create(request: OrgRequest, document_id: UUID) -> HttpResponse:
    document = get_document_for_user(request.membership, document_id, write=True)
    latest = document.versions.order_by("-number").first()
    posted = request.method == "POST"
    initial = {"body": latest.body} if latest is not None else {}  # a new version starts from the latest text
    form = VersionForm(request.POST if posted else None, request.FILES if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            version = services.version_create(
                organization=request.org, actor=Actor.from_request(request), document=document, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Draft version {version.number} saved. Publish it when it is final.")
            return redirect("training:ack_version_detail", request.org.slug, version.public_id)
    context = {"form": form, "document": document, "version": None}
    return render(request, "training/acks/version_form.html", context)


@org_view(Perm.VIEW_PROGRAM)
def version_detail(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_document_version_for_user(request.membership, version_id)
    context: dict[str, Any] = {
        "version": version,
        "document": version.document,
        "can_manage": _can_manage(request),
        "can_record": version.status == AckDocumentVersion.Status.PUBLISHED and version.document.retired_at is None,
    }
    if version.status != AckDocumentVersion.Status.DRAFT:
        context.update(_status(request, version))
    return render(request, "training/acks/version_detail.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def version_edit(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_document_version_for_user(request.membership, version_id, write=True)
    posted = request.method == "POST"
    form = VersionForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"body": version.body, "summary": version.summary},
    )
    if posted and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            services.version_update(
                organization=request.org,
                actor=Actor.from_request(request),
                version=version,
                file_upload=values.pop("file_upload"),
                **values,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("training:ack_version_detail", request.org.slug, version.public_id)
    context = {"form": form, "document": version.document, "version": version}
    return render(request, "training/acks/version_form.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def version_publish(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_document_version_for_user(request.membership, version_id, write=True)
    try:
        published = services.version_publish(
            organization=request.org, actor=Actor.from_request(request), version=version
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("training:ack_version_detail", request.org.slug, version.public_id)
    asked = published.requested
    messages.success(
        request,
        f"Published version {version.number}: {asked} {'person was' if asked == 1 else 'people were'} asked to "
        "acknowledge it.",
    )
    return redirect("training:ack_document_detail", request.org.slug, version.document.public_id)


@org_view(Perm.MANAGE_PROGRAM)
def paper_record(request: OrgRequest, version_id: UUID) -> HttpResponse:
    version = get_document_version_for_user(request.membership, version_id, write=True)
    posted = request.method == "POST"
    form = PaperForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            person = queries.person_by_reference(request.org, form.cleaned_data["person"])
            services.acknowledgement_record(
                organization=request.org,
                actor=Actor.from_request(request),
                version=version,
                person=person,
                method=Acknowledgement.Method.PAPER,
                acknowledged_at=form.signed_at(),
                evidence_file=form.cleaned_data["evidence_file"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            show_service_error(form, error, aliases={"acknowledged_at": "acknowledged_on", "version": "person"})
        else:
            messages.success(request, f"Recorded {person.full_name}'s signed acknowledgement.")
            return redirect("training:ack_version_detail", request.org.slug, version.public_id)
    return render(request, "training/acks/paper_form.html", {"form": form, "version": version})


# ---- a person's own documents --------------------------------------------------------------------------------------


@org_view(None)
def my_acks(request: OrgRequest) -> HttpResponse:
    person = person_for_user(request.org, request.membership.user)
    rows = queries.my_acknowledgements(request.org, person) if person is not None else []
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/acks/my_acks.html", {"my_acks": page.object_list, "page": page, "person": person})


@org_view(None)
def my_ack(request: OrgRequest, version_id: UUID) -> HttpResponse:
    person = person_for_user(request.org, request.membership.user)
    version = queries.addressed_version(request.org, person, version_id) if person is not None else None
    if person is None or version is None:
        raise Http404("No such document for you.")
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledgement_record(
                organization=request.org,
                actor=Actor.from_request(request),
                version=version,
                person=person,
                method=Acknowledgement.Method.IN_APP,
                ip=normalize_ip(request.META.get("REMOTE_ADDR")),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Thank you: your acknowledgement of “{version.document.title}” is recorded.")
            return redirect("training:my_ack", request.org.slug, version.public_id)
    done = Acknowledgement.objects.filter(version=version, person=person).first()
    context = {"version": version, "document": version.document, "form": form, "done": done, "person": person}
    return render(request, "training/acks/my_ack.html", context)
