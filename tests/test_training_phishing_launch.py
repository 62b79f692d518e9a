"""A campaign's launch when the file has no send times: a status-only file needs "launched on" (page, API and
command), is refused without it with nothing written, and the campaign it launches is then seen by the remedial
rule and the trend; "launched on" is refused for results that give send times, and when it is not a past day. A
re-import that changes nothing is refused, and the command exits 1."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from safeguard.core.imports import ImportRefused, importer_for
from safeguard.core.models import AuditEvent, FileImport
from safeguard.core.services.file_imports import ImportRejected
from safeguard.training import phishing_metrics as metrics
from safeguard.training.models import Assignment, AudienceKind, PhishingCampaign, PhishingResult
from safeguard.training.phishing_import import KIND_EVENTS, KIND_GENERIC
from safeguard.training.services.assignment_rules import assignments_sync
from tests import access_factories as make
from tests import training_factories as train
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, error_of
from tests.test_training_phishing_support import csv_bytes, events_csv, run

STATUSES = csv_bytes(["Email", "Result"], [["dana@clinic.test", "Clicked"], ["eli@clinic.test", "Delivered"]])
NEW = {"name": "Statuses only", "vendor": "Acme", "time_zone": "UTC"}
NO_LAUNCH = "The file gives no time the emails were sent, so the campaign has no launch date: give “launched on”"
HAS_TIMES = "The results give the time each email was sent, and the launch is the first of them"


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def test_a_status_only_file_is_refused_without_a_launch_and_nothing_is_written(cast: Cast) -> None:
    with pytest.raises(ImportRejected) as refused:
        run(cast.org, cast.owner, KIND_GENERIC, STATUSES, NEW)

    assert refused.value.failure.startswith(NO_LAUNCH)
    assert not PhishingCampaign.objects.exists() and not PhishingResult.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="training.phishing").exists()


def test_with_launched_on_the_remedial_rule_and_the_trend_see_the_campaign(cast: Cast) -> None:
    course = train.course(cast.org, "PHISH-101", kind="remedial")
    train.rule(course, audience=AudienceKind.PHISHING_CLICKERS, due_days=14, starts_on=date(2026, 1, 1))
    dana = make.person(cast.org, "E-1", email="dana@clinic.test")

    run(cast.org, cast.owner, KIND_GENERIC, STATUSES, {**NEW, "launched_on": "2026-03-02"})
    assignments_sync(organization=cast.org, today=date(2026, 3, 20))

    campaign = PhishingCampaign.objects.get()
    assert campaign.launched_at == start_of(date(2026, 3, 2))
    assigned = Assignment.objects.get(person=dana, course=course)
    assert (assigned.window_start, assigned.status) == (date(2026, 3, 2), Assignment.Status.OPEN)
    assert [point.name for point in metrics.campaign_trend(cast.org)] == ["Statuses only"]


def test_a_campaign_already_launched_takes_a_status_only_file_without_a_launch(cast: Cast) -> None:
    launched = train.campaign(cast.org, "Launched", launched_at=start_of(date(2026, 3, 2)), source="other", vendor="A")

    checked, outcome = run(
        cast.org, cast.owner, KIND_GENERIC, STATUSES, {"campaign": str(launched.public_id), "time_zone": "UTC"}
    )

    launched.refresh_from_db()
    assert (outcome.created, launched.launched_at) == (2, start_of(date(2026, 3, 2)))


def test_launched_on_is_refused_when_the_results_give_send_times(cast: Cast) -> None:
    with pytest.raises(ImportRejected) as refused:
        run(cast.org, cast.owner, KIND_EVENTS, events_csv(), {"name": "Spring", "launched_on": "2026-03-01"})

    assert refused.value.failure.startswith(HAS_TIMES)
    assert not PhishingCampaign.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "“Launched on” must be a date, e.g. 2026-03-02, not 'soon'."),
        ("tomorrow", "“Launched on” cannot be in the future."),
    ],
)
def test_launched_on_must_be_a_day_that_has_come(cast: Cast, value: str, message: str) -> None:
    if value == "tomorrow":
        value = (timezone.localdate() + timedelta(days=1)).isoformat()

    with pytest.raises(ImportRefused) as refused:
        importer_for(KIND_GENERIC).clean_options(cast.org, {**NEW, "launched_on": value})

    assert (refused.value.message, refused.value.field) == (message, "launched_on")


def test_the_import_page_takes_the_launch_and_shows_a_bad_one_on_its_field(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(cast.owner)
    posted = {"file_format": KIND_GENERIC, **NEW}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    future = client.post(
        reverse("training:phishing_import", args=["clinic"]),
        {**posted, "launched_on": tomorrow, "file": SimpleUploadedFile("s.csv", STATUSES)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("training:phishing_import", args=["clinic"]),
            {**posted, "launched_on": "2026-03-02", "file": SimpleUploadedFile("s.csv", STATUSES)},
        )
    job = FileImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:file_import_commit", args=["clinic", job.public_id]))

    assert future.context["form"].errors == {"launched_on": ["“Launched on” cannot be in the future."]}
    job.refresh_from_db()
    assert (job.state, job.options["launched_on"]) == (FileImport.State.COMMITTED, "2026-03-02")
    assert PhishingCampaign.objects.get().launched_at == start_of(date(2026, 3, 2))


def test_the_api_takes_the_launch_and_names_the_field_of_a_bad_one(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_client(cast.owner)
    path = "/api/v1/orgs/clinic/training/phishing-imports/"
    posted = {"format": "generic", **NEW}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    future = client.post(
        path, {**posted, "launched_on": tomorrow, "file": SimpleUploadedFile("s.csv", STATUSES)}, format="multipart"
    )
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            path, {**posted, "launched_on": "2026-03-02", "file": SimpleUploadedFile("s.csv", STATUSES)}
        )

    assert future.status_code == 400
    assert error_of(future)["fields"] == {"launched_on": ["“Launched on” cannot be in the future."]}
    assert started.status_code == 201 and started.json()["options"]["launched_on"] == "2026-03-02"
    assert FileImport.objects.get().state == FileImport.State.READY


def command(tmp_path: Path, data: bytes, *args: str) -> tuple[str, int]:
    path = tmp_path / "statuses.csv"
    path.write_bytes(data)
    out = StringIO()
    try:
        call_command("phishing_import", str(path), "--org", "clinic", "--format", "generic", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def test_the_command_needs_launched_on_and_exits_1_when_nothing_is_new(cast: Cast, tmp_path: Path) -> None:
    args = ("--campaign", "Statuses only", "--vendor", "Acme", "--time-zone", "UTC")

    missing, missing_status = command(tmp_path, STATUSES, *args)
    output, status = command(tmp_path, STATUSES, *args, "--launched-on", "2026-03-02")
    again, again_status = command(tmp_path, STATUSES, *args)

    assert missing_status == 1 and missing.startswith(f"Nothing committed: {NO_LAUNCH}")
    assert status == 0 and output.endswith("Committed: 2 created, 0 updated.\n")
    assert (again_status, again) == (
        1,
        "Nothing committed: Nothing new: every recipient in the file is already recorded as it is.",
    )
    assert PhishingResult.objects.count() == 2
