"""The rules API: list/detail/create/patch/delete, validate, install the pack (testing on a sample:
test_activity_rule_testing_api.py); view-activity reads, manage-activity changes; other organizations' rules are
404; lists are a fixed number of queries."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.core.models import AuditEvent
from tests.activity_factories import BRUTE_FORCE_YAML, make_alert, make_rule
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(name, org="clinic", **kwargs):
    return reverse(f"api:{name}", kwargs={"org_slug": org, **kwargs})


def post_json(client, target, body):
    return client.post(target, json.dumps(body), content_type="application/json")


def patch_json(client, target, body):
    return client.patch(target, json.dumps(body), content_type="application/json")


def failures_ndjson(count, user="jdoe"):
    lines = [
        {
            "time": f"2024-01-15T10:0{index}:00Z",
            "event_class": "authentication",
            "activity": "logon",
            "outcome": "failure",
            "user_name": user,
            "src_ip": "203.0.113.5",
            "event_uid": f"{user}-{index}",
        }
        for index in range(count)
    ]
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def test_list_shows_alert_counts_filters_and_stays_at_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    vip = make_rule(cast.org, name="vip")
    for _ in range(3):
        make_alert(cast.org, rule=vip)
    for index in range(5):
        make_rule(cast.org, name=f"shadow_{index}", mode="shadow")
    make_rule(cast.other_org, name="elsewhere")
    client = client_for(cast.auditor)
    with django_assert_max_num_queries(8):
        response = client.get(url("activity_rules"))
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"vip", *(f"shadow_{i}" for i in range(5))}
    assert rows["vip"]["alert_count"] == 3 and rows["shadow_0"]["alert_count"] == 0
    shadow = client.get(url("activity_rules"), {"mode": "shadow"}).json()["results"]
    assert len(shadow) == 5
    assert client.get(url("activity_rules"), {"mode": "loud"}).status_code == 400


def test_create_uploads_all_documents_or_reports_each_problem(cast):
    client = client_for(cast.official)
    response = post_json(client, url("activity_rules"), {"yaml": BRUTE_FORCE_YAML})
    assert response.status_code == 201
    assert [row["name"] for row in response.json()] == ["test_auth_failure", "test_brute_force"]
    bad = BRUTE_FORCE_YAML.replace("test_auth_failure", "other_failure").replace("test_brute_force", "other_brute")
    bad = bad.replace("outcome: failure", "outcom: failure")
    refused = post_json(client, url("activity_rules"), {"yaml": bad})
    assert refused.status_code == 400
    problems = refused.json()["error"]["problems"]
    assert [(p["rule"], p["field"]) for p in problems] == [
        ("other_failure", "detection.selection.outcom"),
        ("other_brute", "correlation.rules[0]"),  # it counts the broken rule
    ]
    assert DetectionRule.objects.filter(organization=cast.org).count() == 2


def test_patch_changes_mode_overrides_suppression_together_and_yaml_problems_change_nothing(cast):
    client = client_for(cast.owner)
    post_json(client, url("activity_rules"), {"yaml": BRUTE_FORCE_YAML})
    rule = DetectionRule.objects.get(organization=cast.org, name="test_brute_force")
    target = url("activity_rule", rule_id=rule.public_id)
    response = patch_json(client, target, {"mode": "enabled", "threshold": 8, "suppression_seconds": 3600})
    assert response.status_code == 200
    body = response.json()
    assert (body["mode"], body["overrides"], body["suppression_seconds"]) == ("enabled", {"threshold": 8}, 3600)
    refused = patch_json(client, target, {"mode": "shadow", "yaml": "title: [broken"})
    assert refused.status_code == 400 and refused.json()["error"]["problems"]
    assert DetectionRule.objects.get(pk=rule.pk).mode == "enabled"
    bad_span = patch_json(client, target, {"timespan": "soon"})
    assert bad_span.status_code == 400 and "timespan" in bad_span.json()["error"]["fields"]


def test_delete_removes_a_custom_rule_and_refuses_a_pack_rule(cast):
    client = client_for(cast.official)
    custom = make_rule(cast.org, name="mine", origin="custom")
    pack = make_rule(cast.org, name="ehr_vip_record", origin="pack")
    assert client.delete(url("activity_rule", rule_id=custom.public_id)).status_code == 204
    refused = client.delete(url("activity_rule", rule_id=pack.public_id))
    assert refused.status_code == 400
    assert list(DetectionRule.objects.filter(organization=cast.org).values_list("name", flat=True)) == [
        "ehr_vip_record"
    ]


def test_validate_answers_200_with_the_problems_and_saves_nothing(cast):
    client = client_for(cast.auditor)
    good = post_json(client, url("activity_rules_validate"), {"yaml": BRUTE_FORCE_YAML})
    assert good.status_code == 200 and good.json() == {"valid": True, "problems": []}
    bad = post_json(
        client, url("activity_rules_validate"), {"yaml": BRUTE_FORCE_YAML.replace("[test_auth_failure]", "[nope]")}
    )
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert [(p["rule"], p["field"]) for p in bad.json()["problems"]] == [("test_brute_force", "correlation.rules[0]")]
    assert not DetectionRule.objects.exists()


def test_pack_install_reports_what_it_did(cast):
    client = client_for(cast.official)
    dry = post_json(client, url("activity_rules_pack"), {"dry_run": True})
    assert dry.status_code == 200 and len(dry.json()["created"]) == 31
    assert not DetectionRule.objects.exists()
    done = post_json(client, url("activity_rules_pack"), {})
    assert len(done.json()["created"]) == 31
    assert DetectionRule.objects.filter(organization=cast.org).count() == 31
    again = post_json(client, url("activity_rules_pack"), {}).json()
    assert again["created"] == [] and len(again["unchanged"]) == 31


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_roles_without_manage_activity_change_nothing(cast, who):
    rule = make_rule(cast.org, name="vip", mode="disabled")
    client = client_for(getattr(cast, who))
    reading = 200 if who == "auditor" else 403
    assert client.get(url("activity_rules")).status_code == reading
    assert client.get(url("activity_rule", rule_id=rule.public_id)).status_code == reading
    assert post_json(client, url("activity_rules_validate"), {"yaml": BRUTE_FORCE_YAML}).status_code == reading
    assert post_json(client, url("activity_rules"), {"yaml": BRUTE_FORCE_YAML}).status_code == 403
    assert patch_json(client, url("activity_rule", rule_id=rule.public_id), {"mode": "enabled"}).status_code == 403
    assert client.delete(url("activity_rule", rule_id=rule.public_id)).status_code == 403
    assert post_json(client, url("activity_rules_pack"), {}).status_code == 403
    sample = SimpleUploadedFile("s.ndjson", failures_ndjson(5))
    test = client.post(url("activity_rules_test"), {"yaml": BRUTE_FORCE_YAML, "format": "normalized", "file": sample})
    assert test.status_code == 403
    assert list(DetectionRule.objects.values_list("name", "mode")) == [("vip", "disabled")]
    assert not AuditEvent.objects.filter(action__startswith="activity.rule").exists()
    assert not RuleTest.objects.exists()


def test_another_organizations_rule_is_not_found_and_its_list_is_closed(cast):
    theirs = make_rule(cast.other_org, name="theirs")
    client = client_for(cast.owner)
    target = url("activity_rule", rule_id=theirs.public_id)
    assert client.get(target).status_code == 404
    assert patch_json(client, target, {"mode": "disabled"}).status_code == 404
    assert client.delete(target).status_code == 404
    assert client.get(url("activity_rules", org="other")).status_code == 404
    assert DetectionRule.objects.get(pk=theirs.pk).mode == "enabled"
