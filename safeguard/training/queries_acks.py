"""Reads of acknowledgements shared by pages, checks and the API (the acknowledgements area fills this in)."""

from __future__ import annotations

from typing import Any

from safeguard.core.models import Organization
from safeguard.workforce.models import Person


def my_acknowledgements(organization: Organization, person: Person) -> list[Any]:
    """What this person must acknowledge (and has), for their "My training" page."""
    return []
