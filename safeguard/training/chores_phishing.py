"""The daily chore that deletes phishing results files left unused.

A committed import's file is deleted as soon as the commit is over (the importers do not keep their uploads:
GoPhish's event details may hold what recipients typed into the landing page). A file uploaded and never
committed is deleted here once a full day has passed; its job then says "upload it again".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from safeguard.core.chores import daily_chore
from safeguard.core.services.file_imports import uploads_discard_unused
from safeguard.training.services.phishing import KINDS

UNUSED_FOR = timedelta(days=1)


@daily_chore("training.phishing_uploads")
def phishing_uploads_chore(today: date, dry_run: bool) -> list[str]:
    """Uploads started before yesterday began and never committed."""
    before = timezone.make_aware(datetime.combine(today - UNUSED_FOR, time.min))
    return uploads_discard_unused(kinds=KINDS, before=before, dry_run=dry_run)
