"""The personal link in a reminder's email (/t/reminders/<token>/): no sign-in, the signed token is the key.

A GET only shows the reminder: mail scanners open links before people do, so only the "Mark as read" button (a
POST) records the read. A forged or expired token gets a plain 404 page saying so.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from safeguard.core.audit import Actor
from safeguard.training.queries_reminders import delivery_for_token
from safeguard.training.services.reminders import reminder_mark_read

LINK_ACTOR = "personal link"


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def reminder_link(request: HttpRequest, token: str) -> HttpResponse:
    delivery = delivery_for_token(token)
    if delivery is None:
        return _private(render(request, "training/reminders/link_invalid.html", status=404))
    if request.method == "POST":
        actor = Actor(user=None, ip=request.META.get("REMOTE_ADDR"), label=LINK_ACTOR)
        reminder_mark_read(organization=delivery.organization, actor=actor, delivery=delivery)
        messages.success(request, "Thank you: marked as read.")
        return redirect("training_links:reminder_link", token)
    context = {"delivery": delivery, "reminder": delivery.reminder, "organization": delivery.organization}
    return _private(render(request, "training/reminders/link.html", context))
