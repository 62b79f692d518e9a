"""The per-user iCalendar feed: one all-day event per open obligation the user owns, in every current org.

The URL's secret token is the only credential (calendar apps cannot sign in); rotating it revokes the URL.
Organizations that require MFA are listed only when the token was made in a session that passed MFA.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vRecur

from safeguard.core.models import Membership, Obligation, Organization, User
from safeguard.core.models.obligations import Cadence

MIN_TOKEN_LENGTH = 40
RECURRENCE: dict[str, dict[str, object]] = {
    Cadence.MONTHLY: {"FREQ": "MONTHLY"},
    Cadence.QUARTERLY: {"FREQ": "MONTHLY", "INTERVAL": 3},
    Cadence.SEMIANNUAL: {"FREQ": "MONTHLY", "INTERVAL": 6},
    Cadence.ANNUAL: {"FREQ": "YEARLY"},
}


def calendar_feed_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("calendar_feed", args=[token])


def _feed_memberships(user: User) -> QuerySet[Membership]:
    """The current memberships the user's feed token may show: not MFA organizations unless it was made verified."""
    memberships = Membership.objects.current().filter(user=user)
    if not user.calendar_token_mfa_verified:
        memberships = memberships.filter(organization__mfa_required=False)
    return memberships


def mfa_organizations(user: User) -> list[Organization]:
    """The user's current organizations that require MFA, by name: a feed token made without MFA leaves them out."""
    current = Membership.objects.current().filter(user=user).values("organization_id")
    return list(Organization.objects.filter(pk__in=current, mfa_required=True).order_by("name"))


def feed_obligations(user: User) -> list[Obligation]:
    """Open obligations the user owns in organizations where they are a current member (and the token may show)."""
    organizations = _feed_memberships(user).values("organization_id")
    return list(
        Obligation.objects.open()
        .filter(owner=user, organization_id__in=organizations)
        .select_related("organization")
        .order_by("due_on", "title")
    )


def _event(obligation: Obligation) -> Event:
    link = settings.SITE_URL.rstrip("/") + reverse(
        "core:obligation_detail", args=[obligation.organization.slug, obligation.public_id]
    )
    lines = [obligation.description.strip()] if obligation.description.strip() else []
    if obligation.citation:
        lines.append(f"Citation: 45 CFR {obligation.citation}")
    lines.append(link)
    event = Event()
    event.add("uid", f"{obligation.public_id}@safeguard")
    event.add("dtstamp", timezone.now())
    event.add("summary", f"{obligation.title} ({obligation.organization.name})")
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("dtstart", obligation.due_on)
    if obligation.due_on < date.max:
        event.add("dtend", obligation.due_on + timedelta(days=1))
    # else: no DTEND, so the all-day event lasts the one day (RFC 5545 3.6.1) and the feed never overflows.
    event.add("transp", "TRANSPARENT")
    recurrence = RECURRENCE.get(obligation.cadence)
    if recurrence:
        event.add("rrule", vRecur(recurrence))
    if obligation.remind_days_before:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", obligation.title)
        alarm.add("trigger", timedelta(days=-obligation.remind_days_before))
        event.add_component(alarm)
    return event


def calendar_build(user: User) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Safeguard//Obligations//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Safeguard obligations")
    for obligation in feed_obligations(user):
        calendar.add_component(_event(obligation))
    return calendar


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    if len(token) < MIN_TOKEN_LENGTH:
        raise Http404("No such calendar.")
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar_build(user).to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="safeguard-obligations.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
