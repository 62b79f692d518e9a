"""Placeholder replaced by the obligations work: the per-user iCalendar feed."""

from django.http import Http404, HttpRequest, HttpResponse


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404("No such calendar.")
