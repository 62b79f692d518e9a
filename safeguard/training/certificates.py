"""A one-page PDF certificate per completion, rendered from a Django template by WeasyPrint when asked for.

The certificate prints the facts it certifies and the SHA-256 of those facts in canonical JSON (sorted keys, no
spaces, UTF-8), so anyone holding the certificate can recompute the digest from the printed facts and compare it
with the one Safeguard computes for the same completion. The URL fetcher refuses every scheme but data:, so
rendering never reaches the network or the file system whatever the records contain.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from safeguard.training.models import Completion
from safeguard.training.queries import training_settings

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

TEMPLATE = "training/completions/certificate_pdf.html"
CONTENT_TYPE = "application/pdf"


def certificate_facts(completion: Completion) -> dict[str, Any]:
    """What the certificate attests, as plain values."""
    person, course = completion.person, completion.course
    return {
        "organization": completion.organization.name,
        "person": person.full_name,
        "employee_id": person.employee_id,
        "course": course.title,
        "course_code": course.code,
        "course_version": completion.course_version,
        "completed_on": timezone.localtime(completion.completed_at).date().isoformat(),
        "score": completion.score,
        "source": str(completion.get_source_display()),
        "completion_id": str(completion.public_id),
    }


def canonical_json(facts: dict[str, Any]) -> bytes:
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def facts_sha256(facts: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(facts)).hexdigest()


def certificate_context(completion: Completion) -> dict[str, Any]:
    facts = certificate_facts(completion)
    return {
        "facts": facts,
        "sha256": facts_sha256(facts),
        "signatory": training_settings(completion.organization).certificate_signatory,
        "canonical": canonical_json(facts).decode(),
    }


def certificate_file_name(completion: Completion) -> str:
    code = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in completion.course.code)
    employee = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in completion.person.employee_id)
    return f"certificate-{code}-{employee}-{certificate_facts(completion)['completed_on']}.pdf"


def url_fetcher() -> URLFetcher:
    # WeasyPrint is imported where it is used: it is slow to import and only certificate requests need it.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def certificate_html(completion: Completion) -> str:
    return render_to_string(TEMPLATE, certificate_context(completion))


def certificate_pdf(completion: Completion) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=certificate_html(completion), base_url=None, url_fetcher=url_fetcher()).write_pdf()
    return pdf


def certificate_response(completion: Completion) -> HttpResponse:
    """The certificate as a download, for the page and the API alike."""
    response = HttpResponse(certificate_pdf(completion), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{certificate_file_name(completion)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
