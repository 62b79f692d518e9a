"""Rule pages: the list and a rule for viewers; upload, edit, mode, tuning, delete, test and the pack for
managers (a test's run and page: test_activity_rule_testing_pages.py); other organizations' rules are 404, roles
without the permission 403 and change nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.core.models import AuditEvent
from tests.activity_factories import BRUTE_FORCE_YAML, make_alert, make_rule
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def page(name, *args):
    return reverse(f"activity:{name}", args=["clinic", *args])


def test_list_paginates_filters_and_keeps_a_fixed_query_count(cast, django_assert_max_num_queries):
    vip = make_rule(cast.org, name="vip_rule")
    make_alert(cast.org, rule=vip)
    make_alert(cast.org, rule=vip)
    for index in range(60):
        make_rule(cast.org, name=f"rule_{index:02d}", mode="shadow")
    client = client_for(cast.auditor)
    with django_assert_max_num_queries(12):
        response = client.get(page("rule_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 61
    assert len(response.context["page"].object_list) == 50
    enabled = client.get(page("rule_list"), {"mode": "enabled"})
    assert [rule.name for rule in enabled.context["page"].object_list] == ["vip_rule"]
    assert enabled.context["page"].object_list[0].alert_count == 2
    assert b"Install or update the HIPAA rule pack" not in response.content  # the auditor cannot


def test_detail_shows_yaml_citations_and_the_forms_to_managers(cast):
    rule = make_rule(cast.org, name="vip_rule", citations=["164.308(a)(1)(ii)(D)"])
    response = client_for(cast.official).get(page("rule_detail", rule.public_id))
    assert response.status_code == 200
    assert b"45 CFR 164.308(a)(1)(ii)(D)" in response.content
    assert b"patient_vip: true" in response.content
    assert b"Save tuning" in response.content
    read_only = client_for(cast.auditor).get(page("rule_detail", rule.public_id))
    assert b"Save tuning" not in read_only.content and b"patient_vip: true" in read_only.content


def test_upload_adds_every_document_or_lists_the_problems_per_rule_and_field(cast):
    client = client_for(cast.official)
    bad = BRUTE_FORCE_YAML.replace("[test_auth_failure]", "[missing_rule]")
    refused = client.post(page("rule_upload"), {"yaml": bad})
    assert refused.status_code == 200
    assert [(p.rule, p.field) for p in refused.context["problems"]] == [("test_brute_force", "correlation.rules[0]")]
    assert b"no rule named missing_rule" in refused.content
    assert not DetectionRule.objects.exists()
    upload = SimpleUploadedFile("rules.yml", BRUTE_FORCE_YAML.encode())
    response = client.post(page("rule_upload"), {"yaml": "", "file": upload})
    assert response.status_code == 302
    assert sorted(DetectionRule.objects.values_list("name", "mode")) == [
        ("test_auth_failure", "disabled"),
        ("test_brute_force", "disabled"),
    ]


def test_edit_mode_tuning_and_delete_go_through_the_services(cast):
    client = client_for(cast.owner)
    client.post(page("rule_upload"), {"yaml": BRUTE_FORCE_YAML})
    brute = DetectionRule.objects.get(name="test_brute_force")
    edited = client.post(page("rule_edit", brute.public_id), {"yaml": brute.yaml.replace("gte: 5", "gte: 6")})
    assert edited.status_code == 302
    client.post(page("rule_set_mode", brute.public_id), {"mode": "enabled"})
    client.post(page("rule_tune", brute.public_id), {"threshold": "7", "timespan": "15m", "suppression_seconds": ""})
    brute.refresh_from_db()
    assert ("gte: 6" in brute.yaml, brute.mode, brute.overrides) == (
        True,
        "enabled",
        {"threshold": 7, "timespan": "15m"},
    )
    bad_tuning = client.post(page("rule_tune", brute.public_id), {"timespan": "later"}, follow=True)
    assert b"Write the time span" in bad_tuning.content
    client.post(page("rule_delete", brute.public_id))
    assert not DetectionRule.objects.filter(pk=brute.pk).exists()
    actions = set(AuditEvent.objects.filter(organization=cast.org).values_list("action", flat=True))
    assert {"activity.rule_edited", "activity.rule_mode_set", "activity.rule_overrides_set"} <= actions
    assert "activity.rule_deleted" in actions


def test_pack_button_installs_the_pack(cast):
    response = client_for(cast.official).post(page("rule_pack"), follow=True)
    assert b"31 created" in response.content
    assert DetectionRule.objects.filter(organization=cast.org, origin="pack").count() == 31


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_roles_without_manage_activity_cannot_change_rules(cast, who):
    rule = make_rule(cast.org, name="vip_rule", mode="disabled", origin="custom")
    client = client_for(getattr(cast, who))
    reading = 200 if who == "auditor" else 403
    assert client.get(page("rule_list")).status_code == reading
    assert client.get(page("rule_detail", rule.public_id)).status_code == reading
    for name, args, data in (
        ("rule_upload", (), {"yaml": BRUTE_FORCE_YAML}),
        ("rule_edit", (rule.public_id,), {"yaml": rule.yaml}),
        ("rule_set_mode", (rule.public_id,), {"mode": "enabled"}),
        ("rule_tune", (rule.public_id,), {"suppression_seconds": "3600"}),
        ("rule_delete", (rule.public_id,), {}),
        ("rule_pack", (), {}),
        ("rule_test", (), {"yaml": rule.yaml, "format": "normalized"}),
    ):
        assert client.post(page(name, *args), data).status_code == 403, name
    assert list(DetectionRule.objects.values_list("name", "mode", "suppression_seconds")) == [
        ("vip_rule", "disabled", None)
    ]
    assert not AuditEvent.objects.filter(action__startswith="activity.rule").exists()
    assert not RuleTest.objects.exists()


def test_another_organizations_rule_is_not_found(cast):
    theirs = make_rule(cast.other_org, name="theirs", origin="custom")
    client = client_for(cast.owner)
    assert client.get(page("rule_detail", theirs.public_id)).status_code == 404
    assert client.post(page("rule_set_mode", theirs.public_id), {"mode": "disabled"}).status_code == 404
    assert client.post(page("rule_delete", theirs.public_id)).status_code == 404
    assert client.get(page("rule_test") + f"?rule={theirs.public_id}").status_code == 404
    assert DetectionRule.objects.get(pk=theirs.pk).mode == "enabled"
