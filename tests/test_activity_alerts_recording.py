"""Recording the engine's candidates as alerts: raise, update, re-record, suppress, keep closed alerts closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import Alert, AlertNote, AlertStatus, EscalationLevel, Suppression
from safeguard.activity.services.alert_recording import record_candidates
from safeguard.core.models import AuditEvent
from tests.activity_factories import make_rule, make_source

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def candidate(uid: str = "u1", user: str = "jdoe", **extra: Any) -> AlertCandidate:
    values: dict[str, Any] = {
        "rule_name": "vip_access",
        "uid": uid,
        "group_key": {"user_name": user, "patient_id": "MRN-7"},
        "bucket_start": T0.replace(hour=0),
        "first_seen": T0,
        "last_seen": T0 + timedelta(minutes=5),
        "anchor_count": 3,
        "window_seconds": 600,
        "metric_name": "count",
        "metric_value": 6.0,
        "evidence_uids": ["e1", "e2", "e3"],
        "evidence_count": 3,
        "source_ids": [],
    }
    values.update(extra)
    return AlertCandidate(**values)


@pytest.fixture
def rule(cast):
    return make_rule(cast.org, "vip_access", title="VIP record opened", level="high")


def test_new_candidate_raises_an_alert_with_the_rule_severity_and_default_deadline(cast, rule):
    source = make_source(cast.org)
    result = record_candidates(
        cast.org, [candidate(source_ids=[source.pk, source.pk])], rules={"vip_access": rule}, now=NOW
    )
    assert (result.created, result.updated, result.suppressed) == (1, 0, 0)
    alert = Alert.objects.get(uid="u1")
    assert alert.status == AlertStatus.NEW
    assert alert.severity == "high"
    assert alert.title == "VIP record opened"
    assert alert.group_text == "user_name=jdoe, patient_id=MRN-7"
    assert alert.source == source
    assert alert.ack_due_at == NOW + timedelta(minutes=240)
    assert list(alert.notes.values_list("action", flat=True)) == [AlertNote.Action.RAISED]
    audit = AuditEvent.objects.get(action="activity.alerts_raised")
    assert audit.changes["created"] == 1
    assert audit.changes["alerts"] == [str(alert.public_id)]


def test_evidence_from_two_sources_names_no_source_and_configured_level_one_sets_the_deadline(cast, rule):
    a, b = make_source(cast.org, "EHR"), make_source(cast.org, "Okta")
    EscalationLevel.objects.create(organization=cast.org, severity="high", level=1, notify_role="owner", ack_minutes=30)
    record_candidates(cast.org, [candidate(source_ids=[a.pk, b.pk])], rules={"vip_access": rule}, now=NOW)
    alert = Alert.objects.get(uid="u1")
    assert alert.source is None
    assert alert.ack_due_at == NOW + timedelta(minutes=30)


def test_informational_alert_has_no_deadline(cast):
    info = make_rule(cast.org, "vip_access", level="informational")
    record_candidates(cast.org, [candidate()], rules={"vip_access": info}, now=NOW)
    assert Alert.objects.get(uid="u1").ack_due_at is None


def test_re_recording_the_same_candidate_changes_nothing(cast, rule):
    record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW)
    before = Alert.objects.values().get(uid="u1")
    result = record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW + timedelta(hours=1))
    assert (result.created, result.updated) == (0, 0)
    assert Alert.objects.values().get(uid="u1") == before
    assert AlertNote.objects.count() == 1
    assert AuditEvent.objects.filter(action="activity.alerts_raised").count() == 1


def test_a_grown_bucket_replaces_the_alert_figures_without_moving_the_deadline(cast, rule):
    record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW)
    due = Alert.objects.get(uid="u1").ack_due_at
    # The next batch's candidate describes the whole bucket so far: the earlier anchors and two more.
    grown = candidate(
        last_seen=T0 + timedelta(minutes=25),
        anchor_count=5,
        metric_value=9.0,
        evidence_uids=["e1", "e2", "e3", "e4", "e5"],
        evidence_count=5,
    )
    result = record_candidates(cast.org, [grown], rules={"vip_access": rule}, now=NOW + timedelta(minutes=30))
    assert result.updated == 1
    alert = Alert.objects.get(uid="u1")
    assert alert.first_seen == T0
    assert alert.last_seen == T0 + timedelta(minutes=25)
    assert alert.anchor_count == 5
    assert alert.metric_value == 9.0
    assert alert.evidence_uids == ["e1", "e2", "e3", "e4", "e5"]
    assert alert.evidence_count == 5
    assert alert.ack_due_at == due


def test_a_smaller_overlapping_candidate_changes_nothing(cast, rule):
    grown = candidate(anchor_count=5, evidence_uids=["e1", "e2", "e3", "e4", "e5"], evidence_count=5)
    record_candidates(cast.org, [grown], rules={"vip_access": rule}, now=NOW)
    before = Alert.objects.values().get(uid="u1")
    result = record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW + timedelta(minutes=5))
    assert result.updated == 0
    assert Alert.objects.values().get(uid="u1") == before


def test_evidence_is_capped_at_a_thousand(cast, rule):
    record_candidates(
        cast.org, [candidate(evidence_uids=[f"a{i}" for i in range(900)])], rules={"vip_access": rule}, now=NOW
    )
    more = candidate(
        last_seen=T0 + timedelta(hours=1),
        evidence_uids=[f"a{i}" for i in range(900)] + [f"b{i}" for i in range(300)],
        evidence_count=1200,
    )
    record_candidates(cast.org, [more], rules={"vip_access": rule}, now=NOW)
    alert = Alert.objects.get(uid="u1")
    assert len(alert.evidence_uids) == 1000
    assert alert.evidence_uids[-1] == "b99"
    assert alert.evidence_count == 1200


def test_a_closed_alert_is_updated_but_not_reopened(cast, rule):
    record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW)
    Alert.objects.filter(uid="u1").update(status=AlertStatus.FALSE_POSITIVE)
    later = candidate(first_seen=T0 + timedelta(hours=1), last_seen=T0 + timedelta(hours=1))
    result = record_candidates(cast.org, [later], rules={"vip_access": rule}, now=NOW)
    alert = Alert.objects.get(uid="u1")
    assert result.updated == 1
    assert alert.status == AlertStatus.FALSE_POSITIVE
    assert alert.last_seen == T0 + timedelta(hours=1)


def test_group_suppression_silences_only_that_group(cast, rule):
    Suppression.objects.create(
        organization=cast.org,
        rule=rule,
        group_text="user_name=jdoe, patient_id=MRN-7",
        reason="Chart review project",
        starts_at=NOW - timedelta(days=1),
        created_by=cast.owner,
    )
    result = record_candidates(
        cast.org, [candidate("u1"), candidate("u2", user="asmith")], rules={"vip_access": rule}, now=NOW
    )
    assert (result.created, result.suppressed) == (1, 1)
    assert list(Alert.objects.values_list("uid", flat=True)) == ["u2"]


def test_rule_wide_suppression_ends_when_it_ends_or_is_revoked(cast, rule):
    suppression = Suppression.objects.create(
        organization=cast.org,
        rule=rule,
        reason="Tuning",
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(hours=1),
        created_by=cast.owner,
    )
    assert record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW).suppressed == 1
    after_end = record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW + timedelta(hours=2))
    assert after_end.created == 1
    suppression.revoked_at = NOW
    suppression.ends_at = None
    suppression.save()
    assert record_candidates(cast.org, [candidate("u3")], rules={"vip_access": rule}, now=NOW).created == 1


def test_other_organizations_suppression_and_alerts_do_not_count(cast, rule):
    theirs = make_rule(cast.other_org, "vip_access")
    Suppression.objects.create(
        organization=cast.other_org,
        rule=theirs,
        reason="x",
        starts_at=NOW - timedelta(days=1),
        created_by=cast.outsider,
    )
    record_candidates(cast.other_org, [candidate()], rules={"vip_access": theirs}, now=NOW)
    result = record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW)
    assert (result.created, result.suppressed) == (1, 0)
    assert Alert.objects.filter(uid="u1").count() == 1  # theirs was suppressed


def test_first_level_is_emailed_after_commit_without_phi(cast, rule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_candidates(cast.org, [candidate()], rules={"vip_access": rule}, now=NOW)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["owner@clinic.test", "so@clinic.test"]
    assert "VIP record opened" in message.subject
    alert = Alert.objects.get(uid="u1")
    assert f"/o/clinic/activity/alerts/{alert.public_id}/" in message.body
    text = f"{message.subject}\n{message.body}"
    assert "MRN-7" not in text
    assert "jdoe" not in text


def test_unknown_rule_is_a_caller_error(cast, rule):
    with pytest.raises(ValueError, match="nope"):
        record_candidates(cast.org, [candidate(rule_name="nope")], rules={"vip_access": rule}, now=NOW)


def test_query_count_does_not_grow_with_the_number_of_candidates(cast, rule, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        record_candidates(cast.org, [candidate("a0")], rules={"vip_access": rule}, now=NOW)
    many = [candidate(f"b{i}", user=f"user{i}") for i in range(60)]
    with django_assert_max_num_queries(len(one.captured_queries)):
        record_candidates(cast.org, many, rules={"vip_access": rule}, now=NOW)
    updates = [candidate(f"b{i}", user=f"user{i}", first_seen=NOW, last_seen=NOW) for i in range(60)]
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert record_candidates(cast.org, updates, rules={"vip_access": rule}, now=NOW).updated == 60
    assert Alert.objects.count() == 61
