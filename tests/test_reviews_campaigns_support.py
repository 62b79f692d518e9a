"""Helpers the access review engine's tests share: a small clinic with people, systems and account lists, and a
campaign started and prepared through the services.

No tests live here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.access.models import ReviewCampaign, System
from safeguard.access.services.campaigns import campaign_prepare_run, campaign_start
from safeguard.core.audit import Actor
from safeguard.core.models import Organization, User
from safeguard.workforce.models import Person
from tests import access_factories as make

NOW = timezone.now()
TODAY = timezone.localdate(NOW)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def start(
    organization: Organization,
    user: User,
    *,
    systems: list[System] | None = None,
    roster_as_of: date | None = None,
    prepare: bool = True,
    **values: Any,
) -> ReviewCampaign:
    """A campaign started as `user`; prepared at once unless `prepare` is False (then it waits in PREPARING)."""
    campaign = campaign_start(
        organization=organization,
        actor=Actor(user=user),
        title=values.pop("title", "Q3 access review"),
        system_ids=None if systems is None else [system.pk for system in systems],
        roster_as_of=roster_as_of or TODAY,
        now=values.pop("now", NOW),
        **values,
    )
    if prepare:
        campaign_prepare_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def ehr_with(organization: Organization, accounts: list[dict[str, Any]], *, owner: User | None = None) -> System:
    system = make.system(organization, "EHR", owner=owner)
    make.snapshot(system, accounts)
    return system


def nurse(organization: Organization, employee_id: str = "E-1", **values: Any) -> Person:
    return make.person(organization, employee_id, name=values.pop("name", "Pat Lee"), **values)
