"""A one-page PDF certificate per completion, rendered from a Django template by WeasyPrint when asked for.

The certificate prints the facts it certifies and a verification code (certificate_codes.py): an HMAC-signed copy
of the completion's stable facts that a program viewer pastes into "Verify a certificate" to learn whether
Safeguard issued it and what it attests. The URL fetcher refuses every scheme but data:, so rendering never reaches
the network or the file system whatever the records contain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from safeguard.training.certificate_codes import certificate_code
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


def verify_url(completion: Completion) -> str:
    """Where a program viewer checks a certificate's code."""
    path = reverse("training:certificate_verify", args=[completion.organization.slug])
    return settings.SITE_URL.rstrip("/") + path


def certificate_context(completion: Completion) -> dict[str, Any]:
    return {
        "facts": certificate_facts(completion),
        "code": certificate_code(completion),
        "verify_url": verify_url(completion),
        "signatory": training_settings(completion.organization).certificate_signatory,
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
