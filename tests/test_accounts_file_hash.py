"""A snapshot names the file it came from by its SHA-256, whether it was uploaded or imported by the command."""

from __future__ import annotations

import hashlib
from pathlib import Path

from safeguard.access.models import AccountSnapshot
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_accounts_command import LIST, run
from tests.test_accounts_support import Capture, ehr, pipeline


def test_the_command_records_the_files_hash_on_the_snapshot(cast: Cast, tmp_path: Path) -> None:
    make.person(cast.org, "E-1", name="Dana Reyes")
    ehr(cast)
    output, status = run(tmp_path, "--system", "ehr", "--taken-at", "2026-03-02T09:00")
    assert status == 0, output
    assert AccountSnapshot.objects.get().sha256 == hashlib.sha256(LIST.encode()).hexdigest()


def test_an_upload_records_the_same_hash_as_its_import(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    make.person(cast.org, "E-1", name="Dana Reyes")
    ehr(cast)
    job = pipeline(cast, django_capture_on_commit_callbacks, LIST)
    assert job.state == "committed", job.failure
    assert AccountSnapshot.objects.get().sha256 == job.sha256 == hashlib.sha256(LIST.encode()).hexdigest()
