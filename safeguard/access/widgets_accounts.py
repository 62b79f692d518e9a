"""The dashboard's MFA coverage panel: per system, the enabled accounts of its latest list that have MFA, and the
privileged accounts that do not."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from safeguard.access.services.systems import system_stats
from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget


@dashboard_widget(order=50)
def mfa_coverage(organization: Organization, today: date) -> Widget | None:
    stats = system_stats(organization)
    listed = [row for row in stats if row.snapshot is not None]
    if not listed:
        return None
    rows = [
        {
            "name": row.system.asset.name,
            "percent": row.mfa_percent,
            "with_mfa": row.with_mfa,
            "enabled": row.enabled,
            "privileged_no_mfa": row.privileged_no_mfa,
        }
        for row in listed
    ]
    return Widget(
        title="MFA coverage per system",
        template="access/widget_mfa.html",
        context={"rows": rows, "without_list": len(stats) - len(listed)},
        link=reverse("access:system_list", args=[organization.slug]),
    )
