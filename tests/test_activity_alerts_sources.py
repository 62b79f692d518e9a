"""An alert remembers every source its evidence came from, so each of those sources' reviews shows it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import Alert
from safeguard.activity.services.alert_recording import record_candidates
from tests.activity_factories import make_rule, make_source
from tests.conftest import Cast


def candidate(sources: list[int], minutes: int = 0) -> AlertCandidate:
    at = timezone.now().replace(microsecond=0) - timedelta(hours=2) + timedelta(minutes=minutes)
    return AlertCandidate(
        rule_name="test_rule",
        uid="u1",
        group_key={"user_name": "jdoe"},
        bucket_start=at.replace(minute=0, second=0),
        first_seen=at,
        last_seen=at,
        anchor_count=1,
        window_seconds=600,
        metric_name="count",
        metric_value=5,
        source_ids=sources,
    )


def test_every_evidence_source_is_linked_and_later_ones_are_added(cast: Cast) -> None:
    rule = make_rule(cast.org)
    ehr, idp, vpn = (make_source(cast.org, name) for name in ("EHR", "IdP", "VPN"))
    record_candidates(cast.org, [candidate([ehr.pk, idp.pk])], rules={rule.name: rule})
    alert = Alert.objects.get()
    assert alert.source is None
    assert set(alert.sources.all()) == {ehr, idp}
    record_candidates(cast.org, [candidate([idp.pk, vpn.pk], minutes=3)], rules={rule.name: rule})
    assert set(alert.sources.all()) == {ehr, idp, vpn}
    assert Alert.objects.count() == 1


def test_a_single_source_alert_names_it_both_ways(cast: Cast) -> None:
    rule = make_rule(cast.org)
    ehr = make_source(cast.org)
    record_candidates(cast.org, [candidate([ehr.pk])], rules={rule.name: rule})
    alert = Alert.objects.get()
    assert alert.source == ehr
    assert list(alert.sources.all()) == [ehr]
