"""Rule services: upload is all or nothing and may count pack rules; edits validate first and mark pack rules
edited; mode, overrides and suppression are checked; only unused custom rules are deleted; every write audited."""

from __future__ import annotations

import pytest

from safeguard.activity.engine import RuleError
from safeguard.activity.models import DetectionRule
from safeguard.activity.services import rules as services
from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from tests.activity_factories import BRUTE_FORCE_YAML, make_alert, make_rule

pytestmark = pytest.mark.django_db

BAD_FIELD = """\
title: Typo
name: typo_rule
logsource: {product: hipaa_platform, category: ehr_access}
detection:
  selection: {user_nmae: jdoe}
  condition: selection
"""
COUNTS_PACK_RULE = """\
title: Three failures from one host
name: host_failures
correlation:
  type: event_count
  rules: [auth_failure]
  group-by: [src_host]
  timespan: 5m
  condition: {gte: 3}
level: medium
"""


def actor(cast):
    return Actor(user=cast.official)


def upload(cast, text):
    return services.rules_upload(organization=cast.org, actor=actor(cast), yaml_text=text)


def test_upload_stores_every_document_as_a_disabled_custom_rule_and_audits_each(cast):
    created = upload(cast, BRUTE_FORCE_YAML)
    assert [(r.name, r.kind, r.mode, r.origin, r.level) for r in created] == [
        ("test_auth_failure", "detection", "disabled", "custom", "medium"),
        ("test_brute_force", "correlation", "disabled", "custom", "high"),
    ]
    assert created[1].yaml.startswith("title: Five failed logins")
    assert created[1].created_by == cast.official
    audited = AuditEvent.objects.filter(organization=cast.org, action="activity.rule_created")
    assert sorted(event.changes["name"] for event in audited) == ["test_auth_failure", "test_brute_force"]


def test_one_bad_document_refuses_the_whole_text_naming_rule_and_field(cast):
    with pytest.raises(RuleError) as refused:
        upload(cast, BRUTE_FORCE_YAML + "---\n" + BAD_FIELD)
    assert [(p.rule, p.field) for p in refused.value.problems] == [("typo_rule", "detection.selection.user_nmae")]
    assert "user_name" in refused.value.problems[0].message
    assert not DetectionRule.objects.filter(organization=cast.org).exists()
    assert not AuditEvent.objects.filter(action="activity.rule_created").exists()


def test_a_correlation_may_count_a_stored_pack_rule_but_not_another_organizations(cast):
    rule_pack_install(organization=cast.org, actor=actor(cast))
    [created] = upload(cast, COUNTS_PACK_RULE)
    assert created.name == "host_failures"
    with pytest.raises(RuleError) as refused:
        services.rules_upload(organization=cast.other_org, actor=Actor(user=cast.outsider), yaml_text=COUNTS_PACK_RULE)
    assert [(p.rule, p.field) for p in refused.value.problems] == [("host_failures", "correlation.rules[0]")]


def test_a_name_already_used_in_the_organization_is_refused(cast):
    make_rule(cast.org, name="test_auth_failure")
    with pytest.raises(RuleError) as refused:
        upload(cast, BRUTE_FORCE_YAML)
    assert [(p.rule, p.field) for p in refused.value.problems] == [("test_auth_failure", "name")]
    assert DetectionRule.objects.filter(organization=cast.org).count() == 1


def test_editing_a_pack_rule_marks_it_edited_so_pack_updates_keep_it(cast):
    rule_pack_install(organization=cast.org, actor=actor(cast))
    rule = DetectionRule.objects.get(organization=cast.org, name="ehr_vip_record")
    text = rule.yaml.replace("level: high", "level: critical")
    services.rule_yaml_edit(organization=cast.org, actor=actor(cast), rule=rule, yaml_text=text)
    rule.refresh_from_db()
    assert (rule.edited, rule.level, rule.yaml) == (True, "critical", text)
    event = AuditEvent.objects.get(action="activity.rule_edited")
    assert event.changes["level"] == ["high", "critical"] and event.changes["edited"] == [False, True]
    report = rule_pack_install(organization=cast.org, actor=actor(cast))
    assert "ehr_vip_record" in report.kept


def test_an_edit_must_keep_the_name_and_be_valid(cast):
    rule = make_rule(cast.org, name="vip_watch")
    with pytest.raises(RuleError) as renamed:
        services.rule_yaml_edit(
            organization=cast.org, actor=actor(cast), rule=rule, yaml_text=rule.yaml.replace("vip_watch", "other")
        )
    assert renamed.value.problems[0].field == "name"
    with pytest.raises(RuleError):
        services.rule_yaml_edit(organization=cast.org, actor=actor(cast), rule=rule, yaml_text=BAD_FIELD)
    rule.refresh_from_db()
    assert "vip_watch" in rule.yaml and not rule.edited


def test_mode_changes_are_audited_and_the_silent_source_rule_has_no_shadow_mode(cast):
    rule = make_rule(cast.org, mode="disabled")
    services.rule_mode_set(organization=cast.org, actor=actor(cast), rule=rule, mode="shadow")
    assert DetectionRule.objects.get(pk=rule.pk).mode == "shadow"
    assert AuditEvent.objects.get(action="activity.rule_mode_set").changes == {"mode": ["disabled", "shadow"]}
    silent = make_rule(cast.org, name="silent_source", kind="silent_source", yaml="")
    with pytest.raises(ServiceError) as refused:
        services.rule_mode_set(organization=cast.org, actor=actor(cast), rule=silent, mode="shadow")
    assert refused.value.field == "mode"
    with pytest.raises(ServiceError):
        services.rule_mode_set(organization=cast.org, actor=actor(cast), rule=rule, mode="loud")


def test_overrides_apply_to_correlations_only_and_are_checked(cast):
    [_, brute] = upload(cast, BRUTE_FORCE_YAML)
    detection = DetectionRule.objects.get(organization=cast.org, name="test_auth_failure")
    with pytest.raises(ServiceError) as refused:
        services.rule_overrides_set(organization=cast.org, actor=actor(cast), rule=detection, threshold=3)
    assert refused.value.field == "threshold"
    for threshold, timespan, field in (
        (0, None, "threshold"),
        (None, "10 minutes", "timespan"),
        (None, "31d", "timespan"),
    ):
        with pytest.raises(ServiceError) as refused:
            services.rule_overrides_set(
                organization=cast.org, actor=actor(cast), rule=brute, threshold=threshold, timespan=timespan
            )
        assert refused.value.field == field
    services.rule_overrides_set(organization=cast.org, actor=actor(cast), rule=brute, threshold=8, timespan="15m")
    assert DetectionRule.objects.get(pk=brute.pk).overrides == {"threshold": 8, "timespan": "15m"}
    assert AuditEvent.objects.get(action="activity.rule_overrides_set").changes["overrides"] == [
        {},
        {"threshold": 8, "timespan": "15m"},
    ]


def test_suppression_is_bounded_and_blank_restores_the_default(cast):
    rule = make_rule(cast.org)
    with pytest.raises(ServiceError):
        services.rule_suppression_set(organization=cast.org, actor=actor(cast), rule=rule, seconds=30)
    services.rule_suppression_set(organization=cast.org, actor=actor(cast), rule=rule, seconds=3600)
    assert DetectionRule.objects.get(pk=rule.pk).suppression_seconds == 3600
    services.rule_suppression_set(organization=cast.org, actor=actor(cast), rule=rule, seconds=None)
    assert DetectionRule.objects.get(pk=rule.pk).suppression_seconds is None
    assert AuditEvent.objects.filter(action="activity.rule_suppression_set").count() == 2


def test_only_unused_custom_rules_are_deleted(cast):
    rule_pack_install(organization=cast.org, actor=actor(cast))
    pack_rule = DetectionRule.objects.get(organization=cast.org, name="ehr_vip_record")
    with pytest.raises(ServiceError, match="disable it instead"):
        services.rule_delete(organization=cast.org, actor=actor(cast), rule=pack_rule)
    counted, _ = upload(cast, BRUTE_FORCE_YAML)
    with pytest.raises(ServiceError, match="test_brute_force"):
        services.rule_delete(organization=cast.org, actor=actor(cast), rule=counted)
    alerted = make_rule(cast.org, name="alerted", origin="custom")
    make_alert(cast.org, rule=alerted)
    with pytest.raises(ServiceError, match="review evidence"):
        services.rule_delete(organization=cast.org, actor=actor(cast), rule=alerted)
    free = make_rule(cast.org, name="free", origin="custom")
    services.rule_delete(organization=cast.org, actor=actor(cast), rule=free)
    assert not DetectionRule.objects.filter(pk=free.pk).exists()
    assert AuditEvent.objects.get(action="activity.rule_deleted").changes == {"name": "free", "kind": "detection"}
