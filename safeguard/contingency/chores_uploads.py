"""The daily chore that discards backup results uploads nobody will read (services/backup_uploads.py): refused,
failed, or uploaded and never mapped, after a month untouched, long enough to correct a mapping and read the
file again. The import records stay as evidence."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from safeguard.contingency.services.backup_uploads import backup_uploads_discard
from safeguard.core.chores import daily_chore

UNUSED_FOR = timedelta(days=30)


@daily_chore("contingency.backup_uploads")
def discard_unused_backup_uploads(today: date, dry_run: bool) -> list[str]:
    """Uploads last touched before the day UNUSED_FOR ago began."""
    before = timezone.make_aware(datetime.combine(today - UNUSED_FOR, time.min))
    return backup_uploads_discard(before=before, dry_run=dry_run)
