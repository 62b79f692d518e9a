"""Phishing pages over HTTP: who may read and change what, another organization's campaigns not found, the import
page feeding the shared import job page, editing and deleting campaigns, the results filters, and query counts
that do not grow with campaigns or recipients."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import AuditEvent, FileImport, User
from safeguard.training.models import PhishingCampaign, PhishingOutcome, PhishingResult
from safeguard.training.phishing_import import KIND_EVENTS, KIND_JSON, KIND_RESULTS
from tests import training_factories as train
from tests.conftest import Cast, client_for
from tests.test_training_phishing_support import campaign_json, events_csv, roster, spring

READERS = [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)]
WRITERS = [("owner", 200), ("official", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404)]


def user_of(cast: Cast, who: str) -> User:
    return {
        "owner": cast.owner,
        "official": cast.official,
        "auditor": cast.auditor,
        "workforce": cast.workforce,
        "outsider": cast.outsider,
    }[who]


def url(name: str, *args: Any, org: str = "clinic") -> str:
    return reverse(f"training:{name}", args=[org, *args])


def campaign_with_results(cast: Cast, name: str = "Spring", recipients: int = 3) -> PhishingCampaign:
    campaign = train.campaign(cast.org, name)
    for n in range(recipients):
        status = PhishingOutcome.CLICKED if n % 2 else PhishingOutcome.SENT
        train.phishing_result(campaign, f"r{n}@clinic.test", status=status, reported=n % 3 == 0, department="Nursing")
    return campaign


# ---- who may reach what ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_program_viewers_read_the_phishing_pages(cast: Cast, who: str, expected: int) -> None:
    campaign = campaign_with_results(cast)
    client = client_for(user_of(cast, who))

    pages = [url("phishing_campaign_list"), url("phishing_trend"), url("phishing_campaign_detail", campaign.public_id)]

    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, expected)


def test_signed_out_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(url("phishing_campaign_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_only_program_managers_import_edit_and_delete(cast: Cast, who: str, expected: int) -> None:
    full = campaign_with_results(cast, "Full")
    empty = train.campaign(cast.org, "Empty")
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    pages = {
        "import page": client.get(url("phishing_import")).status_code,
        "edit page": client.get(url("phishing_campaign_edit", full.public_id)).status_code,
        "edit": client.post(url("phishing_campaign_edit", full.public_id), {"name": "Renamed"}).status_code,
        "delete": client.post(url("phishing_campaign_delete", empty.public_id), {"confirm": "on"}).status_code,
        "upload": client.post(
            url("phishing_import"),
            {"file_format": KIND_EVENTS, "name": "Uploaded", "file": SimpleUploadedFile("s.csv", events_csv())},
        ).status_code,
    }

    if expected == 200:
        assert pages == {"import page": 200, "edit page": 200, "edit": 302, "delete": 302, "upload": 302}
        return
    assert pages == dict.fromkeys(pages, expected)
    assert set(PhishingCampaign.objects.values_list("name", flat=True)) == {"Full", "Empty"}
    assert not FileImport.objects.exists()
    assert AuditEvent.objects.count() == before


def test_another_organizations_campaigns_are_not_found(cast: Cast) -> None:
    elsewhere = campaign_with_results(cast)
    elsewhere.organization = cast.other_org
    elsewhere.save()
    PhishingResult.objects.update(organization=cast.other_org)
    client = client_for(cast.owner)

    responses = [
        client.get(url("phishing_campaign_detail", elsewhere.public_id)),
        client.get(url("phishing_campaign_edit", elsewhere.public_id)),
        client.post(url("phishing_campaign_delete", elsewhere.public_id), {"confirm": "on"}),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert "Spring" not in client.get(url("phishing_campaign_list")).content.decode()
    assert PhishingCampaign.objects.filter(pk=elsewhere.pk).exists()


# ---- importing -------------------------------------------------------------------------------------------------------


def test_an_uploaded_gophish_file_is_checked_straight_away_then_committed_on_the_job_page(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    roster(cast.org)
    client = client_for(cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("phishing_import"),
            {"file_format": KIND_EVENTS, "name": "Spring lure", "file": SimpleUploadedFile("spring.csv", events_csv())},
        )
    job = FileImport.objects.get()
    assert response["Location"] == reverse("core:file_import_detail", args=["clinic", job.public_id])
    assert job.state == FileImport.State.READY
    page = client.get(response["Location"]).content.decode()
    assert "GoPhish events for a new campaign “Spring lure”" in page
    assert "Not on the roster (kept without a person): <strong>2</strong>" in page
    assert "a@clinic.test" in page  # the preview

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:file_import_commit", args=["clinic", job.public_id]))

    job.refresh_from_db()
    campaign = PhishingCampaign.objects.get()
    assert (job.state, job.created_count, job.result["campaign"]) == ("committed", 10, str(campaign.public_id))
    detail = client.get(url("phishing_campaign_detail", campaign.public_id)).content.decode()
    assert "spring.csv" in detail and "20 min" in detail


def test_a_json_file_is_parsed_by_the_check_and_a_non_campaign_fails_there(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(
            url("phishing_import"),
            {"file_format": KIND_JSON, "file": SimpleUploadedFile("c.json", b'{"hello": 1}')},
        )
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(
            url("phishing_import"), {"file_format": KIND_JSON, "file": SimpleUploadedFile("c.json", campaign_json())}
        )

    assert (refused.status_code, accepted.status_code) == (302, 302)
    failed, ready = FileImport.objects.order_by("pk")
    assert failed.state == FileImport.State.FAILED
    assert failed.failure.startswith("The file is not a GoPhish campaign: it has neither")
    assert "The file is not a GoPhish campaign" in client.get(refused["Location"]).content.decode()
    assert ready.state == FileImport.State.READY


def test_options_that_cannot_work_are_shown_on_the_import_form(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        url("phishing_import"), {"file_format": KIND_RESULTS, "file": SimpleUploadedFile("s.csv", b"email\n")}
    )
    assert "Choose the campaign these results belong to, or name a new one." in response.content.decode()
    assert not FileImport.objects.exists()
    response = client_for(cast.owner).post(
        url("phishing_import"),
        {"file_format": "phishing_generic", "name": "X", "file": SimpleUploadedFile("s.csv", events_csv())},
    )
    assert "Name the vendor whose tool ran the campaign" in response.content.decode()
    assert not FileImport.objects.exists()


# ---- editing and deleting --------------------------------------------------------------------------------------------


def test_renaming_a_campaign_and_giving_its_launch_is_audited(cast: Cast) -> None:
    campaign = campaign_with_results(cast)
    PhishingCampaign.objects.filter(pk=campaign.pk).update(launched_at=None)

    response = client_for(cast.owner).post(
        url("phishing_campaign_edit", campaign.public_id),
        {"name": "Spring invoice lure", "description": "Fake invoice", "launched_on": "2026-03-02"},
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.launched_at is not None
    assert (campaign.name, campaign.description, campaign.launched_at.date().isoformat()) == (
        "Spring invoice lure",
        "Fake invoice",
        "2026-03-02",
    )
    event = AuditEvent.objects.get(action="training.phishing_campaign.updated")
    assert event.changes["name"] == ["Spring", "Spring invoice lure"]


def test_a_name_taken_by_another_campaign_is_refused_on_the_form(cast: Cast) -> None:
    campaign = campaign_with_results(cast)
    train.campaign(cast.org, "Autumn")

    response = client_for(cast.owner).post(url("phishing_campaign_edit", campaign.public_id), {"name": "autumn"})

    assert "Another campaign is already named “autumn”" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Spring"


def test_a_campaign_with_results_cannot_be_deleted_and_an_empty_one_can(cast: Cast) -> None:
    full, empty = campaign_with_results(cast), train.campaign(cast.org, "Mistake")
    client = client_for(cast.owner)

    refused = client.post(url("phishing_campaign_delete", full.public_id), {"confirm": "on"}, follow=True)
    unconfirmed = client.post(url("phishing_campaign_delete", empty.public_id), {}, follow=True)
    deleted = client.post(url("phishing_campaign_delete", empty.public_id), {"confirm": "on"})

    assert "“Spring” holds 3 results: a campaign with results cannot be deleted." in refused.content.decode()
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert deleted.status_code == 302
    assert list(PhishingCampaign.objects.values_list("name", flat=True)) == ["Spring"]
    event = AuditEvent.objects.get(action="training.phishing_campaign.deleted")
    assert event.changes["name"] == ["Mistake", None]


# ---- what the pages show ---------------------------------------------------------------------------------------------


def shown(cast: Cast, campaign: PhishingCampaign, **filters: str) -> list[str]:
    response = client_for(cast.owner).get(url("phishing_campaign_detail", campaign.public_id), filters)
    rows = response.context["page"].object_list
    return [row.email for row in rows]


def test_the_results_list_filters_by_status_report_and_roster(cast: Cast) -> None:
    spring(cast.org, cast.owner)
    campaign = PhishingCampaign.objects.get()

    assert shown(cast, campaign, status="clicked_any") == [
        "a@clinic.test",
        "b@clinic.test",
        "h@clinic.test",
        "y@elsewhere.test",
    ]
    assert shown(cast, campaign, reported="yes") == [
        "b@clinic.test",
        "c@clinic.test",
        "d@clinic.test",
        "x@elsewhere.test",
    ]
    assert shown(cast, campaign, on_roster="no") == ["x@elsewhere.test", "y@elsewhere.test"]
    assert shown(cast, campaign, status="error", department="billing") == ["g@clinic.test"]
    assert shown(cast, campaign, status="nonsense") == shown(cast, campaign)


def test_the_pages_show_the_hand_computed_figures(cast: Cast) -> None:
    spring(cast.org, cast.owner)
    campaign = PhishingCampaign.objects.get()
    client = client_for(cast.auditor)

    listing = client.get(url("phishing_campaign_list")).content.decode()
    detail = client.get(url("phishing_campaign_detail", campaign.public_id)).content.decode()
    trend = client.get(url("phishing_trend"), {"months": "all"}).content.decode()

    assert "44.4%" in listing and "20 min" in listing and "Import results" not in listing
    assert "66.7%" in detail and "22.2%" in detail and "No department (or not on the roster)" in detail
    assert "<svg" in trend and "<script" not in trend and "Spring lure" in trend


def test_the_list_detail_and_trend_pages_take_the_same_queries_for_3_or_30(cast: Cast) -> None:
    client = client_for(cast.owner)
    client.get(url("phishing_campaign_list"))  # the session, and the audit chain's head, exist from here on
    counts: dict[str, list[int]] = {"list": [], "detail": [], "trend": []}
    for size in (3, 30):
        for n in range(size):
            campaign = campaign_with_results(cast, f"C{size}-{n}", recipients=size)
        pages = {
            "list": url("phishing_campaign_list"),
            "detail": url("phishing_campaign_detail", campaign.public_id),
            "trend": url("phishing_trend"),
        }
        for name, page in pages.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(page).status_code == 200
            counts[name].append(len(captured.captured_queries))

    assert {name: found[0] == found[1] for name, found in counts.items()} == dict.fromkeys(counts, True), counts
