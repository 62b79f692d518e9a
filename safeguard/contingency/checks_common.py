"""What the (a)(7) tracker checks share: how a reason lists names, and links to records that survive a page being
absent (a check must not fail because a URL is not installed)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from safeguard.core.models import Organization

SHOWN = 5  # names listed in a reason before "and N more"


def listing(names: list[str]) -> str:
    """ "A, B, C, D, E and 3 more": a reason stays one readable sentence however many records it names."""
    shown = ", ".join(names[:SHOWN])
    return f"{shown} and {len(names) - SHOWN} more" if len(names) > SHOWN else shown


def record_url(name: str, organization: Organization, **ids: object) -> str:
    """The page of a record named by its namespaced URL name ("contingency:exercise_detail"), or "" without one."""
    try:
        return reverse(name, kwargs={"org_slug": organization.slug, **ids})
    except NoReverseMatch:
        return ""
