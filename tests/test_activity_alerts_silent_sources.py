"""Silent-source alerts: one per source per UTC day, only past the source's silence threshold."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from safeguard.activity.chores_alerts import silent_sources_run
from safeguard.activity.engine.evaluate import alert_uid
from safeguard.activity.models import Alert, DetectionRule, LogSource
from tests.activity_factories import make_source

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_a_source_silent_too_long_raises_one_alert_per_day(cast):
    quiet = make_source(cast.org, "EHR", silent_after_hours=24)
    LogSource.objects.filter(pk=quiet.pk).update(last_received_at=NOW - timedelta(hours=30))
    recent = make_source(cast.org, "Okta")
    LogSource.objects.filter(pk=recent.pk).update(last_received_at=NOW - timedelta(hours=2))

    silent_sources_run(now=NOW)
    silent_sources_run(now=NOW + timedelta(hours=3))
    alert = Alert.objects.get()
    assert alert.rule.name == "silent_source"
    assert alert.rule.kind == DetectionRule.Kind.SILENT_SOURCE
    assert (alert.severity, alert.source, alert.group_key) == ("high", quiet, {"source": "EHR"})
    assert alert.bucket_start == datetime(2026, 3, 2, tzinfo=UTC)
    assert alert.metric_name == "hours silent"
    assert alert.metric_value == 33.0  # the later run the same day updates the same alert
    assert alert.evidence_uids == []
    assert alert.uid == alert_uid(cast.org.pk, "silent_source", {"source": "EHR"}, datetime(2026, 3, 2, tzinfo=UTC))
    # The engine's convention, fields joined by the unit separator (not "|").
    text = f'{cast.org.pk}\x1fsilent_source\x1f{{"source": "EHR"}}\x1f2026-03-02T00:00:00+00:00'
    assert alert.uid == hashlib.sha256(text.encode()).hexdigest()

    silent_sources_run(now=NOW + timedelta(days=1))  # by now Okta is silent too (26 hours)
    assert Alert.objects.filter(source=quiet).count() == 2
    assert Alert.objects.filter(source=recent).count() == 1


def test_never_received_counts_from_creation_and_inactive_sources_are_skipped(cast):
    fresh = make_source(cast.org, "EHR", silent_after_hours=24)
    LogSource.objects.filter(pk=fresh.pk).update(created_at=NOW - timedelta(hours=10))
    retired = make_source(cast.org, "Old VPN", is_active=False)
    LogSource.objects.filter(pk=retired.pk).update(created_at=NOW - timedelta(days=90))
    assert silent_sources_run(now=NOW) == []
    assert not Alert.objects.exists()
    silent_sources_run(now=NOW + timedelta(hours=15))
    assert list(Alert.objects.values_list("group_text", flat=True)) == ["source=EHR"]


def test_a_disabled_silent_source_rule_raises_nothing(cast):
    DetectionRule.objects.create(
        organization=cast.org, name="silent_source", title="Silent", kind="silent_source", mode="disabled"
    )
    source = make_source(cast.org, "EHR")
    LogSource.objects.filter(pk=source.pk).update(created_at=NOW - timedelta(days=3))
    lines = silent_sources_run(now=NOW)
    assert lines == ["clinic: silent sources EHR, but the rule is disabled"]
    assert not Alert.objects.exists()


def test_dry_run_says_what_it_would_do(cast):
    source = make_source(cast.other_org, "EHR")
    LogSource.objects.filter(pk=source.pk).update(created_at=NOW - timedelta(days=3))
    assert silent_sources_run(now=NOW, dry_run=True) == ["other: would alert on silent source(s) EHR"]
    assert not Alert.objects.exists()
    assert not DetectionRule.objects.exists()
