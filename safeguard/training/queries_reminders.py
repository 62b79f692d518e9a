"""Reads of security reminders shared by pages, checks and the API (the reminders area fills this module in)."""

from __future__ import annotations

from typing import Any

from safeguard.core.models import Organization
from safeguard.workforce.models import Person


def my_reminders(organization: Organization, person: Person) -> list[Any]:
    """The reminders delivered to this person, newest first, for their "My training" page."""
    return []
