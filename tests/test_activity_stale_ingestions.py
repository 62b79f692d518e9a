"""A batch left "reading" by a worker that stopped is marked failed by the daily chores, once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.activity.chores_ingestion import stale_ingestions_chore
from safeguard.activity.models import IngestBatch
from safeguard.core.chores import registered_chores
from safeguard.core.models import AuditEvent
from tests.activity_factories import make_source
from tests.conftest import Cast


def batch(cast: Cast, hours_ago: float, state: str = IngestBatch.State.RUNNING) -> IngestBatch:
    return IngestBatch.objects.create(
        organization=cast.org,
        source=make_source(cast.org, f"EHR {hours_ago}"),
        channel=IngestBatch.Channel.UPLOAD,
        state=state,
        accepted=1200,
        started_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_a_batch_reading_for_more_than_six_hours_fails_saying_what_stayed_stored(cast: Cast) -> None:
    stale, fresh, done = batch(cast, 7), batch(cast, 5), batch(cast, 30, IngestBatch.State.DONE)
    today = timezone.localdate()
    assert stale_ingestions_chore(today, True) == [f"clinic: EHR 7 ingestion {stale.public_id} marked failed"]
    assert IngestBatch.objects.get(pk=stale.pk).state == IngestBatch.State.RUNNING
    stale_ingestions_chore(today, False)
    stale.refresh_from_db()
    assert stale.state == IngestBatch.State.FAILED and stale.finished_at is not None
    assert "1200 events stored before it stopped stay stored" in stale.failure
    assert IngestBatch.objects.get(pk=fresh.pk).state == IngestBatch.State.RUNNING
    assert IngestBatch.objects.get(pk=done.pk).state == IngestBatch.State.DONE
    assert AuditEvent.objects.filter(action="activity.ingestion_abandoned").count() == 1
    assert stale_ingestions_chore(today, False) == []


def test_the_chore_is_registered() -> None:
    assert registered_chores()["activity.stale_ingestions"] is stale_ingestions_chore
