"""Writes ask for one evaluation per transaction, however many of them ask, and never lose one to a rollback."""

from __future__ import annotations

import pytest
from django.db import transaction
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from safeguard.core.services.evaluation import request_evaluation_on_commit
from tests.conftest import Cast


def test_many_requests_in_one_transaction_register_one_callback(
    cast: Cast, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(50):
            request_evaluation_on_commit(cast.org, "test.write")
        request_evaluation_on_commit(cast.other_org, "test.write")
    assert len(callbacks) == 2


def test_a_request_in_a_rolled_back_savepoint_does_not_swallow_a_later_one(
    cast: Cast, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            request_evaluation_on_commit(cast.org, "test.rolled_back")
            raise RuntimeError("the change is undone")
        request_evaluation_on_commit(cast.org, "test.kept")
    assert len(callbacks) == 1


def test_requests_from_writes_in_separate_savepoints_register_one_callback(
    cast: Cast, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # How an import writes: each row through a service with its own atomic block.
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(20):
            with transaction.atomic():
                request_evaluation_on_commit(cast.org, "test.row")
    assert len(callbacks) == 1


def test_a_request_outside_any_savepoint_covers_those_made_inside_one(
    cast: Cast, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        request_evaluation_on_commit(cast.org, "test.outer")
        with transaction.atomic():
            request_evaluation_on_commit(cast.org, "test.inner")
    assert len(callbacks) == 1
