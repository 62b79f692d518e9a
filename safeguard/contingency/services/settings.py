"""The organization's contingency settings, made with their defaults the first time they are read."""

from __future__ import annotations

from safeguard.contingency.models import ContingencySettings
from safeguard.core.models import Organization


def contingency_settings(organization: Organization) -> ContingencySettings:
    found, _ = ContingencySettings.objects.get_or_create(organization=organization)
    return found


def restore_cadence(settings: ContingencySettings, tier: int) -> str:
    """The core.Cadence value (quarterly, semiannual, annual…) a tier's restore tests are due at."""
    return str(getattr(settings, f"restore_cadence_tier{tier}"))
