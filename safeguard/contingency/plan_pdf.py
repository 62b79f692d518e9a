"""The printable plan: one HTML template, shown as a print view in the browser and rendered to PDF by WeasyPrint
for the copy kept on paper or on a laptop, because the plan must be usable when Safeguard is down.

The PDF is made in the background (services/plan_prints.py) and kept in storage with its SHA-256, so the copy
downloaded is the one recorded and the plan page can say when it was last printed. The URL fetcher refuses every
scheme but data:, so rendering never reaches the network or the file system whatever the plan's text contains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from safeguard.contingency.models import PlanPrint, PlanVersion
from safeguard.contingency.plan_sections import CONTACT_KINDS, call_tree
from safeguard.contingency.services.plan_prints import plan_print_download_record
from safeguard.core.audit import Actor
from safeguard.core.models import Organization

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

TEMPLATE = "contingency/plan_print.html"
CONTENT_TYPE = "application/pdf"


def print_context(version: PlanVersion, actor: Actor, *, for_pdf: bool) -> dict[str, Any]:
    contacts = [
        {**contact, "kind_label": CONTACT_KINDS.get(contact.get("kind", ""), "")} for contact in version.contacts
    ]
    return {
        "organization": version.plan.organization,
        "plan": version.plan,
        "version": version,
        "covered": list(version.covered_assets.order_by("name").values_list("name", flat=True)),
        "contacts": contacts,
        "call_tree": call_tree(contacts),
        "printed_at": timezone.localtime(),
        "printed_by": actor.display,
        "for_pdf": for_pdf,
    }


def plan_html(version: PlanVersion, actor: Actor, *, for_pdf: bool = False) -> str:
    return render_to_string(TEMPLATE, print_context(version, actor, for_pdf=for_pdf))


def url_fetcher() -> URLFetcher:
    # WeasyPrint is imported where it is used: it is slow to import and only printing needs it.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def plan_pdf(version: PlanVersion, actor: Actor) -> bytes:
    from weasyprint import HTML

    html = plan_html(version, actor, for_pdf=True)
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=url_fetcher()).write_pdf()
    return pdf


def file_name(printed: PlanPrint) -> str:
    day = timezone.localdate(printed.printed_at) if printed.printed_at else timezone.localdate()
    version = printed.version
    return f"{slugify(version.plan.title) or 'plan'}-v{version.number}-{day:%Y-%m-%d}.pdf"


def plan_print_file_response(printed: PlanPrint, *, organization: Organization, actor: Actor) -> FileResponse:
    """The stored PDF of a done print, for the page and the API alike: the copy handed out is the file whose
    SHA-256 was recorded, never a new rendering, and every download is audited."""
    if printed.state != PlanPrint.State.DONE or not printed.stored_name:
        raise Http404("This PDF is not ready.")
    # Open the file first: a missing file is a 404 with no download recorded.
    try:
        handle = default_storage.open(printed.stored_name, "rb")
    except FileNotFoundError:
        raise Http404("The stored PDF is missing; print the plan again.") from None
    try:
        plan_print_download_record(organization=organization, actor=actor, printed=printed)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, as_attachment=True, filename=file_name(printed), content_type=CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = printed.sha256
    return response
