"""Starting an access review campaign: the checks on its scope and dates, the record in PREPARING and the queued
preparation (campaign_preparation.py, which also describes what a prepared campaign freezes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from safeguard.access.models import ReviewCampaign, System
from safeguard.access.queries import access_settings, latest_snapshot_ids

# Re-exported: the task, the demo and the tests run the preparation from here.
from safeguard.access.services.campaign_preparation import campaign_prepare_run as campaign_prepare_run
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

Status = ReviewCampaign.Status
MAX_INACTIVE_DAYS = 3650


def _system_names(systems: Sequence[System]) -> str:
    return ", ".join(system.asset.name for system in systems)


def _scope_errors(organization: Organization, system_ids: list[int] | None) -> tuple[dict[str, str], list[System]]:
    """Problems with the systems chosen (none: the systems in scope come with it)."""
    known = list(System.objects.filter(organization=organization).select_related("asset").order_by("asset__name"))
    if not known:
        return {"systems": "Register an ePHI system and import its account list before starting a review."}, []
    with_lists = latest_snapshot_ids(organization)
    if system_ids is None:
        if not with_lists:
            return {"systems": "No system has an account list yet: import one before starting a review."}, []
        return {}, known
    if not system_ids:
        return {"systems": "Choose at least one system, or review all of them."}, []
    chosen = [system for system in known if system.pk in set(system_ids)]
    if len(chosen) != len(set(system_ids)):
        return {"systems": "Some of the chosen systems do not exist in this organization."}, []
    without = [system for system in chosen if system.pk not in with_lists]
    if without:
        return {
            "systems": f"No account list has been imported for {_system_names(without)}: import one or leave "
            f"{'it' if len(without) == 1 else 'them'} out."
        }, []
    return {}, chosen


def campaign_start(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    system_ids: list[int] | None,
    roster_as_of: date,
    due_on: date | None = None,
    inactive_days: int | None = None,
    now: datetime | None = None,
) -> ReviewCampaign:
    """Record a campaign over `system_ids` (None: every system) and queue its preparation."""
    if actor.user is None:
        raise ServiceError("A review is started by a person.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    settings = access_settings(organization)
    title = (title or "").strip()
    due_on = due_on or today + timedelta(days=settings.review_due_days)
    inactive_days = settings.inactive_days if inactive_days is None else inactive_days
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the review a title."
    elif len(title) > 200:
        errors["title"] = "A title has at most 200 characters."
    scope_errors, systems = _scope_errors(organization, system_ids)
    errors.update(scope_errors)
    if roster_as_of > today:
        errors["roster_as_of"] = f"The roster date {roster_as_of:%Y-%m-%d} is in the future: use today or earlier."
    if due_on <= today:
        errors["due_on"] = f"The due date must be after today ({today:%Y-%m-%d})."
    if not 1 <= inactive_days <= MAX_INACTIVE_DAYS:
        errors["inactive_days"] = f"Count inactivity in days, from 1 to {MAX_INACTIVE_DAYS}."
    ServiceError.raise_first(errors)
    with transaction.atomic():
        campaign = ReviewCampaign.objects.create(
            organization=organization,
            title=title,
            status=Status.PREPARING,
            all_systems=system_ids is None,
            roster_as_of=roster_as_of,
            inactive_days=inactive_days,
            due_on=due_on,
            started_by=actor.user,
            started_at=now,
        )
        if system_ids is not None:
            campaign.systems.set(systems)
        audit_record(
            actor=actor,
            action="access.review.started",
            organization=organization,
            target=campaign,
            changes={
                "title": [None, title],
                "systems": [None, "all" if system_ids is None else [system.asset.name for system in systems]],
                "roster_as_of": [None, roster_as_of],
                "due_on": [None, due_on],
                "inactive_days": [None, inactive_days],
            },
        )
        campaign_id = campaign.pk

        def enqueue() -> None:
            from safeguard.access.tasks import prepare_campaign

            prepare_campaign.enqueue(campaign_id)

        transaction.on_commit(enqueue)
    return campaign
