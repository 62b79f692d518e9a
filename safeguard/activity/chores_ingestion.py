"""Ingestions a worker abandoned: a batch still "reading" hours after it started was cut off (the worker
stopped or the machine restarted). It is marked failed, saying what it had stored, so the page stops showing
progress that will never come; running the file again stores only what is missing (duplicates are skipped)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from safeguard.activity.models import IngestBatch
from safeguard.core.audit import Actor, audit_record
from safeguard.core.chores import daily_chore

# The largest files read in minutes (bench/activity.py); six hours without finishing means nobody is reading.
STALE_AFTER = timedelta(hours=6)


@daily_chore("activity.stale_ingestions")
def stale_ingestions_chore(today: date, dry_run: bool) -> list[str]:
    cutoff = timezone.now() - STALE_AFTER
    stale = list(
        IngestBatch.objects.filter(state=IngestBatch.State.RUNNING, started_at__lt=cutoff).select_related(
            "source", "organization"
        )
    )
    lines = []
    for batch in stale:
        failure = (
            f"The reading stopped (no worker finished it within {STALE_AFTER.seconds // 3600} hours of its start). "
            f"{batch.accepted} events stored before it stopped stay stored; upload the file again to store the rest."
        )
        lines.append(f"{batch.organization.slug}: {batch.source.name} ingestion {batch.public_id} marked failed")
        if dry_run:
            continue
        with transaction.atomic():
            claimed = IngestBatch.objects.filter(pk=batch.pk, state=IngestBatch.State.RUNNING).update(
                state=IngestBatch.State.FAILED, failure=failure, finished_at=timezone.now()
            )
            if claimed:
                audit_record(
                    actor=Actor.system("activity.stale_ingestions"),
                    action="activity.ingestion_abandoned",
                    organization=batch.organization,
                    target=batch,
                    changes={
                        "state": [IngestBatch.State.RUNNING, IngestBatch.State.FAILED],
                        "accepted": batch.accepted,
                    },
                )
    return lines
