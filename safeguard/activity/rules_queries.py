"""Reads of detection rules that the rule pages and the API share."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.core.models import Organization

RECENT_TESTS = 10


def rules_listed(organization: Organization, *, mode: str = "", kind: str = "") -> QuerySet[DetectionRule]:
    """The organization's rules by name, each with `alert_count`; filtered by mode and kind when given."""
    rules = DetectionRule.objects.filter(organization=organization)
    if mode:
        rules = rules.filter(mode=mode)
    if kind:
        rules = rules.filter(kind=kind)
    return rules.annotate(alert_count=Count("alerts")).order_by("name", "pk")


def rule_with_counts(rule: DetectionRule) -> DetectionRule:
    found: DetectionRule = rules_listed(rule.organization).get(pk=rule.pk)
    return found


def recent_tests(rule: DetectionRule) -> QuerySet[RuleTest]:
    return RuleTest.objects.filter(organization=rule.organization, rule=rule).select_related("tested_by")[:RECENT_TESTS]
