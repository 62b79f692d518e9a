"""Requests to re-evaluate the assignment rules coalesce: an evaluation answers every request made before it
started, so a burst of roster changes or completions costs one evaluation, not one each."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.utils import timezone

from safeguard.training.models import TrainingSettings
from safeguard.training.services.assignment_sync import sync_claim
from safeguard.training.tasks_assignments import sync_assignments
from tests.conftest import Cast

SYNC = "safeguard.training.tasks_assignments.assignments_sync"


def test_a_request_made_before_the_latest_evaluation_started_is_already_answered(cast: Cast) -> None:
    start = timezone.now()
    assert sync_claim(cast.org, start - timedelta(seconds=5), now=start) is True
    assert TrainingSettings.objects.get(organization=cast.org).assignments_synced_at == start
    assert sync_claim(cast.org, start - timedelta(seconds=1), now=start + timedelta(seconds=1)) is False
    assert sync_claim(cast.org, start, now=start + timedelta(seconds=2)) is False
    assert sync_claim(cast.org, start + timedelta(milliseconds=1), now=start + timedelta(seconds=3)) is True


def test_a_backlog_of_queued_requests_runs_one_evaluation(cast: Cast) -> None:
    asked = timezone.now() - timedelta(minutes=1)
    with mock.patch(SYNC) as evaluate:
        for _ in range(5):
            sync_assignments.call(organization_id=cast.org.pk, requested_at=asked.isoformat())
    assert evaluate.call_count == 1


def test_each_organization_is_claimed_on_its_own(cast: Cast) -> None:
    asked = timezone.now().isoformat()
    with mock.patch(SYNC) as evaluate:
        sync_assignments.call(organization_id=cast.org.pk, requested_at=asked)
        sync_assignments.call(organization_id=cast.other_org.pk, requested_at=asked)
    assert [call.kwargs["organization"] for call in evaluate.call_args_list] == [cast.org, cast.other_org]
