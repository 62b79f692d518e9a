"""The HIPAA rule pack as Sigma: every document parses and validates with pySigma, references resolve, fields
are ones the rule view has, and the index, ids, levels and citations are what the pack promises."""

from __future__ import annotations

import uuid

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule

from safeguard.activity.rule_pack_files import citation_from_tag, load_pack, rule_pack, split_documents
from safeguard.activity.schema import RULE_FIELDS, SIGMA_CATEGORIES, SIGMA_PRODUCT


def collection() -> SigmaCollection:
    found = SigmaCollection.from_yaml("\n---\n".join(rule.yaml for rule in rule_pack().rules), collect_errors=True)
    found.resolve_rule_references()
    return found


def detection_fields(detection: SigmaDetection | SigmaDetectionItem) -> set[str]:
    if isinstance(detection, SigmaDetectionItem):
        fields = {detection.field} if detection.field else set()
        for value in detection.value:
            referenced = getattr(value, "field", None)  # fieldref values name another field
            if isinstance(referenced, str):
                fields.add(referenced)
        return fields
    found: set[str] = set()
    for item in detection.detection_items:
        found |= detection_fields(item)
    return found


def test_every_pack_document_parses_without_errors_and_references_resolve():
    rules = collection()
    assert rules.errors == []
    assert [rule.errors for rule in rules.rules if rule.errors] == []
    assert len(rules.rules) == len(rule_pack().rules) == 30
    for rule in rules.rules:
        if isinstance(rule, SigmaCorrelationRule):
            assert all(isinstance(reference.rule, SigmaRule | SigmaCorrelationRule) for reference in rule.rules or [])


def test_detections_use_the_platform_logsource_and_rule_view_fields():
    for rule in collection().rules:
        if isinstance(rule, SigmaRule):
            assert rule.logsource.product == SIGMA_PRODUCT
            assert rule.logsource.category in SIGMA_CATEGORIES
            fields = set().union(*(detection_fields(d) for d in rule.detection.detections.values()))
            assert fields, rule.name
            assert fields <= RULE_FIELDS.keys(), (rule.name, fields - RULE_FIELDS.keys())
        else:
            fields = set(rule.group_by or [])
            counted = getattr(rule.condition, "fieldref", None)
            if isinstance(counted, str):
                fields.add(counted)
            assert fields <= RULE_FIELDS.keys(), (rule.name, fields - RULE_FIELDS.keys())


def test_the_pack_covers_the_issue_and_sets_the_agreed_levels_and_modes():
    pack = rule_pack().by_name()
    expected_levels = {
        "auth_brute_force_user": "high",
        "auth_brute_force_ip": "high",
        "auth_password_spray": "critical",
        "ehr_vip_record": "high",
        "ehr_own_record": "high",
        "ehr_same_surname": "high",
        "ehr_after_termination": "high",
        "auth_after_termination": "high",
        "ehr_break_glass": "medium",
    }
    assert {name: pack[name].level for name in expected_levels} == expected_levels
    assert pack["ehr_outside_network"].mode == "disabled"
    assert pack["ehr_not_on_roster"].mode == "shadow"
    assert pack["ehr_workstation_many_users"].mode == "shadow"
    assert all(rule.mode == "disabled" for rule in pack.values() if rule.base)
    assert pack["auth_success_after_failures"].kind == "correlation"
    assert rule_pack().silent_source["level"] == "high"


def test_ids_are_fixed_unique_uuids_and_every_rule_cites_the_regulation():
    rules = rule_pack().rules
    ids = [rule.sigma_id for rule in rules]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(value)) == value for value in ids)
    for rule in rules:
        document = yaml.safe_load(rule.yaml)
        assert document["author"] == "Safeguard"
        assert rule.citations, rule.name
        assert all(reference.startswith("45 CFR 164.") for reference in document["references"])
        assert document["falsepositives"]


def test_tags_become_catalog_citations():
    assert citation_from_tag("hipaa.164.308.a.1.ii.D") == "164.308(a)(1)(ii)(D)"
    assert citation_from_tag("hipaa.164.312.b") == "164.312(b)"
    assert citation_from_tag("attack.t1110") is None
    assert rule_pack().by_name()["auth_password_spray"].citations == ("164.308(a)(5)(ii)(C)", "164.308(a)(1)(ii)(D)")


def test_split_documents_drops_leading_comments_and_empty_documents():
    text = "# header\n\ntitle: a\nname: a\n---\n---\n# note\ntitle: b\n"
    assert split_documents(text) == ["title: a\nname: a\n", "title: b\n"]


def test_an_index_naming_a_rule_no_file_holds_is_refused(tmp_path):
    (tmp_path / "pack.yml").write_text(
        "version: '1'\nfiles: [a.yml]\nrules: {a: {mode: enabled}, b: {mode: enabled}}\n"
        "silent_source: {title: t, description: d, level: high, citations: []}\n"
    )
    (tmp_path / "a.yml").write_text("title: A\nname: a\nlogsource: {product: hipaa_platform}\n")
    with pytest.raises(ValueError, match="names rules no file holds: b"):
        load_pack(tmp_path)
