"""The zone contingency imports read a time without a UTC offset in, for the pages that explain the rule."""

from __future__ import annotations

from django import template

from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.models import Organization

register = template.Library()


@register.simple_tag
def import_time_zone(organization: Organization) -> str:
    return contingency_settings(organization).import_time_zone
