"""A demo seeded across midnight: the evaluation dates its snapshot by its own clock, a day after the seed's."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.core.demo import demo_seed
from safeguard.tracker.models import DailySnapshot


def test_the_history_leads_up_to_the_evaluations_snapshot(catalog: None) -> None:
    today = timezone.localdate()
    # The seed's day is yesterday, as when it starts at 23:59:58; its evaluation then runs after midnight.
    organization = demo_seed(today=today - timedelta(days=1)).organization
    after = timezone.localdate()  # today, or tomorrow if this very seed crossed midnight
    days = list(DailySnapshot.objects.filter(organization=organization).order_by("day").values_list("day", flat=True))
    assert days[-1] in {today, after}
    assert days == [days[-1] - timedelta(days=ago) for ago in range(60, -1, -1)]
