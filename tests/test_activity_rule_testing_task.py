"""The rule test task: it claims the test (queued → running) so a doubled or retried task reads nothing twice,
saves the lines read as the parser goes, removes the file when done, and records every failure on the test with
its reason: the rule or its source changed since the test was asked for, the file is gone, or an unexpected error
(which is raised as well, for the worker's log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from safeguard.activity.models import DetectionRule, RuleTest
from safeguard.activity.parsers.base import Chunk, SourceConfig
from safeguard.activity.parsers.normalized import NormalizedParser
from safeguard.activity.services import rule_testing
from safeguard.activity.services.rule_testing import rule_test_start
from safeguard.activity.services.rules import rules_upload
from safeguard.activity.tasks_rule_tests import run_rule_test
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.activity_factories import BRUTE_FORCE_YAML, make_source
from tests.conftest import Cast
from tests.test_activity_rule_testing_samples import failures_ndjson, kept_files, sample

pytestmark = pytest.mark.django_db

AUTH_FAILURE_YAML, CORRELATION_YAML = BRUTE_FORCE_YAML.split("---\n")


def queued(cast: Cast, content: bytes, django_capture_on_commit_callbacks: Any, **values: Any) -> RuleTest:
    """A test asked for and committed, whose task has not run yet."""
    arguments: dict[str, Any] = {"yaml_text": BRUTE_FORCE_YAML, "source_format": "normalized", **values}
    with django_capture_on_commit_callbacks():
        return rule_test_start(
            organization=cast.org, actor=Actor(user=cast.official), upload=sample(content), **arguments
        )


def failures(test: RuleTest) -> list[str]:
    return list(
        AuditEvent.objects.filter(action="activity.rule_test_failed", object_id=str(test.public_id)).values_list(
            "action", flat=True
        )
    )


def test_a_doubled_task_reads_the_file_once(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks)
    run_rule_test.call(test.pk)
    run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert (test.state, test.events_read, test.matches, test.stored_name) == ("done", 6, 1, "")
    assert test.started_at is not None and test.finished_at is not None
    assert AuditEvent.objects.filter(action="activity.rule_tested").count() == 1
    assert kept_files(cast.org) == []


def test_the_lines_read_are_saved_as_the_parser_goes(
    cast: Cast, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(NormalizedParser, "chunk_rows", 2)
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks)
    seen: list[tuple[str, int]] = []
    real = rule_testing.parser_for

    class Watched:
        """The real parser, noting the saved progress each time it is asked for the next chunk."""

        def __init__(self, source_format: str) -> None:
            self.inner = real(source_format)
            self.name, self.version = self.inner.name, self.inner.version

        def parse(self, path: Path, config: SourceConfig) -> Iterator[Chunk]:
            for chunk in self.inner.parse(path, config):
                yield chunk
                saved = RuleTest.objects.get(pk=test.pk)
                seen.append((saved.state, saved.lines_read))

    monkeypatch.setattr(rule_testing, "parser_for", Watched)
    run_rule_test.call(test.pk)
    assert seen == [("running", 2), ("running", 4), ("running", 6)]
    test.refresh_from_db()
    assert (test.state, test.lines_read, test.matches) == ("done", 6, 1)


def test_an_unexpected_error_fails_the_test_naming_the_line_and_reaches_the_worker(
    cast: Cast, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rule_testing, "evaluate", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert (test.state, test.failure, test.lines_read, test.stored_name) == (
        "failed",
        "Stopped after line 6: disk full",
        6,
        "",
    )
    assert failures(test) == ["activity.rule_test_failed"]
    assert kept_files(cast.org) == []


def test_a_rule_that_no_longer_validates_fails_with_its_problems(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    rules_upload(organization=cast.org, actor=Actor(user=cast.official), yaml_text=AUTH_FAILURE_YAML)
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks, yaml_text=CORRELATION_YAML)
    DetectionRule.objects.filter(name="test_auth_failure").delete()  # what the correlation counted is gone
    run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert test.state == "failed"
    assert test.failure.startswith("The rule no longer validates: test_brute_force: correlation.rules"), test.failure
    assert "test_auth_failure" in test.failure
    assert failures(test) == ["activity.rule_test_failed"]


def test_a_source_that_changed_format_fails_the_test(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    source = make_source(cast.org, format="normalized", mapping={})
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks, source=source)
    source.format = "okta"
    source.save(update_fields=["format"])
    run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert (test.state, test.failure) == ("failed", "The source EHR reads Okta System Log (JSON).")


def test_a_test_that_cannot_be_recorded_leaves_no_file_behind(
    cast: Cast, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**kwargs: Any) -> None:
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(rule_testing, "audit_record", refused)
    with pytest.raises(RuntimeError, match="audit trail unavailable"):
        queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks)
    assert not RuleTest.objects.exists() and kept_files(cast.org) == []


def test_a_file_gone_from_storage_fails_the_test(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks)
    default_storage.delete(test.stored_name)
    run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert (test.state, test.failure, test.stored_name) == (
        "failed",
        "The sample file is no longer in storage: run the test again.",
        "",
    )
    assert failures(test) == ["activity.rule_test_failed"]


def test_a_draft_of_a_stored_rule_is_tuned_as_the_rule_is(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    [_, brute] = rules_upload(organization=cast.org, actor=Actor(user=cast.official), yaml_text=BRUTE_FORCE_YAML)
    DetectionRule.objects.filter(pk=brute.pk).update(overrides={"threshold": 7})
    brute.refresh_from_db()
    test = queued(cast, failures_ndjson(6), django_capture_on_commit_callbacks, yaml_text=brute.yaml, rule=brute)
    run_rule_test.call(test.pk)
    test.refresh_from_db()
    assert (test.state, test.events_read, test.matches) == ("done", 6, 0)  # six failures miss a threshold of seven
