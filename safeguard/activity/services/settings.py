"""The organization's activity review settings, made with defaults on first use."""

from __future__ import annotations

from safeguard.activity.models import ActivitySettings
from safeguard.core.models import Organization


def activity_settings(organization: Organization) -> ActivitySettings:
    found, _ = ActivitySettings.objects.get_or_create(organization=organization)
    return found
