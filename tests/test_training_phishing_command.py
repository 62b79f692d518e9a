"""`manage.py phishing_import`: every format from the command line, the page's checks with errors by row and
column, --dry-run, --campaign by name (an existing one or a new one), --campaign-id, --vendor, --time-zone,
--map and --as, and an exit status that says whether anything was committed."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from safeguard.training.models import PhishingCampaign, PhishingResult
from tests import training_factories as train
from tests.conftest import Cast, make_member
from tests.test_training_phishing_support import (
    EVENTS_HEADER,
    at,
    campaign_json,
    csv_bytes,
    events_csv,
    roster,
    spring_events,
    spring_results_csv,
)


def run(tmp_path: Path, data: bytes, *args: str, name: str = "spring.csv") -> tuple[str, int]:
    path = tmp_path / name
    path.write_bytes(data)
    out = StringIO()
    try:
        call_command("phishing_import", str(path), "--org", "clinic", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def test_an_events_file_is_committed_into_a_new_campaign(cast: Cast, tmp_path: Path) -> None:
    roster(cast.org)

    output, status = run(tmp_path, events_csv(), "--format", "gophish-events", "--campaign", "Spring lure")

    assert status == 0
    assert "Recipients in the file: 10\n" in output and "Not on the roster (kept without a person): 2\n" in output
    assert output.endswith("Committed: 10 created, 0 updated.\n")
    assert PhishingCampaign.objects.get().name == "Spring lure"
    assert AuditEvent.objects.get(action="training.phishing_results.imported").actor_label == "system:cli"


def test_dry_run_checks_every_row_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    output, status = run(tmp_path, events_csv(), "--format", "gophish-events", "--dry-run")

    assert status == 0
    assert "A new campaign: “Spring lure”" not in output  # the events file names no campaign: GoPhish's id does
    assert "A new campaign: “GoPhish campaign 7”: 1\n" in output
    assert output.endswith("Dry run: all 28 rows are clean. Nothing committed.\n")
    assert not PhishingCampaign.objects.exists() and not AuditEvent.objects.filter(action="import.committed").exists()


def test_errors_are_printed_by_row_and_column_and_exit_1(cast: Cast, tmp_path: Path) -> None:
    rows = spring_events()
    rows[2][3] = "Email Forwarded"
    rows[4][2] = "soon"

    for extra in ((), ("--dry-run",)):
        output, status = run(tmp_path, csv_bytes(EVENTS_HEADER, rows), "--format", "gophish-events", *extra)

        assert status == 1
        assert "row 4, column message: 'Email Forwarded' is not a GoPhish timeline message" in output
        assert "row 6, column time: 'soon' is not a time" in output
        assert output.endswith("Nothing committed: 2 errors in 2 rows.")
    assert not PhishingCampaign.objects.exists()


def test_campaign_by_name_adds_to_an_existing_campaign(cast: Cast, tmp_path: Path) -> None:
    existing = train.campaign(cast.org, "Spring Lure", launched_at=None)

    output, status = run(tmp_path, spring_results_csv(), "--format", "gophish-results", "--campaign", "spring lure")

    assert status == 0
    assert PhishingCampaign.objects.get() == existing
    assert existing.results.count() == 10


def test_campaign_by_id_and_a_json_file(cast: Cast, tmp_path: Path) -> None:
    existing = train.campaign(cast.org, "Chosen")

    output, status = run(
        tmp_path, campaign_json(), "--format", "gophish-json", "--campaign-id", str(existing.public_id), name="c.json"
    )
    missing, missing_status = run(
        tmp_path, campaign_json(), "--format", "gophish-json", "--campaign-id", "not-a-uuid", name="c.json"
    )

    assert status == 0 and existing.results.count() == 10
    assert (missing_status, missing) == (1, "Nothing committed: No such phishing campaign in this organization.")


def test_a_results_file_needs_its_campaign(cast: Cast, tmp_path: Path) -> None:
    output, status = run(tmp_path, spring_results_csv(), "--format", "gophish-results")

    assert (status, output) == (1, "Nothing committed: Choose the campaign these results belong to, or name a new one.")


def test_another_vendors_file_with_its_mapping_zone_and_vendor(cast: Cast, tmp_path: Path) -> None:
    data = csv_bytes(["Who", "Outcome", "Sent"], [["a@clinic.test", "clicked", "2026-03-02 08:00"]])

    refused, refused_status = run(tmp_path, data, "--format", "generic", "--campaign", "Acme lure")
    output, status = run(
        tmp_path,
        data,
        "--format",
        "generic",
        "--campaign",
        "Acme lure",
        "--vendor",
        "Acme",
        "--time-zone",
        "America/Chicago",
        "--map",
        "email=Who",
        "--map",
        "status=Outcome",
        "--map",
        "sent_at=Sent",
    )

    assert (refused_status, refused) == (
        1,
        "Nothing committed: Name the vendor whose tool ran the campaign, e.g. KnowBe4.",
    )
    assert status == 0
    result = PhishingResult.objects.get()
    assert result.sent_at is not None
    assert (result.status, result.sent_at.isoformat(), result.campaign.vendor) == (
        "clicked",
        "2026-03-02T14:00:00+00:00",
        "Acme",
    )


def test_acting_as_a_member_who_may_not_import_is_refused(cast: Cast, tmp_path: Path) -> None:
    make_member(cast.org, "viewer@clinic.test", Role.REVIEWER)

    output, status = run(tmp_path, events_csv(), "--format", "gophish-events", "--as", "viewer@clinic.test")
    as_official, official_status = run(tmp_path, events_csv(), "--format", "gophish-events", "--as", "so@clinic.test")

    assert (status, output) == (1, "viewer@clinic.test is not a current member of clinic who may run this import.")
    assert official_status == 0
    assert AuditEvent.objects.get(action="training.phishing_results.imported").actor == cast.official


def test_a_file_of_the_wrong_kind_is_refused(cast: Cast, tmp_path: Path) -> None:
    output, status = run(tmp_path, events_csv(), "--format", "gophish-json")
    late, late_status = run(
        tmp_path, csv_bytes(EVENTS_HEADER, [["7", "a@clinic.test", at(0), "Email Sent", ""]]), "--format", "nope"
    )

    assert (status, output) == (1, "Upload a .json file.")
    assert late_status == 1 and "invalid choice: 'nope'" in late
