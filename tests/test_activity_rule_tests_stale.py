"""A rule test left queued (no worker took it) or running (the worker stopped) for more than six hours is marked
failed by the daily chores, once, saying which and telling the tester to run it again; its kept sample is deleted
and a late worker can neither read it nor overwrite the failure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from safeguard.activity.chores_rule_tests import stale_rule_tests_chore
from safeguard.activity.models import RuleTest
from safeguard.activity.services.rule_testing import rule_test_abandon, rule_test_run, rule_test_start
from safeguard.activity.tasks_rule_tests import run_rule_test
from safeguard.core.audit import Actor
from safeguard.core.chores import registered_chores
from safeguard.core.models import AuditEvent, Organization, User
from tests.activity_factories import BRUTE_FORCE_YAML
from tests.conftest import Cast, client_for
from tests.test_activity_rule_testing_samples import failures_ndjson, kept_files, sample

pytestmark = pytest.mark.django_db

QUEUED_FAILURE = "No worker started the test within 6 hours of the request: run the test again."
RUNNING_FAILURE = (
    "The reading stopped after line 40 (no worker finished it within 6 hours of its start): run the test again."
)


def asked(organization: Organization, user: User, hours_ago: float, capture: Any, state: str = "queued") -> RuleTest:
    """A test asked for `hours_ago` (committed, its task not run), left in `state` by a worker that stopped."""
    with capture():
        test = rule_test_start(
            organization=organization,
            actor=Actor(user=user),
            yaml_text=BRUTE_FORCE_YAML,
            source_format="normalized",
            upload=sample(failures_ndjson(6)),
        )
    then = timezone.now() - timedelta(hours=hours_ago)
    started = then if state != "queued" else None
    RuleTest.objects.filter(pk=test.pk).update(tested_at=then, state=state, started_at=started, lines_read=40)
    test.refresh_from_db()
    return test


def abandoned(test: RuleTest) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="activity.rule_test_abandoned", object_id=str(test.public_id)))


def test_tests_queued_or_running_for_more_than_six_hours_fail_saying_which(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    queued = asked(cast.org, cast.official, 7, capture)
    running = asked(cast.other_org, cast.outsider, 7, capture, "running")
    fresh_queued = asked(cast.org, cast.official, 5, capture)
    fresh_running = asked(cast.org, cast.official, 5, capture, "running")
    done = asked(cast.org, cast.official, 30, capture, "done")
    today = timezone.localdate()

    assert stale_rule_tests_chore(today, True) == [
        f"clinic: rule test {queued.public_id} on sample.ndjson (queued) marked failed",
        f"{cast.other_org.slug}: rule test {running.public_id} on sample.ndjson (running) marked failed",
    ]
    assert (
        RuleTest.objects.get(pk=queued.pk).state == "queued"
        and not AuditEvent.objects.filter(action="activity.rule_test_abandoned").exists()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert len(stale_rule_tests_chore(today, False)) == 2
    queued.refresh_from_db()
    running.refresh_from_db()
    assert (queued.state, queued.failure, queued.stored_name) == ("failed", QUEUED_FAILURE, "")
    assert (running.state, running.failure, running.stored_name) == ("failed", RUNNING_FAILURE, "")
    assert queued.finished_at is not None and running.finished_at is not None
    assert kept_files(cast.other_org) == []
    assert len(kept_files(cast.org)) == 3  # the fresh tests' and the done one's (its task never ran) stay
    for test, state in ((fresh_queued, "queued"), (fresh_running, "running"), (done, "done")):
        assert RuleTest.objects.get(pk=test.pk).state == state

    [event] = abandoned(running)
    assert (event.organization, event.actor, event.actor_label) == (
        cast.other_org,
        None,
        "system:activity.stale_rule_tests",
    )
    assert event.changes["state"] == ["running", "failed"] and event.changes["failure"] == [None, RUNNING_FAILURE]
    assert [e.organization for e in abandoned(queued)] == [cast.org]
    assert stale_rule_tests_chore(today, False) == []


def test_the_failure_shows_on_the_page_which_stops_refreshing(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    test = asked(cast.org, cast.official, 7, django_capture_on_commit_callbacks)
    stale_rule_tests_chore(timezone.localdate(), False)
    page = client_for(cast.official).get(reverse("activity:rule_test_detail", args=["clinic", test.public_id]))
    assert f'<p class="error" id="failure">{QUEUED_FAILURE}</p>'.encode() in page.content
    assert b'<meta http-equiv="refresh"' not in page.content


def test_a_late_task_for_an_abandoned_queued_test_reads_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    test = asked(cast.org, cast.official, 7, django_capture_on_commit_callbacks)
    stale_rule_tests_chore(timezone.localdate(), False)
    run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert (test.state, test.failure, test.started_at, test.events_read) == ("failed", QUEUED_FAILURE, None, 0)
    assert not AuditEvent.objects.filter(action__in=["activity.rule_tested", "activity.rule_test_failed"]).exists()


def test_a_worker_that_outlives_the_limit_does_not_overwrite_the_failure(
    cast: Cast, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    test = asked(cast.org, cast.official, 7, django_capture_on_commit_callbacks, "running")
    copy = tmp_path / "sample.ndjson"  # what the slow worker is still reading
    copy.write_bytes(failures_ndjson(6))
    stale_rule_tests_chore(timezone.localdate(), False)
    rule_test_run(test, copy, actor=Actor(user=cast.official))
    assert (test.state, test.failure, test.matches) == ("failed", RUNNING_FAILURE, 0)
    test.refresh_from_db()
    assert (test.state, test.failure, test.matches) == ("failed", RUNNING_FAILURE, 0)
    assert not AuditEvent.objects.filter(action__in=["activity.rule_tested", "activity.rule_test_failed"]).exists()


def test_a_test_a_worker_claimed_meanwhile_is_left_alone(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    test = asked(cast.org, cast.official, 7, django_capture_on_commit_callbacks)
    RuleTest.objects.filter(pk=test.pk).update(state="running", started_at=timezone.now())  # after the chore read it
    with django_capture_on_commit_callbacks(execute=True):
        assert rule_test_abandon(test, actor=Actor.system("activity.stale_rule_tests"), failure="x") is False
    stored = RuleTest.objects.get(pk=test.pk)
    assert (stored.state, stored.failure, stored.stored_name) == ("running", "", test.stored_name)
    assert default_storage.exists(test.stored_name) and abandoned(test) == []


def test_a_finished_test_is_not_abandoned(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    test = asked(cast.org, cast.official, 30, django_capture_on_commit_callbacks, "done")
    assert rule_test_abandon(test, actor=Actor.system("activity.stale_rule_tests"), failure="x") is False
    assert RuleTest.objects.get(pk=test.pk).state == "done" and abandoned(test) == []


def test_the_chore_is_registered() -> None:
    assert registered_chores()["activity.stale_rule_tests"] is stale_rule_tests_chore
