"""Assignment rules and their evaluation (the assignments area fills this module in)."""

from __future__ import annotations

from datetime import date

from safeguard.core.models import Organization


def assignments_sync(*, organization: Organization, today: date | None = None) -> dict[str, int]:
    """Open the assignments the active rules call for and cancel those no longer called for."""
    return {}
