"""The daily chore that applies each organization's retention to its event store: events older than
event_retention_days are deleted, and raw lines older than raw_retention_days are blanked (the normalized fields
stay as the review record). Cut-offs are whole UTC days before `today`, so running it again the same day finds
nothing more to do and writes no audit event."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from safeguard.activity.models import ActivitySettings
from safeguard.activity.store.duckdb import DuckDBEventStore, stored_organization_ids
from safeguard.core.audit import Actor, audit_record
from safeguard.core.chores import daily_chore
from safeguard.core.models import Organization

ACTOR = Actor.system("activity.retention")
_DEFAULT_EVENT_DAYS = ActivitySettings._meta.get_field("event_retention_days").get_default()
_DEFAULT_RAW_DAYS = ActivitySettings._meta.get_field("raw_retention_days").get_default()


def cutoffs(today: date, activity_settings: ActivitySettings | None) -> tuple[datetime, datetime]:
    event_days = activity_settings.event_retention_days if activity_settings else _DEFAULT_EVENT_DAYS
    raw_days = activity_settings.raw_retention_days if activity_settings else _DEFAULT_RAW_DAYS
    midnight = datetime.combine(today, time.min, UTC)
    return midnight - timedelta(days=event_days), midnight - timedelta(days=raw_days)


def _would_purge(store: DuckDBEventStore, events_before: datetime, raw_before: datetime) -> tuple[int, int]:
    found = store.query(
        "SELECT count(*) FILTER (WHERE time < $events) AS events, "
        "count(*) FILTER (WHERE time >= $events AND time < $raw AND raw IS NOT NULL) AS raw FROM events",
        {"events": events_before, "raw": raw_before},
    ).to_pylist()[0]
    return int(found["events"]), int(found["raw"])


@daily_chore("activity.retention")
def retention_chore(today: date, dry_run: bool) -> list[str]:
    ids = stored_organization_ids()
    organizations = Organization.objects.in_bulk(ids)
    configured = {row.organization_id: row for row in ActivitySettings.objects.filter(organization_id__in=ids)}
    lines = []
    for organization_id in ids:
        organization = organizations.get(organization_id)
        if organization is None:
            continue
        events_before, raw_before = cutoffs(today, configured.get(organization_id))
        store = DuckDBEventStore.for_organization(organization_id)
        if dry_run:
            deleted, blanked = _would_purge(store, events_before, raw_before)
            verb = "would delete"
        else:
            with transaction.atomic():
                deleted, blanked = store.purge(events_before=events_before, raw_before=raw_before)
                if deleted or blanked:
                    audit_record(
                        actor=ACTOR,
                        action="activity.events_purged",
                        organization=organization,
                        target=organization,
                        changes={
                            "events_deleted": [None, deleted],
                            "raw_lines_blanked": [None, blanked],
                            "events_before": [None, events_before],
                            "raw_before": [None, raw_before],
                        },
                    )
            verb = "deleted"
        if deleted or blanked:
            lines.append(
                f"{organization.slug}: {verb} {deleted} event(s) before {events_before:%Y-%m-%d} and the raw lines "
                f"of {blanked} before {raw_before:%Y-%m-%d}"
            )
    return lines
