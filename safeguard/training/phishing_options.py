"""The options of a phishing results import besides the file: the campaign (chosen by id), the day the campaign
was launched (for a file without send times) and the time zone of another vendor's wall-clock times. Each is
refused with a sentence (ImportRefused) when it cannot work."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from django.utils import timezone

from safeguard.core.imports import ImportRefused
from safeguard.core.models import Organization
from safeguard.core.time_zones import is_time_zone
from safeguard.training.models import PhishingCampaign
from safeguard.workforce.models.people import default_time_zone

LAUNCHED_ON = "launched_on"


def find_campaign(organization: Organization, reference: object) -> PhishingCampaign | None:
    try:
        public_id = UUID(str(reference or "").strip())
    except ValueError:
        return None
    return PhishingCampaign.objects.filter(organization=organization, public_id=public_id).first()


def launch_day(value: object) -> str:
    """The "launched on" option as an ISO date ("" when not given)."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ImportRefused(f"“Launched on” must be a date, e.g. 2026-03-02, not {text!r}.", LAUNCHED_ON) from None
    if day > timezone.localdate():
        raise ImportRefused("“Launched on” cannot be in the future.", LAUNCHED_ON)
    return day.isoformat()


def given_launch(options: dict[str, Any]) -> datetime | None:
    """The launch given with the import: the start of that day (as a launch set by hand on the campaign's page)."""
    day = options.get("launched_on")
    return timezone.make_aware(datetime.combine(date.fromisoformat(day), time.min)) if day else None


def zone_name(name: object) -> str:
    """A time zone's name (the installation's when blank)."""
    name = str(name or "").strip() or default_time_zone()
    if not is_time_zone(name):
        raise ImportRefused(f"{name!r} is not a time zone: write it as e.g. America/Chicago.")
    return name
