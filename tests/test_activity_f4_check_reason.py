"""The tracker is read by roles that may not see activity review: the review check names overdue alerts by rule
title only, never by their group text (the suspected user, or a patient), and links the alert pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from safeguard.activity.checks_review import activity_review_check
from safeguard.tracker.models import Status
from tests.activity_factories import make_alert, make_rule, make_source


def test_overdue_alerts_are_named_by_rule_title_without_group_text(cast: Any) -> None:
    make_source(cast.org, last_received_at=timezone.now() - timedelta(hours=1), review_every_days=7)
    overdue = timezone.now() - timedelta(minutes=5)
    snooping = make_rule(cast.org, "vip_snooping")
    for group in ("user_name=jdoe, patient_id=MRN-9", "user_name=asmith, patient_id=MRN-7"):
        make_alert(cast.org, snooping, group_text=group, ack_due_at=overdue)
    make_alert(
        cast.org,
        make_rule(cast.org, "self_lookup", level="critical"),
        group_text="patient_id=MRN-3",
        ack_due_at=overdue,
    )

    result = activity_review_check(cast.org, timezone.localdate())

    assert result.status == Status.NOT_MET
    assert result.reason == (
        "3 high or critical alerts untriaged past their deadline (rule titles: Vip snooping, Self lookup)."
    )
    text = result.reason + result.next_action + " ".join(record.label for record in result.records)
    for name in ("jdoe", "asmith", "MRN-9", "MRN-7", "MRN-3"):
        assert name not in text
    alert_records = [record for record in result.records if record.type == "activity.alert"]
    assert len(alert_records) == 3
    assert all(record.url.startswith("/o/clinic/activity/alerts/") for record in alert_records)
    assert alert_records[0].label.startswith("Vip snooping (high, raised ")
