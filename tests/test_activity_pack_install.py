"""Installing and updating the HIPAA rule pack: created in the pack's modes, edited and custom rules kept,
unedited ones updated without losing the organization's tuning, a dry run writes nothing, every install audited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from safeguard.activity.models import DetectionRule
from safeguard.activity.rule_pack_files import rule_pack
from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.activity_factories import make_rule

pytestmark = pytest.mark.django_db


def install(cast, **extra):
    return rule_pack_install(organization=cast.org, actor=Actor(user=cast.official), **extra)


def test_first_install_creates_every_rule_in_its_mode_and_the_silent_source_rule(cast):
    report = install(cast)
    rules = {rule.name: rule for rule in DetectionRule.objects.filter(organization=cast.org)}
    assert len(report.created) == 31 and report.updated == report.kept == []
    assert set(rules) == {rule.name for rule in rule_pack().rules} | {"silent_source"}
    assert rules["auth_password_spray"].mode == "enabled"
    assert rules["auth_password_spray"].level == "critical"
    assert rules["auth_password_spray"].kind == "correlation"
    assert rules["auth_failure"].mode == "disabled"
    assert rules["ehr_not_on_roster"].mode == "shadow"
    assert rules["ehr_outside_network"].mode == "disabled"
    silent = rules["silent_source"]
    assert (silent.kind, silent.level, silent.yaml, silent.mode) == ("silent_source", "high", "", "enabled")
    assert rules["ehr_vip_record"].citations == ["164.308(a)(1)(ii)(D)", "164.308(a)(4)(ii)(B)"]
    assert {rule.origin for rule in rules.values()} == {"pack"}
    assert {rule.pack_version for rule in rules.values()} == {rule_pack().version}
    event = AuditEvent.objects.get(organization=cast.org, action="activity.rule_pack_installed")
    assert len(event.changes["created"]) == 31
    assert not DetectionRule.objects.filter(organization=cast.other_org).exists()


def test_second_install_changes_nothing_and_writes_no_audit_event(cast):
    install(cast)
    report = install(cast)
    assert report.created == report.updated == [] and len(report.unchanged) == 31
    assert AuditEvent.objects.filter(action="activity.rule_pack_installed").count() == 1


def test_update_rewrites_unedited_rules_keeps_tuning_and_leaves_edited_and_custom_ones(cast):
    install(cast)
    DetectionRule.objects.filter(organization=cast.org, name="auth_brute_force_user").update(
        mode="shadow", overrides={"threshold": 8}, suppression_seconds=3600
    )
    DetectionRule.objects.filter(organization=cast.org, name="ehr_vip_record").update(edited=True, yaml="mine")
    DetectionRule.objects.filter(organization=cast.org, name="ehr_print_volume").delete()
    make_rule(cast.org, name="ehr_print_volume", origin="custom", yaml="custom text")
    pack = rule_pack()
    newer = replace(
        pack,
        version="2099.1",
        rules=tuple(
            replace(rule, yaml=rule.yaml.replace("level: high", "level: critical"), level="critical")
            if rule.level == "high"
            else rule
            for rule in pack.rules
        ),
    )
    report = install(cast, pack=newer)
    brute = DetectionRule.objects.get(organization=cast.org, name="auth_brute_force_user")
    assert "auth_brute_force_user" in report.updated
    assert (brute.level, brute.mode, brute.overrides, brute.suppression_seconds) == (
        "critical",
        "shadow",
        {"threshold": 8},
        3600,
    )
    assert brute.pack_version == "2099.1" and "level: critical" in brute.yaml
    assert sorted(report.kept) == ["ehr_print_volume", "ehr_vip_record"]
    assert DetectionRule.objects.get(organization=cast.org, name="ehr_vip_record").yaml == "mine"
    assert DetectionRule.objects.get(organization=cast.org, name="ehr_print_volume").yaml == "custom text"
    assert "auth_failure" in report.unchanged  # level low: nothing changed
    assert DetectionRule.objects.get(organization=cast.org, name="auth_failure").pack_version == "2099.1"


def test_dry_run_reports_what_would_change_and_writes_nothing(cast):
    report = install(cast, dry_run=True)
    assert len(report.created) == 31
    assert not DetectionRule.objects.filter(organization=cast.org).exists()
    assert not AuditEvent.objects.filter(action="activity.rule_pack_installed").exists()
