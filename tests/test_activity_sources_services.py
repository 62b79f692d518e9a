"""Source services: validation messages, audit, tokens (hash only, shown once), uploads."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.activity.models import ActivitySettings, IngestBatch, IngestToken, LogSource
from safeguard.activity.services.sources import (
    source_create,
    source_set_active,
    source_update,
    token_create,
    token_hash,
    upload_start,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset
from tests.activity_factories import make_source
from tests.conftest import Cast
from tests.test_activity_ingestion_fakes import Fakes, install_fakes


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return install_fakes(monkeypatch)


CSV_MAP = {"time": "ACCESS_TIME", "user_name": "USER_ID", "action": "METRIC_NAME"}


def _create(cast: Cast, **values: object) -> LogSource:
    defaults: dict[str, object] = {"name": "EHR", "kind": "ehr", "format": "ehr_csv", "mapping": CSV_MAP}
    return source_create(organization=cast.org, actor=Actor(cast.owner), **{**defaults, **values})


def test_create_audits_and_raises_the_reference_version(cast: Cast) -> None:
    source = _create(cast, time_zone="America/Chicago")
    assert (source.name, source.time_zone, source.mapping) == ("EHR", "America/Chicago", CSV_MAP)
    event = AuditEvent.objects.get(action="activity.source_created")
    assert event.changes["name"] == [None, "EHR"]
    assert ActivitySettings.objects.get(organization=cast.org).reference_version == 1


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "'Mars/Olympus' is not a time zone: use an IANA name"),
        ({"mapping": {"time": "T"}}, "mapping", "A CSV source needs the column for user_name, action"),
        ({"mapping": {**CSV_MAP, "colour": "C"}}, "mapping", "keys the CSV parser does not read: colour."),
        (
            {"mapping": {**CSV_MAP, "patient_id": "USER_ID"}},
            "mapping",
            "The column 'USER_ID' is mapped to two fields: user_name, patient_id.",
        ),
        ({"name": "  "}, "name", "Name the source"),
        ({"kind": "fax"}, "kind", "Choose the kind"),
    ],
)
def test_create_refusals_name_the_field(cast: Cast, values: dict, field: str, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        _create(cast, **values)
    assert refused.value.field == field
    assert message in refused.value.message
    assert not LogSource.objects.exists()


def test_name_unique_case_ignored(cast: Cast) -> None:
    _create(cast)
    with pytest.raises(ServiceError, match="Another source is already named “ehr”"):
        _create(cast, name="ehr")


def test_asset_of_another_organization_refused(cast: Cast) -> None:
    theirs = Asset.objects.create(organization=cast.other_org, name="Their EHR", kind="application")
    with pytest.raises(ServiceError, match="No such asset") as refused:
        _create(cast, asset=theirs)
    assert refused.value.field == "asset"


def test_non_csv_source_keeps_no_mapping(cast: Cast) -> None:
    assert _create(cast, format="okta", kind="identity", mapping={"junk": 1}).mapping == {}


def test_update_changes_given_fields_and_audits_the_difference(cast: Cast) -> None:
    source = _create(cast)
    source_update(organization=cast.org, actor=Actor(cast.owner), source=source, silent_after_hours=6)
    source.refresh_from_db()
    assert (source.silent_after_hours, source.name) == (6, "EHR")
    assert AuditEvent.objects.get(action="activity.source_updated").changes == {"silent_after_hours": [24, 6]}


def test_deactivate_then_token_and_upload_refused(cast: Cast) -> None:
    source = _create(cast)
    source_set_active(organization=cast.org, actor=Actor(cast.owner), source=source, active=False)
    source.refresh_from_db()
    assert not source.is_active
    with pytest.raises(ServiceError, match="deactivated"):
        token_create(organization=cast.org, actor=Actor(cast.owner), source=source, name="x")
    with pytest.raises(ServiceError, match="deactivated"):
        upload_start(
            organization=cast.org, actor=Actor(cast.owner), source=source, upload=SimpleUploadedFile("a.csv", b"x")
        )


def test_token_keeps_only_the_hash(cast: Cast) -> None:
    source = make_source(cast.org)
    token, key = token_create(organization=cast.org, actor=Actor(cast.owner), source=source, name="Fluent Bit")
    assert key.startswith("sgi_") and token.prefix == key[:12]
    stored = IngestToken.objects.get()
    assert stored.key_hash == token_hash(key) == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(AuditEvent.objects.get(action="activity.ingest_token_created").changes)


def test_upload_is_kept_until_the_task_reads_it(cast: Cast, fakes: Fakes, django_capture_on_commit_callbacks) -> None:
    source = make_source(cast.org)
    data = b'{"uid": "a", "time": "2026-03-02T10:00:00+00:00"}\n{"bad": true}\n'
    with django_capture_on_commit_callbacks() as callbacks:
        batch = upload_start(
            organization=cast.org, actor=Actor(cast.owner), source=source, upload=SimpleUploadedFile("log.ndjson", data)
        )
    assert (batch.state, batch.file_name, batch.size_bytes) == ("queued", "log.ndjson", len(data))
    assert batch.sha256 == hashlib.sha256(data).hexdigest()
    with default_storage.open(batch.stored_name) as handle:
        assert handle.read() == data
    stored_name = batch.stored_name
    for callback in callbacks:
        callback()  # the task runs now (the immediate backend)
    batch.refresh_from_db()
    assert (batch.state, batch.accepted, batch.rejected, batch.stored_name) == ("done", 1, 1, "")
    assert not default_storage.exists(stored_name)
    assert fakes.store.uids == {"a"}


def test_upload_past_the_limit_refused(cast: Cast, settings) -> None:
    settings.ACTIVITY_UPLOAD_MAX_BYTES = 4 * 2**20
    source = make_source(cast.org)
    with pytest.raises(ServiceError, match="larger than the 4 MB") as refused:
        upload_start(
            organization=cast.org,
            actor=Actor(cast.owner),
            source=source,
            upload=SimpleUploadedFile("big.csv", b"x" * (4 * 2**20 + 1)),
        )
    assert refused.value.field == "file"
    assert not IngestBatch.objects.exists()
