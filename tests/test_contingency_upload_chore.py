"""The daily chore that discards backup results uploads nobody will read: refused, failed, or uploaded and never
mapped, after 30 days untouched (a done import's file is deleted when its runs are stored; one left behind goes
too). The import record stays, with its counts, errors, name and SHA-256; one audit event per import; the import
page says when the file was discarded. Dry runs change nothing; each organization's imports are its own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from safeguard.contingency.chores_uploads import discard_unused_backup_uploads
from safeguard.contingency.models import BackupImport
from safeguard.contingency.services.backup_uploads import DISCARDED, UNUSED_DISCARDED
from safeguard.core.audit import Actor
from safeguard.core.chores import registered_chores
from safeguard.core.models import AuditEvent, Organization
from tests.conftest import Cast, client_for

pytestmark = pytest.mark.django_db
State = BackupImport.State
ERRORS = [{"row": 3, "field": "finished", "reason": "Not a time."}]


def kept_upload(
    organization: Organization, state: str, *, days_ago: int, name: str = "runs.csv", **values: object
) -> BackupImport:
    created = timezone.now() - timedelta(days=days_ago)
    stored = default_storage.save(f"backup-results/test/{name}", ContentFile(b"asset,job\nEHR,nightly\n"))
    finished = created if state in (State.REFUSED, State.FAILED, State.DONE) else None
    fields: dict[str, object] = {
        "organization": organization,
        "channel": BackupImport.Channel.UPLOAD,
        "state": state,
        "file_name": name,
        "file_format": "csv",
        "stored_name": stored,
        "sha256": "a" * 64,
        "created_at": created,
        "finished_at": finished,
        **values,
    }
    return BackupImport.objects.create(**fields)


def run_chore(dry_run: bool = False) -> list[str]:
    return discard_unused_backup_uploads(timezone.localdate(), dry_run)


def test_the_chore_is_registered():
    assert registered_chores()["contingency.backup_uploads"] is discard_unused_backup_uploads


def test_an_old_refused_upload_is_discarded_and_its_record_kept(cast: Cast):
    refused = kept_upload(cast.org, State.REFUSED, days_ago=40, rows_read=5, rejected=1, errors=ERRORS)
    stored = refused.stored_name
    created = timezone.localdate(refused.created_at)
    assert run_chore() == [f"clinic: discarded the backup results upload runs.csv (refused, {created:%Y-%m-%d})"]
    assert not default_storage.exists(stored)
    refused.refresh_from_db()
    assert (refused.stored_name, refused.state, refused.rows_read, refused.rejected) == ("", State.REFUSED, 5, 1)
    assert (refused.errors, refused.file_name, refused.sha256) == (ERRORS, "runs.csv", "a" * 64)
    [event] = AuditEvent.objects.filter(action=DISCARDED)
    assert (event.organization, event.object_id, event.actor) == (cast.org, str(refused.public_id), None)
    assert event.actor_label == "system:contingency.backup_uploads"
    assert event.changes == {"stored_file": ["runs.csv", None]}
    assert run_chore() == []  # idempotent


def test_a_recent_refused_upload_is_kept(cast: Cast):
    recent = kept_upload(cast.org, State.REFUSED, days_ago=29)
    assert run_chore() == []
    assert default_storage.exists(recent.stored_name)


def test_a_refused_upload_read_again_recently_counts_from_that_reading(cast: Cast):
    reread = kept_upload(cast.org, State.REFUSED, days_ago=60, finished_at=timezone.now() - timedelta(days=3))
    assert run_chore() == []
    assert default_storage.exists(reread.stored_name)


def test_failed_and_untouched_queued_uploads_are_discarded_and_running_ones_kept(cast: Cast):
    failed = kept_upload(cast.org, State.FAILED, days_ago=31, name="failed.csv", failure="Reading stopped.")
    queued = kept_upload(cast.org, State.QUEUED, days_ago=31, name="queued.csv")
    running = kept_upload(cast.org, State.RUNNING, days_ago=31, name="running.csv", started_at=timezone.now())
    read_some = kept_upload(cast.org, State.QUEUED, days_ago=31, name="some.csv", rows_read=10)
    assert len(run_chore()) == 2
    failed.refresh_from_db()
    queued.refresh_from_db()
    assert (failed.stored_name, failed.state, failed.failure) == ("", State.FAILED, "Reading stopped.")
    # A queued import without its file can never start: it fails, saying what to do.
    assert (queued.stored_name, queued.state, queued.failure) == ("", State.FAILED, UNUSED_DISCARDED)
    assert queued.finished_at is not None
    queued_event = AuditEvent.objects.get(action=DISCARDED, object_id=str(queued.public_id))
    assert queued_event.changes["state"] == [State.QUEUED, State.FAILED]
    for untouched in (running, read_some):
        untouched.refresh_from_db()
        assert untouched.stored_name and default_storage.exists(untouched.stored_name)


def test_a_done_imports_leftover_file_goes_too_as_the_reader_would_have_deleted_it(cast: Cast):
    leftover = kept_upload(cast.org, State.DONE, days_ago=31, inserted=3)
    fresh = kept_upload(cast.org, State.DONE, days_ago=2, name="fresh.csv")
    assert len(run_chore()) == 1
    leftover.refresh_from_db()
    assert (leftover.stored_name, leftover.state, leftover.inserted) == ("", State.DONE, 3)
    assert default_storage.exists(fresh.stored_name)


def test_a_dry_run_changes_nothing(cast: Cast):
    refused = kept_upload(cast.org, State.REFUSED, days_ago=40)
    queued = kept_upload(cast.org, State.QUEUED, days_ago=40, name="queued.csv")
    before = AuditEvent.objects.count()
    lines = run_chore(dry_run=True)
    assert [line.split(" (")[0] for line in lines] == [
        "clinic: would discard the backup results upload runs.csv",
        "clinic: would discard the backup results upload queued.csv",
    ]
    for batch in (refused, queued):
        state = batch.state
        batch.refresh_from_db()
        assert batch.state == state and default_storage.exists(batch.stored_name)
    assert AuditEvent.objects.count() == before


def test_each_organizations_imports_are_handled_on_their_own(cast: Cast):
    ours_old = kept_upload(cast.org, State.REFUSED, days_ago=40, name="ours.csv")
    theirs_old = kept_upload(cast.other_org, State.REFUSED, days_ago=40, name="theirs.csv")
    theirs_recent = kept_upload(cast.other_org, State.REFUSED, days_ago=1, name="theirs-new.csv")
    lines = run_chore()
    assert [line.split(" (")[0] for line in lines] == [
        "clinic: discarded the backup results upload ours.csv",
        "other: discarded the backup results upload theirs.csv",
    ]
    events = {event.object_id: event.organization for event in AuditEvent.objects.filter(action=DISCARDED)}
    assert events == {str(ours_old.public_id): cast.org, str(theirs_old.public_id): cast.other_org}
    assert default_storage.exists(theirs_recent.stored_name)


def _on_day(moment: datetime) -> str:
    return f"{timezone.localdate(moment):%Y-%m-%d}"


def test_the_import_page_says_when_the_file_was_discarded(cast: Cast):
    refused = kept_upload(cast.org, State.REFUSED, days_ago=40, errors=ERRORS, rejected=1)
    url = f"/o/clinic/contingency/backups/imports/{refused.public_id}/"
    assert "Read again with this mapping" in client_for(cast.official).get(url).content.decode()
    run_chore()
    event = AuditEvent.objects.get(action=DISCARDED)
    for reader in (cast.official, cast.auditor):
        page = client_for(reader).get(url).content.decode()
        assert f"File discarded on {_on_day(event.occurred_at)}" in page
        assert "Read again with this mapping" not in page and "Not a time." in page
    assert client_for(cast.workforce).get(url).status_code == 403
    assert (
        client_for(cast.outsider).get(f"/o/other/contingency/backups/imports/{refused.public_id}/").status_code == 404
    )


def test_a_refused_upload_mapped_anew_waits_for_the_reader_and_is_kept(cast: Cast):
    # As backup_import_start leaves it: queued again with its mapping, its finish and start cleared.
    remapped = kept_upload(cast.org, State.QUEUED, days_ago=40, mapping={"asset": "asset", "job": "job"})
    assert run_chore() == []
    remapped.refresh_from_db()
    assert (remapped.state, default_storage.exists(remapped.stored_name)) == (State.QUEUED, True)


def test_a_record_whose_file_is_gone_is_refused_with_a_clear_message_not_a_crash(cast: Cast):
    from safeguard.contingency.services.backup_import import backup_import_execute, stored_file_opener

    lost = kept_upload(cast.org, State.QUEUED, days_ago=1, mapping={"asset": "asset", "job": "job"})
    default_storage.delete(lost.stored_name)
    done = backup_import_execute(lost, stored_file_opener(lost), actor=Actor.system("test"))
    assert (done.state, done.failure) == (State.REFUSED, "The uploaded file is no longer kept: upload it again.")
