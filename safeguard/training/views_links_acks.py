"""The personal link in an acknowledgement email (/t/acks/<token>/): the person reads the version and acknowledges
it without signing in. The signed token names one request, so one person and one version; a GET only shows the
page, the acknowledgement is a POST (with the address and browser it came from).

A link to a version replaced since leads to the person's request for the current version, when there is one. A link
works until 30 days after its request's due date, and at least 60 days after it was sent (links.py).
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from safeguard.core.audit import Actor, normalize_ip
from safeguard.core.forms import show_service_error
from safeguard.core.services.errors import ServiceError
from safeguard.training.forms_acks import AcknowledgeForm
from safeguard.training.links import MAX_AGE_DAYS, ack_link_max_age_days, make_token, token_fresh, token_subject
from safeguard.training.models import AckDocumentVersion, Acknowledgement, AckRequest
from safeguard.training.services import acknowledgements as services
from safeguard.training.services.acknowledgements import acknowledgement_refusal


def _request(token: str) -> AckRequest | None:
    """The request the link names, while the link works: read the id, then check the token's age against the
    request's due date (links.ack_link_max_age_days)."""
    public_id = token_subject("ack", token)
    try:
        key = UUID(public_id or "")
    except ValueError:
        return None
    ack_request = (
        AckRequest.objects.select_related("version__document", "person", "organization").filter(public_id=key).first()
    )
    if ack_request is None:
        return None
    max_age_days = ack_link_max_age_days(ack_request.due_on, timezone.localdate())
    return ack_request if token_fresh("ack", token, max_age_days=max_age_days) else None


def _current_token(ack_request: AckRequest) -> str | None:
    """The link of the person's request for the document's current version, when this one was replaced."""
    version = ack_request.version
    if version.status != AckDocumentVersion.Status.SUPERSEDED:
        return None
    current = AckRequest.objects.filter(
        person=ack_request.person,
        version__document=version.document,
        version__status=AckDocumentVersion.Status.PUBLISHED,
    ).first()
    return make_token("ack", str(current.public_id)) if current is not None else None


@never_cache
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    ack_request = _request(token)
    if ack_request is None:
        return render(request, "training/acks/link_invalid.html", {"max_age_days": MAX_AGE_DAYS}, status=404)
    version, person = ack_request.version, ack_request.person
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ip = normalize_ip(request.META.get("REMOTE_ADDR"))
        try:
            services.acknowledgement_record(
                organization=ack_request.organization,
                actor=Actor(user=None, ip=ip, label=f"personal link of {person.email or person.employee_id}"),
                version=version,
                person=person,
                method=Acknowledgement.Method.EMAIL_LINK,
                ip=ip,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return redirect("training_links:ack", token)
    done = Acknowledgement.objects.filter(version=version, person=person).first()
    context = {
        "version": version,
        "document": version.document,
        "person": person,
        "organization": ack_request.organization,
        "form": form,
        "done": done,
        "refusal": "" if done else acknowledgement_refusal(version, person),
        "current_token": _current_token(ack_request),
    }
    return render(request, "training/acks/link_ack.html", context)
