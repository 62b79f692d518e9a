"""Rule tests over the API: the request and the rule are checked at once (400, nothing kept); otherwise 202 with the
test's address, which answers its state, progress and, once the background task has run, the would-be alerts.
Reading a test needs view-activity; other organizations' tests and sources are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.core.models import AuditEvent
from tests.activity_factories import BRUTE_FORCE_YAML, make_source
from tests.conftest import client_for
from tests.test_activity_rule_testing_samples import failures_ndjson, kept_files, sample

pytestmark = pytest.mark.django_db


def url(name, org="clinic", **kwargs):
    return reverse(f"api:{name}", kwargs={"org_slug": org, **kwargs})


def ask(client, content, **extra):
    body = {"yaml": BRUTE_FORCE_YAML, "format": "normalized", "file": sample(content), **extra}
    return client.post(url("activity_rules_test"), body)


def test_a_test_answers_202_with_its_address_and_runs_after_the_commit(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.official)
    with django_capture_on_commit_callbacks() as queued:
        response = ask(client, failures_ndjson(6) + b"not json\n")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["url"] == response["Location"]
    assert body["url"].endswith(url("activity_rule_test", test_id=body["public_id"]))
    assert (body["state"], body["lines_read"], body["results"]) == ("queued", 0, [])
    assert len(kept_files(cast.org)) == 1  # kept until the task has read it

    for callback in queued:
        callback()
    done = client.get(body["url"]).json()
    assert (done["state"], done["lines_read"], done["events_read"], done["rejected"], done["matches"]) == (
        "done",
        7,
        6,
        1,
        1,
    )
    [result] = done["results"]
    assert (result["rule"], result["group_key"]) == ("test_brute_force", {"user_name": "jdoe"})
    assert result["anchors"] == 2  # the fifth and the sixth failure each complete five in ten minutes
    # The evidence: all six failures of the window, each named with its (sample) source.
    assert result["evidence_count"] == 6 and len(result["evidence_uids"]) == 6
    assert done["errors"][0]["line"] == 7 and done["finished_at"] is not None
    test = RuleTest.objects.get(public_id=body["public_id"])
    assert (test.tested_by, test.organization, test.stored_name) == (cast.official, cast.org, "")
    assert kept_files(cast.org) == []
    assert not DetectionRule.objects.exists()
    actions = list(AuditEvent.objects.filter(organization=cast.org).values_list("action", flat=True))
    assert sorted(actions) == ["activity.rule_test_requested", "activity.rule_tested"]


def test_a_near_miss_would_raise_nothing(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, failures_ndjson(4))
    done = client.get(response.json()["url"]).json()
    assert (done["state"], done["events_read"], done["matches"], done["results"]) == ("done", 4, 0, [])


def test_a_file_not_of_its_format_fails_with_the_reason(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, b"<xml>not an audit event</xml>\n", format="fhir_audit")
    done = client.get(response.json()["url"]).json()
    assert done["state"] == "failed"
    assert done["failure"].startswith("This file is not FHIR AuditEvent"), done["failure"]
    assert (done["matches"], done["results"]) == (0, [])
    assert AuditEvent.objects.filter(action="activity.rule_test_failed").count() == 1
    assert kept_files(cast.org) == []


def test_an_invalid_rule_is_answered_at_once_and_nothing_is_kept(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, failures_ndjson(6), yaml=BRUTE_FORCE_YAML.replace("outcome: failure", "outcme: failure"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rule" and "outcme" in error["problems"][0]["field"]
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []
    assert not AuditEvent.objects.filter(action__startswith="activity.rule").exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"format": "ehr_csv"}, "source_id", "Choose the CSV source"),
        ({"format": "okta", "source": True}, "format", "The source EHR reads"),
    ],
)
def test_a_wrong_request_names_its_field_and_keeps_nothing(cast, extra, field, message):
    source = make_source(cast.org)
    values = {k: v for k, v in extra.items() if k != "source"}
    if extra.get("source"):
        values["source_id"] = str(source.public_id)
    response = ask(client_for(cast.official), failures_ndjson(6), **values)
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field][0].startswith(message), response.content
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []


def test_a_file_over_the_upload_limit_is_refused(cast, settings):
    settings.ACTIVITY_UPLOAD_MAX_BYTES = 2 * 2**20
    client = client_for(cast.official)
    too_big = ask(client, b" " * (2 * 2**20 + 1))
    assert too_big.status_code == 400
    assert too_big.json()["error"]["fields"]["file"] == ["A sample file has at most 2 MB."]
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []


def test_another_organizations_source_and_test_are_not_found(cast):
    theirs = make_source(cast.other_org, name="Theirs", format="normalized")
    client = client_for(cast.official)
    assert ask(client, failures_ndjson(6), source_id=str(theirs.public_id)).status_code == 404
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []
    test = RuleTest.objects.create(
        organization=cast.other_org, yaml=BRUTE_FORCE_YAML, source_format="normalized", tested_by=cast.outsider
    )
    assert client.get(url("activity_rule_test", test_id=test.public_id)).status_code == 404
    assert client.get(url("activity_rule_test", org="other", test_id=test.public_id)).status_code == 404


@pytest.mark.parametrize(("who", "status"), [("official", 200), ("auditor", 200), ("workforce", 403)])
def test_reading_a_test_needs_view_activity(cast, who, status, django_assert_max_num_queries):
    test = RuleTest.objects.create(
        organization=cast.org, yaml=BRUTE_FORCE_YAML, source_format="normalized", tested_by=cast.official
    )
    client = client_for(getattr(cast, who))
    with django_assert_max_num_queries(12):
        response = client.get(url("activity_rule_test", test_id=test.public_id))
    assert response.status_code == status
    if status == 200:
        assert (response.json()["state"], response.json()["rule_id"]) == ("queued", None)


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_asking_for_a_test_needs_manage_activity(cast, who, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client_for(getattr(cast, who)), failures_ndjson(6))
    assert response.status_code == 403
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []
    assert not AuditEvent.objects.filter(action__startswith="activity.rule").exists()
