"""Building blocks for activity review tests: sources, rules and alerts in a known state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from safeguard.activity.models import Alert, DetectionRule, LogSource, SourceFormat, SourceKind
from safeguard.core.models import Organization


def make_source(org: Organization, name: str = "EHR", **extra: Any) -> LogSource:
    values: dict[str, Any] = {
        "kind": SourceKind.EHR,
        "format": SourceFormat.EHR_CSV,
        "time_zone": "America/New_York",
        "mapping": {"time": "ACCESS_TIME", "user_name": "USER_ID", "patient_id": "PAT_ID", "action": "METRIC_NAME"},
    }
    values.update(extra)
    return LogSource.objects.create(organization=org, name=name, **values)


BRUTE_FORCE_YAML = """\
title: Failed authentication
name: test_auth_failure
logsource: {product: hipaa_platform, category: authentication}
detection:
  selection: {activity: logon, outcome: failure}
  condition: selection
---
title: Five failed logins for one user in ten minutes
name: test_brute_force
correlation:
  type: event_count
  rules: [test_auth_failure]
  group-by: [user_name]
  timespan: 10m
  condition: {gte: 5}
level: high
"""


def make_rule(org: Organization, name: str = "test_rule", **extra: Any) -> DetectionRule:
    values: dict[str, Any] = {
        "title": name.replace("_", " ").capitalize(),
        "kind": DetectionRule.Kind.DETECTION,
        "level": "high",
        "mode": DetectionRule.Mode.ENABLED,
        "yaml": (
            f"title: {name}\nname: {name}\nlogsource: {{product: hipaa_platform, category: ehr_access}}\n"
            "detection:\n  selection: {patient_vip: true}\n  condition: selection\nlevel: high\n"
        ),
    }
    values.update(extra)
    return DetectionRule.objects.create(organization=org, name=name, **values)


def make_alert(org: Organization, rule: DetectionRule | None = None, **extra: Any) -> Alert:
    rule = rule or make_rule(org)
    now = timezone.now()
    values: dict[str, Any] = {
        "uid": f"{rule.pk}-{Alert.objects.count()}",
        "title": rule.title,
        "severity": rule.level,
        "group_key": {"user_name": "jdoe"},
        "group_text": "user_name=jdoe",
        "bucket_start": now.replace(hour=0, minute=0, second=0, microsecond=0),
        "first_seen": now - timedelta(minutes=5),
        "last_seen": now,
        "ack_due_at": now + timedelta(hours=4),
    }
    values.update(extra)
    return Alert.objects.create(organization=org, rule=rule, **values)
