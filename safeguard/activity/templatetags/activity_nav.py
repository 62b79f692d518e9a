"""The activity review sub-navigation's permissions: the context processor names only view-activity, and the
events and manage links must not lead auditors (or triagers) to a refusal."""

from __future__ import annotations

from typing import Any

from django import template

from safeguard.core.roles import Perm

register = template.Library()


@register.simple_tag(takes_context=True)
def activity_nav_perms(context: template.Context) -> dict[str, bool]:
    """{% activity_nav_perms as nav %}: nav.view, nav.events and nav.manage for the current member."""
    membership: Any = context.get("current_membership")

    def has(perm: Perm) -> bool:
        return bool(membership is not None and membership.has(perm))

    return {"view": has(Perm.VIEW_ACTIVITY), "events": has(Perm.VIEW_EVENTS), "manage": has(Perm.MANAGE_ACTIVITY)}


@register.simple_tag(takes_context=True)
def alert_group(context: template.Context, alert: Any) -> str:
    """{% alert_group alert %}: the alert's group key, for members who may read events; the key names a suspect
    or a patient, so others (auditors) see that it is hidden."""
    membership: Any = context.get("current_membership")
    if membership is not None and membership.has(Perm.VIEW_EVENTS):
        return str(alert.group_text or "—")
    return "(hidden: needs event access)"
