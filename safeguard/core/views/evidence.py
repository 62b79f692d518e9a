"""Evidence pages: list, upload, detail with versions and links, new version, link to a requirement, audited
download, deletion."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeguard.catalog.models import Requirement
from safeguard.core.access import get_evidence_for_user, get_evidence_version_for_user
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.forms.evidence import (
    EvidenceFilterForm,
    EvidenceRequirementLinkForm,
    EvidenceUploadForm,
    EvidenceVersionForm,
)
from safeguard.core.models import Evidence, Obligation
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.queries import evidence_rows
from safeguard.core.roles import Perm
from safeguard.core.services import evidence as services
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50


@org_view(Perm.VIEW_PROGRAM)
def evidence_list(request: OrgRequest) -> HttpResponse:
    filters = EvidenceFilterForm(request.GET)
    text = filters.cleaned_data["q"].strip() if filters.is_valid() else ""
    page = Paginator(evidence_rows(request.org, text=text), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/evidence/list.html", {"page": page, "filters": filters, "q": text})


@org_view(Perm.MANAGE_PROGRAM)
def evidence_upload(request: OrgRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = EvidenceUploadForm(request.POST, request.FILES) if posted else EvidenceUploadForm()
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            evidence = services.evidence_upload(
                organization=request.org,
                actor=Actor.from_request(request),
                title=data["title"],
                description=data["description"],
                effective_date=data["effective_date"],
                retain_until=data["retain_until"],
                upload=data["file"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Stored “{evidence.title}”.")
            return redirect("core:evidence_detail", request.org.slug, evidence.public_id)
    # For a document effective today or earlier, the floor counts from today, the upload date.
    today = timezone.localdate()
    minimum = services.retention_floor(today, today)
    return render(request, "core/evidence/upload.html", {"form": form, "minimum_retention": minimum})


def _linked_records(evidence: Evidence, org_slug: str) -> list[dict[str, str]]:
    """What the evidence is linked to, with titles and pages where the record type has them: three queries."""
    links = list(evidence.links.order_by("target_type", "target_id"))
    obligation_ids = [link.target_id for link in links if link.target_type == "core.obligation"]
    obligations = {
        str(public_id): title
        for public_id, title in Obligation.objects.filter(
            organization_id=evidence.organization_id, public_id__in=_valid_uuids(obligation_ids)
        ).values_list("public_id", "title")
    }
    citations = [link.target_id for link in links if link.target_type == services.REQUIREMENT_TYPE]
    requirements = dict(Requirement.objects.filter(citation__in=citations).values_list("citation", "title"))
    rows = []
    for link in links:
        row = {"type": link.target_type, "id": link.target_id, "label": link.target_id, "url": ""}
        if link.target_type == "core.obligation" and link.target_id in obligations:
            row["label"] = obligations[link.target_id]
            row["url"] = reverse("core:obligation_detail", args=[org_slug, link.target_id])
        elif link.target_type == services.REQUIREMENT_TYPE and link.target_id in requirements:
            row["label"] = f"{link.target_id} {requirements[link.target_id]}"
            row["url"] = reverse("tracker:requirement", args=[org_slug, link.target_id])
        rows.append(row)
    return rows


def _valid_uuids(values: list[str]) -> list[UUID]:
    return [public_id for public_id in map(services.uuid_or_none, values) if public_id is not None]


def _detail(
    request: OrgRequest,
    evidence: Evidence,
    *,
    version_form: EvidenceVersionForm | None = None,
    link_form: EvidenceRequirementLinkForm | None = None,
) -> HttpResponse:
    membership = request.membership
    context = {
        "evidence": evidence,
        "versions": evidence.versions.select_related("uploaded_by").order_by("-number"),
        "links": _linked_records(evidence, request.org.slug),
        "version_form": version_form or EvidenceVersionForm(),
        "link_form": link_form or EvidenceRequirementLinkForm(),
        "can_manage": membership.has(Perm.MANAGE_PROGRAM),
        "can_delete": membership.has(Perm.DELETE_EVIDENCE),
        "deletable": evidence.retain_until <= timezone.localdate(),
    }
    return render(request, "core/evidence/detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def evidence_detail(request: OrgRequest, evidence_id: UUID) -> HttpResponse:
    evidence = get_evidence_for_user(request.membership, evidence_id)
    return _detail(request, evidence)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def evidence_new_version(request: OrgRequest, evidence_id: UUID) -> HttpResponse:
    evidence = get_evidence_for_user(request.membership, evidence_id, write=True)
    form = EvidenceVersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.evidence_add_version(
                organization=request.org,
                actor=Actor.from_request(request),
                evidence=evidence,
                upload=form.cleaned_data["file"],
            )
        except ServiceError as error:
            form.add_error("file" if error.field == "file" else None, error.message)
        else:
            messages.success(request, f"Stored version {version.number}.")
            return redirect("core:evidence_detail", request.org.slug, evidence.public_id)
    return _detail(request, evidence, version_form=form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def evidence_link_requirement(request: OrgRequest, evidence_id: UUID) -> HttpResponse:
    """Link the evidence to a catalog requirement, named by its citation."""
    evidence = get_evidence_for_user(request.membership, evidence_id, write=True)
    form = EvidenceRequirementLinkForm(request.POST)
    if form.is_valid():
        citation = form.cleaned_data["citation"].strip()
        try:
            services.evidence_link(
                organization=request.org,
                actor=Actor.from_request(request),
                evidence=evidence,
                target=(services.REQUIREMENT_TYPE, citation),
            )
        except ServiceError as error:
            form.add_error("citation", error.message)
        else:
            messages.success(request, f"Linked to requirement {citation}.")
            return redirect("core:evidence_detail", request.org.slug, evidence.public_id)
    return _detail(request, evidence, link_form=form)


# org_view is typed for HttpResponse; a FileResponse streams, which Django serves the same way.
@org_view(Perm.VIEW_PROGRAM)
def evidence_download(request: OrgRequest, evidence_id: UUID, number: int) -> FileResponse:
    version = get_evidence_version_for_user(request.membership, evidence_id, number)
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing; tell your administrator.") from None
    try:
        services.evidence_download_record(organization=request.org, actor=Actor.from_request(request), version=version)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle, as_attachment=True, filename=version.original_name, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@org_view(Perm.DELETE_EVIDENCE)
def evidence_delete(request: OrgRequest, evidence_id: UUID) -> HttpResponse:
    evidence = get_evidence_for_user(request.membership, evidence_id)
    try:
        services.evidence_delete(organization=request.org, actor=Actor.from_request(request), evidence=evidence)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("core:evidence_detail", request.org.slug, evidence.public_id)
    messages.success(request, f"Deleted “{evidence.title}”.")
    return redirect("core:evidence_list", request.org.slug)
