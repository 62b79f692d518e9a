"""The rule test pages: the form checks the rule and the request at once (problems shown, nothing kept), then
redirects to the test's page, which refreshes itself while the test is queued or running and shows the would-be
alerts once done, or why it failed. Managers ask for tests; viewers read them; other organizations' are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.core.models import AuditEvent
from tests.activity_factories import BRUTE_FORCE_YAML, make_source
from tests.conftest import client_for
from tests.test_activity_rule_testing_samples import failures_ndjson, kept_files, sample

pytestmark = pytest.mark.django_db

REFRESH = b'<meta http-equiv="refresh"'


def page(name, *args):
    return reverse(f"activity:{name}", args=["clinic", *args])


def test_testing_a_stored_rule_redirects_to_its_page_which_shows_the_would_be_alerts(
    cast, django_capture_on_commit_callbacks
):
    client = client_for(cast.official)
    client.post(page("rule_upload"), {"yaml": BRUTE_FORCE_YAML})
    brute = DetectionRule.objects.get(name="test_brute_force")
    form = {"rule": str(brute.public_id), "yaml": brute.yaml, "format": "normalized"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page("rule_test"), {**form, "file": sample(failures_ndjson(5), "s.ndjson")})
    test = RuleTest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page("rule_test_detail", test.public_id)
    shown = client.get(response["Location"])
    assert (test.state, test.events_read, test.matches, test.rule) == ("done", 5, 1, brute)
    assert b"user_name=jdoe" in shown.content and REFRESH not in shown.content
    detail = client.get(page("rule_detail", brute.public_id))
    assert [t.pk for t in detail.context["tests"]] == [test.pk]


def test_a_queued_test_page_refreshes_itself_until_the_test_is_done(cast):
    client = client_for(cast.official)
    form = {"yaml": BRUTE_FORCE_YAML, "format": "normalized", "file": sample(failures_ndjson(6))}
    response = client.post(page("rule_test"), form)  # no commit: the task has not run
    queued = client.get(response["Location"])
    assert REFRESH in queued.content and b"Waiting for a worker" in queued.content
    assert queued.context["test"].state == "queued" and b"rule-test-result" not in queued.content
    test = RuleTest.objects.get()
    RuleTest.objects.filter(pk=test.pk).update(state="running", lines_read=123_456)
    running = client.get(response["Location"])
    assert REFRESH in running.content and b'<dd id="lines-read">123456</dd>' in running.content


def test_a_failed_test_shows_why(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.official)
    form = {"yaml": BRUTE_FORCE_YAML, "format": "fhir_audit", "file": sample(b"not a bundle\n")}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page("rule_test"), form)
    shown = client.get(response["Location"])
    assert REFRESH not in shown.content and b"Failed" in shown.content
    assert b'<p class="error" id="failure">This file is not FHIR AuditEvent' in shown.content


def test_an_invalid_rule_or_a_wrong_form_is_answered_on_the_form_and_nothing_is_kept(
    cast, django_capture_on_commit_callbacks
):
    client = client_for(cast.official)
    broken = BRUTE_FORCE_YAML.replace("outcome: failure", "outcme: failure")
    with django_capture_on_commit_callbacks(execute=True):
        problems = client.post(page("rule_test"), {"yaml": broken, "format": "normalized", "file": sample(b"{}\n")})
        no_source = client.post(
            page("rule_test"), {"yaml": BRUTE_FORCE_YAML, "format": "ehr_csv", "file": sample(b"a,b\n", "s.csv")}
        )
    assert problems.status_code == 200 and b"outcme" in problems.content
    assert no_source.status_code == 200
    assert no_source.context["form"].errors["source"] == ["Choose the CSV source whose column mapping reads this file."]
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []
    assert not AuditEvent.objects.filter(action__startswith="activity.rule").exists()


@pytest.mark.parametrize(("who", "status"), [("official", 200), ("auditor", 200), ("workforce", 403)])
def test_a_test_page_needs_view_activity_and_only_managers_are_offered_another_run(cast, who, status):
    test = RuleTest.objects.create(
        organization=cast.org,
        yaml=BRUTE_FORCE_YAML,
        source_format="normalized",
        tested_by=cast.official,
        state="done",
    )
    response = client_for(getattr(cast, who)).get(page("rule_test_detail", test.public_id))
    assert response.status_code == status
    if status == 200:
        assert (b"Test again" in response.content) is (who == "official")


def test_another_organizations_test_and_source_are_not_found(cast):
    theirs = RuleTest.objects.create(
        organization=cast.other_org, yaml=BRUTE_FORCE_YAML, source_format="normalized", tested_by=cast.outsider
    )
    their_source = make_source(cast.other_org, name="Theirs", format="normalized")
    client = client_for(cast.official)
    assert client.get(page("rule_test_detail", theirs.public_id)).status_code == 404
    form = {"yaml": BRUTE_FORCE_YAML, "format": "normalized", "source": str(their_source.public_id)}
    refused = client.post(page("rule_test"), {**form, "file": sample(failures_ndjson(6))})
    assert refused.status_code == 200 and "source" in refused.context["form"].errors
    assert RuleTest.objects.filter(organization=cast.org).count() == 0 and kept_files(cast.org) == []


def test_a_rules_recent_tests_link_to_their_pages_with_their_state_in_a_fixed_number_of_queries(
    cast, django_assert_max_num_queries
):
    client = client_for(cast.official)
    client.post(page("rule_upload"), {"yaml": BRUTE_FORCE_YAML})
    brute = DetectionRule.objects.get(name="test_brute_force")

    def tested(state, matches=0):
        return RuleTest.objects.create(
            organization=cast.org,
            rule=brute,
            yaml=brute.yaml,
            source_format="normalized",
            tested_by=cast.official,
            state=state,
            matches=matches,
        )

    first = tested("done", matches=3)
    with django_assert_max_num_queries(30) as one:
        client.get(page("rule_detail", brute.public_id))
    others = [tested(state) for state in ("queued", "running", "failed", "done")]
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(page("rule_detail", brute.public_id))
    for test in (first, *others):
        assert f'href="{page("rule_test_detail", test.public_id)}"'.encode() in response.content
    rows = response.content.split(b"<h2>Recent tests</h2>")[1].split(b"</table>")[0]
    assert [state.encode() in rows for state in ("Queued", "Running", "Failed", "Done")] == [True] * 4
    assert b"<td>3</td></tr>" in rows and rows.count(b"<td>\xe2\x80\x94</td></tr>") == 3  # no result until done
