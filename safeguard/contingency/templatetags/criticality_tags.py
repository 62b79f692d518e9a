"""Template filters of the criticality pages."""

from __future__ import annotations

from django import template

from safeguard.contingency.durations import duration

register = template.Library()


@register.filter(name="duration")
def duration_filter(minutes: int | None) -> str:
    return duration(minutes)
